#pragma once
// A forgiving HTML tokenizer for reading fetched pages: start and end tags with attributes,
// text with character references decoded, comments and doctypes skipped. Script, style and
// other raw-text elements yield their content as one text token. It builds no tree and never
// fails: malformed markup ends up as text or is dropped, which is what a reader of the page
// would see anyway.
//
// Why hand-written: the tool folder cannot link libxml2 without a build change outside it
// (see PROGRESS.md); extraction needs tokens and a tag stack, not a conforming DOM.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pincer::tools::web {

struct HtmlToken {
  enum class Kind { text, start_tag, end_tag };
  Kind kind = Kind::text;
  std::string name;                                             // tags: lower-case name
  std::vector<std::pair<std::string, std::string>> attributes;  // names lower-case, decoded
  std::string text;                                             // text: decoded
  bool self_closing = false;

  // The attribute's value; empty when absent.
  std::string_view attribute(std::string_view attribute_name) const;
  bool has_attribute(std::string_view attribute_name) const;
};

std::vector<HtmlToken> tokenize_html(std::string_view html);

// `text` with character references (&amp; &#233; &#xE9; &nbsp; ...) replaced by UTF-8.
std::string decode_html_entities(std::string_view text);

// Elements that never have content or an end tag (<br>, <img> ...).
bool is_void_element(std::string_view name);

}  // namespace pincer::tools::web
