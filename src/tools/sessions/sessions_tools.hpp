#pragma once
// The session tools (docs: concepts/session-tool.md, tools/agent-send.md, tools/subagents.md):
//
//   sessions_list {limit?, agentId?, search?, label?}
//       Recent sessions, newest first: key, sessionId, agentId, channel, updatedAt, label,
//       displayName and a title (label, else display name, else key).
//   sessions_history {sessionKey, limit?, includeTools?}
//       A session's transcript tail as {role, text, timestamp} items; tool traffic only with
//       includeTools.
//   sessions_send {sessionKey | label, message, timeoutSeconds?}
//       Runs a turn in another session with `message` (marked as an inter-session message).
//       timeoutSeconds 0 returns {status:"accepted"} at once; otherwise (default 30) waits and
//       returns the reply: status ok | no_reply | timeout (the run goes on) | error.
//       The current session cannot be the target (its lane is held by this very turn).
//   sessions_spawn {task, label?, agentId?, model?, thinking?, runTimeoutSeconds?,
//                   timeoutSeconds?}
//       Starts a sub-agent run in a new session agent:<agentId>:subagent:<uuid> with the task,
//       then waits up to timeoutSeconds (default 300; 0: return {status:"accepted"} at once)
//       and returns the child's final text. runTimeoutSeconds caps the child's own run.
//
// Not yet: visibility scopes (tools.sessions.visibility), agentToAgent policy, spawn depth
// limits, announce delivery of late child results, and the subagent global lane (every run
// goes through the main lane until the agent service picks lanes per session kind).

#include "agent/tool_registry.hpp"
#include "tools/sessions/sessions_backend.hpp"

namespace pincer::tools {

void register_sessions_tools(agent::ToolRegistry& registry, SessionsBackend backend);

}  // namespace pincer::tools
