#include "core/redact.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <mutex>

#include <boost/json.hpp>
#include <boost/regex.hpp>

namespace pincer::core {

namespace {

constexpr std::string_view kFullMask = "***";
constexpr std::string_view kEllipsis = "\u2026";  // "…"
constexpr size_t kMinSecretLength = 6;
constexpr size_t kHintMinLength = 18;
constexpr size_t kHintHead = 6;
constexpr size_t kHintTail = 4;
// User regexes see at most this much text at once: bounds the cost of a bad pattern.
constexpr size_t kRegexChunk = 4096;

constexpr bool is_alpha(unsigned char c) {
  return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}
constexpr bool is_digit(unsigned char c) {
  return c >= '0' && c <= '9';
}
constexpr bool is_alnum(unsigned char c) {
  return is_alpha(c) || is_digit(c);
}
constexpr bool is_upper_alnum(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || is_digit(c);
}
// Characters of an API token: letters, digits, '_' and '-'.
constexpr bool is_tok(unsigned char c) {
  return is_alnum(c) || c == '_' || c == '-';
}
// Characters of a key name in `key=value` text ("gateway.auth.token", "X-Api-Key").
constexpr bool is_key_char(unsigned char c) {
  return is_tok(c) || c == '.';
}
// Characters of a bearer token (RFC 6750 b64token).
constexpr bool is_b64tok(unsigned char c) {
  return is_tok(c) || c == '.' || c == '~' || c == '+' || c == '/' || c == '=';
}
constexpr bool is_blank(unsigned char c) {
  return c == ' ' || c == '\t';
}
constexpr bool is_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
// Where an unquoted value in `key=value` text ends.
constexpr bool ends_value(unsigned char c) {
  return is_space(c) ||
         std::string_view("&,;\"'<>()[]{}`\\").find(static_cast<char>(c)) != std::string_view::npos;
}

// Bytes that may start a built-in match; everything else is skipped with one table lookup.
// Letters start a match only at the start of a word, which the loop checks before calling the
// matcher; digits, ':', '=' and '-' are looked at wherever they are.
enum Trigger : std::uint8_t { kNone = 0, kWordStart = 1, kAnywhere = 2 };
constexpr std::array<std::uint8_t, 256> kTrigger = [] {
  std::array<std::uint8_t, 256> t{};
  for (unsigned char c : std::string_view("sBbxgAe")) {
    t[c] = kWordStart;
  }
  for (unsigned char c = '0'; c <= '9'; ++c) {
    t[c] = kAnywhere;  // a Telegram token may follow "/bot" (telegram() checks)
  }
  for (unsigned char c : std::string_view("-:=")) {
    t[c] = kAnywhere;
  }
  return t;
}();

constexpr bool starts_with_icase(std::string_view text, size_t at, std::string_view lower) {
  if (text.size() - at < lower.size()) {
    return false;
  }
  for (size_t k = 0; k < lower.size(); ++k) {
    if ((static_cast<unsigned char>(text[at + k]) | 0x20) != static_cast<unsigned char>(lower[k])) {
      return false;
    }
  }
  return true;
}

template <class Pred>
size_t run_end(std::string_view text, size_t from, Pred pred) {
  while (from < text.size() && pred(static_cast<unsigned char>(text[from]))) {
    ++from;
  }
  return from;
}

// Whether `key` ends in `suffix` once lowercased and stripped of '_' and '-'.
bool ends_with_normalized(std::string_view key, std::string_view suffix) {
  size_t k = key.size();
  for (size_t j = suffix.size(); j > 0; --j) {
    while (k > 0 && (key[k - 1] == '_' || key[k - 1] == '-')) {
      --k;
    }
    if (k == 0 || (static_cast<unsigned char>(key[k - 1]) | 0x20) != suffix[j - 1] ||
        !is_alpha(key[k - 1])) {
      return false;
    }
    --k;
  }
  return true;
}

// Whether the last segment of a key name, lowercased and without '_' and '-', ends in a
// sensitive word: "gateway.auth.bot_token" -> "bottoken" -> yes. Runs at every ':' and '=' of
// every log line, so it switches on the last letter before comparing anything.
bool key_ends_with_sensitive(std::string_view key) {
  size_t k = key.size();
  while (k > 0 && (key[k - 1] == '_' || key[k - 1] == '-')) {
    --k;
  }
  if (k == 0) {
    return false;
  }
  auto is = [&](std::string_view suffix) { return ends_with_normalized(key, suffix); };
  switch (static_cast<unsigned char>(key[k - 1]) | 0x20) {
    case 'n':
      return is("token") || is("authorization");
    case 'd':
      return is("password") || is("passwd");
    case 'e':
      return is("passphrase") || is("cookie");
    case 't':
      return is("secret");
    case 'y':
      return is("key") && (is("apikey") || is("secretkey") || is("accesskey") || is("privatekey"));
    case 'l':
      return is("credential");
    case 's':
      return is("cookies") || is("credentials");
    default:
      return false;
  }
}

// Keys whose header-style value runs to the end of the line and may start with a scheme.
bool is_header_key(std::string_view key) {
  auto ends_icase = [&](std::string_view lower) {
    return key.size() >= lower.size() && starts_with_icase(key, key.size() - lower.size(), lower);
  };
  return ends_icase("authorization") || ends_icase("cookie") || ends_icase("cookies");
}

bool is_auth_scheme(std::string_view word) {
  static constexpr std::array<std::string_view, 6> kSchemes = {"bearer", "basic",  "token",
                                                               "bot",    "digest", "negotiate"};
  return std::ranges::any_of(kSchemes, [&](std::string_view s) {
    return word.size() == s.size() && starts_with_icase(word, 0, s);
  });
}

struct Span {
  size_t begin = 0;
  size_t end = 0;
  bool hint = false;  // keep a hint, or mask fully
  size_t resume = 0;  // where scanning continues
};

// One pass over the text for the built-in shapes and key names. Copies the text to `out`
// only once the first secret is found.
class Scanner {
 public:
  explicit Scanner(std::string_view in) : in_(in) {}

  bool run(std::string& out) {
    const size_t n = in_.size();
    size_t i = 0;
    while (i < n) {
      std::uint8_t trigger = kTrigger[static_cast<unsigned char>(in_[i])];
      if (trigger == kNone || (trigger == kWordStart && !word_start(i))) {
        ++i;
        continue;
      }
      std::optional<Span> span = match_at(i);
      if (!span) {
        ++i;
        continue;
      }
      if (!changed_) {
        out.clear();
        out.reserve(n + 16);
        changed_ = true;
      }
      out.append(in_.substr(copied_, span->begin - copied_));
      if (span->hint) {
        out += Redactor::mask(in_.substr(span->begin, span->end - span->begin));
      } else {
        out += kFullMask;
      }
      copied_ = span->end;
      i = std::max(span->resume, i + 1);
    }
    if (changed_) {
      out.append(in_.substr(copied_));
    }
    return changed_;
  }

 private:
  unsigned char at(size_t i) const { return i < in_.size() ? in_[i] : 0; }
  bool word_start(size_t i) const { return i == 0 || !is_tok(at(i - 1)); }
  // Prefixes are a few bytes: a plain loop beats a call to memcmp.
  bool has(size_t i, std::string_view prefix) const {
    if (in_.size() - i < prefix.size()) {
      return false;
    }
    for (size_t k = 0; k < prefix.size(); ++k) {
      if (in_[i + k] != prefix[k]) {
        return false;
      }
    }
    return true;
  }
  // A token of at least `min` characters of `pred` starting at `from`, or nothing.
  template <class Pred>
  std::optional<size_t> token(size_t from, size_t min, Pred pred) const {
    size_t end = run_end(in_, from, pred);
    if (end - from < min) {
      return std::nullopt;
    }
    return end;
  }
  static Span hinted(size_t begin, size_t end) { return Span{begin, end, true, end}; }

  std::optional<Span> match_at(size_t i) const {
    unsigned char c = at(i);
    switch (c) {
      case 's':
        return sk_key(i);
      case 'B':
      case 'b':
        return bearer(i);
      case 'x':
        return slack(i);
      case 'g':
        return github(i);
      case 'A':
        return google_or_aws(i);
      case 'e':
        return jwt(i);
      case '-':
        return pem_or_flag(i);
      case ':':
        if (auto url = url_credentials(i)) {
          return url;
        }
        return key_value(i);
      case '=':
        return key_value(i);
      default:
        return telegram(i);  // a digit
    }
  }

  // sk-..., sk-ant-..., sk-proj-..., sk_live_...
  std::optional<Span> sk_key(size_t i) const {
    if (!word_start(i) || !(has(i, "sk-") || has(i, "sk_"))) {
      return std::nullopt;
    }
    auto end = token(i + 3, 20, is_tok);
    return end ? std::optional(hinted(i, *end)) : std::nullopt;
  }

  std::optional<Span> bearer(size_t i) const {
    if (!word_start(i) || !starts_with_icase(in_, i, "bearer") || !is_blank(at(i + 6))) {
      return std::nullopt;
    }
    size_t start = run_end(in_, i + 6, is_blank);
    auto end = token(start, 16, is_b64tok);
    return end ? std::optional(hinted(start, *end)) : std::nullopt;
  }

  // xoxb-, xoxp-, xoxa-, xoxr-, xoxs- and xapp- tokens.
  std::optional<Span> slack(size_t i) const {
    if (!word_start(i)) {
      return std::nullopt;
    }
    size_t from = 0;
    if (has(i, "xox") &&
        std::string_view("abprs").find(static_cast<char>(at(i + 3))) != std::string_view::npos &&
        at(i + 4) == '-') {
      from = i + 5;
    } else if (has(i, "xapp-")) {
      from = i + 5;
    } else {
      return std::nullopt;
    }
    auto end = token(from, 10, is_tok);
    return end ? std::optional(hinted(i, *end)) : std::nullopt;
  }

  std::optional<Span> github(size_t i) const {
    if (!word_start(i)) {
      return std::nullopt;
    }
    if (has(i, "github_pat_")) {
      auto end = token(i + 11, 30, [](unsigned char ch) { return is_alnum(ch) || ch == '_'; });
      return end ? std::optional(hinted(i, *end)) : std::nullopt;
    }
    if (has(i, "gh") &&
        std::string_view("pousr").find(static_cast<char>(at(i + 2))) != std::string_view::npos &&
        at(i + 3) == '_') {
      auto end = token(i + 4, 30, is_alnum);
      return end ? std::optional(hinted(i, *end)) : std::nullopt;
    }
    return std::nullopt;
  }

  // Google API keys (AIza + 35) and AWS access key ids (AKIA/ASIA + 16).
  std::optional<Span> google_or_aws(size_t i) const {
    if (!word_start(i)) {
      return std::nullopt;
    }
    if (has(i, "AIza")) {
      auto end = token(i + 4, 30, is_tok);
      return end ? std::optional(hinted(i, *end)) : std::nullopt;
    }
    if (has(i, "AKIA") || has(i, "ASIA")) {
      size_t end = run_end(in_, i + 4, is_upper_alnum);
      if (end - (i + 4) == 16 && !is_tok(at(end))) {
        return hinted(i, end);
      }
    }
    return std::nullopt;
  }

  // header.payload.signature, each part base64url; the header always starts "eyJ" ('{"').
  std::optional<Span> jwt(size_t i) const {
    if (!word_start(i) || !has(i, "eyJ")) {
      return std::nullopt;
    }
    size_t pos = i;
    for (int part = 0; part < 3; ++part) {
      auto end = token(pos, 10, is_tok);
      if (!end) {
        return std::nullopt;
      }
      pos = *end;
      if (part < 2) {
        if (at(pos) != '.') {
          return std::nullopt;
        }
        ++pos;
      }
    }
    return hinted(i, pos);
  }

  std::optional<Span> pem_or_flag(size_t i) const {
    if (has(i, "-----BEGIN ")) {
      return pem(i);
    }
    if (at(i + 1) == '-' && word_start(i) && is_alnum(at(i + 2))) {
      return cli_flag(i);
    }
    return std::nullopt;
  }

  // -----BEGIN RSA PRIVATE KEY----- body -----END RSA PRIVATE KEY-----: the body is masked,
  // the armour lines stay so the reader sees what was there. No END line: mask to the end.
  std::optional<Span> pem(size_t i) const {
    size_t label = i + 11;
    size_t close = in_.find("-----", label);
    if (close == std::string_view::npos || close - label > 64) {
      return std::nullopt;
    }
    std::string_view name = in_.substr(label, close - label);
    if (!name.ends_with("PRIVATE KEY")) {
      return std::nullopt;
    }
    size_t body = close + 5;
    size_t end = in_.find("-----END ", body);
    if (end == std::string_view::npos) {
      return Span{body, in_.size(), false, in_.size()};
    }
    size_t footer_close = in_.find("-----", end + 9);
    size_t resume = footer_close == std::string_view::npos ? in_.size() : footer_close + 5;
    return Span{body, end, false, resume};
  }

  // --token VALUE (the --token=VALUE form is found at the '=').
  std::optional<Span> cli_flag(size_t i) const {
    size_t name_end = run_end(in_, i + 2, is_tok);
    if (!is_blank(at(name_end)) || !key_ends_with_sensitive(in_.substr(i, name_end - i))) {
      return std::nullopt;
    }
    size_t start = run_end(in_, name_end, is_blank);
    if (at(start) == '-') {
      return std::nullopt;  // the next flag, not a value
    }
    return value_after(start, in_.substr(i, name_end - i), /*header_style=*/false);
  }

  // Telegram bot tokens: 123456789:AAE... (digits, ':', 30+ token characters).
  std::optional<Span> telegram(size_t i) const {
    // In Bot API URLs the token follows "/bot": https://api.telegram.org/bot123:AA.../getMe
    bool after_bot = i >= 4 && at(i - 4) == '/' && starts_with_icase(in_, i - 3, "bot");
    if (!after_bot && i > 0 && (is_tok(at(i - 1)) || at(i - 1) == ':')) {
      return std::nullopt;
    }
    size_t colon = run_end(in_, i, is_digit);
    if (colon - i < 6 || colon - i > 12 || at(colon) != ':') {
      return std::nullopt;
    }
    auto end = token(colon + 1, 30, is_tok);
    return end ? std::optional(hinted(i, *end)) : std::nullopt;
  }

  // scheme://user:PASSWORD@host
  std::optional<Span> url_credentials(size_t i) const {
    if (!has(i, "://")) {
      return std::nullopt;
    }
    size_t start = i + 3;
    size_t colon = std::string_view::npos;
    for (size_t k = start; k < in_.size(); ++k) {
      auto ch = static_cast<unsigned char>(in_[k]);
      if (ch == '@') {
        if (colon == std::string_view::npos || k == colon + 1) {
          return std::nullopt;
        }
        return Span{colon + 1, k, false, k};
      }
      if (ch == ':' && colon == std::string_view::npos) {
        colon = k;
      } else if (ch == '/' || ch == '?' || ch == '#' || is_space(ch) || ch == '"' || ch == '\'' ||
                 ch == '<' || ch == '>') {
        return std::nullopt;
      }
    }
    return std::nullopt;
  }

  // `key=value`, `key: value`, `"key": "value"`, `\"key\":\"value\"` with a sensitive key.
  std::optional<Span> key_value(size_t sep) const {
    size_t k = sep;
    while (k > 0 && is_blank(at(k - 1))) {
      --k;
    }
    if (k > 0 && (at(k - 1) == '"' || at(k - 1) == '\'')) {
      --k;
      if (k > 0 && at(k - 1) == '\\') {
        --k;
      }
    }
    size_t key_end = k;
    while (k > 0 && is_key_char(at(k - 1))) {
      --k;
    }
    if (k == key_end || k < copied_) {
      return std::nullopt;
    }
    std::string_view key = in_.substr(k, key_end - k);
    if (!key_ends_with_sensitive(key)) {
      return std::nullopt;
    }
    size_t start = run_end(in_, sep + 1, is_blank);
    return value_after(start, key, /*header_style=*/at(sep) == ':');
  }

  // The value starting at `start`: quoted, or up to a delimiter (header-style ':' values of
  // Authorization and Cookie run to the end of the line). An auth scheme word stays visible.
  std::optional<Span> value_after(size_t start, std::string_view key, bool header_style) const {
    const size_t n = in_.size();
    if (start >= n) {
      return std::nullopt;
    }
    size_t begin = start;
    size_t end = 0;
    size_t resume = 0;
    unsigned char c = at(start);
    bool header = is_header_key(key);
    if (c == '"' || c == '\'') {
      begin = start + 1;
      end = begin;
      while (end < n && at(end) != c && at(end) != '\n') {
        end += at(end) == '\\' ? 2 : 1;
      }
      end = std::min(end, n);
      resume = end;
    } else if (c == '\\' && at(start + 1) == '"') {
      begin = start + 2;
      size_t close = in_.find("\\\"", begin);
      end = close == std::string_view::npos ? in_.find('\n', begin) : close;
      end = std::min(end, n);
      resume = end;
    } else if (header && header_style) {
      end = std::min(in_.find_first_of("\r\n", begin), n);
      resume = end;
    } else {
      end = run_end(in_, begin, [](unsigned char ch) { return !ends_value(ch); });
      resume = end;
      // authorization=Bearer abc: the scheme and the credential are separate words.
      if (header && is_auth_scheme(in_.substr(begin, end - begin)) && is_blank(at(end))) {
        begin = run_end(in_, end, is_blank);
        end = run_end(in_, begin, [](unsigned char ch) { return !ends_value(ch); });
        resume = end;
        return begin == end ? std::nullopt : std::optional(Span{begin, end, false, resume});
      }
    }
    if (header) {
      // "Bearer abc" inside quotes or a header line: keep the scheme.
      size_t word_end = run_end(in_, begin, is_alpha);
      if (word_end < end && is_blank(at(word_end)) &&
          is_auth_scheme(in_.substr(begin, word_end - begin))) {
        begin = run_end(in_, word_end, is_blank);
      }
    }
    // Trailing blanks of a header line are not part of the secret.
    while (end > begin && is_blank(at(end - 1))) {
      --end;
    }
    std::string_view value = in_.substr(begin, end - begin);
    if (value.empty() || value == kFullMask || value == "true" || value == "false" ||
        value == "null") {
      return std::nullopt;
    }
    return Span{begin, end, false, resume};
  }

  std::string_view in_;
  size_t copied_ = 0;
  bool changed_ = false;
};

struct UserPattern {
  std::string source;
  boost::regex regex;
};

// Probes a new pattern with adversarial lines: a pattern that backtracks catastrophically is
// rejected at configure() time instead of stalling every log call.
bool survives_probes(const boost::regex& regex) {
  static const std::array<std::string, 4> kProbes = {
      std::string(kRegexChunk, 'a'),
      std::string(kRegexChunk, '0'),
      [] {
        std::string s;
        while (s.size() < kRegexChunk) {
          s += "key=value token: sk-abc_def-123 \"x\" ";
        }
        return s;
      }(),
      std::string(kRegexChunk, ' '),
  };
  try {
    for (const auto& probe : kProbes) {
      boost::smatch m;
      (void)boost::regex_search(probe, m, regex);
    }
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

Result<UserPattern> compile_pattern(std::string_view text, size_t index) {
  auto where = [&] { return "logging.redactPatterns[" + std::to_string(index) + "]"; };
  const std::string hint =
      "fix or remove the pattern; patterns use Perl syntax, e.g. \"sk-[a-z0-9]+\" or "
      "\"/token=(\\\\S+)/i\"";
  std::string source(text);
  auto flags = boost::regex::perl | boost::regex::icase;
  // "/source/flags" form: flags are letters after the last '/'.
  if (text.size() >= 2 && text.front() == '/') {
    size_t last = text.rfind('/');
    std::string_view flag_text = text.substr(last + 1);
    if (last > 0 && std::ranges::all_of(flag_text, [](char ch) { return is_alpha(ch); })) {
      source = std::string(text.substr(1, last - 1));
      flags = boost::regex::perl;
      for (char f : flag_text) {
        if (f == 'i') {
          flags |= boost::regex::icase;
        } else if (f != 'g' && f != 'm' && f != 's') {
          return fail(Errc::config,
                      where() + ": unsupported regex flag '" + std::string(1, f) + "' in \"" +
                          std::string(text) + "\"",
                      "use only the flags g, i, m and s");
        }
      }
    }
  }
  if (source.empty()) {
    return fail(Errc::config, where() + ": empty pattern", hint);
  }
  try {
    UserPattern pattern{std::string(text), boost::regex(source, flags)};
    if (!survives_probes(pattern.regex)) {
      return fail(Errc::config,
                  where() + ": pattern \"" + std::string(text) +
                      "\" is too expensive (it backtracks catastrophically on a long line)",
                  "avoid nested repetition such as (a+)+ and unbounded .* around alternatives");
    }
    return pattern;
  } catch (const boost::regex_error& e) {
    return fail(Errc::config,
                where() + ": invalid regular expression \"" + std::string(text) + "\": " + e.what(),
                hint);
  }
}

// Masks the matches of `regex` in one chunk (no newline, at most kRegexChunk bytes).
bool apply_to_chunk(std::string_view chunk, const boost::regex& regex, std::string& out) {
  const size_t rollback = out.size();
  bool changed = false;
  try {
    using It = std::string_view::const_iterator;
    boost::match_results<It> m;
    It it = chunk.begin();
    const It end = chunk.end();
    auto flags = boost::match_default;
    while (it != end && boost::regex_search(it, end, m, regex, flags)) {
      flags = boost::match_default | boost::match_prev_avail;
      if (m[0].length() == 0) {
        out.append(it, std::next(m[0].first));
        it = std::next(m[0].first);
        continue;
      }
      size_t group = 0;
      for (size_t g = m.size(); g > 1; --g) {
        if (m[g - 1].matched && m[g - 1].length() > 0) {
          group = g - 1;
          break;
        }
      }
      out.append(it, m[group].first);
      out += Redactor::mask(std::string_view(&*m[group].first, m[group].length()));
      out.append(m[group].second, m[0].second);
      it = m[0].second;
      changed = true;
    }
    out.append(it, end);
  } catch (const std::exception&) {
    // Fail closed: a chunk the pattern could not finish on may hold what it looks for.
    out.resize(rollback);
    out += kFullMask;
    return true;
  }
  return changed;
}

std::optional<std::string> apply_patterns(std::string_view text,
                                          const std::vector<UserPattern>& patterns) {
  std::optional<std::string> result;
  for (const auto& pattern : patterns) {
    std::string_view cur = result ? std::string_view(*result) : text;
    std::string next;
    next.reserve(cur.size());
    bool changed = false;
    size_t pos = 0;
    while (pos <= cur.size()) {
      size_t line_end = std::min(cur.find('\n', pos), cur.size());
      for (size_t c = pos; c < line_end; c += kRegexChunk) {
        changed |=
            apply_to_chunk(cur.substr(c, std::min(kRegexChunk, line_end - c)), pattern.regex, next);
      }
      if (line_end == cur.size()) {
        break;
      }
      next += '\n';
      pos = line_end + 1;
    }
    if (changed) {
      result = std::move(next);
    }
  }
  return result;
}

std::optional<std::string> replace_secrets(std::string_view text,
                                           const std::vector<std::string>& secrets) {
  std::optional<std::string> result;
  for (const auto& secret : secrets) {
    std::string_view cur = result ? std::string_view(*result) : text;
    size_t pos = cur.find(secret);
    if (pos == std::string_view::npos) {
      continue;
    }
    const std::string masked = Redactor::mask(secret);
    std::string next;
    next.reserve(cur.size());
    size_t from = 0;
    while (pos != std::string_view::npos) {
      next.append(cur.substr(from, pos - from));
      next += masked;
      from = pos + secret.size();
      pos = cur.find(secret, from);
    }
    next.append(cur.substr(from));
    result = std::move(next);
  }
  return result;
}

void mask_leaves(boost::json::value& value) {
  if (auto* obj = value.if_object()) {
    for (auto& entry : *obj) {
      mask_leaves(entry.value());
    }
  } else if (auto* arr = value.if_array()) {
    for (auto& item : *arr) {
      mask_leaves(item);
    }
  } else {
    value = boost::json::string("***");
  }
}

}  // namespace

struct Redactor::Rules {
  RedactMode mode = RedactMode::tools;
  std::vector<UserPattern> patterns;
  std::vector<std::string> secrets;  // longest first, so a secret containing another wins
};

Result<RedactMode> parse_redact_mode(std::string_view text) {
  if (text == "off") {
    return RedactMode::off;
  }
  if (text == "tools") {
    return RedactMode::tools;
  }
  return fail(Errc::config, "logging.redactSensitive: unknown mode \"" + std::string(text) + "\"",
              "use \"tools\" (the default: mask secrets in logs) or \"off\"");
}

std::string_view to_string(RedactMode mode) {
  return mode == RedactMode::off ? "off" : "tools";
}

Redactor::Redactor() : rules_(std::make_unique<Rules>()) {}

Redactor::~Redactor() = default;

Status Redactor::configure(const RedactOptions& options) {
  std::vector<UserPattern> patterns;
  patterns.reserve(options.patterns.size());
  for (size_t i = 0; i < options.patterns.size(); ++i) {
    auto pattern = compile_pattern(options.patterns[i], i);
    if (!pattern) {
      return std::unexpected(pattern.error());
    }
    patterns.push_back(std::move(*pattern));
  }
  std::unique_lock lock(mutex_);
  rules_->mode = options.mode;
  rules_->patterns = std::move(patterns);
  return {};
}

void Redactor::add_secret(std::string_view value) {
  if (value.size() < kMinSecretLength) {
    return;
  }
  std::unique_lock lock(mutex_);
  auto& secrets = rules_->secrets;
  if (std::ranges::find(secrets, value) != secrets.end()) {
    return;
  }
  auto at =
      std::ranges::find_if(secrets, [&](const std::string& s) { return s.size() < value.size(); });
  secrets.insert(at, std::string(value));
}

std::string Redactor::redact(std::string_view text) const {
  auto redacted = redact_if_needed(text);
  return redacted ? std::move(*redacted) : std::string(text);
}

std::optional<std::string> Redactor::redact_if_needed(std::string_view text) const {
  std::shared_lock lock(mutex_);
  return redact_locked(text, *rules_);
}

std::optional<std::string> Redactor::redact_locked(std::string_view text,
                                                   const Rules& rules) const {
  std::optional<std::string> result = replace_secrets(text, rules.secrets);
  if (rules.mode == RedactMode::off) {
    return result;
  }
  std::string scanned;
  if (Scanner(result ? std::string_view(*result) : text).run(scanned)) {
    result = std::move(scanned);
  }
  if (!rules.patterns.empty()) {
    if (auto matched = apply_patterns(result ? std::string_view(*result) : text, rules.patterns)) {
      result = std::move(matched);
    }
  }
  return result;
}

void Redactor::redact_json(boost::json::value& value) const {
  std::shared_lock lock(mutex_);
  redact_json_locked(value, *rules_);
}

void Redactor::redact_json_locked(boost::json::value& value, const Rules& rules) const {
  if (auto* obj = value.if_object()) {
    for (auto& entry : *obj) {
      std::string_view key(entry.key().data(), entry.key().size());
      if (rules.mode == RedactMode::tools && is_sensitive_key(key)) {
        mask_leaves(entry.value());
      } else {
        redact_json_locked(entry.value(), rules);
      }
    }
  } else if (auto* arr = value.if_array()) {
    for (auto& item : *arr) {
      redact_json_locked(item, rules);
    }
  } else if (auto* str = value.if_string()) {
    if (auto redacted = redact_locked(std::string_view(str->data(), str->size()), rules)) {
      *str = *redacted;
    }
  }
}

bool Redactor::is_sensitive_key(std::string_view key) {
  return key_ends_with_sensitive(key);
}

std::string Redactor::mask(std::string_view value) {
  bool ascii = std::ranges::all_of(value, [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return c > 0x20 && c < 0x7f;
  });
  if (!ascii || value.size() < kHintMinLength) {
    return std::string(kFullMask);
  }
  std::string out;
  out.reserve(kHintHead + kEllipsis.size() + kHintTail);
  out.append(value.substr(0, kHintHead));
  out.append(kEllipsis);
  out.append(value.substr(value.size() - kHintTail));
  return out;
}

}  // namespace pincer::core
