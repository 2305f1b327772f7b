#pragma once
// What kind of JSON value something is, as error messages say it ("got a number", "is an
// array, not an object"): the one wording for config, tool arguments and API answers.

#include <string_view>

#include <boost/json/value.hpp>

namespace pincer::core {

// "null", "a boolean", "a number", "a string", "an array" or "an object".
std::string_view json_kind_name(const boost::json::value& value);

}  // namespace pincer::core
