#include "channels/delivery/outbound_media.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <set>
#include <string>

#include "core/files.hpp"
#include "support/temp_dir.hpp"

namespace pincer::channels {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;

constexpr std::size_t kMiB = std::size_t{1} << 20;

mode_t mode_of(const fs::path& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info.st_mode & 0777;
}

// Every field survives media_to_json -> media_from_json, in order.
TEST(OutboundMedia, JsonRoundTrip) {
  std::vector<SpooledFile> files = {
      {"/state/media/outbound/1", "photo.png", "image/png", false},
      {"/state/media/outbound/2", "report \"final\".pdf", "application/pdf", true},
      {"/state/media/outbound/3", "naïve.txt", "", false},
  };
  std::vector<SpooledFile> back = media_from_json(media_to_json(files));
  ASSERT_EQ(back.size(), files.size());
  for (std::size_t i = 0; i < files.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(back[i].path, files[i].path);
    EXPECT_EQ(back[i].file_name, files[i].file_name);
    EXPECT_EQ(back[i].content_type, files[i].content_type);
    EXPECT_EQ(back[i].as_document, files[i].as_document);
  }
  EXPECT_EQ(media_to_json({}), "[]");
  EXPECT_TRUE(media_from_json("[]").empty());
}

// A column that is not a JSON array of file objects yields no files instead of failing.
TEST(OutboundMedia, FromJsonToleratesGarbage) {
  for (std::string_view text : {"", "not json", "[", "{}", R"({"path": "/x"})", "null", "42",
                                R"("[]")", "[1, \"a\", null, true, []]"}) {
    SCOPED_TRACE(std::string(text));
    EXPECT_TRUE(media_from_json(text).empty());
  }
}

// Entries without a path (or with a non-string one) are skipped; the good ones are kept, and a
// non-boolean asDocument reads as false.
TEST(OutboundMedia, FromJsonSkipsEntriesWithoutPath) {
  auto files = media_from_json(R"([
    {"fileName": "no-path.png", "contentType": "image/png"},
    {"path": "", "fileName": "empty-path.png"},
    {"path": 7, "fileName": "number-path.png"},
    "just a string",
    {"path": "/spool/a", "fileName": 5, "asDocument": "yes"},
    {"path": "/spool/b", "fileName": "b.pdf", "contentType": "application/pdf", "asDocument": true}
  ])");
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].path, "/spool/a");
  EXPECT_EQ(files[0].file_name, "");
  EXPECT_EQ(files[0].content_type, "");
  EXPECT_FALSE(files[0].as_document);
  EXPECT_EQ(files[1].path, "/spool/b");
  EXPECT_EQ(files[1].file_name, "b.pdf");
  EXPECT_EQ(files[1].content_type, "application/pdf");
  EXPECT_TRUE(files[1].as_document);
}

// The content type follows the extension, case-insensitively; unknown: octet-stream.
TEST(OutboundMedia, ContentTypeForExtension) {
  EXPECT_EQ(content_type_for("a.jpg"), "image/jpeg");
  EXPECT_EQ(content_type_for("a.JPEG"), "image/jpeg");
  EXPECT_EQ(content_type_for("shot.Png"), "image/png");
  EXPECT_EQ(content_type_for("x.webp"), "image/webp");
  EXPECT_EQ(content_type_for("doc.pdf"), "application/pdf");
  EXPECT_EQ(content_type_for("notes.md"), "text/markdown");
  EXPECT_EQ(content_type_for("voice.ogg"), "audio/ogg");
  EXPECT_EQ(content_type_for("clip.mov"), "video/quicktime");
  EXPECT_EQ(content_type_for("sticker.tgs"), "application/x-tgsticker");
  EXPECT_EQ(content_type_for("archive.tar.gz"), "application/octet-stream");
  EXPECT_EQ(content_type_for("README"), "application/octet-stream");
  EXPECT_EQ(content_type_for("trailing."), "application/octet-stream");
  EXPECT_EQ(content_type_for(""), "application/octet-stream");
  EXPECT_EQ(content_type_for("photo.jpg.exe"), "application/octet-stream");
}

// spool_bytes writes the bytes under a new unique name in a 0700 directory, as a 0600 file, and
// guesses the content type from the name when none is given.
TEST(OutboundMedia, SpoolBytesWritesPrivateUniqueFiles) {
  testing::TempDir dir;
  fs::path spool = dir / "media" / "outbound";
  std::string bytes = "\x89PNG\r\n\x1a\n\0binary"s;
  auto first = spool_bytes(spool, bytes, "photo.png", "");
  ASSERT_TRUE(first) << first.error().describe();
  auto second = spool_bytes(spool, "other", "photo.png", "text/plain");
  ASSERT_TRUE(second) << second.error().describe();

  EXPECT_NE(first->path, second->path);
  EXPECT_EQ(fs::path(first->path).parent_path(), spool);
  EXPECT_EQ(first->file_name, "photo.png");
  EXPECT_EQ(first->content_type, "image/png");
  EXPECT_EQ(second->content_type, "text/plain");  // given, not guessed
  EXPECT_FALSE(first->as_document);
  EXPECT_EQ(core::read_file(first->path).value_or(""), bytes);
  EXPECT_EQ(core::read_file(second->path).value_or(""), "other");
  EXPECT_EQ(mode_of(spool), 0700u);
  EXPECT_EQ(mode_of(first->path), 0600u);

  std::set<std::string> paths;
  for (int i = 0; i < 20; ++i) {
    auto file = spool_bytes(spool, "x", "same.txt", "");
    ASSERT_TRUE(file);
    paths.insert(file->path);
  }
  EXPECT_EQ(paths.size(), 20u);
}

// The name the recipient sees never carries a directory, control characters, or nothing.
TEST(OutboundMedia, SpoolBytesCleansTheFileName) {
  testing::TempDir dir;
  struct Case {
    std::string given;
    std::string expected;
  };
  const Case cases[] = {
      {"../../etc/passwd", "passwd"},
      {"/home/user/photo.jpg", "photo.jpg"},
      {"C:\\Users\\me\\report.pdf", "report.pdf"},
      {"line\nbreak\t.txt", "line_break_.txt"},
      {"", "file"},
      {"..", "file"},
      {"dir/", "file"},
      {"résumé.pdf", "résumé.pdf"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.given);
    auto file = spool_bytes(dir.path(), "x", c.given, "");
    ASSERT_TRUE(file) << file.error().describe();
    EXPECT_EQ(file->file_name, c.expected);
    EXPECT_EQ(fs::path(file->path).parent_path(), dir.path());  // never outside the spool
  }
  auto guessed = spool_bytes(dir.path(), "x", "/tmp/some.dir/picture.JPG", "");
  ASSERT_TRUE(guessed);
  EXPECT_EQ(guessed->content_type, "image/jpeg");
}

// A missing source is not_found and says which path and where it is read.
TEST(OutboundMedia, SpoolCopyMissingFileIsNotFound) {
  testing::TempDir dir;
  fs::path missing = dir / "nope" / "photo.png";
  auto copied = spool_copy(dir / "spool", missing, kMiB, "");
  ASSERT_FALSE(copied);
  EXPECT_EQ(copied.error().code, Errc::not_found);
  EXPECT_NE(copied.error().message.find(missing.string()), std::string::npos)
      << copied.error().message;
  EXPECT_NE(copied.error().message.find("check the path"), std::string::npos)
      << copied.error().message;
}

// A directory (or anything else that is not a regular file) is refused.
TEST(OutboundMedia, SpoolCopyRefusesADirectory) {
  testing::TempDir dir;
  fs::create_directories(dir / "folder");
  auto copied = spool_copy(dir / "spool", dir / "folder", kMiB, "");
  ASSERT_FALSE(copied);
  EXPECT_EQ(copied.error().code, Errc::invalid_argument);
  EXPECT_NE(copied.error().message.find("not a regular file"), std::string::npos)
      << copied.error().message;
  EXPECT_FALSE(fs::exists(dir / "spool") && !fs::is_empty(dir / "spool"));
}

// A file over the limit is refused with its size and the limit's key, and nothing is spooled.
TEST(OutboundMedia, SpoolCopyRefusesFilesOverTheLimit) {
  testing::TempDir dir;
  fs::path big = dir / "big.bin";
  ASSERT_TRUE(core::write_file_atomically(big, ""));
  fs::resize_file(big, 3 * kMiB + 1);  // sparse: 3 MB and a byte
  auto copied = spool_copy(dir / "spool", big, 2 * kMiB, "");
  ASSERT_FALSE(copied);
  EXPECT_EQ(copied.error().code, Errc::invalid_argument);
  const std::string& message = copied.error().message;
  EXPECT_NE(message.find("big.bin is 3 MB"), std::string::npos) << message;
  EXPECT_NE(message.find("over the 2 MB"), std::string::npos) << message;
  EXPECT_NE(message.find("mediaMaxMb"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(dir / "spool") && !fs::is_empty(dir / "spool"));

  // Exactly at the limit is fine.
  fs::resize_file(big, 2 * kMiB);
  auto at_limit = spool_copy(dir / "spool", big, 2 * kMiB, "");
  ASSERT_TRUE(at_limit) << at_limit.error().describe();
  EXPECT_EQ(fs::file_size(at_limit->path), 2 * kMiB);
}

// A copy holds the source's bytes under the source's base name; later changes to the source
// do not reach it.
TEST(OutboundMedia, SpoolCopyCopiesTheBytes) {
  testing::TempDir dir;
  fs::path source = dir / "in" / "Report.PDF";
  fs::create_directories(source.parent_path());
  std::string bytes = "%PDF-1.7\n\0\xff\xfe tail"s;
  ASSERT_TRUE(core::write_file_atomically(source, bytes));
  auto copied = spool_copy(dir / "spool", source, kMiB, "");
  ASSERT_TRUE(copied) << copied.error().describe();
  EXPECT_NE(fs::path(copied->path), source);
  EXPECT_EQ(fs::path(copied->path).parent_path(), dir / "spool");
  EXPECT_EQ(copied->file_name, "Report.PDF");
  EXPECT_EQ(copied->content_type, "application/pdf");
  EXPECT_EQ(core::read_file(copied->path).value_or(""), bytes);
  EXPECT_EQ(mode_of(copied->path), 0600u);

  ASSERT_TRUE(core::write_file_atomically(source, "changed"));
  fs::remove(source);
  EXPECT_EQ(core::read_file(copied->path).value_or(""), bytes);

  auto typed = spool_copy(dir / "spool", copied->path, kMiB, "application/x-custom");
  ASSERT_TRUE(typed);
  EXPECT_EQ(typed->content_type, "application/x-custom");
}

// remove_spooled deletes the copies and shrugs at ones already gone.
TEST(OutboundMedia, RemoveSpooledDeletesCopies) {
  testing::TempDir dir;
  auto a = spool_bytes(dir / "spool", "a", "a.txt", "");
  auto b = spool_bytes(dir / "spool", "b", "b.txt", "");
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(fs::exists(a->path) && fs::exists(b->path));
  fs::path keep = dir / "spool" / "unrelated";
  ASSERT_TRUE(core::write_file_atomically(keep, "keep"));

  SpooledFile gone{(dir / "spool" / "already-gone").string(), "x", "", false};
  remove_spooled({*a, gone, *b});
  EXPECT_FALSE(fs::exists(a->path));
  EXPECT_FALSE(fs::exists(b->path));
  EXPECT_TRUE(fs::exists(keep));
  remove_spooled({*a, *b});  // twice is fine
  remove_spooled({});
}

}  // namespace
}  // namespace pincer::channels
