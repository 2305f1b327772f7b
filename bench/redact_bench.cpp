// Redactor cost per log line. The common case is a line with no secret: it must stay cheap
// because every log message passes through it. The std::regex / Boost.Regex cases run an
// equivalent alternation of the built-in shapes, to show why the built-ins are a scanner.

#include <benchmark/benchmark.h>

#include <regex>
#include <string>

#include <boost/regex.hpp>

#include "core/redact.hpp"

namespace {

using pincer::core::Redactor;

// 120 bytes, the shape of a gateway log line.
const std::string kTypicalLine =
    "ws client 127.0.0.1:51234 connected: client=control-ui/1.4.2 role=operator "
    "scopes=admin,chat session=agent:main:main 12ms";

const std::string kSecretLine =
    "provider call with sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123 password=hunter2 "
    "to https://api.anthropic.com/v1/messages 843ms";

// The built-in shapes as one regex (key names omitted: the regex would be slower still).
const char* const kBuiltinRegex =
    R"((\bsk[-_][A-Za-z0-9_-]{20,})|(\bbearer\s+[A-Za-z0-9._~+/=-]{16,})|(\b\d{6,12}:[A-Za-z0-9_-]{30,})|)"
    R"((\bxox[abprs]-[A-Za-z0-9-]{10,})|(\bxapp-[A-Za-z0-9-]{10,})|(\bgh[pousr]_[A-Za-z0-9]{30,})|)"
    R"((\bAIza[A-Za-z0-9_-]{30,})|(\bA[KS]IA[A-Z0-9]{16}\b)|(-----BEGIN [A-Z ]*PRIVATE KEY-----))";

void BM_RedactCleanLine(benchmark::State& state) {
  Redactor redactor;
  benchmark::DoNotOptimize(kTypicalLine.size());
  for (auto _ : state) {
    benchmark::DoNotOptimize(redactor.redact_if_needed(kTypicalLine));
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(kTypicalLine.size()));
}
BENCHMARK(BM_RedactCleanLine);

void BM_RedactCleanLineThreeSecrets(benchmark::State& state) {
  Redactor redactor;
  redactor.add_secret("gateway-token-7f3a9c2e41b84d0f");
  redactor.add_secret("sk-ant-api03-registered-secret-000000");
  redactor.add_secret("7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq");
  for (auto _ : state) {
    benchmark::DoNotOptimize(redactor.redact_if_needed(kTypicalLine));
  }
}
BENCHMARK(BM_RedactCleanLineThreeSecrets);

void BM_RedactCleanLineUserPattern(benchmark::State& state) {
  Redactor redactor;
  if (!redactor.configure({.patterns = {R"(db-[0-9]+\.internal\.example\.com)"}})) {
    state.SkipWithError("configure failed");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(redactor.redact_if_needed(kTypicalLine));
  }
}
BENCHMARK(BM_RedactCleanLineUserPattern);

void BM_RedactSecretLine(benchmark::State& state) {
  Redactor redactor;
  for (auto _ : state) {
    benchmark::DoNotOptimize(redactor.redact_if_needed(kSecretLine));
  }
}
BENCHMARK(BM_RedactSecretLine);

void BM_StdRegexCleanLine(benchmark::State& state) {
  std::regex regex(kBuiltinRegex, std::regex::ECMAScript | std::regex::icase);
  for (auto _ : state) {
    benchmark::DoNotOptimize(std::regex_search(kTypicalLine, regex));
  }
}
BENCHMARK(BM_StdRegexCleanLine);

void BM_BoostRegexCleanLine(benchmark::State& state) {
  boost::regex regex(kBuiltinRegex, boost::regex::perl | boost::regex::icase);
  for (auto _ : state) {
    benchmark::DoNotOptimize(boost::regex_search(kTypicalLine, regex));
  }
}
BENCHMARK(BM_BoostRegexCleanLine);

}  // namespace
