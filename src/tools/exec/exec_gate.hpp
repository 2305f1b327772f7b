#pragma once
// The seam between the exec tool and whatever decides whether a command may run (the exec
// approvals engine: allowlists, asking a person). The exec tool asks once per call, after the
// arguments are read and the sandbox decided, and before anything is spawned; a denial becomes
// the tool's error text so the model sees the reason.

#include <functional>
#include <string>

#include <boost/asio/awaitable.hpp>

namespace pincer::tools {

struct GateRequest {
  std::string command;  // the shell text, exactly as it will be passed to /bin/sh -c
  std::string cwd;      // absolute working directory on the host
  std::string agent_id;
  std::string session_key;
  bool sandboxed = false;  // true: runs under bwrap with the sandbox policy
  bool background = false;
};

struct GateDecision {
  bool allowed = true;
  std::string reason;  // why it was denied (shown to the model); empty when allowed

  static GateDecision allow() { return {}; }
  static GateDecision deny(std::string why) { return {false, std::move(why)}; }
};

// May wait (for a person's answer); runs on the I/O thread and must not block it.
using ExecGate = std::function<boost::asio::awaitable<GateDecision>(const GateRequest&)>;

// The default gate: every command may run.
inline ExecGate allow_all_exec_gate() {
  return [](const GateRequest&) -> boost::asio::awaitable<GateDecision> {
    co_return GateDecision::allow();
  };
}

}  // namespace pincer::tools
