#include "tools/exec/exec_tools.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/this_coro.hpp>
#include <boost/json.hpp>

#include "agent/head_tail.hpp"
#include "core/executor.hpp"
#include "sessions/run_control.hpp"
#include "tools/exec/exec_environment.hpp"
#include "tools/exec/process_registry.hpp"
#include "tools/exec/sandbox_command.hpp"
#include "tools/tool_arguments.hpp"

namespace pincer::tools {

namespace asio = boost::asio;
namespace json = boost::json;
namespace fs = std::filesystem;
using agent::ToolContext;
using agent::ToolOutput;
using std::chrono::milliseconds;

namespace {

constexpr int64_t kDefaultTimeoutSeconds = 1800;
constexpr int64_t kDefaultYieldMs = 10'000;
constexpr int64_t kDefaultCleanupMs = 1'800'000;
constexpr int64_t kMaxPollWaitMs = 30'000;
constexpr int64_t kDefaultLogLines = 200;
constexpr std::size_t kRunningTailBytes = 2'000;

constexpr const char* kExecSchema = R"({
  "type": "object",
  "properties": {
    "command": {"type": "string", "description": "Shell command to run (/bin/sh -c)."},
    "workdir": {"type": "string", "description": "Working directory; relative paths resolve against the workspace (default)."},
    "env": {"type": "object", "additionalProperties": {"type": "string"}, "description": "Extra environment variables."},
    "yieldMs": {"type": "number", "description": "Move the command to the background after this many ms (default 10000)."},
    "background": {"type": "boolean", "description": "Start in the background at once and return a sessionId."},
    "timeoutSeconds": {"type": "number", "description": "Kill the command after this many seconds (default 1800; 0: no timeout)."},
    "pty": {"type": "boolean", "description": "Run in a pseudo-terminal (for TTY-only programs)."},
    "host": {"type": "string", "enum": ["auto", "sandbox", "gateway"], "description": "Where to run; auto follows the sandbox settings."}
  },
  "required": ["command"]
})";

constexpr const char* kProcessSchema = R"({
  "type": "object",
  "properties": {
    "action": {"type": "string", "enum": ["list", "poll", "log", "write", "send-keys", "submit", "paste", "kill", "clear", "remove"]},
    "sessionId": {"type": "string", "description": "The id exec returned."},
    "timeout": {"type": "number", "description": "poll: wait up to this many ms for the command to finish (max 30000)."},
    "offset": {"type": "number", "description": "log: first line (0-based)."},
    "limit": {"type": "number", "description": "log: number of lines."},
    "data": {"type": "string", "description": "write: bytes for stdin."},
    "eof": {"type": "boolean", "description": "write: close stdin afterwards."},
    "keys": {"type": "array", "items": {"type": "string"}, "description": "send-keys: Enter, Tab, Escape, Up, Down, Left, Right, Backspace, C-c ..."},
    "literal": {"type": "string", "description": "send-keys: text sent before the keys."},
    "hex": {"type": "array", "items": {"type": "string"}, "description": "send-keys: bytes as hex pairs."},
    "text": {"type": "string", "description": "paste: the text."},
    "bracketed": {"type": "boolean", "description": "paste: wrap in bracketed-paste markers (default true)."}
  },
  "required": ["action"]
})";

ToolOutput error_output(std::string text) {
  return ToolOutput{std::move(text), true};
}

const json::value* config_at(const json::value& root,
                             std::initializer_list<std::string_view> keys) {
  const json::value* at = &root;
  for (auto key : keys) {
    const auto* object = at->if_object();
    if (object == nullptr) {
      return nullptr;
    }
    at = object->if_contains(key);
    if (at == nullptr) {
      return nullptr;
    }
  }
  return at;
}

int64_t config_number(const core::Config& config, std::initializer_list<std::string_view> keys,
                      int64_t fallback) {
  const json::value* value = config_at(config.raw, keys);
  if (value == nullptr || !value->is_number()) {
    return fallback;
  }
  double number = value->to_number<double>();
  return std::isfinite(number) && number >= 0 ? static_cast<int64_t>(number) : fallback;
}

std::string seconds_text(milliseconds ms) {
  if (ms.count() % 1000 == 0) {
    return std::to_string(ms.count() / 1000) + " s";
  }
  return std::to_string(ms.count()) + " ms";
}

// The log's retained text cut to `max_bytes` around a note of how much was left out.
std::string capped_text(std::string text, uint64_t total_bytes, std::size_t max_bytes) {
  if (text.size() <= max_bytes) {
    return text;
  }
  const std::size_t size = text.size();
  auto marker = [&](std::size_t cut) {
    uint64_t shown = size - cut;
    uint64_t omitted = total_bytes > shown ? total_bytes - shown : cut;
    return "\n[... " + std::to_string(omitted) + " bytes of output omitted from the middle ...]\n";
  };
  return agent::keep_head_and_tail(text, max_bytes, marker);
}

std::string preview(const std::string& command) {
  std::string line = command.substr(0, command.find('\n'));
  if (line.size() > 80) {
    line = line.substr(0, agent::utf8_floor(line, 77)) + "...";
  } else if (line.size() < command.size()) {
    line += " ...";
  }
  return line;
}

std::optional<std::string> key_bytes(std::string_view key) {
  static const std::map<std::string, std::string, std::less<>> kKeys{
      {"Enter", "\r"},      {"Return", "\r"},      {"Tab", "\t"},           {"Escape", "\x1b"},
      {"Esc", "\x1b"},      {"Backspace", "\x7f"}, {"Space", " "},          {"Up", "\x1b[A"},
      {"Down", "\x1b[B"},   {"Right", "\x1b[C"},   {"Left", "\x1b[D"},      {"Home", "\x1b[H"},
      {"End", "\x1b[F"},    {"PageUp", "\x1b[5~"}, {"PageDown", "\x1b[6~"}, {"Delete", "\x1b[3~"},
      {"Insert", "\x1b[2~"}};
  if (auto it = kKeys.find(key); it != kKeys.end()) {
    return it->second;
  }
  if ((key.starts_with("C-") || key.starts_with("^")) && key.size() == (key[0] == '^' ? 2 : 3)) {
    char letter = key.back();
    if (std::isalpha(static_cast<unsigned char>(letter)) != 0) {
      return std::string(1, static_cast<char>(std::toupper(letter) & 0x1f));
    }
  }
  return std::nullopt;
}

class ExecTools {
 public:
  ExecTools(const ToolDeps& deps, ExecGate gate, ExecToolOptions options)
      : deps_(deps),
        gate_(std::move(gate)),
        options_(std::move(options)),
        registry_(options_.now) {}

  asio::awaitable<ToolOutput> exec(const json::object& arguments, ToolContext& context);
  asio::awaitable<ToolOutput> process(const json::object& arguments, ToolContext& context);

 private:
  struct Prepared {
    fs::path cwd;
    std::string problem;  // non-empty: refuse the call
  };
  Prepared prepare(const fs::path& workspace, const std::optional<std::string>& workdir,
                   bool sandboxed) const;
  std::string finished_text(const ExecSession& session) const;
  std::string running_text(const std::string& id, const ExecSession& session) const;
  ExecLimits limits(milliseconds timeout) const;
  asio::awaitable<ToolOutput> send(ExecSession& session, const std::string& data, bool eof);

  ToolDeps deps_;
  ExecGate gate_;
  ExecToolOptions options_;
  ProcessRegistry registry_;
};

ExecLimits ExecTools::limits(milliseconds timeout) const {
  ExecLimits limits;
  limits.timeout = timeout;
  limits.kill_grace = options_.kill_grace;
  limits.drain = options_.drain;
  return limits;
}

// Blocking (stat, canonical, the bwrap probe): runs on the pool.
ExecTools::Prepared ExecTools::prepare(const fs::path& workspace,
                                       const std::optional<std::string>& workdir,
                                       bool sandboxed) const {
  Prepared out;
  std::error_code ec;
  fs::create_directories(workspace, ec);
  fs::path root = fs::weakly_canonical(workspace, ec);
  if (ec) {
    root = workspace;
  }
  fs::path cwd = root;
  if (workdir && !workdir->empty() && *workdir != ".") {
    fs::path requested(*workdir);
    cwd = requested.is_absolute() ? requested : root / requested;
  }
  cwd = fs::weakly_canonical(cwd, ec);
  if (ec || !fs::is_directory(cwd, ec)) {
    out.problem = "workdir: " + cwd.string() + " is not an existing folder";
    return out;
  }
  if (sandboxed) {
    auto [end, ignored] = std::mismatch(root.begin(), root.end(), cwd.begin(), cwd.end());
    if (end != root.end()) {
      out.problem = "workdir: " + cwd.string() +
                    " is outside the workspace, which is all a sandboxed command can see";
      return out;
    }
    if (auto available = check_sandbox_available(); !available) {
      out.problem = "This session is sandboxed, but " + available.error().describe();
      return out;
    }
  }
  out.cwd = cwd;
  return out;
}

std::string ExecTools::finished_text(const ExecSession& session) const {
  std::string output =
      capped_text(session.log().text(), session.log().total(), options_.max_result_bytes);
  if (output.empty()) {
    output = "(no output)";
  } else if (output.back() != '\n') {
    output += '\n';
  }
  return output + "[" + session.status_text() + "]";
}

std::string ExecTools::running_text(const std::string& id, const ExecSession& session) const {
  std::string tail = session.log().read_from(
      session.log().total() > kRunningTailBytes ? session.log().total() - kRunningTailBytes : 0);
  std::string out = "Command still running in the background (sessionId: " + id + ", pid " +
                    std::to_string(session.pid()) +
                    "). Use the process tool with this sessionId: action \"poll\" for new output "
                    "and status, \"log\" for all of it, \"write\" for stdin, \"kill\" to stop it.";
  if (session.timeout().count() > 0) {
    out += " It is killed after " + seconds_text(session.timeout()) + " in total.";
  }
  if (!tail.empty()) {
    out += "\n\nOutput so far (last lines):\n" + tail;
  }
  return out;
}

asio::awaitable<ToolOutput> ExecTools::exec(const json::object& arguments, ToolContext& context) {
  ToolArguments args(arguments);
  std::string command = args.required_string("command");
  std::optional<std::string> workdir = args.string("workdir");
  if (!workdir) {
    workdir = args.string("cwd");
  }
  std::map<std::string, std::string> env_overrides;
  if (const json::value* env = args.raw("env"); env != nullptr) {
    if (!env->is_object()) {
      args.fail("env: expected an object of strings");
    } else {
      for (const auto& [key, value] : env->get_object()) {
        if (value.is_string()) {
          env_overrides[std::string(key)] = std::string(value.get_string());
        } else if (value.is_number() || value.is_bool()) {
          env_overrides[std::string(key)] = json::serialize(value);
        } else {
          args.fail("env." + std::string(key) + ": expected a string");
        }
      }
    }
  }
  const core::Config& config = deps_.config();
  std::optional<int64_t> yield_ms = args.integer("yieldMs", 0, 86'400'000);
  bool background = args.boolean("background").value_or(false);
  std::optional<double> timeout_seconds = args.number("timeoutSeconds", 0, 7 * 86'400.0);
  bool pty = args.boolean("pty").value_or(false);
  std::string host = args.string("host").value_or("auto");
  if (args.error()) {
    co_return error_output(*args.error());
  }
  if (host != "auto" && host != "sandbox" && host != "gateway") {
    co_return error_output("host: \"" + host +
                           "\" is not supported here; use auto, sandbox or gateway");
  }

  SandboxSettings sandbox = sandbox_settings(config, context.agent_id);
  bool sandboxed = session_is_sandboxed(sandbox, config, context.agent_id, context.session_key);
  if (host == "gateway" && sandboxed) {
    co_return error_output(
        "host: this session is sandboxed; its commands cannot run on the gateway host");
  }
  if (host == "sandbox") {
    sandboxed = true;  // fails closed below when bwrap cannot run
  }

  fs::path workspace = context.workspace.empty() ? deps_.paths.workspace_dir : context.workspace;
  auto prepare_call = [&] { return prepare(workspace, workdir, sandboxed); };
  Prepared prepared = co_await core::run_blocking(deps_.pool, prepare_call);
  if (!prepared.problem.empty()) {
    co_return error_output(prepared.problem);
  }

  ExecEnvironmentRequest env_request{env_overrides, sandboxed, pty};
  auto env = build_exec_environment(env_request, options_.host_env);
  if (!env) {
    co_return error_output(env.error().describe());
  }

  GateRequest gate_request{
      command, prepared.cwd.string(), context.agent_id, context.session_key, sandboxed, background};
  GateDecision decision = co_await gate_(gate_request);
  if (!decision.allowed) {
    co_return error_output("exec denied: " + (decision.reason.empty()
                                                  ? std::string("no reason given")
                                                  : decision.reason));
  }

  SpawnRequest spawn;
  if (sandboxed) {
    SandboxPolicy policy{
        fs::weakly_canonical(workspace), deps_.paths.state_dir, sandbox.network, {}};
    spawn.argv = bwrap_arguments(policy, prepared.cwd);
  }
  spawn.argv.insert(spawn.argv.end(), {"/bin/sh", "-c", command});
  spawn.env = std::move(*env);
  spawn.cwd = prepared.cwd;
  spawn.pty = pty;

  auto executor = co_await asio::this_coro::executor;
  auto child = ChildProcess::spawn(executor, spawn);
  if (!child) {
    co_return error_output(child.error().describe());
  }
  int64_t timeout_ms = timeout_seconds ? static_cast<int64_t>(std::llround(*timeout_seconds * 1000))
                                       : config_number(config, {"tools", "exec", "timeoutSeconds"},
                                                       kDefaultTimeoutSeconds) *
                                             1000;
  ExecSessionInfo info{context.agent_id, context.session_key, command, prepared.cwd.string(), pty,
                       sandboxed};
  auto session = ExecSession::start(executor, std::move(*child), std::move(info),
                                    limits(milliseconds(timeout_ms)), options_.now);
  registry_.set_finished_ttl(
      milliseconds(config_number(config, {"tools", "exec", "cleanupMs"}, kDefaultCleanupMs)));

  if (!background) {
    int64_t wait_ms = yield_ms.value_or(
        config_number(config, {"tools", "exec", "backgroundMs"}, kDefaultYieldMs));
    co_await session->wait(milliseconds(wait_ms));
    asio::cancellation_state cancel = co_await asio::this_coro::cancellation_state;
    bool aborted = (context.control != nullptr && context.control->aborted()) ||
                   cancel.cancelled() != asio::cancellation_type::none;
    if (aborted && !session->finished()) {
      // No more waiting in this coroutine: it was cancelled. The session reaps the process.
      session->kill_now("the turn was aborted");
      std::string output =
          capped_text(session->log().text(), session->log().total(), options_.max_result_bytes);
      co_return error_output(output + (output.empty() ? "" : "\n") +
                             "[killed: the turn was aborted]");
    }
    if (session->finished()) {
      co_return ToolOutput{finished_text(*session), !session->succeeded()};
    }
  }
  std::string id = registry_.add(session);
  co_return ToolOutput{running_text(id, *session), false};
}

asio::awaitable<ToolOutput> ExecTools::send(ExecSession& session, const std::string& data,
                                            bool eof) {
  if (session.finished()) {
    co_return error_output("The command already ended [" + session.status_text() + "]");
  }
  if (!data.empty()) {
    Status written = co_await session.write(data);
    if (!written) {
      co_return error_output(written.error().describe());
    }
  }
  if (eof) {
    session.close_input();
  }
  co_return ToolOutput{eof ? "Sent; stdin closed." : "Sent.", false};
}

asio::awaitable<ToolOutput> ExecTools::process(const json::object& arguments,
                                               ToolContext& context) {
  ToolArguments args(arguments);
  std::string action = args.required_string("action");
  if (args.error()) {
    co_return error_output(*args.error());
  }
  if (action == "list") {
    auto sessions = registry_.list(context.agent_id);
    if (sessions.empty()) {
      co_return ToolOutput{"No background sessions.", false};
    }
    std::string out;
    auto now = options_.now();
    for (const auto& [id, session] : sessions) {
      auto age = std::chrono::duration_cast<std::chrono::seconds>(now - session->started_at());
      out += id + "  " + session->status_text() + "  " + std::to_string(age.count()) + " s  " +
             preview(session->info().command) + "\n";
    }
    co_return ToolOutput{out, false};
  }

  std::string id = args.string("sessionId").value_or("");
  if (id.empty() && !args.error()) {
    args.fail("sessionId: required for action \"" + action + "\"");
  }
  if (args.error()) {
    co_return error_output(*args.error());
  }
  std::shared_ptr<ExecSession> session = registry_.find(context.agent_id, id);
  if (!session) {
    co_return error_output("No session \"" + id +
                           "\" (unknown, another agent's, or cleaned up). action \"list\" shows "
                           "the sessions there are.");
  }

  if (action == "poll") {
    std::optional<int64_t> wait_ms = args.integer("timeout", 0, 3'600'000);
    if (args.error()) {
      co_return error_output(*args.error());
    }
    if (wait_ms && !session->finished()) {
      co_await session->wait(milliseconds(std::min(*wait_ms, kMaxPollWaitMs)));
    }
    uint64_t from = session->poll_cursor();
    std::string fresh = session->log().read_from(from);
    session->poll_cursor() = session->log().total();
    std::string out =
        capped_text(std::move(fresh), session->log().total() - from, options_.max_result_bytes);
    if (out.empty()) {
      out = "(no new output)";
    } else if (out.back() != '\n') {
      out += '\n';
    }
    out += "\n[" + session->status_text() + "]";
    co_return ToolOutput{
        out, session->finished() && !session->succeeded() && session->kill_reason().empty()};
  }

  if (action == "log") {
    std::optional<int64_t> offset = args.integer("offset", 0, INT32_MAX);
    std::optional<int64_t> limit = args.integer("limit", 1, INT32_MAX);
    if (args.error()) {
      co_return error_output(*args.error());
    }
    std::string text = session->log().text();
    std::vector<std::string_view> lines;
    std::string_view rest = text;
    while (!rest.empty()) {
      auto end = rest.find('\n');
      lines.push_back(rest.substr(0, end));
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    }
    const auto count = static_cast<int64_t>(lines.size());
    int64_t first = 0;
    int64_t last = count;
    if (!offset && !limit) {
      first = std::max<int64_t>(0, count - kDefaultLogLines);
    } else {
      first = std::min(offset.value_or(0), count);
      last = limit ? std::min(count, first + *limit) : count;
    }
    std::string page;
    for (int64_t i = first; i < last; ++i) {
      page.append(lines[static_cast<std::size_t>(i)]);
      page += '\n';
    }
    page = capped_text(std::move(page), page.size(), options_.max_result_bytes);
    std::string footer = "\n[lines " + std::to_string(first) + "-" + std::to_string(last) + " of " +
                         std::to_string(count);
    if (session->log().dropped() > 0) {
      footer += "; " + std::to_string(session->log().dropped()) +
                " bytes were dropped from the middle and cannot be recovered";
    }
    if (!offset && !limit && first > 0) {
      footer += "; pass offset/limit for earlier lines";
    }
    footer += "; " + session->status_text() + "]";
    co_return ToolOutput{(page.empty() ? "(no output)\n" : page) + footer, false};
  }

  if (action == "write") {
    std::string data = args.string("data").value_or("");
    bool eof = args.boolean("eof").value_or(false);
    if (args.error()) {
      co_return error_output(*args.error());
    }
    if (data.empty() && !eof) {
      co_return error_output("data: required (or eof: true to close stdin)");
    }
    co_return co_await send(*session, data, eof);
  }

  if (action == "submit") {
    const std::string enter = "\r";
    co_return co_await send(*session, enter, false);
  }

  if (action == "paste") {
    std::string text = args.required_string("text");
    bool bracketed = args.boolean("bracketed").value_or(true);
    if (args.error()) {
      co_return error_output(*args.error());
    }
    std::string data = bracketed ? "\x1b[200~" + text + "\x1b[201~" : text;
    co_return co_await send(*session, data, false);
  }

  if (action == "send-keys") {
    std::string data = args.string("literal").value_or("");
    auto hex = args.string_list("hex");
    auto keys = args.string_list("keys");
    if (args.error()) {
      co_return error_output(*args.error());
    }
    for (const auto& pair : hex.value_or(std::vector<std::string>{})) {
      unsigned value = 0;
      auto [end, ec] = std::from_chars(pair.data(), pair.data() + pair.size(), value, 16);
      if (pair.size() != 2 || ec != std::errc() || end != pair.data() + pair.size()) {
        co_return error_output("hex: \"" + pair + "\" is not a byte as two hex digits");
      }
      data += static_cast<char>(value);
    }
    for (const auto& key : keys.value_or(std::vector<std::string>{})) {
      auto bytes = key_bytes(key);
      if (!bytes) {
        co_return error_output("keys: unknown key \"" + key +
                               "\" (use Enter, Tab, Escape, Backspace, Space, Up, Down, Left, "
                               "Right, Home, End, PageUp, PageDown, Delete, C-<letter>)");
      }
      data += *bytes;
    }
    if (data.empty()) {
      co_return error_output("send-keys: give keys, literal or hex");
    }
    co_return co_await send(*session, data, false);
  }

  if (action == "kill" || action == "remove") {
    if (!session->finished()) {
      session->terminate("killed by process " + action);
      if (action == "kill") {
        co_await session->wait(options_.kill_grace + options_.drain + milliseconds(500));
      }
    }
    if (action == "remove") {
      registry_.remove(context.agent_id, id);
      co_return ToolOutput{"Removed session " + id + ".", false};
    }
    co_return ToolOutput{"Session " + id + ": " + session->status_text(), false};
  }

  if (action == "clear") {
    if (!session->finished()) {
      co_return error_output("Session " + id +
                             " is still running; kill it first (or use action \"remove\")");
    }
    registry_.remove(context.agent_id, id);
    co_return ToolOutput{"Cleared session " + id + ".", false};
  }

  co_return error_output("action: \"" + action +
                         "\" is not one of list, poll, log, write, send-keys, submit, paste, "
                         "kill, clear, remove");
}

}  // namespace

void register_exec_tools(agent::ToolRegistry& registry, const ToolDeps& deps, ExecGate gate) {
  register_exec_tools(registry, deps, std::move(gate), ExecToolOptions{});
}

void register_exec_tools(agent::ToolRegistry& registry, const ToolDeps& deps, ExecGate gate,
                         ExecToolOptions options) {
  if (!gate) {
    gate = allow_all_exec_gate();
  }
  // Shared by the two handlers: both tools see the same background sessions.
  auto tools = std::make_shared<ExecTools>(deps, std::move(gate), std::move(options));

  agent::ToolSpec exec_spec;
  exec_spec.schema = {"exec",
                      "Run a shell command in the workspace (/bin/sh -c). Returns the output and "
                      "exit code; long-running commands continue in the background with a "
                      "sessionId for the process tool.",
                      json::parse(kExecSchema).as_object()};
  exec_spec.guidance =
      "exec: run shell commands; use background/yieldMs for long ones and process to follow up";
  exec_spec.parallel_safe = false;
  exec_spec.handler = [tools](const json::object& arguments, ToolContext& context) {
    return tools->exec(arguments, context);
  };
  registry.add(std::move(exec_spec));

  agent::ToolSpec process_spec;
  process_spec.schema = {"process",
                         "Manage background exec sessions: list, poll (new output + status), "
                         "log (offset/limit lines), write (stdin), send-keys, submit, paste, "
                         "kill, clear, remove.",
                         json::parse(kProcessSchema).as_object()};
  process_spec.guidance =
      "process: follow up on commands exec moved to the background (poll, log, write, kill)";
  process_spec.parallel_safe = false;
  process_spec.handler = [tools](const json::object& arguments, ToolContext& context) {
    return tools->process(arguments, context);
  };
  registry.add(std::move(process_spec));
}

}  // namespace pincer::tools
