#include "core/json_path.hpp"

#include <charconv>

#include <boost/json.hpp>

#include "core/detail/json_writer.hpp"
#include "core/json5.hpp"
#include "core/json_kind.hpp"

namespace pincer::core {

namespace json = boost::json;

namespace {

constexpr std::string_view kPathHint =
    "write keys as a.b, indexes as a[0], and keys with other characters as a[\"x.y\"]";

bool is_bare_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '$' || c == '-';
}

bool is_bare_path_key(std::string_view key) {
  if (key.empty()) {
    return false;
  }
  for (char c : key) {
    if (!is_bare_char(c)) {
      return false;
    }
  }
  return true;
}

std::string shown_char(std::string_view text, std::size_t pos) {
  if (pos >= text.size()) {
    return "the end of the path";
  }
  return std::string("'") + text[pos] + "'";
}

std::unexpected<Error> bad_path(std::string_view text, std::size_t pos, const std::string& what) {
  return fail(Errc::invalid_argument,
              "invalid config path \"" + std::string(text) + "\" at column " +
                  std::to_string(pos + 1) + ": " + what,
              std::string(kPathHint));
}

std::string prefix_text(const JsonPath& path, std::size_t count) {
  if (count == 0) {
    return "the root";
  }
  JsonPath prefix;
  prefix.segments.assign(path.segments.begin(),
                         path.segments.begin() + static_cast<std::ptrdiff_t>(count));
  return prefix.to_string();
}

// The value reached by the first `count` segments, or nullptr. Value is json::value, const or not.
template <class Value>
Value* walk(Value& root, const JsonPath& path, std::size_t count) {
  Value* current = &root;
  for (std::size_t i = 0; i < count && current != nullptr; ++i) {
    const auto& segment = path.segments[i];
    if (const auto* key = std::get_if<std::string>(&segment)) {
      auto* object = current->if_object();
      current = object == nullptr ? nullptr : object->if_contains(*key);
    } else {
      auto* array = current->if_array();
      std::size_t index = std::get<std::size_t>(segment);
      current = (array == nullptr || index >= array->size()) ? nullptr : &(*array)[index];
    }
  }
  return current;
}

}  // namespace

std::string JsonPath::to_string() const {
  std::string out;
  bool first = true;
  for (const auto& segment : segments) {
    if (const auto* key = std::get_if<std::string>(&segment)) {
      if (is_bare_path_key(*key)) {
        if (!first) {
          out += '.';
        }
        out += *key;
      } else {
        out += '[';
        detail::write_string(out, *key, '"');
        out += ']';
      }
    } else {
      out += '[';
      out += std::to_string(std::get<std::size_t>(segment));
      out += ']';
    }
    first = false;
  }
  return out;
}

Result<JsonPath> parse_json_path(std::string_view text) {
  if (text.empty()) {
    return bad_path(text, 0, "the path is empty");
  }
  JsonPath path;
  std::size_t pos = 0;
  bool after_dot = false;
  while (true) {
    if (pos < text.size() && text[pos] == '[' && !after_dot) {
      const std::size_t open = pos;
      ++pos;
      if (pos < text.size() && (text[pos] == '"' || text[pos] == '\'')) {
        const char quote = text[pos];
        std::size_t close = pos + 1;
        while (close < text.size() && text[close] != quote) {
          close += text[close] == '\\' ? 2 : 1;
        }
        if (close >= text.size()) {
          return bad_path(text, pos, std::string("expected ") + quote + " to close the key");
        }
        auto key = json5::parse(text.substr(pos, close - pos + 1));
        if (!key || !key->is_string()) {
          return bad_path(text, pos,
                          "the quoted key is not a valid string literal" +
                              (key ? std::string() : " (" + key.error().message + ")"));
        }
        path.segments.emplace_back(std::string(key->get_string()));
        pos = close + 1;
      } else {
        const std::size_t digits = pos;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
          ++pos;
        }
        if (pos == digits) {
          return bad_path(
              text, pos,
              "expected an index or a quoted key after '[', found " + shown_char(text, pos));
        }
        std::size_t index = 0;
        auto parsed = std::from_chars(text.data() + digits, text.data() + pos, index);
        if (parsed.ec != std::errc()) {
          return bad_path(text, digits, "the index is too large");
        }
        path.segments.emplace_back(index);
      }
      if (pos >= text.size() || text[pos] != ']') {
        return bad_path(text, pos,
                        "expected ']' to close the '[' at column " + std::to_string(open + 1) +
                            ", found " + shown_char(text, pos));
      }
      ++pos;
    } else {
      const std::size_t start = pos;
      while (pos < text.size() &&
             (is_bare_char(text[pos]) || static_cast<unsigned char>(text[pos]) >= 0x80)) {
        ++pos;
      }
      if (pos == start) {
        if (pos >= text.size() || text[pos] == '.' || text[pos] == '[') {
          return bad_path(text, pos, "empty key");
        }
        return bad_path(text, pos,
                        "expected a key, found " + shown_char(text, pos) +
                            " (quote keys with such characters: [\"...\"])");
      }
      path.segments.emplace_back(std::string(text.substr(start, pos - start)));
    }
    after_dot = false;
    if (pos == text.size()) {
      return path;
    }
    if (text[pos] == '.') {
      ++pos;
      after_dot = true;
    } else if (text[pos] != '[') {
      return bad_path(text, pos,
                      "expected '.', '[' or the end of the path, found " + shown_char(text, pos));
    }
  }
}

const json::value* find_at(const json::value& root, const JsonPath& path) {
  return walk(root, path, path.segments.size());
}

Status set_at(json::value& root, const JsonPath& path, json::value value) {
  const auto& segments = path.segments;
  const std::size_t count = segments.size();

  // Check the whole path first so that a failure leaves `root` untouched.
  const json::value* current = &root;
  std::size_t existing = 0;  // segments that already resolve
  for (; existing < count; ++existing) {
    const auto& segment = segments[existing];
    if (const auto* key = std::get_if<std::string>(&segment)) {
      const json::object* object = current->if_object();
      if (object == nullptr) {
        return fail(Errc::invalid_argument,
                    "cannot set " + path.to_string() + ": " + prefix_text(path, existing) + " is " +
                        std::string(json_kind_name(*current)) + ", not an object",
                    "set or unset " + prefix_text(path, existing) + " itself first");
      }
      current = object->if_contains(*key);
      if (current == nullptr) {
        break;
      }
    } else {
      const json::array* array = current->if_array();
      if (array == nullptr) {
        return fail(Errc::invalid_argument,
                    "cannot set " + path.to_string() + ": " + prefix_text(path, existing) + " is " +
                        std::string(json_kind_name(*current)) + ", not an array",
                    "set or unset " + prefix_text(path, existing) + " itself first");
      }
      std::size_t index = std::get<std::size_t>(segment);
      if (index > array->size()) {
        return fail(Errc::invalid_argument,
                    "cannot set " + path.to_string() + ": " + prefix_text(path, existing) +
                        " has " + std::to_string(array->size()) + " elements",
                    "use an index up to " + std::to_string(array->size()) + " (the size appends)");
      }
      if (index == array->size()) {
        break;
      }
      current = &(*array)[index];
    }
  }
  // What follows the first missing segment is created empty, so its indexes must be 0.
  for (std::size_t i = existing + 1; i < count; ++i) {
    const auto* index = std::get_if<std::size_t>(&segments[i]);
    if (index != nullptr && *index != 0) {
      return fail(Errc::invalid_argument,
                  "cannot set " + path.to_string() + ": " + prefix_text(path, i) +
                      " does not exist yet, so only index 0 can be set in it",
                  "use index 0 to create it");
    }
  }

  auto fresh_for = [&](std::size_t next) {
    return std::holds_alternative<std::size_t>(segments[next]) ? json::value(json::array())
                                                               : json::value(json::object());
  };
  json::value* target = &root;
  for (std::size_t i = 0; i < count; ++i) {
    const bool last = i + 1 == count;
    if (const auto* key = std::get_if<std::string>(&segments[i])) {
      json::object& object = target->as_object();
      if (last) {
        object.insert_or_assign(*key, std::move(value));
        return {};
      }
      json::value& child = object[*key];
      if (child.is_null()) {  // just inserted: the check above rejected an existing null
        child = fresh_for(i + 1);
      }
      target = &child;
    } else {
      json::array& array = target->as_array();
      std::size_t index = std::get<std::size_t>(segments[i]);
      if (index == array.size()) {
        array.push_back(last ? std::move(value) : fresh_for(i + 1));
        if (last) {
          return {};
        }
        target = &array.back();
      } else if (last) {
        array[index] = std::move(value);
        return {};
      } else {
        target = &array[index];
      }
    }
  }
  root = std::move(value);
  return {};
}

Result<bool> erase_at(json::value& root, const JsonPath& path) {
  if (path.segments.empty()) {
    return fail(Errc::invalid_argument, "cannot erase the root of the config",
                "name the key to remove, e.g. gateway.port");
  }
  json::value* parent = walk(root, path, path.segments.size() - 1);
  if (parent == nullptr) {
    return false;
  }
  const auto& last = path.segments.back();
  if (const auto* key = std::get_if<std::string>(&last)) {
    json::object* object = parent->if_object();
    return object != nullptr && object->stable_erase(*key) > 0;
  }
  json::array* array = parent->if_array();
  std::size_t index = std::get<std::size_t>(last);
  if (array == nullptr || index >= array->size()) {
    return false;
  }
  array->erase(array->begin() + static_cast<std::ptrdiff_t>(index));
  return true;
}

}  // namespace pincer::core
