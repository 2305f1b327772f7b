#pragma once
// Redaction: masks secrets in text before it is logged (console and file) or shown.
//
// Three kinds of rule, applied in this order:
//   1. Registered values: exact secrets known at runtime (the gateway token, API keys from the
//      config). Always applied, whatever the mode.
//   2. Built-in credential shapes, matched by a hand-written single-pass scanner (much faster
//      than a regex engine on the common no-secret path):
//        sk-/sk_ keys (OpenAI, Anthropic sk-ant-, Stripe sk_live_), Bearer <token>, Telegram bot
//        tokens (123456:ABC...), Slack xox?-/xapp-, GitHub ghp_/gho_/ghu_/ghs_/ghr_/github_pat_,
//        Google AIza..., AWS AKIA/ASIA key ids, JWTs (eyJ..x.y), URL credentials
//        (scheme://user:PASS@host) and -----BEGIN ... PRIVATE KEY----- blocks;
//      plus key names in text: `key=value`, `key: value`, `"key": "value"`, `--key value`,
//      where the key (case-insensitive, '_', '-' and '.' prefixes ignored) ends in token,
//      password, passwd, passphrase, secret, secretkey, accesskey, apikey, authorization,
//      cookie(s), privatekey or credential(s). "maxTokens", "tokenizer" and "token_count" do
//      not match; true/false/null values are left alone in text.
//   3. User patterns (config `logging.redactPatterns`), applied after and in addition to the
//      built-ins (adding a pattern never weakens redaction). A pattern is a Perl-style regex,
//      case-insensitive by default, or "/source/flags" with flags from "gim". When it has
//      capture groups the last non-empty group is masked, otherwise the whole match.
//      Patterns run per line, on chunks of at most 4 KiB (Boost.Regex: no stack recursion,
//      bounded backtracking); a pattern that fails at runtime masks the whole chunk (fail
//      closed). Patterns are probed at configure() time and rejected if they blow up.
//
// Modes (config `logging.redactSensitive`): "tools" (default) applies all three kinds; "off"
// applies only registered values (an exact secret is never worth printing).
//
// Masks: a value matched by shape, pattern or registered value keeps a hint when it is at
// least 18 ASCII characters: its first 6 and last 4 characters around "…" (so "sk-ant-api03-…"
// becomes "sk-ant…wxyz"), as the reference system does; shorter values become "***". Values
// found by key name (passwords, cookies, "token": ...) are always fully masked: "***".
//
// Thread safety: all methods may be called from any thread. Rules sit behind a shared mutex;
// redact() takes it shared, configure()/add_secret() exclusively.

#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/fwd.hpp>

#include "core/result.hpp"

namespace pincer::core {

enum class RedactMode { off, tools };

// "off" | "tools"; anything else is an Errc::config error naming the accepted values.
Result<RedactMode> parse_redact_mode(std::string_view text);
std::string_view to_string(RedactMode mode);

struct RedactOptions {
  RedactMode mode = RedactMode::tools;
  std::vector<std::string> patterns;  // logging.redactPatterns, added to the built-ins
};

class Redactor {
 public:
  // Mode "tools", built-in rules only, no registered values.
  Redactor();
  ~Redactor();
  Redactor(const Redactor&) = delete;
  Redactor& operator=(const Redactor&) = delete;

  // Replaces mode and user patterns. On an invalid pattern returns Errc::config naming
  // `logging.redactPatterns[i]` and the reason, and keeps the previous configuration.
  // Registered values are kept.
  Status configure(const RedactOptions& options);

  // Registers an exact secret value. Values shorter than 6 characters are ignored (they
  // would mask ordinary words); duplicates are ignored.
  void add_secret(std::string_view value);

  // `text` with every secret masked.
  std::string redact(std::string_view text) const;

  // Like redact(), but returns nothing when `text` holds no secret, so the common path does
  // not allocate.
  std::optional<std::string> redact_if_needed(std::string_view text) const;

  // Masks in place: every string is redacted as text; under a sensitive key (see
  // is_sensitive_key) every scalar leaf, whatever its type, becomes the string "***" (objects
  // and arrays keep their shape). Mode "off": only registered values in strings.
  void redact_json(boost::json::value& value) const;

  // Whether a field named `key` holds a credential ("botToken", "api_key", "Authorization").
  static bool is_sensitive_key(std::string_view key);

  // The mask for a matched value: "abcdef…wxyz" for ASCII values of 18+ chars, else "***".
  static std::string mask(std::string_view value);

 private:
  struct Rules;

  std::optional<std::string> redact_locked(std::string_view text, const Rules& rules) const;
  void redact_json_locked(boost::json::value& value, const Rules& rules) const;

  mutable std::shared_mutex mutex_;  // guards rules_
  std::unique_ptr<Rules> rules_;
};

}  // namespace pincer::core
