// pincer_channel_bench: Telegram channel figures for the real `pincer gateway` process, driven
// through the fake Bot API server and the fake model server (both in this process, each on its
// own thread; the daemon is a separate process, so its memory is its own).
//
//   1. Idle memory: RSS of the daemon once Telegram is connected (a getUpdates long poll held),
//      split into RssAnon (heap, stacks), RssFile (binary and shared libraries) and RssShmem.
//   2. Inbound latency: one message at a time (after a warm-up), from the moment the fake wrote
//      the update in a getUpdates answer to the first byte of the provider request at the fake
//      model; also until the reply's sendMessage reached the fake. Both fakes stamp these on
//      steady_clock (CLOCK_MONOTONIC), so there is no polling error in the figures.
//   3. Throughput: `--chats` chats x `--per-chat` messages. The first message of 100 chats goes
//      first (RSS after it is the baseline), then all the rest at once, message-major so every
//      getUpdates batch spans many chats and the lanes run in parallel; messages/s from the
//      first update handed out to the last reply received.
//   4. RSS after all messages against RSS after the first 100.
//
// The config makes every message produce exactly one sendMessage: streaming "off", a session per
// chat (dmScope "per-channel-peer"; with the default "main" every DM shares one session, whose
// queue cap of 20 drops or merges messages), and the session queue in "followup" mode without
// debounce (a message arriving while its chat has a run becomes its own next turn instead of
// steering it).
//
// Prints rows in bench/run's table format, or one JSON object with --json. A benchmark, not a
// test: it measures and exits 1 only when the daemon does not answer.
//
//   pincer_channel_bench [--json] [--chats 1000] [--per-chat 10] [--latency 200] [--warmup 20]
//                        [--max-concurrent N] [--daemon-env NAME=VALUE ...]
//
// $PINCER_BINARY picks the daemon (default: this build's). The state dir lives under $TMPDIR,
// which decides the disk: state.db commits with synchronous=FULL, so fsync cost dominates
// throughput on a real disk.

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include "fakes/fake_llm_server.hpp"
#include "fakes/fake_reply.hpp"
#include "fakes/fake_telegram_server.hpp"
#include "support/pincer_process.hpp"

namespace json = boost::json;
using namespace pincer;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int64_t kLatencyUserBase = 7'000'000;  // latency chats: 10 users taking turns
constexpr int64_t kLoadUserBase = 8'000'000;     // load chats: one user per chat
constexpr std::size_t kBaselineMessages = 100;

struct Options {
  int chats = 1000;
  int per_chat = 10;
  int latency = 200;
  int warmup = 20;
  int max_concurrent = 0;  // 0: the config default
  bool json = false;
  testing::EnvVars daemon_env;  // e.g. GLIBC_TUNABLES, for memory experiments
};

// Fields of /proc/<pid>/status, in KiB (Threads as a count).
struct ProcStatus {
  int64_t rss = 0;
  int64_t hwm = 0;
  int64_t anon = 0;
  int64_t file = 0;
  int64_t shmem = 0;
  int64_t threads = 0;
};

ProcStatus read_status(pid_t pid) {
  ProcStatus out;
  std::ifstream status(fmt::format("/proc/{}/status", pid));
  std::string line;
  auto field = [&](std::string_view name, int64_t& value) {
    if (line.starts_with(name)) {
      value = std::atoll(line.c_str() + name.size());
    }
  };
  while (std::getline(status, line)) {
    field("VmRSS:", out.rss);
    field("VmHWM:", out.hwm);
    field("RssAnon:", out.anon);
    field("RssFile:", out.file);
    field("RssShmem:", out.shmem);
    field("Threads:", out.threads);
  }
  return out;
}

json::object to_json(const ProcStatus& s) {
  json::object out;
  out["rssKiB"] = s.rss;
  out["hwmKiB"] = s.hwm;
  out["anonKiB"] = s.anon;
  out["fileKiB"] = s.file;
  out["shmemKiB"] = s.shmem;
  out["threads"] = s.threads;
  return out;
}

double micros(Clock::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

struct Percentiles {
  double p50 = 0;
  double p90 = 0;
  double p99 = 0;
  std::size_t count = 0;
};

Percentiles percentiles(std::vector<double> values) {
  Percentiles out;
  out.count = values.size();
  if (values.empty()) {
    return out;
  }
  std::sort(values.begin(), values.end());
  auto at = [&](double q) {
    return values[static_cast<std::size_t>(q * static_cast<double>(values.size() - 1) + 0.5)];
  };
  out.p50 = at(0.50);
  out.p90 = at(0.90);
  out.p99 = at(0.99);
  return out;
}

json::object to_json(const Percentiles& p) {
  json::object out;
  out["p50Us"] = p.p50;
  out["p90Us"] = p.p90;
  out["p99Us"] = p.p99;
  out["count"] = p.count;
  return out;
}

std::string format_us(double us) {
  if (us >= 100'000) {
    return fmt::format("{:.0f} ms", us / 1000);
  }
  return us >= 10'000 ? fmt::format("{:.1f} ms", us / 1000) : fmt::format("{:.0f} µs", us);
}

std::string config_for(const fakes::FakeLlmServer& llm, const fakes::FakeTelegramServer& telegram,
                       int max_concurrent) {
  std::string concurrency =
      max_concurrent > 0 ? fmt::format(", maxConcurrent: {}", max_concurrent) : std::string();
  return fmt::format(
      R"({{
  gateway: {{ auth: {{ mode: "token", token: "bench-token" }} }},
  agents: {{ defaults: {{ model: {{ primary: "anthropic/claude-sonnet-4-5" }},
                          timeoutSeconds: 60{} }} }},
  models: {{ providers: {{ anthropic: {{ baseUrl: "{}", apiKey: "bench-key" }} }} }},
  session: {{ dmScope: "per-channel-peer" }},
  messages: {{ queue: {{ mode: "followup", debounceMs: 0 }} }},
  channels: {{ telegram: {{
    botToken: "{}",
    apiRoot: "{}",
    dmPolicy: "open",
    allowFrom: ["*"],
    streaming: "off",
  }} }},
}})",
      concurrency, llm.base_url(), telegram.token(), telegram.api_root());
}

int64_t chat_of(const fakes::TelegramCall& call) {
  const json::value* id = call.params.if_contains("chat_id");
  if (id == nullptr) {
    return 0;
  }
  if (id->is_string()) {
    return std::atoll(std::string(id->get_string()).c_str());
  }
  return id->is_number() ? id->to_number<int64_t>() : 0;
}

[[noreturn]] void give_up(const std::string& what, testing::GatewayProcess& gateway) {
  std::string output = gateway.output();
  if (output.size() > 4000) {
    output = "..." + output.substr(output.size() - 4000);
  }
  std::fprintf(stderr, "pincer_channel_bench: %s\n--- gateway stderr (tail) ---\n%s\n",
               what.c_str(), output.c_str());
  std::exit(1);
}

// Waits until the fake received `count` sendMessage calls, failing when the daemon makes no
// progress for a minute or exits.
void wait_for_replies(const fakes::FakeLlmServer& llm, const fakes::FakeTelegramServer& telegram,
                      testing::GatewayProcess& gateway, std::size_t count) {
  std::size_t last = telegram.call_count("sendMessage");
  auto last_progress = Clock::now();
  while (!telegram.wait_for_calls("sendMessage", count, 1s)) {
    std::size_t now = telegram.call_count("sendMessage");
    if (now != last) {
      last = now;
      last_progress = Clock::now();
    }
    if (!gateway.running()) {
      give_up("the gateway exited", gateway);
    }
    if (Clock::now() - last_progress > 60s) {
      give_up(fmt::format("no reply for a minute ({} of {} replies; {} updates pending, {} "
                          "getUpdates, {} sendChatAction, {} model requests)",
                          now, count, telegram.pending_updates(), telegram.call_count("getUpdates"),
                          telegram.call_count("sendChatAction"), llm.request_count()),
              gateway);
    }
  }
}

struct Figures {
  ProcStatus idle;
  Percentiles to_llm;
  Percentiles to_reply;
  ProcStatus after_baseline;
  ProcStatus after_all;
  std::size_t load_messages = 0;
  double load_seconds = 0;
  Percentiles load_to_reply;
  std::size_t failed_sends = 0;
};

void idle_memory(const testing::GatewayProcess& gateway, Figures& figures) {
  std::this_thread::sleep_for(1s);  // let start-up work (store checks, first poll) settle
  figures.idle = read_status(gateway.pid());
}

void sequential_latency(const Options& options, fakes::FakeLlmServer& llm,
                        fakes::FakeTelegramServer& telegram, testing::GatewayProcess& gateway,
                        Figures& figures) {
  std::vector<double> to_llm;
  std::vector<double> to_reply;
  for (int i = 0; i < options.warmup + options.latency; ++i) {
    llm.reset();  // keeps the default reply; only this message's request stays recorded
    std::size_t replies = telegram.call_count("sendMessage");
    int64_t update_id =
        telegram.push_private_text(kLatencyUserBase + i % 10, "Bench", fmt::format("ping {}", i));
    wait_for_replies(llm, telegram, gateway, replies + 1);
    auto sent = telegram.update_sent_at(update_id);
    auto requests = llm.requests();
    if (!sent || requests.empty()) {
      give_up("a reply came without the update or the model request being seen", gateway);
    }
    auto reply = telegram.calls("sendMessage").back();
    if (i < options.warmup) {
      continue;  // connections, statement caches, first session files
    }
    to_llm.push_back(micros(requests.front().first_byte_at - *sent));
    to_reply.push_back(micros(reply.received_at - *sent));
  }
  figures.to_llm = percentiles(std::move(to_llm));
  figures.to_reply = percentiles(std::move(to_reply));
}

void load(const Options& options, fakes::FakeLlmServer& llm, fakes::FakeTelegramServer& telegram,
          testing::GatewayProcess& gateway, Figures& figures) {
  auto chats = static_cast<std::size_t>(options.chats);
  auto per_chat = static_cast<std::size_t>(options.per_chat);
  std::size_t total = chats * per_chat;
  std::size_t baseline = std::min(kBaselineMessages, total);
  std::size_t replies_before = telegram.call_count("sendMessage");
  // update ids by chat, in the order sent; message-major order: message m of every chat, then m+1.
  std::vector<std::vector<int64_t>> updates(chats);
  auto push = [&](std::size_t index) {
    std::size_t chat = index % chats;
    std::size_t message = index / chats;
    updates[chat].push_back(
        telegram.push_private_text(kLoadUserBase + static_cast<int64_t>(chat), "Load",
                                   fmt::format("message {} of chat {}", message + 1, chat + 1)));
  };

  for (std::size_t i = 0; i < baseline; ++i) {
    push(i);
  }
  wait_for_replies(llm, telegram, gateway, replies_before + baseline);
  // Both readings come after the daemon has been quiet for a while (it returns free heap after
  // 2 s of an empty outbox), so they compare steady states, not a burst's high-water mark.
  std::this_thread::sleep_for(3s);
  figures.after_baseline = read_status(gateway.pid());
  llm.reset();  // the recorded requests are not needed; keep this process small

  for (std::size_t i = baseline; i < total; ++i) {
    push(i);
  }
  wait_for_replies(llm, telegram, gateway, replies_before + total);
  std::this_thread::sleep_for(3s);
  figures.after_all = read_status(gateway.pid());

  // Replies per chat in arrival order; a session runs its messages in order, one at a time.
  std::map<int64_t, std::vector<Clock::time_point>> replies;
  auto calls = telegram.calls("sendMessage");
  for (std::size_t i = replies_before; i < calls.size(); ++i) {
    if (calls[i].status != 200) {
      ++figures.failed_sends;
      continue;
    }
    replies[chat_of(calls[i])].push_back(calls[i].received_at);
  }
  std::optional<Clock::time_point> first_out;
  Clock::time_point last_in{};
  std::vector<double> to_reply;
  for (std::size_t chat = 0; chat < chats; ++chat) {
    const auto& answers = replies[kLoadUserBase + static_cast<int64_t>(chat)];
    for (std::size_t m = 0; m < updates[chat].size() && m < answers.size(); ++m) {
      auto sent = telegram.update_sent_at(updates[chat][m]);
      if (!sent) {
        continue;
      }
      if (m * chats + chat >= baseline) {  // the push index: only the bulk part counts
        first_out = first_out ? std::min(*first_out, *sent) : *sent;
        last_in = std::max(last_in, answers[m]);
        to_reply.push_back(micros(answers[m] - *sent));
      }
    }
  }
  figures.load_messages = total - baseline;
  if (first_out) {
    figures.load_seconds = std::chrono::duration<double>(last_in - *first_out).count();
  }
  figures.load_to_reply = percentiles(std::move(to_reply));
}

void print_rows(const Options& options, const Figures& f) {
  auto row = [](std::string_view name, const std::string& value) {
    fmt::print("{:<44} {}\n", name, value);
  };
  row("telegram idle RSS (anon / file / shmem)",
      fmt::format("{} KiB ({} / {} / {} KiB; {} threads)", f.idle.rss, f.idle.anon, f.idle.file,
                  f.idle.shmem, f.idle.threads));
  row("telegram update → model 1st byte p50/90/99",
      fmt::format("{} / {} / {} ({} sequential)", format_us(f.to_llm.p50), format_us(f.to_llm.p90),
                  format_us(f.to_llm.p99), f.to_llm.count));
  row("telegram update → reply sent p50/90/99",
      fmt::format("{} / {} / {} (instant model)", format_us(f.to_reply.p50),
                  format_us(f.to_reply.p90), format_us(f.to_reply.p99)));
  double rate = f.load_seconds > 0 ? static_cast<double>(f.load_messages) / f.load_seconds : 0;
  row(fmt::format("telegram {} chats × {} msgs, end to end", options.chats, options.per_chat),
      fmt::format("{:.0f} msg/s ({} msgs in {:.2f} s, {} failed sends)", rate, f.load_messages,
                  f.load_seconds, f.failed_sends));
  row("telegram under load: update → reply p50/99",
      fmt::format("{} / {}", format_us(f.load_to_reply.p50), format_us(f.load_to_reply.p99)));
  int64_t growth = f.after_all.rss - f.after_baseline.rss;
  row(fmt::format("telegram RSS after {} msgs vs first {}", kBaselineMessages + f.load_messages,
                  kBaselineMessages),
      fmt::format("{} KiB vs {} KiB ({:+} KiB; anon {:+} KiB; peak {} KiB)", f.after_all.rss,
                  f.after_baseline.rss, growth, f.after_all.anon - f.after_baseline.anon,
                  f.after_all.hwm));
}

void print_json(const Options& options, const Figures& f) {
  json::object out;
  out["idle"] = to_json(f.idle);
  out["updateToLlmFirstByte"] = to_json(f.to_llm);
  out["updateToReply"] = to_json(f.to_reply);
  json::object load;
  load["chats"] = options.chats;
  load["perChat"] = options.per_chat;
  load["messages"] = f.load_messages;
  load["seconds"] = f.load_seconds;
  load["messagesPerSecond"] =
      f.load_seconds > 0 ? static_cast<double>(f.load_messages) / f.load_seconds : 0.0;
  load["failedSends"] = f.failed_sends;
  load["updateToReply"] = to_json(f.load_to_reply);
  load["afterFirst100"] = to_json(f.after_baseline);
  load["afterAll"] = to_json(f.after_all);
  out["load"] = std::move(load);
  fmt::print("{}\n", json::serialize(out));
}

Options parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto number = [&](int& out) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a number\n", argv[i]);
        std::exit(2);
      }
      out = std::max(std::atoi(argv[++i]), 0);
    };
    if (arg == "--json") {
      options.json = true;
    } else if (arg == "--chats") {
      number(options.chats);
    } else if (arg == "--per-chat") {
      number(options.per_chat);
    } else if (arg == "--latency") {
      number(options.latency);
    } else if (arg == "--warmup") {
      number(options.warmup);
    } else if (arg == "--max-concurrent") {
      number(options.max_concurrent);
    } else if (arg == "--daemon-env" && i + 1 < argc) {
      std::string_view pair = argv[++i];
      std::size_t equals = pair.find('=');
      if (equals == std::string_view::npos) {
        std::fprintf(stderr, "--daemon-env needs NAME=VALUE\n");
        std::exit(2);
      }
      options.daemon_env[std::string(pair.substr(0, equals))] =
          std::string(pair.substr(equals + 1));
    } else {
      std::fprintf(stderr,
                   "usage: pincer_channel_bench [--json] [--chats N] [--per-chat N] "
                   "[--latency N] [--warmup N] [--max-concurrent N] [--daemon-env NAME=VALUE]\n");
      std::exit(2);
    }
  }
  options.chats = std::max(options.chats, 1);
  options.per_chat = std::max(options.per_chat, 1);
  options.latency = std::max(options.latency, 1);
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  Options options = parse_options(argc, argv);

  fakes::FakeLlmServer llm;
  fakes::FakeReply reply;
  reply.text = "Noted, thanks!";
  reply.input_tokens = 200;
  reply.output_tokens = 5;
  llm.set_default_reply(reply);
  fakes::FakeTelegramServer telegram;

  testing::GatewayProcess::Options gateway_options;
  gateway_options.config = config_for(llm, telegram, options.max_concurrent);
  gateway_options.extra_env = options.daemon_env;
  std::unique_ptr<testing::GatewayProcess> gateway;
  try {
    gateway = testing::GatewayProcess::start(gateway_options);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "pincer_channel_bench: %s\n", error.what());
    return 1;
  }
  if (!telegram.wait_for_calls("getUpdates", 1, 15s)) {
    give_up("Telegram did not connect (no getUpdates)", *gateway);
  }

  Figures figures;
  idle_memory(*gateway, figures);
  sequential_latency(options, llm, telegram, *gateway, figures);
  load(options, llm, telegram, *gateway, figures);
  gateway->stop();

  if (options.json) {
    print_json(options, figures);
  } else {
    print_rows(options, figures);
  }
  return 0;
}
