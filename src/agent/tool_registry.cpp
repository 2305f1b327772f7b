#include "agent/tool_registry.hpp"

namespace pincer::agent {

void ToolRegistry::add(ToolSpec spec) {
  std::string name = spec.schema.name;
  tools_.insert_or_assign(std::move(name), std::move(spec));
}

bool ToolRegistry::remove(std::string_view name) {
  auto it = tools_.find(name);
  if (it == tools_.end()) {
    return false;
  }
  tools_.erase(it);
  return true;
}

const ToolSpec* ToolRegistry::find(std::string_view name) const {
  auto it = tools_.find(name);
  return it == tools_.end() ? nullptr : &it->second;
}

std::vector<const ToolSpec*> ToolRegistry::list() const {
  std::vector<const ToolSpec*> out;
  out.reserve(tools_.size());
  for (const auto& [name, spec] : tools_) {
    out.push_back(&spec);
  }
  return out;
}

}  // namespace pincer::agent
