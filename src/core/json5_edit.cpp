#include "core/json5_edit.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include <boost/json.hpp>

#include "core/detail/json5_source_map.hpp"
#include "core/detail/json_writer.hpp"
#include "core/json5.hpp"

namespace pincer::core {

namespace json = boost::json;

namespace {

using json5::detail::kNoComma;
using json5::detail::SourceNode;

constexpr std::size_t kNpos = std::string_view::npos;

// Equality for the safety net. Stricter than json::value ==: member order counts, -0.0 differs
// from 0.0; NaN equals NaN so that NaN values can be set at all.
bool same_tree(const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number() && !a.is_double() && !b.is_double()) {
    return a == b;  // int64 and uint64 compare by value
  }
  if (a.kind() != b.kind()) {
    return false;
  }
  switch (a.kind()) {
    case json::kind::double_: {
      double x = a.get_double();
      double y = b.get_double();
      if (std::isnan(x) || std::isnan(y)) {
        return std::isnan(x) && std::isnan(y);
      }
      return x == y && std::signbit(x) == std::signbit(y);
    }
    case json::kind::object: {
      const json::object& x = a.get_object();
      const json::object& y = b.get_object();
      if (x.size() != y.size()) {
        return false;
      }
      return std::equal(x.begin(), x.end(), y.begin(), [](const auto& m, const auto& n) {
        return m.key() == n.key() && same_tree(m.value(), n.value());
      });
    }
    case json::kind::array: {
      const json::array& x = a.get_array();
      const json::array& y = b.get_array();
      return std::equal(x.begin(), x.end(), y.begin(), y.end(), same_tree);
    }
    default:
      return a == b;
  }
}

// False when `value` nests deeper than `levels_left` containers or holds invalid UTF-8; such a
// value could not be written and read back. Recursion is bounded by the depth limit.
bool is_writable(const json::value& value, int levels_left) {
  if (const json::object* object = value.if_object()) {
    if (levels_left <= 0) {
      return false;
    }
    return std::all_of(object->begin(), object->end(), [&](const auto& member) {
      return json5::detail::is_valid_utf8(member.key()) &&
             is_writable(member.value(), levels_left - 1);
    });
  }
  if (const json::array* array = value.if_array()) {
    if (levels_left <= 0) {
      return false;
    }
    return std::all_of(array->begin(), array->end(),
                       [&](const auto& element) { return is_writable(element, levels_left - 1); });
  }
  if (const json::string* string = value.if_string()) {
    return json5::detail::is_valid_utf8(*string);
  }
  return true;
}

Status check_writable(const json::value& value, const JsonPath& path) {
  if (!is_writable(value, json5::kMaxDepth)) {
    return fail(Errc::invalid_argument, "cannot set " + path.to_string() +
                                            ": a key or string holds invalid UTF-8, or the " +
                                            "config would nest deeper than " +
                                            std::to_string(json5::kMaxDepth) + " levels");
  }
  return {};
}

// One replacement of text[begin, end).
struct Edit {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::string text;
};

std::string apply_edits(std::string_view text, std::vector<Edit> edits) {
  std::sort(edits.begin(), edits.end(),
            [](const Edit& a, const Edit& b) { return a.begin > b.begin; });
  std::string out(text);
  for (const Edit& edit : edits) {
    out.replace(edit.begin, edit.end - edit.begin, edit.text);
  }
  return out;
}

bool is_horizontal_space(char c) {
  return c == ' ' || c == '\t';
}

bool is_line_break(char c) {
  return c == '\n' || c == '\r';
}

// A member or an element, as the edits see it.
struct Item {
  std::size_t begin = 0;  // the key for members, the value for elements
  std::size_t end = 0;    // after the value
  std::size_t comma = kNoComma;
};

std::vector<Item> items_of(const SourceNode& container) {
  std::vector<Item> items;
  for (const auto& member : container.members) {
    items.push_back({member.key_span.begin, member.value.span.end, member.value.comma_after});
  }
  for (const auto& element : container.elements) {
    items.push_back({element.span.begin, element.span.end, element.comma_after});
  }
  return items;
}

// The text, its line ending, indent unit and key quoting, and helpers to lay out new text.
class Layout {
 public:
  Layout(std::string_view text, const SourceNode& root)
      : text_(text),
        style_{"  ", std::string(text.find("\r\n") != kNpos ? "\r\n" : "\n"),
               detail::KeyQuoting::double_quotes} {
    bool found_unit = false;
    survey(root, found_unit);
    file_keys_ = any_bare_              ? detail::KeyQuoting::bare
                 : first_quote_ == '\'' ? detail::KeyQuoting::single_quotes
                                        : detail::KeyQuoting::double_quotes;
  }

  const std::string& newline() const { return style_.newline; }
  const std::string& unit() const { return style_.indent; }

  std::size_t line_start(std::size_t pos) const {
    while (pos > 0 && !is_line_break(text_[pos - 1])) {
      --pos;
    }
    return pos;
  }

  // The spaces and tabs that start the line holding `pos`.
  std::string indent_at(std::size_t pos) const {
    std::size_t begin = line_start(pos);
    std::size_t end = begin;
    while (end < text_.size() && is_horizontal_space(text_[end])) {
      ++end;
    }
    return std::string(text_.substr(begin, end - begin));
  }

  bool all_space(std::size_t begin, std::size_t end) const {
    for (std::size_t i = begin; i < end; ++i) {
      char c = text_[i];
      if (!is_horizontal_space(c) && !is_line_break(c)) {
        return false;
      }
    }
    return true;
  }

  bool has_line_break(std::size_t begin, std::size_t end) const {
    for (std::size_t i = begin; i < end; ++i) {
      if (is_line_break(text_[i])) {
        return true;
      }
    }
    return false;
  }

  // A container whose first item (or closing bracket) is on the line of its opening bracket.
  bool is_one_line(const SourceNode& container) const {
    std::size_t open = container.span.begin;
    std::size_t first = container.span.end - 1;
    if (!container.members.empty()) {
      first = container.members.front().key_span.begin;
    } else if (!container.elements.empty()) {
      first = container.elements.front().span.begin;
    }
    return !has_line_break(open + 1, first);
  }

  // Where the line containing `pos` ends, if only spaces and comments follow `pos` on it;
  // kNpos when something else (a bracket, a multi-line comment) comes first.
  std::size_t end_of_line(std::size_t pos) const {
    while (pos < text_.size()) {
      char c = text_[pos];
      if (is_line_break(c)) {
        return pos;
      }
      if (is_horizontal_space(c)) {
        ++pos;
      } else if (text_.substr(pos, 2) == "//") {
        while (pos < text_.size() && !is_line_break(text_[pos])) {
          ++pos;
        }
      } else if (text_.substr(pos, 2) == "/*") {
        std::size_t close = text_.find("*/", pos + 2);
        if (close == kNpos || has_line_break(pos, close)) {
          return kNpos;
        }
        pos = close + 2;
      } else {
        return kNpos;
      }
    }
    return kNpos;
  }

  // Key quoting for a new member of `object`: like its members, else like the file.
  detail::KeyQuoting quoting_for(const SourceNode& object) const {
    if (object.members.empty()) {
      return file_keys_;
    }
    for (const auto& member : object.members) {
      char first = text_[member.key_span.begin];
      if (first != '"' && first != '\'') {
        return detail::KeyQuoting::bare;
      }
    }
    return text_[object.members.front().key_span.begin] == '\'' ? detail::KeyQuoting::single_quotes
                                                                : detail::KeyQuoting::double_quotes;
  }

  std::string format(const json::value& value, detail::KeyQuoting keys, bool one_line,
                     std::string_view base) const {
    detail::JsonStyle style = style_;
    style.keys = keys;
    std::string out;
    if (one_line) {
      detail::write_compact(out, value, style);
    } else {
      detail::write_pretty(out, value, style, base);
    }
    return out;
  }

  std::string format_member(std::string_view key, const json::value& value, detail::KeyQuoting keys,
                            bool one_line, std::string_view base) const {
    std::string out;
    detail::write_key(out, key, keys);
    out += ": ";
    out += format(value, keys, one_line, base);
    return out;
  }

  detail::KeyQuoting file_keys() const { return file_keys_; }

 private:
  // Learns the key quoting and the indent unit from the parsed text.
  void survey(const SourceNode& node, bool& found_unit) {
    for (const auto& member : node.members) {
      char first = text_[member.key_span.begin];
      if (first != '"' && first != '\'') {
        any_bare_ = true;
      } else if (first_quote_ == 0) {
        first_quote_ = first;
      }
    }
    std::vector<Item> items = items_of(node);
    if (!found_unit && !items.empty() && !is_one_line(node)) {
      std::string outer = indent_at(node.span.begin);
      std::string inner = indent_at(items.front().begin);
      if (inner.size() > outer.size() && inner.starts_with(outer)) {
        style_.indent = inner.substr(outer.size());
        found_unit = true;
      }
    }
    for (const auto& member : node.members) {
      survey(member.value, found_unit);
    }
    for (const auto& element : node.elements) {
      survey(element, found_unit);
    }
  }

  std::string_view text_;
  detail::JsonStyle style_;
  bool any_bare_ = false;
  char first_quote_ = 0;
  detail::KeyQuoting file_keys_ = detail::KeyQuoting::double_quotes;
};

// How far `path` reaches into the parsed text.
struct Walk {
  const SourceNode* node = nullptr;    // the deepest node that exists
  const SourceNode* parent = nullptr;  // its container; nullptr for the root
  std::size_t index = 0;               // its position among the parent's items
  std::size_t resolved = 0;            // segments that led to it
};

Walk walk(const SourceNode& root, const JsonPath& path) {
  Walk walk{&root, nullptr, 0, 0};
  for (const auto& segment : path.segments) {
    const SourceNode& node = *walk.node;
    std::size_t found = kNpos;
    if (const auto* key = std::get_if<std::string>(&segment)) {
      for (std::size_t i = node.members.size(); i-- > 0;) {  // the last duplicate counts
        if (node.members[i].key == *key) {
          found = i;
          break;
        }
      }
      if (found == kNpos) {
        break;
      }
      walk = {&node.members[found].value, &node, found, walk.resolved + 1};
    } else {
      std::size_t index = std::get<std::size_t>(segment);
      if (index >= node.elements.size()) {
        break;
      }
      walk = {&node.elements[index], &node, index, walk.resolved + 1};
    }
  }
  return walk;
}

JsonPath prefix(const JsonPath& path, std::size_t count) {
  JsonPath out;
  out.segments.assign(path.segments.begin(),
                      path.segments.begin() + static_cast<std::ptrdiff_t>(count));
  return out;
}

std::unexpected<Error> edit_bug(const std::string& what) {
  return fail(Errc::internal, "editing the config text went wrong: " + what,
              "this is a bug; edit the file by hand and please report it");
}

// The safety net: `out` must parse to `expected`.
Result<std::string> checked(std::string out, const json::value& expected) {
  auto reparsed = json5::parse(out);
  if (!reparsed) {
    return edit_bug("the result does not parse (" + reparsed.error().message + ")");
  }
  if (!same_tree(*reparsed, expected)) {
    return edit_bug("the result does not hold the intended values");
  }
  return out;
}

// Edits that add `item` (text made by `make`, given its indentation and whether it sits on
// one line) to `container`, whose own container is `parent`.
template <class MakeItem>
std::vector<Edit> insert_item(const Layout& layout, const SourceNode& container,
                              const SourceNode* parent, MakeItem make) {
  const std::string& nl = layout.newline();
  const std::size_t open = container.span.begin;
  const std::size_t close = container.span.end - 1;
  std::vector<Item> items = items_of(container);

  if (items.empty()) {
    const std::string base = layout.indent_at(open);
    const std::string child = base + layout.unit();
    if (layout.has_line_break(open + 1, close)) {
      std::size_t line = layout.line_start(close);
      if (layout.all_space(line, close)) {
        return {{line, line, child + make(child, false) + nl}};
      }
      return {{close, close, nl + child + make(child, false) + nl + base}};
    }
    std::size_t end = layout.all_space(open + 1, close) ? close : open + 1;
    if (parent != nullptr && layout.is_one_line(*parent)) {
      return {{open + 1, end, make(base, true)}};
    }
    return {{open + 1, end, nl + child + make(child, false) + nl + base}};
  }

  const Item& last = items.back();
  const bool trailing_comma = last.comma != kNoComma;
  if (layout.is_one_line(container)) {
    if (trailing_comma) {
      return {{last.comma + 1, last.comma + 1, " " + make(std::string(), true) + ","}};
    }
    return {{last.end, last.end, ", " + make(std::string(), true)}};
  }
  const std::string indent = layout.indent_at(last.begin);
  const std::string item = make(indent, false);
  const std::size_t after = trailing_comma ? last.comma + 1 : last.end;
  const std::size_t eol = layout.end_of_line(after);
  if (trailing_comma) {
    std::size_t at = eol != kNpos ? eol : after;
    return {{at, at, nl + indent + item + ","}};
  }
  if (eol == kNpos || eol == last.end) {
    return {{last.end, last.end, "," + nl + indent + item}};
  }
  return {{last.end, last.end, ","}, {eol, eol, nl + indent + item}};
}

// The edit that takes `text[begin, end)` out: with its whole line when nothing else is on it,
// else with the spaces on one side of it so that the spacing around stays even.
void remove_span(const Layout& layout, std::string_view text, std::size_t begin, std::size_t end,
                 std::vector<Edit>& edits) {
  const std::size_t line = layout.line_start(begin);
  std::size_t after = end;
  while (after < text.size() && is_horizontal_space(text[after])) {
    ++after;
  }
  std::size_t before = begin;
  while (before > line && is_horizontal_space(text[before - 1])) {
    --before;
  }
  const bool starts_line = before == line;
  const bool ends_line = after == text.size() || is_line_break(text[after]);
  if (starts_line && ends_line) {
    if (after < text.size()) {
      after += text.substr(after, 2) == "\r\n" ? 2 : 1;
    }
    edits.push_back({line, after, {}});
  } else if (ends_line) {
    edits.push_back({before, after, {}});
  } else if (starts_line || after > end) {
    edits.push_back({begin, after, {}});  // keeps the indentation
  } else {
    edits.push_back({before, end, {}});
  }
}

std::vector<Edit> remove_item(const Layout& layout, std::string_view text,
                              const SourceNode& container, std::size_t index) {
  std::vector<Edit> edits;
  std::vector<Item> items = items_of(container);
  const Item& item = items[index];
  const std::size_t open = container.span.begin;
  const std::size_t close = container.span.end - 1;
  const std::size_t end = item.comma != kNoComma ? item.comma + 1 : item.end;

  if (items.size() == 1) {
    if (layout.all_space(open + 1, item.begin) && layout.all_space(end, close)) {
      edits.push_back({open + 1, close, {}});  // nothing else inside: {} or []
    } else {
      remove_span(layout, text, item.begin, end, edits);
    }
    return edits;
  }
  if (item.comma != kNoComma) {
    remove_span(layout, text, item.begin, end, edits);
    return edits;
  }
  // The last item without a trailing comma: the comma before it goes instead.
  const Item& previous = items[index - 1];
  const bool own_line = layout.all_space(layout.line_start(item.begin), item.begin);
  if (!own_line && layout.all_space(previous.end, previous.comma) &&
      layout.all_space(previous.comma + 1, item.begin)) {
    edits.push_back({previous.end, item.end, {}});  // [1, 2] -> [1]
    return edits;
  }
  edits.push_back({previous.comma, previous.comma + 1, {}});
  remove_span(layout, text, item.begin, item.end, edits);
  return edits;
}

Result<std::string> set_in_blank_text(std::string_view text, const JsonPath& path,
                                      const json::value& value) {
  json::value expected = json::object();
  if (auto set = set_at(expected, path, value); !set) {
    return std::unexpected(set.error());
  }
  if (auto writable = check_writable(expected, path); !writable) {
    return std::unexpected(writable.error());
  }
  detail::JsonStyle style;
  if (text.find("\r\n") != kNpos) {
    style.newline = "\r\n";
  }
  std::string out;
  std::size_t content_end = text.find_last_not_of(" \t\r\n");
  if (content_end != kNpos) {  // comments: keep them above the new object
    out.append(text.substr(0, content_end + 1));
    out += style.newline;
  }
  detail::write_pretty(out, expected, style);
  out += style.newline;
  return checked(std::move(out), expected);
}

}  // namespace

Result<std::string> json5_set(std::string_view text, const JsonPath& path,
                              const json::value& value) {
  if (auto writable = check_writable(value, path); !writable) {
    return std::unexpected(writable.error());
  }
  if (json5::detail::is_blank(text)) {
    return set_in_blank_text(text, path, value);
  }
  SourceNode map;
  auto parsed = json5::detail::parse_with_source_map(text, map);
  if (!parsed) {
    return std::unexpected(parsed.error());
  }
  json::value expected = *parsed;
  if (auto set = set_at(expected, path, value); !set) {
    return std::unexpected(set.error());
  }
  if (auto writable = check_writable(expected, path); !writable) {
    return std::unexpected(writable.error());
  }

  Layout layout(text, map);
  Walk reach = walk(map, path);
  std::vector<Edit> edits;
  if (reach.resolved == path.segments.size()) {
    const json::value* current = find_at(*parsed, path);
    if (current != nullptr && same_tree(*current, value)) {
      return std::string(text);
    }
    const SourceNode& node = *reach.node;
    const bool one_line = reach.parent != nullptr && layout.is_one_line(*reach.parent);
    // Keys inside the new value look like those of the value it replaces, else its siblings.
    detail::KeyQuoting keys = layout.file_keys();
    if (!node.members.empty()) {
      keys = layout.quoting_for(node);
    } else if (reach.parent != nullptr && !reach.parent->members.empty()) {
      keys = layout.quoting_for(*reach.parent);
    }
    edits.push_back({node.span.begin, node.span.end,
                     layout.format(value, keys, one_line, layout.indent_at(node.span.begin))});
  } else {
    const SourceNode& container = *reach.node;
    const auto& segment = path.segments[reach.resolved];
    const json::value* added = find_at(expected, prefix(path, reach.resolved + 1));
    const bool is_key = std::holds_alternative<std::string>(segment);
    const bool fits = is_key ? container.kind == SourceNode::Kind::object
                             : container.kind == SourceNode::Kind::array;
    if (added == nullptr || !fits) {
      return edit_bug("the path and the parsed text disagree at " +
                      prefix(path, reach.resolved + 1).to_string());
    }
    const detail::KeyQuoting keys = is_key ? layout.quoting_for(container) : layout.file_keys();
    edits = insert_item(layout, container, reach.parent, [&](std::string_view base, bool one_line) {
      if (is_key) {
        return layout.format_member(std::get<std::string>(segment), *added, keys, one_line, base);
      }
      return layout.format(*added, keys, one_line, base);
    });
  }
  return checked(apply_edits(text, std::move(edits)), expected);
}

Result<std::string> json5_unset(std::string_view text, const JsonPath& path) {
  if (path.segments.empty()) {
    return fail(Errc::invalid_argument, "cannot unset the whole config",
                "name the key to remove, e.g. gateway.port");
  }
  auto absent = [&] {
    return fail(Errc::not_found, "config path " + path.to_string() + " is not set");
  };
  if (json5::detail::is_blank(text)) {
    return absent();
  }
  SourceNode map;
  auto parsed = json5::detail::parse_with_source_map(text, map);
  if (!parsed) {
    return std::unexpected(parsed.error());
  }
  json::value expected = *parsed;
  auto erased = erase_at(expected, path);
  if (!erased) {
    return std::unexpected(erased.error());
  }
  if (!*erased) {
    return absent();
  }

  std::string out(text);
  const bool by_key = std::holds_alternative<std::string>(path.segments.back());
  // Each round removes the last duplicate of the key, until none is left. An index is removed
  // once. Rounds are bounded by the members of one object.
  while (true) {
    Walk reach = walk(map, path);
    if (reach.resolved != path.segments.size() || reach.parent == nullptr) {
      break;
    }
    Layout layout(out, map);
    out = apply_edits(out, remove_item(layout, out, *reach.parent, reach.index));
    if (!by_key) {
      break;
    }
    auto reparsed = json5::detail::parse_with_source_map(out, map);
    if (!reparsed) {
      return edit_bug("the result does not parse (" + reparsed.error().message + ")");
    }
  }
  return checked(std::move(out), expected);
}

}  // namespace pincer::core
