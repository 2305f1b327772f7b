#include "gateway/method_registry.hpp"

#include <algorithm>
#include <stdexcept>

namespace pincer::gateway {

void MethodRegistry::add(MethodSpec spec) {
  if (methods_.contains(spec.name)) {
    throw std::logic_error("gateway method registered twice: " + spec.name);
  }
  order_.push_back(spec.name);
  std::string name = spec.name;
  methods_.emplace(std::move(name), std::move(spec));
}

void MethodRegistry::add_event(std::string name) {
  if (std::ranges::find(events_, name) == events_.end()) {
    events_.push_back(std::move(name));
  }
}

const MethodSpec* MethodRegistry::find(std::string_view name) const {
  auto it = methods_.find(name);
  return it == methods_.end() ? nullptr : &it->second;
}

std::vector<std::string> MethodRegistry::method_names() const {
  return order_;
}

}  // namespace pincer::gateway
