#include "core/reference_config_keys.hpp"

#include <algorithm>
#include <map>
#include <memory>

namespace pincer::core {

namespace {

constexpr std::string_view kKeyTree =
#include "core/reference_config_keys.inc"
    ;

struct KeyNode {
  std::map<std::string, std::unique_ptr<KeyNode>, std::less<>> children;
  bool open = false;  // free-form below: any key is accepted
};

// Built on first use only: validation needs it, `pincer --version` does not.
const KeyNode& key_tree() {
  static const std::unique_ptr<KeyNode> root = [] {
    auto tree = std::make_unique<KeyNode>();
    std::vector<KeyNode*> stack{tree.get()};
    size_t pos = 0;
    while (pos < kKeyTree.size()) {
      size_t end = kKeyTree.find('\n', pos);
      if (end == std::string_view::npos) {
        end = kKeyTree.size();
      }
      std::string_view line = kKeyTree.substr(pos, end - pos);
      pos = end + 1;
      if (line.size() < 2 || line[0] < '0' || line[0] > '9') {
        continue;
      }
      auto depth = static_cast<size_t>(line[0] - '0');
      std::string_view name = line.substr(1);
      if (depth + 1 > stack.size()) {
        continue;  // malformed generator output; cannot happen with the checked-in file
      }
      stack.resize(depth + 1);
      KeyNode* parent = stack.back();
      if (name == "**") {
        parent->open = true;
        continue;
      }
      auto& child = parent->children[std::string(name)];
      if (!child) {
        child = std::make_unique<KeyNode>();
      }
      stack.push_back(child.get());
    }
    // Keys the reference still accepts though its schema no longer lists them.
    for (std::string_view legacy : {"agents.list"}) {
      KeyNode* node = tree.get();
      size_t start = 0;
      while (start <= legacy.size()) {
        size_t dot = std::min(legacy.find('.', start), legacy.size());
        auto& child = node->children[std::string(legacy.substr(start, dot - start))];
        if (!child) {
          child = std::make_unique<KeyNode>();
        }
        node = child.get();
        start = dot + 1;
      }
      node->open = true;
    }
    return tree;
  }();
  return *root;
}

// The node for `path`, nullptr if unknown; `open_above` is set when a free-form ancestor
// swallowed the rest of the path.
const KeyNode* find_node(const std::vector<std::string>& path, bool& open_above) {
  const KeyNode* node = &key_tree();
  open_above = false;
  for (const auto& segment : path) {
    if (auto it = node->children.find(segment); it != node->children.end()) {
      node = it->second.get();
    } else if (auto star = node->children.find("*"); star != node->children.end()) {
      node = star->second.get();
    } else if (node->open) {
      open_above = true;
      return nullptr;
    } else {
      return nullptr;
    }
  }
  return node;
}

}  // namespace

bool is_reference_config_key(const std::vector<std::string>& path) {
  bool open_above = false;
  const KeyNode* node = find_node(path, open_above);
  return node != nullptr || open_above;
}

std::vector<std::string> reference_config_children(const std::vector<std::string>& path) {
  bool open_above = false;
  const KeyNode* node = find_node(path, open_above);
  std::vector<std::string> out;
  if (node != nullptr) {
    for (const auto& [name, child] : node->children) {
      out.push_back(name);
    }
  }
  return out;
}

}  // namespace pincer::core
