#include "channels/delivery/detail/markdown_render.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <iterator>
#include <memory>
#include <utility>
#include <vector>

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm.h>

namespace pincer::channels::detail {

namespace {

// Deeper nesting than this (a pathological reply, not a real one) is printed as flat text, so the
// recursive walk has a bounded stack.
constexpr int kMaxDepth = 32;

constexpr std::string_view kBullet = "• ";
constexpr std::string_view kRule = "———";
constexpr std::string_view kQuoteBar = "│";  // plain text has no quote markup
constexpr std::string_view kUnchecked = "☐ ";
constexpr std::string_view kChecked = "☑ ";
constexpr std::size_t kMaxLanguageLength = 32;

struct ParserFree {
  void operator()(cmark_parser* parser) const { cmark_parser_free(parser); }
};
struct NodeFree {
  void operator()(cmark_node* node) const { cmark_node_free(node); }
};

std::string_view type_name(cmark_node* node) {
  const char* name = cmark_node_get_type_string(node);
  return name == nullptr ? std::string_view() : std::string_view(name);
}

std::string_view literal(cmark_node* node) {
  const char* text = cmark_node_get_literal(node);
  return text == nullptr ? std::string_view() : std::string_view(text);
}

void append_escaped(std::string& out, std::string_view text, bool attribute = false) {
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += attribute ? "&quot;" : "\"";
        break;
      default:
        out += c;
    }
  }
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view rtrim(std::string_view text) {
  while (!text.empty() && is_space(text.back())) {
    text.remove_suffix(1);
  }
  return text;
}

// Columns a string takes in a monospace font: East Asian wide characters and emoji take two,
// combining marks and joiners none. An estimate (no full Unicode tables), good enough to align a
// table in a chat bubble.
std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : 4;
    std::uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (std::size_t j = 1; j < len && i + j < text.size(); ++j) {
      cp = (cp << 6) | (static_cast<unsigned char>(text[i + j]) & 0x3F);
    }
    i += len;
    bool zero = (cp >= 0x300 && cp <= 0x36F) || (cp >= 0x200B && cp <= 0x200F) ||
                (cp >= 0xFE00 && cp <= 0xFE0F);
    bool wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
                (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
                (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
                (cp >= 0x1F680 && cp <= 0x1F6FF) || (cp >= 0x1F900 && cp <= 0x1F9FF) ||
                (cp >= 0x20000 && cp <= 0x3FFFD);
    width += zero ? 0 : wide ? 2 : 1;
  }
  return width;
}

// Links Telegram can open and a reader can trust: absolute http(s)/ftp with a host, mailto: and
// tg: links. Everything else (javascript:, data:, relative paths, URLs with spaces or control
// characters, which Telegram would reject) is shown as its text only.
bool is_safe_url(std::string_view url) {
  if (url.empty() || std::any_of(url.begin(), url.end(), [](char c) {
        return static_cast<unsigned char>(c) <= 0x20 || c == 0x7F;
      })) {
    return false;
  }
  std::size_t colon = url.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return false;
  }
  std::string scheme;
  for (char c : url.substr(0, colon)) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') {
      return false;  // a ':' later in a relative path
    }
    scheme += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  std::string_view rest = url.substr(colon + 1);
  if (scheme == "http" || scheme == "https" || scheme == "ftp") {
    return rest.size() > 2 && rest.starts_with("//") && rest[2] != '/';
  }
  return (scheme == "mailto" || scheme == "tg") && !rest.empty();
}

// The language of a fence's info string ("python" of "python title=x"), reduced to characters
// that are safe in a class name; empty when there is none.
std::string code_language(cmark_node* node) {
  const char* info = cmark_node_get_fence_info(node);
  std::string lang;
  for (const char* p = info; p != nullptr && *p != '\0' && !is_space(*p); ++p) {
    char c = *p;
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '+' || c == '#' ||
        c == '.' || c == '-') {
      lang += c;
    }
  }
  return lang.size() > kMaxLanguageLength ? std::string() : lang;
}

// One output line. `verbatim`: a code line inside <pre>, past the line that opens it; prefixes
// (list indentation) would change the code, so HTML output leaves it alone.
struct Line {
  std::string text;
  bool verbatim = false;
};
using Lines = std::vector<Line>;

Lines split_lines(std::string_view text, bool verbatim_after_first = false) {
  Lines lines;
  std::size_t start = 0;
  while (true) {
    std::size_t nl = text.find('\n', start);
    std::string_view line = text.substr(start, nl == std::string_view::npos ? nl : nl - start);
    lines.push_back(Line{std::string(line), verbatim_after_first && !lines.empty()});
    if (nl == std::string_view::npos) {
      break;
    }
    start = nl + 1;
  }
  return lines;
}

// Appends a rendered block after the ones before it: after a blank line, or (tight lists) on the
// next line. Empty blocks leave no trace.
void append_block(Lines& out, Lines block, bool tight) {
  if (block.empty()) {
    return;
  }
  if (!out.empty() && !tight) {
    out.push_back(Line{});
  }
  std::move(block.begin(), block.end(), std::back_inserter(out));
}

// How inline content is printed.
struct InlineStyle {
  bool markup = false;   // Telegram HTML tags, escaped text
  bool urls = true;      // plain text: a link's target follows its label
  bool in_link = false;  // inside <a>: no nested links
};

// `||spoiler||` markers among one container's text children: only complete pairs are spoilers,
// so an odd last marker stays literal text.
struct Spoilers {
  std::size_t usable = 0;
  std::size_t seen = 0;
};

std::size_t count_spoiler_marks(std::string_view text) {
  std::size_t n = 0;
  for (std::size_t i = text.find("||"); i != std::string_view::npos; i = text.find("||", i + 2)) {
    ++n;
  }
  return n;
}

struct TableCell {
  std::string markup;  // inline content as the output prints it (HTML or plain with URLs)
  std::string bare;    // plain text without URLs, for monospace tables
};

struct Table {
  std::vector<std::vector<TableCell>> rows;  // rows[0] is the header row
  std::vector<char> align;                   // 'l', 'c', 'r' or 0 per column
  std::size_t columns = 0;
};

class Walker {
 public:
  Walker(bool html, TableMode tables) : html_(html), tables_(tables) {}

  std::string render(cmark_node* document) {
    Lines lines = children(document, false, 0);
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (i > 0) {
        out += '\n';
      }
      out += lines[i].text;
    }
    out.resize(rtrim(out).size());
    return out;
  }

 private:
  InlineStyle style() const { return InlineStyle{html_, true, false}; }

  Lines children(cmark_node* container, bool tight, int depth) {
    Lines out;
    for (cmark_node* c = cmark_node_first_child(container); c != nullptr; c = cmark_node_next(c)) {
      append_block(out, block(c, tight, depth + 1), tight);
    }
    return out;
  }

  Lines block(cmark_node* node, bool tight, int depth) {
    if (depth > kMaxDepth) {
      return text_lines(flat_text(node));
    }
    switch (cmark_node_get_type(node)) {
      case CMARK_NODE_PARAGRAPH:
        return split_lines(inline_children(node, style(), depth));
      case CMARK_NODE_HEADING: {
        std::string text = inline_children(node, style(), depth);
        if (text.empty()) {
          return {};
        }
        return split_lines(html_ ? "<b>" + text + "</b>" : text);
      }
      case CMARK_NODE_THEMATIC_BREAK:
        return {Line{std::string(kRule)}};
      case CMARK_NODE_CODE_BLOCK:
        return code_block(node);
      case CMARK_NODE_HTML_BLOCK:
        // Raw HTML is never passed through: it is shown as the text the model wrote.
        return text_lines(rtrim(literal(node)));
      case CMARK_NODE_BLOCK_QUOTE:
        return block_quote(node, depth);
      case CMARK_NODE_LIST:
        return list(node, depth);
      default:
        if (type_name(node) == "table") {
          return table(node, depth);
        }
        return children(node, tight, depth);
    }
  }

  // Text shown as is: escaped for HTML.
  Lines text_lines(std::string_view text) {
    if (rtrim(text).empty()) {
      return {};
    }
    if (!html_) {
      return split_lines(text);
    }
    std::string escaped;
    append_escaped(escaped, text);
    return split_lines(escaped);
  }

  Lines code_block(cmark_node* node) {
    std::string_view code = literal(node);
    if (code.ends_with('\n')) {
      code.remove_suffix(1);
    }
    if (code.empty()) {
      return {};
    }
    if (!html_) {
      return split_lines(code, true);
    }
    std::string lang = code_language(node);
    std::string out = lang.empty() ? "<pre>" : "<pre><code class=\"language-" + lang + "\">";
    append_escaped(out, code);
    out += lang.empty() ? "</pre>" : "</code></pre>";
    return split_lines(out, true);
  }

  // Telegram cannot nest block quotes, so a quote inside a quote joins the outer one.
  Lines block_quote(cmark_node* node, int depth) {
    ++quote_depth_;
    Lines inner = children(node, false, depth);
    --quote_depth_;
    if (inner.empty()) {
      return inner;
    }
    if (html_) {
      if (quote_depth_ == 0) {
        inner.front().text.insert(0, "<blockquote>");
        inner.back().text += "</blockquote>";
      }
      return inner;
    }
    for (Line& line : inner) {
      line.text =
          line.text.empty() ? std::string(kQuoteBar) : std::string(kQuoteBar) + " " + line.text;
    }
    return inner;
  }

  // Puts `marker` before the first line and indents the others to line up under its text.
  void prefix_item(Lines& body, std::string_view marker) {
    std::string indent(display_width(marker), ' ');
    for (std::size_t i = 0; i < body.size(); ++i) {
      Line& line = body[i];
      if (i == 0) {
        line.text.insert(0, line.text.empty() ? rtrim(marker) : marker);
      } else if (!line.text.empty() && !(html_ && line.verbatim)) {
        line.text.insert(0, indent);
      }
    }
  }

  Lines list(cmark_node* node, int depth) {
    bool ordered = cmark_node_get_list_type(node) == CMARK_ORDERED_LIST;
    bool tight = cmark_node_get_list_tight(node) != 0;
    std::int64_t number = cmark_node_get_list_start(node);
    char delim = cmark_node_get_list_delim(node) == CMARK_PAREN_DELIM ? ')' : '.';
    Lines out;
    for (cmark_node* item = cmark_node_first_child(node); item != nullptr;
         item = cmark_node_next(item)) {
      std::string marker = ordered ? std::to_string(number++) + delim + " " : std::string(kBullet);
      if (type_name(item) == "tasklist") {
        std::string_view box =
            cmark_gfm_extensions_get_tasklist_item_checked(item) ? kChecked : kUnchecked;
        marker = ordered ? marker + std::string(box) : std::string(box);
      }
      Lines body = children(item, tight, depth);
      if (body.empty()) {
        body.push_back(Line{});
      }
      prefix_item(body, marker);
      append_block(out, std::move(body), tight);
    }
    return out;
  }

  Lines table(cmark_node* node, int depth) {
    Table t;
    t.columns = cmark_gfm_extensions_get_table_columns(node);
    const std::uint8_t* align = cmark_gfm_extensions_get_table_alignments(node);
    for (std::size_t c = 0; c < t.columns; ++c) {
      t.align.push_back(align == nullptr ? '\0' : static_cast<char>(align[c]));
    }
    InlineStyle bare{false, false, false};
    for (cmark_node* row = cmark_node_first_child(node); row != nullptr;
         row = cmark_node_next(row)) {
      std::vector<TableCell> cells;
      for (cmark_node* cell = cmark_node_first_child(row); cell != nullptr;
           cell = cmark_node_next(cell)) {
        cells.push_back(
            TableCell{inline_children(cell, style(), depth), inline_children(cell, bare, depth)});
      }
      t.columns = std::max(t.columns, cells.size());
      t.rows.push_back(std::move(cells));
    }
    for (auto& row : t.rows) {
      row.resize(t.columns);
    }
    t.align.resize(t.columns, '\0');
    if (t.rows.empty()) {
      return {};
    }
    return tables_ == TableMode::bullets ? table_as_bullets(t) : table_as_code(t);
  }

  Lines table_as_code(const Table& t) {
    std::vector<std::size_t> widths(t.columns, 1);
    for (const auto& row : t.rows) {
      for (std::size_t c = 0; c < t.columns; ++c) {
        widths[c] = std::max(widths[c], display_width(row[c].bare));
      }
    }
    auto print_row = [&](std::string& out, const std::vector<TableCell>& row) {
      for (std::size_t c = 0; c < t.columns; ++c) {
        std::size_t pad = widths[c] - display_width(row[c].bare);
        std::size_t left = t.align[c] == 'r' ? pad : t.align[c] == 'c' ? pad / 2 : 0;
        out += "| ";
        out.append(left, ' ');
        out += row[c].bare;
        out.append(pad - left, ' ');
        out += ' ';
      }
      out += '|';
    };
    std::string text;
    print_row(text, t.rows[0]);
    text += '\n';
    for (std::size_t c = 0; c < t.columns; ++c) {
      text += '|';
      text.append(widths[c] + 2, '-');
    }
    text += '|';
    for (std::size_t r = 1; r < t.rows.size(); ++r) {
      text += '\n';
      print_row(text, t.rows[r]);
    }
    if (!html_) {
      return split_lines(text, true);
    }
    std::string out = "<pre>";
    append_escaped(out, text);
    out += "</pre>";
    return split_lines(out, true);
  }

  Lines table_as_bullets(const Table& t) {
    const auto& header = t.rows[0];
    Lines out;
    if (t.rows.size() == 1) {  // a header and no body: print the header cells as one line
      std::string line;
      for (const TableCell& cell : header) {
        if (!cell.markup.empty()) {
          line += line.empty() ? cell.markup : " | " + cell.markup;
        }
      }
      return line.empty() ? out : Lines{Line{line}};
    }
    for (std::size_t r = 1; r < t.rows.size(); ++r) {
      const auto& row = t.rows[r];
      Lines block;
      std::size_t first_value = 1;
      if (t.columns == 1) {
        first_value = 0;
      } else if (!row[0].markup.empty()) {
        block.push_back(Line{html_ ? "<b>" + row[0].markup + "</b>" : row[0].markup});
      }
      for (std::size_t c = first_value; c < t.columns; ++c) {
        if (row[c].markup.empty()) {
          continue;
        }
        std::string line(kBullet);
        if (t.columns > 1 && !header[c].markup.empty()) {
          line += header[c].markup + ": ";
        }
        line += row[c].markup;
        block.push_back(Line{std::move(line)});
      }
      append_block(out, std::move(block), t.columns == 1);
    }
    return out;
  }

  std::string inline_children(cmark_node* parent, const InlineStyle& s, int depth) {
    std::string out;
    inlines(parent, out, s, depth);
    return out;
  }

  void inlines(cmark_node* parent, std::string& out, const InlineStyle& s, int depth) {
    if (depth > kMaxDepth) {
      text(out, flat_text(parent), s);
      return;
    }
    std::size_t marks = 0;
    for (cmark_node* c = cmark_node_first_child(parent); c != nullptr; c = cmark_node_next(c)) {
      if (cmark_node_get_type(c) == CMARK_NODE_TEXT) {
        marks += count_spoiler_marks(literal(c));
      }
    }
    Spoilers spoilers{marks - marks % 2, 0};
    for (cmark_node* c = cmark_node_first_child(parent); c != nullptr; c = cmark_node_next(c)) {
      inline_node(c, out, s, depth + 1, spoilers);
    }
  }

  void text(std::string& out, std::string_view value, const InlineStyle& s) {
    if (s.markup) {
      append_escaped(out, value);
    } else {
      out += value;
    }
  }

  void text_with_spoilers(std::string& out, std::string_view value, const InlineStyle& s,
                          Spoilers& spoilers) {
    for (std::size_t at = value.find("||"); at != std::string_view::npos; at = value.find("||")) {
      text(out, value.substr(0, at), s);
      if (spoilers.seen < spoilers.usable) {
        if (s.markup) {
          out += spoilers.seen % 2 == 0 ? "<tg-spoiler>" : "</tg-spoiler>";
        }
      } else {
        out += "||";
      }
      ++spoilers.seen;
      value.remove_prefix(at + 2);
    }
    text(out, value, s);
  }

  void wrap(cmark_node* node, std::string& out, std::string_view tag, const InlineStyle& s,
            int depth) {
    if (s.markup) {
      out += '<';
      out += tag;
      out += '>';
    }
    inlines(node, out, s, depth);
    if (s.markup) {
      out += "</";
      out += tag;
      out += '>';
    }
  }

  // Whether plain text should print `url` after `label`: not when the label already is the URL.
  static bool label_shows_url(std::string_view label, std::string_view url) {
    for (std::string_view scheme : {"", "mailto:", "http://", "https://"}) {
      if (url.starts_with(scheme) && url.substr(scheme.size()) == label) {
        return true;
      }
    }
    return false;
  }

  void link(cmark_node* node, std::string& out, const InlineStyle& s, int depth) {
    const char* target = cmark_node_get_url(node);
    std::string_view url = target == nullptr ? std::string_view() : std::string_view(target);
    bool linkable = is_safe_url(url) && !s.in_link;
    if (s.markup) {
      if (!linkable) {
        std::size_t start = out.size();
        inlines(node, out, s, depth);  // an unsafe target: the label as text
        if (out.size() == start) {
          append_escaped(out, url);
        }
        return;
      }
      out += "<a href=\"";
      append_escaped(out, url, true);
      out += "\">";
      std::size_t mark = out.size();
      InlineStyle inner = s;
      inner.in_link = true;
      inlines(node, out, inner, depth);
      if (out.size() == mark) {
        append_escaped(out, url);
      }
      out += "</a>";
      return;
    }
    std::string label = inline_children(node, s, depth);
    if (label.empty()) {
      out += url;
    } else if (!linkable || !s.urls || label_shows_url(label, url)) {
      out += label;
    } else {
      out += label + " (" + std::string(url) + ")";
    }
  }

  // An image becomes a link to it labelled with its alt text.
  void image(cmark_node* node, std::string& out, const InlineStyle& s, int depth) {
    const char* target = cmark_node_get_url(node);
    std::string_view url = target == nullptr ? std::string_view() : std::string_view(target);
    bool linkable = is_safe_url(url) && !s.in_link;
    std::string alt = inline_children(node, InlineStyle{false, false, true}, depth);
    if (rtrim(alt).empty()) {
      alt = "image";
    }
    if (s.markup) {
      if (linkable) {
        out += "<a href=\"";
        append_escaped(out, url, true);
        out += "\">";
      }
      append_escaped(out, alt);
      if (linkable) {
        out += "</a>";
      }
      return;
    }
    out += alt;
    if (linkable && s.urls) {
      out += " (" + std::string(url) + ")";
    }
  }

  void inline_node(cmark_node* node, std::string& out, const InlineStyle& s, int depth,
                   Spoilers& spoilers) {
    switch (cmark_node_get_type(node)) {
      case CMARK_NODE_TEXT:
        text_with_spoilers(out, literal(node), s, spoilers);
        return;
      case CMARK_NODE_SOFTBREAK:
      case CMARK_NODE_LINEBREAK:
        out += '\n';
        return;
      case CMARK_NODE_CODE:
        if (s.markup) {
          out += "<code>";
          append_escaped(out, literal(node));
          out += "</code>";
        } else {
          out += literal(node);
        }
        return;
      case CMARK_NODE_HTML_INLINE:
        text(out, literal(node), s);  // shown as written, never passed through
        return;
      case CMARK_NODE_EMPH:
        wrap(node, out, "i", s, depth);
        return;
      case CMARK_NODE_STRONG:
        wrap(node, out, "b", s, depth);
        return;
      case CMARK_NODE_LINK:
        link(node, out, s, depth);
        return;
      case CMARK_NODE_IMAGE:
        image(node, out, s, depth);
        return;
      default:
        if (type_name(node) == "strikethrough") {
          wrap(node, out, "s", s, depth);
        } else {
          inlines(node, out, s, depth);
        }
        return;
    }
  }

  // The text of a subtree, walked without recursion (for nesting past kMaxDepth).
  static std::string flat_text(cmark_node* node) {
    std::string out;
    cmark_iter* iter = cmark_iter_new(node);
    for (cmark_event_type ev = cmark_iter_next(iter); ev != CMARK_EVENT_DONE;
         ev = cmark_iter_next(iter)) {
      cmark_node* n = cmark_iter_get_node(iter);
      cmark_node_type type = cmark_node_get_type(n);
      if (ev == CMARK_EVENT_ENTER) {
        if (type == CMARK_NODE_SOFTBREAK || type == CMARK_NODE_LINEBREAK) {
          out += ' ';
        } else {
          out += literal(n);
        }
      } else if ((type & CMARK_NODE_TYPE_MASK) == CMARK_NODE_TYPE_BLOCK) {
        if (!out.empty() && out.back() != '\n') {
          out += '\n';
        }
      }
    }
    cmark_iter_free(iter);
    return std::string(rtrim(out));
  }

  bool html_;
  TableMode tables_;
  int quote_depth_ = 0;  // block quotes around the node being printed
};

void attach_extension(cmark_parser* parser, const char* name) {
  cmark_syntax_extension* extension = cmark_find_syntax_extension(name);
  // The extensions ship with libcmark-gfm-extensions and are registered below; a missing one means
  // a broken installation, where the text is still rendered without that syntax.
  if (extension != nullptr) {
    cmark_parser_attach_syntax_extension(parser, extension);
  }
}

}  // namespace

RenderedMarkdown render_markdown(std::string_view markdown, TableMode tables,
                                 RenderOutputs outputs) {
  // Registration writes a global list; a function-local static makes the first call thread-safe.
  static const bool registered = [] {
    cmark_gfm_core_extensions_ensure_registered();
    return true;
  }();
  (void)registered;

  // Invalid UTF-8 becomes U+FFFD (Telegram rejects it); `~~` only, since models write "~5 min".
  std::unique_ptr<cmark_parser, ParserFree> parser(
      cmark_parser_new(CMARK_OPT_VALIDATE_UTF8 | CMARK_OPT_STRIKETHROUGH_DOUBLE_TILDE));
  attach_extension(parser.get(), "strikethrough");
  attach_extension(parser.get(), "autolink");
  attach_extension(parser.get(), "tasklist");
  if (tables != TableMode::off) {
    attach_extension(parser.get(), "table");
  }
  cmark_parser_feed(parser.get(), markdown.data(), markdown.size());
  std::unique_ptr<cmark_node, NodeFree> document(cmark_parser_finish(parser.get()));

  RenderedMarkdown out;
  if (outputs != RenderOutputs::plain) {
    out.html = Walker(true, tables).render(document.get());
  }
  if (outputs != RenderOutputs::html) {
    out.plain = Walker(false, tables).render(document.get());
  }
  return out;
}

}  // namespace pincer::channels::detail
