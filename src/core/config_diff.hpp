#pragma once

#include <string>
#include <vector>

#include <boost/json/value.hpp>

namespace pincer::core {

// The dotted key paths whose values differ between two config documents, sorted: the leaves of
// changed, added or removed objects, the whole array when any element differs. Empty when the
// documents are equal.
std::vector<std::string> changed_config_paths(const boost::json::value& before,
                                              const boost::json::value& after);

}  // namespace pincer::core
