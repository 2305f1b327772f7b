#pragma once
// ConfigReader walks one JSON object of the config and fills a typed struct, recording every
// problem with its full key path instead of stopping at the first. Each subsystem's section
// reads itself with one; a key that is absent leaves the struct's default in place.
//
//   ConfigReader root(&document, {}, issues);
//   ConfigReader gateway = root.object("gateway");
//   gateway.integer("port", config.port, 1, 65535);
//   gateway.finish();  // notes or warns about keys nobody read

#include <cstdint>
#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "core/config_issue.hpp"

namespace pincer::core {

// The largest integer the reference's JSON (JavaScript numbers) holds exactly.
inline constexpr int64_t kMaxSafeInteger = 9'007'199'254'740'991;

class ConfigReader {
 public:
  // `value` may be null when the section is absent; then every read keeps its default.
  // `segments` is the key path of `value` (empty for the document root).
  ConfigReader(const boost::json::value* value, std::vector<std::string> segments,
               std::vector<ConfigIssue>& issues);

  bool present() const { return object_ != nullptr; }
  bool has(std::string_view key) const { return object_ != nullptr && object_->contains(key); }
  const std::string& path() const { return path_; }

  void integer(std::string_view key, int64_t& out, int64_t min, int64_t max);
  void boolean(std::string_view key, bool& out);
  void string(std::string_view key, std::string& out);
  void string_list(std::string_view key, std::vector<std::string>& out);
  void string_map(std::string_view key, std::map<std::string, std::string>& out);

  template <class Enum>
  void one_of(std::string_view key, Enum& out,
              std::initializer_list<std::pair<std::string_view, Enum>> choices) {
    std::vector<std::string_view> names;
    names.reserve(choices.size());
    for (const auto& choice : choices) {
      names.push_back(choice.first);
    }
    auto index = choice_index(key, names);
    if (index >= 0) {
      out = (choices.begin() + index)->second;
    }
  }

  // A nested object; reports an error (and reads nothing) if the key holds a non-object.
  ConfigReader object(std::string_view key);

  // A list of objects: one reader per item, at path "key[i]"; an error if the key holds anything
  // but a list (items that are not objects report their own error and read nothing).
  std::vector<ConfigReader> items(std::string_view key);

  // The member names of this object in document order (for maps keyed by ids or channels).
  std::vector<std::string> keys() const;

  // Hands out a member for a shape the typed readers cannot express, marking it as read.
  const boost::json::value* take(std::string_view key);

  // Records an error at `key` (or at this object when `key` is empty).
  void error(std::string_view key, std::string message);
  // Records an error at a full key path (for items inside a member, e.g. "x.list[2]").
  void error_at(std::string path, std::string message);

  // Reports every member nobody read: a note if the reference config knows the key (Pincer
  // does not use it yet), a warning with a did-you-mean suggestion otherwise.
  void finish();

  // The full path of a member, quoting keys that are not plain identifiers.
  std::string key_path(std::string_view key) const;

 private:
  // Index of the string member's value in `names`, or -1 (absent or invalid: error recorded).
  int choice_index(std::string_view key, const std::vector<std::string_view>& names);
  const boost::json::value* find(std::string_view key);
  void type_error(std::string_view key, std::string_view expected, const boost::json::value& got);

  const boost::json::object* object_ = nullptr;
  std::vector<std::string> segments_;
  std::string path_;
  std::vector<ConfigIssue>* issues_;
  std::set<std::string, std::less<>> read_;
};

// How a bad value is shown in an error: strings quoted and shortened, others by kind.
// Values under secret-looking keys are never shown.
std::string describe_value(const boost::json::value& value, std::string_view key = {});

}  // namespace pincer::core
