#include "channels/delivery/outbound_media.hpp"

#include <sys/stat.h>

#include <array>
#include <utility>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/files.hpp"
#include "core/ids.hpp"
#include "core/text.hpp"

namespace pincer::channels {

namespace json = boost::json;

namespace {

std::string string_at(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : std::string();
}

// The recipient sees this name: no directories, no control characters, not empty.
std::string clean_file_name(std::string_view name) {
  auto slash = name.find_last_of("/\\");
  if (slash != std::string_view::npos) {
    name.remove_prefix(slash + 1);
  }
  std::string out;
  for (char c : name) {
    out += static_cast<unsigned char>(c) < 0x20 ? '_' : c;
  }
  if (out.empty() || out == "." || out == "..") {
    out = "file";
  }
  return out;
}

}  // namespace

std::string media_to_json(const std::vector<SpooledFile>& files) {
  json::array out;
  for (const auto& file : files) {
    out.push_back(json::object{{"path", file.path},
                               {"fileName", file.file_name},
                               {"contentType", file.content_type},
                               {"asDocument", file.as_document}});
  }
  return json::serialize(out);
}

std::vector<SpooledFile> media_from_json(std::string_view text) {
  std::vector<SpooledFile> files;
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec || !value.is_array()) {
    return files;
  }
  for (const auto& item : value.get_array()) {
    if (!item.is_object()) {
      continue;
    }
    const json::object& object = item.get_object();
    SpooledFile file{string_at(object, "path"), string_at(object, "fileName"),
                     string_at(object, "contentType"), false};
    if (const json::value* flag = object.if_contains("asDocument"); flag && flag->is_bool()) {
      file.as_document = flag->get_bool();
    }
    if (!file.path.empty()) {
      files.push_back(std::move(file));
    }
  }
  return files;
}

std::string content_type_for(std::string_view file_name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 22> kTypes = {{
      {"jpg", "image/jpeg"},        {"jpeg", "image/jpeg"},
      {"png", "image/png"},         {"gif", "image/gif"},
      {"webp", "image/webp"},       {"svg", "image/svg+xml"},
      {"pdf", "application/pdf"},   {"txt", "text/plain"},
      {"md", "text/markdown"},      {"csv", "text/csv"},
      {"json", "application/json"}, {"html", "text/html"},
      {"zip", "application/zip"},   {"mp3", "audio/mpeg"},
      {"m4a", "audio/mp4"},         {"ogg", "audio/ogg"},
      {"oga", "audio/ogg"},         {"wav", "audio/wav"},
      {"mp4", "video/mp4"},         {"mov", "video/quicktime"},
      {"webm", "video/webm"},       {"tgs", "application/x-tgsticker"},
  }};
  auto dot = file_name.find_last_of('.');
  if (dot != std::string_view::npos) {
    std::string extension = core::to_lower_ascii(file_name.substr(dot + 1));
    for (const auto& [suffix, type] : kTypes) {
      if (extension == suffix) {
        return std::string(type);
      }
    }
  }
  return "application/octet-stream";
}

Result<SpooledFile> spool_bytes(const std::filesystem::path& spool_dir, std::string_view bytes,
                                std::string file_name, std::string content_type) {
  if (auto made = core::ensure_private_dir(spool_dir); !made) {
    return std::unexpected(made.error());
  }
  SpooledFile file;
  file.file_name = clean_file_name(file_name);
  file.content_type =
      content_type.empty() ? content_type_for(file.file_name) : std::move(content_type);
  file.path = (spool_dir / core::random_uuid()).string();
  if (auto written = core::write_file_atomically(file.path, bytes); !written) {
    return std::unexpected(written.error());
  }
  return file;
}

Result<SpooledFile> spool_copy(const std::filesystem::path& spool_dir,
                               const std::filesystem::path& source, std::size_t max_bytes,
                               std::string content_type) {
  struct stat info {};
  if (::stat(source.c_str(), &info) != 0) {
    return std::unexpected(Error{Errc::not_found, "no file " + source.string() +
                                                      ": check the path (it is read by the "
                                                      "gateway, on the gateway's machine)"});
  }
  if (!S_ISREG(info.st_mode)) {
    return std::unexpected(
        Error{Errc::invalid_argument, source.string() + " is not a regular file"});
  }
  if (static_cast<std::size_t>(info.st_size) > max_bytes) {
    return std::unexpected(Error{Errc::invalid_argument,
                                 source.string() + " is " + std::to_string(info.st_size >> 20) +
                                     " MB, over the " + std::to_string(max_bytes >> 20) +
                                     " MB media limit (mediaMaxMb)"});
  }
  auto bytes = core::read_file(source);
  if (!bytes) {
    return std::unexpected(bytes.error());
  }
  return spool_bytes(spool_dir, *bytes, source.filename().string(), std::move(content_type));
}

void remove_spooled(const std::vector<SpooledFile>& files) {
  for (const auto& file : files) {
    std::error_code ignored;
    std::filesystem::remove(file.path, ignored);
  }
}

}  // namespace pincer::channels
