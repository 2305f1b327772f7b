#include "tools/web/readable_content.hpp"

#include <algorithm>
#include <array>
#include <vector>

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "tools/web/html_tokenizer.hpp"

namespace pincer::tools::web {

namespace {

using Kind = HtmlToken::Kind;

bool is_skipped(std::string_view name) {
  static constexpr std::array<std::string_view, 20> kSkipped{
      "script", "style", "noscript", "template", "head",   "nav",     "footer",
      "aside",  "form",  "button",   "select",   "iframe", "svg",     "canvas",
      "object", "embed", "dialog",   "menu",     "header", "textarea"};
  return std::find(kSkipped.begin(), kSkipped.end(), name) != kSkipped.end();
}

bool is_block(std::string_view name) {
  static constexpr std::array<std::string_view, 18> kBlocks{
      "p",  "div", "section", "article", "main",    "blockquote", "table",  "figure", "figcaption",
      "dl", "dt",  "dd",      "address", "details", "summary",    "center", "body",   "fieldset"};
  return std::find(kBlocks.begin(), kBlocks.end(), name) != kBlocks.end();
}

std::string collapse_whitespace(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f') {
      space = true;
      continue;
    }
    if (space && !out.empty()) {
      out.push_back(' ');
    }
    space = false;
    out.push_back(c);
  }
  return out;
}

bool hidden(const HtmlToken& token) {
  if (token.has_attribute("hidden") || token.attribute("aria-hidden") == "true") {
    return true;
  }
  std::string style(token.attribute("style"));
  style.erase(std::remove(style.begin(), style.end(), ' '), style.end());
  return style.find("display:none") != std::string::npos;
}

class Writer {
 public:
  Writer(ExtractMode mode, std::string_view page_url) : markdown_(mode == ExtractMode::markdown) {
    auto parsed = boost::urls::parse_uri(page_url);
    if (parsed) {
      base_ = boost::urls::url(*parsed);
    }
  }

  void start(const HtmlToken& tag) {
    const std::string& name = tag.name;
    if (name.size() == 2 && name[0] == 'h' && name[1] >= '1' && name[1] <= '6') {
      blank_line();
      if (markdown_) {
        out_.append(static_cast<std::size_t>(name[1] - '0'), '#');
        out_.push_back(' ');
      }
      heading_start_ = out_.size();
    } else if (name == "br") {
      newline_raw();
    } else if (name == "hr") {
      blank_line();
      out_ += markdown_ ? "---" : "";
      blank_line();
    } else if (name == "ul" || name == "ol") {
      lists_.push_back({name == "ol", 0});
      if (lists_.size() == 1) {
        blank_line();
      }
    } else if (name == "li") {
      newline();
      out_.append((lists_.empty() ? 0 : lists_.size() - 1) * 2, ' ');
      if (!lists_.empty() && lists_.back().ordered) {
        out_ += std::to_string(++lists_.back().counter) + ". ";
      } else {
        out_ += markdown_ ? "- " : "• ";
      }
    } else if (name == "pre") {
      blank_line();
      if (markdown_) {
        out_ += "```\n";
      }
      ++pre_;
    } else if (name == "code" && pre_ == 0) {
      inline_mark("`");
    } else if ((name == "strong" || name == "b") && pre_ == 0) {
      inline_mark("**");
    } else if ((name == "em" || name == "i") && pre_ == 0) {
      inline_mark("*");
    } else if (name == "a") {
      links_.push_back({out_.size(), resolve(tag.attribute("href"))});
    } else if (name == "img") {
      std::string alt = collapse_whitespace(tag.attribute("alt"));
      if (!alt.empty()) {
        space_if_needed();
        out_ += markdown_ ? "![" + alt + "](" + resolve(tag.attribute("src")) + ")" : alt;
      }
    } else if (name == "tr") {
      newline();
      row_has_header_ = false;
      cells_ = 0;
      if (markdown_) {
        out_ += "|";
      }
    } else if (name == "td" || name == "th") {
      row_has_header_ = row_has_header_ || name == "th";
      if (!markdown_ && cells_ > 0) {
        out_ += "\t";
      } else if (markdown_) {
        out_ += " ";
      }
      ++cells_;
    } else if (name == "blockquote") {
      blank_line();
      quotes_.push_back(out_.size());
    } else if (name == "table") {
      blank_line();
      table_rows_ = 0;
    } else if (is_block(name)) {
      blank_line();
    }
  }

  void end(std::string_view name) {
    if (name.size() == 2 && name[0] == 'h' && name[1] >= '1' && name[1] <= '6') {
      if (first_heading_.empty() && name == "h1" && heading_start_ <= out_.size()) {
        first_heading_ = collapse_whitespace(out_.substr(heading_start_));
      }
      blank_line();
    } else if (name == "ul" || name == "ol") {
      if (!lists_.empty()) {
        lists_.pop_back();
      }
      if (lists_.empty()) {
        blank_line();
      }
    } else if (name == "pre") {
      if (pre_ > 0) {
        --pre_;
      }
      newline();
      if (markdown_) {
        out_ += "```";
      }
      blank_line();
    } else if (name == "code" && pre_ == 0) {
      inline_mark("`");
    } else if ((name == "strong" || name == "b") && pre_ == 0) {
      inline_mark("**");
    } else if ((name == "em" || name == "i") && pre_ == 0) {
      inline_mark("*");
    } else if (name == "a") {
      end_link();
    } else if (name == "td" || name == "th") {
      if (markdown_) {
        while (!out_.empty() && out_.back() == ' ') {
          out_.pop_back();
        }
        out_ += " |";
      }
    } else if (name == "tr") {
      if (markdown_ && table_rows_ == 0 && cells_ > 0) {
        out_ += "\n|";
        for (int i = 0; i < cells_; ++i) {
          out_ += " --- |";
        }
      }
      ++table_rows_;
    } else if (name == "blockquote") {
      if (!quotes_.empty()) {
        std::size_t start = quotes_.back();
        quotes_.pop_back();
        if (markdown_ && start < out_.size()) {
          quote_from(start);
        }
      }
      blank_line();
    } else if (is_block(name)) {
      blank_line();
    }
  }

  void text(std::string_view text) {
    if (pre_ > 0) {
      out_ += text;
      return;
    }
    std::string collapsed = collapse_whitespace(text);
    bool leading = !text.empty() && std::isspace(static_cast<unsigned char>(text.front()));
    bool trailing = !text.empty() && std::isspace(static_cast<unsigned char>(text.back()));
    if (collapsed.empty()) {
      if (leading) {
        pending_space_ = true;
      }
      return;
    }
    if (leading || pending_space_) {
      space_if_needed();
    }
    pending_space_ = false;
    if (markdown_) {
      collapsed = escape_markdown(collapsed);
    }
    out_ += collapsed;
    pending_space_ = trailing;
  }

  std::string finish() {
    // Trim spaces at line ends, at most one blank line in a row, no blank ends.
    std::string result;
    std::size_t newlines = 0;
    std::size_t line_start = 0;
    for (std::size_t i = 0; i <= out_.size(); ++i) {
      if (i < out_.size() && out_[i] != '\n') {
        continue;
      }
      std::string_view line(out_.data() + line_start, i - line_start);
      while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) {
        line.remove_suffix(1);
      }
      line_start = i + 1;
      if (line.find_first_not_of(" \t") == std::string_view::npos) {
        ++newlines;
        continue;
      }
      if (!result.empty()) {
        result += newlines > 0 ? "\n\n" : "\n";
      }
      newlines = 0;
      result += line;
    }
    return result;
  }

  const std::string& first_heading() const { return first_heading_; }

 private:
  struct List {
    bool ordered = false;
    int counter = 0;
  };
  struct Link {
    std::size_t start;
    std::string href;
  };

  static std::string escape_markdown(std::string_view text) {
    std::string out;
    for (char c : text) {
      if (c == '*' || c == '_' || c == '`' || c == '[' || c == ']') {
        out.push_back('\\');
      }
      out.push_back(c);
    }
    return out;
  }

  std::string resolve(std::string_view href) const {
    if (href.empty() || href.starts_with("javascript:") || href.starts_with("#")) {
      return {};
    }
    auto reference = boost::urls::parse_uri_reference(href);
    if (!reference || base_.empty()) {
      return std::string(href);
    }
    boost::urls::url resolved;
    if (!boost::urls::resolve(base_, *reference, resolved)) {
      return std::string(href);
    }
    return std::string(resolved.buffer());
  }

  void end_link() {
    if (links_.empty()) {
      return;
    }
    Link link = std::move(links_.back());
    links_.pop_back();
    if (!markdown_ || link.href.empty() || link.start > out_.size()) {
      return;
    }
    std::string label = out_.substr(link.start);
    std::size_t lead = label.find_first_not_of(' ');
    if (lead == std::string::npos) {
      return;  // an empty link (an icon): nothing to show
    }
    label = label.substr(lead);
    while (!label.empty() && label.back() == ' ') {
      label.pop_back();
    }
    out_.resize(link.start + lead);
    out_ += "[" + label + "](" + link.href + ")";
  }

  void inline_mark(std::string_view mark) {
    if (!markdown_) {
      return;
    }
    if (pending_space_) {
      space_if_needed();
      pending_space_ = false;
    }
    out_ += mark;
  }

  void quote_from(std::size_t start) {
    std::string block = out_.substr(start);
    out_.resize(start);
    std::size_t first = block.find_first_not_of('\n');
    if (first == std::string::npos) {
      return;
    }
    out_ += "> ";
    for (std::size_t i = first; i < block.size(); ++i) {
      out_.push_back(block[i]);
      if (block[i] == '\n' && i + 1 < block.size()) {
        out_ += "> ";
      }
    }
  }

  void space_if_needed() {
    if (!out_.empty() && out_.back() != ' ' && out_.back() != '\n' && out_.back() != '(' &&
        out_.back() != '[') {
      out_.push_back(' ');
    }
  }

  void newline_raw() {
    out_.push_back('\n');
    pending_space_ = false;
  }

  void newline() {
    if (!out_.empty() && out_.back() != '\n') {
      out_.push_back('\n');
    }
    pending_space_ = false;
  }

  void blank_line() {
    if (out_.empty()) {
      return;
    }
    newline();
    if (out_.size() < 2 || out_[out_.size() - 2] != '\n') {
      out_.push_back('\n');
    }
  }

  bool markdown_;
  boost::urls::url base_;
  std::string out_;
  std::vector<List> lists_;
  std::vector<Link> links_;
  std::vector<std::size_t> quotes_;
  int pre_ = 0;
  int cells_ = 0;
  int table_rows_ = 0;
  bool row_has_header_ = false;
  bool pending_space_ = false;
  std::size_t heading_start_ = 0;
  std::string first_heading_;
};

// Index range [begin, end) of the tokens inside the first <main> or <article>, if any.
std::pair<std::size_t, std::size_t> content_range(const std::vector<HtmlToken>& tokens) {
  for (std::string_view root : {"main", "article"}) {
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      if (tokens[i].kind != Kind::start_tag || tokens[i].name != root) {
        continue;
      }
      int depth = 0;
      for (std::size_t j = i; j < tokens.size(); ++j) {
        if (tokens[j].name != root || tokens[j].kind == Kind::text) {
          continue;
        }
        depth += tokens[j].kind == Kind::start_tag ? 1 : -1;
        if (depth == 0) {
          return {i + 1, j};
        }
      }
      return {i + 1, tokens.size()};
    }
  }
  return {0, tokens.size()};
}

}  // namespace

ReadablePage extract_readable(std::string_view html, ExtractMode mode, std::string_view page_url) {
  auto tokens = tokenize_html(html);
  ReadablePage page;
  for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
    if (tokens[i].kind == Kind::start_tag && tokens[i].name == "title" &&
        tokens[i + 1].kind == Kind::text) {
      page.title = collapse_whitespace(tokens[i + 1].text);
      break;
    }
  }

  Writer writer(mode, page_url);
  auto [begin, end] = content_range(tokens);
  std::string skipping;  // the element whose subtree is being dropped
  int skip_depth = 0;
  for (std::size_t i = begin; i < end; ++i) {
    const HtmlToken& token = tokens[i];
    if (skip_depth > 0) {
      if (token.kind != Kind::text && token.name == skipping && !is_void_element(token.name) &&
          !token.self_closing) {
        skip_depth += token.kind == Kind::start_tag ? 1 : -1;
      }
      continue;
    }
    switch (token.kind) {
      case Kind::text:
        writer.text(token.text);
        break;
      case Kind::start_tag:
        if ((is_skipped(token.name) || hidden(token)) && !is_void_element(token.name) &&
            !token.self_closing) {
          skipping = token.name;
          skip_depth = 1;
          break;
        }
        if (token.name == "title") {  // a <title> in <body> (SVG, broken pages): not content
          skipping = "title";
          skip_depth = 1;
          break;
        }
        writer.start(token);
        break;
      case Kind::end_tag:
        writer.end(token.name);
        break;
    }
  }
  page.content = writer.finish();
  if (page.title.empty()) {
    page.title = writer.first_heading();
  }
  return page;
}

}  // namespace pincer::tools::web
