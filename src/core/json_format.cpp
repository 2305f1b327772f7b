#include "core/json_format.hpp"

#include <charconv>
#include <cmath>

#include <boost/json.hpp>

#include "core/detail/json_writer.hpp"

namespace pincer::core {

namespace json = boost::json;

namespace detail {

namespace {

void write_double(std::string& out, double d) {
  if (std::isnan(d)) {
    out += "NaN";
    return;
  }
  if (std::isinf(d)) {
    out += d < 0 ? "-Infinity" : "Infinity";
    return;
  }
  char buf[64];
  // 64 bytes hold any shortest double, so to_chars cannot run out of room.
  char* end = std::to_chars(buf, buf + sizeof(buf), d).ptr;
  std::string_view text(buf, static_cast<std::size_t>(end - buf));
  out += text;
  if (text.find_first_of(".e") == std::string_view::npos) {
    out += ".0";  // keeps it a double when read back
  }
}

template <class T>
void write_integer(std::string& out, T n) {
  char buf[32];
  out.append(buf, std::to_chars(buf, buf + sizeof(buf), n).ptr);
}

void write_scalar(std::string& out, const json::value& value) {
  switch (value.kind()) {
    case json::kind::null:
      out += "null";
      break;
    case json::kind::bool_:
      out += value.get_bool() ? "true" : "false";
      break;
    case json::kind::int64:
      write_integer(out, value.get_int64());
      break;
    case json::kind::uint64:
      write_integer(out, value.get_uint64());
      break;
    case json::kind::double_:
      write_double(out, value.get_double());
      break;
    case json::kind::string:
      write_string(out, value.get_string());
      break;
    case json::kind::array:
    case json::kind::object:
      break;  // callers handle containers
  }
}

void write_pretty_at(std::string& out, const json::value& value, const JsonStyle& style,
                     std::string& line_prefix) {
  if (const json::object* object = value.if_object()) {
    if (object->empty()) {
      out += "{}";
      return;
    }
    out += '{';
    line_prefix += style.indent;
    bool first = true;
    for (const auto& member : *object) {
      if (!first) {
        out += ',';
      }
      first = false;
      out += style.newline;
      out += line_prefix;
      write_key(out, member.key(), style.keys);
      out += ": ";
      write_pretty_at(out, member.value(), style, line_prefix);
    }
    line_prefix.resize(line_prefix.size() - style.indent.size());
    out += style.newline;
    out += line_prefix;
    out += '}';
    return;
  }
  if (const json::array* array = value.if_array()) {
    if (array->empty()) {
      out += "[]";
      return;
    }
    out += '[';
    line_prefix += style.indent;
    bool first = true;
    for (const auto& element : *array) {
      if (!first) {
        out += ',';
      }
      first = false;
      out += style.newline;
      out += line_prefix;
      write_pretty_at(out, element, style, line_prefix);
    }
    line_prefix.resize(line_prefix.size() - style.indent.size());
    out += style.newline;
    out += line_prefix;
    out += ']';
    return;
  }
  write_scalar(out, value);
}

}  // namespace

void write_pretty(std::string& out, const json::value& value, const JsonStyle& style,
                  std::string_view base) {
  std::string line_prefix(base);
  write_pretty_at(out, value, style, line_prefix);
}

void write_compact(std::string& out, const json::value& value, const JsonStyle& style) {
  if (const json::object* object = value.if_object()) {
    out += '{';
    bool first = true;
    for (const auto& member : *object) {
      if (!first) {
        out += ", ";
      }
      first = false;
      write_key(out, member.key(), style.keys);
      out += ": ";
      write_compact(out, member.value(), style);
    }
    out += '}';
    return;
  }
  if (const json::array* array = value.if_array()) {
    out += '[';
    bool first = true;
    for (const auto& element : *array) {
      if (!first) {
        out += ", ";
      }
      first = false;
      write_compact(out, element, style);
    }
    out += ']';
    return;
  }
  write_scalar(out, value);
}

void write_string(std::string& out, std::string_view text, char quote) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += quote;
  for (char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c == quote) {
          out += '\\';
          out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
          out += "\\u00";
          out += kHex[(static_cast<unsigned char>(c) >> 4) & 0xF];
          out += kHex[static_cast<unsigned char>(c) & 0xF];
        } else {
          out += c;
        }
    }
  }
  out += quote;
}

void write_key(std::string& out, std::string_view key, KeyQuoting quoting) {
  switch (quoting) {
    case KeyQuoting::bare:
      if (is_bare_key(key)) {
        out += key;
      } else {
        write_string(out, key, '"');
      }
      break;
    case KeyQuoting::single_quotes:
      write_string(out, key, '\'');
      break;
    case KeyQuoting::double_quotes:
      write_string(out, key, '"');
      break;
  }
}

bool is_bare_key(std::string_view key) {
  if (key.empty() || (key[0] >= '0' && key[0] <= '9')) {
    return false;
  }
  for (char c : key) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '$';
    if (!ok) {
      return false;
    }
  }
  return true;
}

}  // namespace detail

std::string to_pretty_json(const json::value& value, int indent) {
  detail::JsonStyle style;
  style.indent.assign(static_cast<std::size_t>(indent < 0 ? 0 : indent), ' ');
  std::string out;
  detail::write_pretty(out, value, style);
  return out;
}

}  // namespace pincer::core
