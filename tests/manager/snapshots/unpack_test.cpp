// Pins manager/snapshots/unpack.cpp: what a layer tar becomes on disk, what it is refused for, and
// that a refused layer leaves nothing behind.
#include "manager/snapshots/unpack.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <cstdio>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/fs.h"
#include "manager/content/digest.h"
#include "tests/manager/snapshots/layer_builder.h"

namespace keel::manager::snapshots {
namespace {

using testing::Compression;
using ::testing::HasSubstr;
using testing::LayerBuilder;
using testing::Meta;
using testing::read_from_string;
using testing::TempDir;

std::string xattr(const std::string& path, const char* name) {
  char buf[256];
  const ssize_t n = ::lgetxattr(path.c_str(), name, buf, sizeof buf);
  return n < 0 ? std::string("<none>") : std::string(buf, static_cast<size_t>(n));
}

struct stat lstat_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st;
}

// Shell pipeline output (sha256sum is the independent check of the digests).
std::string sh(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  char buf[256];
  while (p != nullptr && std::fgets(buf, sizeof buf, p) != nullptr)
    out += buf;
  if (p != nullptr)
    ::pclose(p);
  return out;
}

class UnpackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::is_root())
      GTEST_SKIP() << "needs root (ownership, device nodes, trusted.* xattrs)";
  }
  Result<UnpackResult> unpack(const std::string& blob) {
    return unpack_layer(read_from_string(blob), target_);
  }
  // A refused layer: no target, no temp dir beside it, nothing written outside.
  void expect_nothing_left() {
    EXPECT_FALSE(fs::exists(target_));
    EXPECT_TRUE(std::filesystem::is_empty(tmp_ / "store"));
    EXPECT_TRUE(std::filesystem::is_empty(outside_));
  }
  void SetUpDirs() {}

  TempDir tmp_;
  std::string target_ = [this] {
    std::filesystem::create_directories(tmp_ / "store");
    return tmp_ / "store/layer";
  }();
  std::string outside_ = [this] {
    std::filesystem::create_directories(tmp_ / "outside/etc");
    return tmp_ / "outside/etc";
  }();
};

TEST_F(UnpackTest, PreservesOwnershipModesTimesXattrsLinksAndDevices) {
  const std::string cap(
      "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 20);
  const std::string blob =
      LayerBuilder()
          .dir("usr", Meta().perm(0755))
          .dir("usr/bin", Meta().perm(0711).owner(7, 8).time(1600000000))
          .file("usr/bin/ping", "ELF",
                Meta()
                    .perm(04755)
                    .owner(0, 0)
                    .xattr("security.capability", cap)
                    .xattr("user.note", "hello")
                    .xattr("trusted.overlay.opaque", "y"))
          .file("usr/bin/tool", "data", Meta().perm(0640).owner(1000, 1001).time(1500000000))
          .hardlink("usr/bin/tool2", "usr/bin/tool")
          .symlink("usr/bin/sh", "/bin/busybox")
          .node("dev/null", AE_IFCHR, 1, 3, Meta().perm(0666))
          .node("dev/sda", AE_IFBLK, 8, 0, Meta().perm(0660).owner(0, 6))
          .node("run/fifo", AE_IFIFO, 0, 0, Meta().perm(0620))
          .finish();
  auto r = unpack(blob);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->entries, 9U);

  const auto bin = lstat_of(target_ + "/usr/bin");
  EXPECT_EQ(bin.st_mode & 07777, 0711U);
  EXPECT_EQ(bin.st_uid, 7U);
  EXPECT_EQ(bin.st_gid, 8U);
  EXPECT_EQ(bin.st_mtime, 1600000000);  // kept although entries were created below it later

  const auto ping = lstat_of(target_ + "/usr/bin/ping");
  EXPECT_EQ(ping.st_mode & 07777, 04755U);
  EXPECT_EQ(xattr(target_ + "/usr/bin/ping", "security.capability"), cap);
  EXPECT_EQ(xattr(target_ + "/usr/bin/ping", "user.note"), "hello");
  EXPECT_EQ(xattr(target_ + "/usr/bin/ping", "trusted.overlay.opaque"), "<none>");

  const auto tool = lstat_of(target_ + "/usr/bin/tool");
  EXPECT_EQ(tool.st_mode & 07777, 0640U);
  EXPECT_EQ(tool.st_uid, 1000U);
  EXPECT_EQ(tool.st_gid, 1001U);
  EXPECT_EQ(tool.st_mtime, 1500000000);
  EXPECT_EQ(tool.st_nlink, 2U);
  EXPECT_EQ(lstat_of(target_ + "/usr/bin/tool2").st_ino, tool.st_ino);
  EXPECT_EQ(*fs::read_file(target_ + "/usr/bin/tool2"), "data");

  EXPECT_TRUE(S_ISLNK(lstat_of(target_ + "/usr/bin/sh").st_mode));
  EXPECT_EQ(std::filesystem::read_symlink(target_ + "/usr/bin/sh"), "/bin/busybox");

  const auto null = lstat_of(target_ + "/dev/null");
  EXPECT_TRUE(S_ISCHR(null.st_mode));
  EXPECT_EQ(null.st_rdev, makedev(1, 3));
  EXPECT_EQ(null.st_mode & 07777, 0666U);
  const auto sda = lstat_of(target_ + "/dev/sda");
  EXPECT_TRUE(S_ISBLK(sda.st_mode));
  EXPECT_EQ(sda.st_rdev, makedev(8, 0));
  EXPECT_EQ(sda.st_gid, 6U);
  EXPECT_TRUE(S_ISFIFO(lstat_of(target_ + "/run/fifo").st_mode));
  // Parents the tar never named are made like docker makes them.
  EXPECT_EQ(lstat_of(target_ + "/dev").st_mode & 07777, 0755U);
  EXPECT_EQ(lstat_of(target_).st_mode & 07777, 0755U);
}

TEST_F(UnpackTest, WhiteoutsBecomeOverlayWhiteouts) {
  const std::string blob = LayerBuilder()
                               .dir("etc")
                               .file("etc/.wh.motd", "")
                               .dir("var/cache")
                               .file("var/cache/.wh..wh..opq", "")
                               .file("var/cache/new", "n")
                               .finish();
  auto r = unpack(blob);
  ASSERT_TRUE(r) << r.error().message();
  const auto wh = lstat_of(target_ + "/etc/motd");
  EXPECT_TRUE(S_ISCHR(wh.st_mode));
  EXPECT_EQ(wh.st_rdev, makedev(0, 0));
  EXPECT_FALSE(fs::exists(target_ + "/etc/.wh.motd"));
  EXPECT_EQ(xattr(target_ + "/var/cache", "trusted.overlay.opaque"), "y");
  EXPECT_FALSE(fs::exists(target_ + "/var/cache/.wh..wh..opq"));
  EXPECT_TRUE(fs::exists(target_ + "/var/cache/new"));
}

TEST_F(UnpackTest, RefusesDotDotEscape) {
  const std::string blob =
      LayerBuilder().dir("a").file("a/../../outside/etc/escaped", "x").finish();
  auto r = unpack(blob);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), Errc::kInvalidArgument);
  EXPECT_THAT(r.error().message(), HasSubstr("\"a/../../outside/etc/escaped\" escapes"));
  expect_nothing_left();
}

TEST_F(UnpackTest, RefusesWriteThroughAbsoluteSymlink) {
  const std::string blob =
      LayerBuilder().symlink("etc", outside_).file("etc/passwd", "root::0:0::/:/bin/sh").finish();
  auto r = unpack(blob);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), Errc::kInvalidArgument);
  EXPECT_THAT(r.error().message(), HasSubstr("tar entry \"etc/passwd\""));
  EXPECT_THAT(r.error().message(), HasSubstr("symlink"));
  expect_nothing_left();
}

TEST_F(UnpackTest, RefusesWriteThroughRelativeSymlinkClimbingOut) {
  const std::string blob =
      LayerBuilder().symlink("etc", "../../outside/etc").file("etc/passwd", "x").finish();
  auto r = unpack(blob);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("tar entry \"etc/passwd\""));
  expect_nothing_left();
}

TEST_F(UnpackTest, RefusesHardlinkOutOfTheRoot) {
  for (const std::string link : {"../../outside/etc/secret", "/etc/passwd"}) {
    SCOPED_TRACE(link);
    ASSERT_TRUE(fs::write_file_atomic(outside_ + "/secret", "s"));
    const std::string blob = LayerBuilder().file("a", "a").hardlink("passwd", link).finish();
    auto r = unpack(blob);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind(), Errc::kInvalidArgument);
    EXPECT_THAT(r.error().message(), HasSubstr("tar entry \"passwd\": hardlink"));
    EXPECT_EQ(lstat_of(outside_ + "/secret").st_nlink, 1U);
    std::filesystem::remove(outside_ + "/secret");
    expect_nothing_left();
  }
}

TEST_F(UnpackTest, RefusesAbsoluteEntryName) {
  auto r = unpack(LayerBuilder().file("/etc/passwd", "x").finish());
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("\"/etc/passwd\" has an absolute path"));
  expect_nothing_left();
}

TEST_F(UnpackTest, RefusesTruncatedLayer) {
  std::string blob =
      LayerBuilder(Compression::kGzip).file("big", std::string(100000, 'x')).finish();
  blob.resize(blob.size() / 2);
  auto r = unpack(blob);
  ASSERT_FALSE(r);
  expect_nothing_left();
}

TEST_F(UnpackTest, GzipWithAFlippedByteIsRefusedByItsChecksum) {
  std::string blob = LayerBuilder(Compression::kGzip).file("f", std::string(4096, 'a')).finish();
  blob[blob.size() - 6] ^= 0x01;  // inside the CRC32 trailer: the data inflates, the check fails
  auto r = unpack(blob);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("gzip")) << r.error().message();
  expect_nothing_left();
}

TEST_F(UnpackTest, ConcatenatedGzipMembersAreOneStream) {
  // pigz and some builders write a layer as several gzip members: gzip -dc reads them as one.
  const std::string tar = LayerBuilder().file("a", "first").file("b", "second").finish();
  auto gzip = [](const std::string& data) {
    archive* a = archive_write_new();
    archive_write_set_format_raw(a);
    archive_write_add_filter_gzip(a);
    std::vector<char> buf(data.size() + 4096);
    size_t used = 0;
    archive_write_open_memory(a, buf.data(), buf.size(), &used);
    archive_entry* e = archive_entry_new();
    archive_entry_set_filetype(e, AE_IFREG);
    archive_write_header(a, e);
    archive_write_data(a, data.data(), data.size());
    archive_entry_free(e);
    archive_write_close(a);
    archive_write_free(a);
    return std::string(buf.data(), used);
  };
  const std::size_t half = tar.size() / 2;
  const std::string blob = gzip(tar.substr(0, half)) + gzip(tar.substr(half));
  auto r = unpack(blob);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*fs::read_file(target_ + "/a"), "first");
  EXPECT_EQ(*fs::read_file(target_ + "/b"), "second");
  EXPECT_EQ(r->digests.diff_id, content::Digest::of(tar));
}

TEST_F(UnpackTest, LaterEntryReplacesEarlierOne) {
  const std::string blob = LayerBuilder()
                               .file("x", "first")
                               .dir("d")
                               .file("d/f", "f")
                               .file("x", "second")
                               .file("d", "now a file")
                               .finish();
  auto r = unpack(blob);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*fs::read_file(target_ + "/x"), "second");
  EXPECT_EQ(*fs::read_file(target_ + "/d"), "now a file");
}

class UnpackCompressionTest : public UnpackTest,
                              public ::testing::WithParamInterface<Compression> {};

TEST_P(UnpackCompressionTest, DigestsMatchSha256sum) {
  auto build = [](Compression c) {
    return LayerBuilder(c)
        .dir("bin")
        .file("bin/data", std::string(300000, 'k') + "tail")
        .file("etc/hostname", "keel\n")
        .finish();
  };
  const std::string tar = build(Compression::kNone);
  const std::string blob = LayerBuilder::compress(tar, GetParam());
  auto r = unpack(blob);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->digests.compressed_digest, content::Digest::of(blob));
  EXPECT_EQ(r->digests.diff_id, content::Digest::of(tar));
  EXPECT_EQ(r->digests.compressed_size, blob.size());
  EXPECT_EQ(r->digests.uncompressed_size, tar.size());
  EXPECT_EQ(*fs::read_file(target_ + "/etc/hostname"), "keel\n");

  // Independently of OpenSSL: the system's sha256sum and decompressors.
  const std::string file = tmp_ / "blob";
  { std::ofstream(file, std::ios::binary) << blob; }
  const char* cat = GetParam() == Compression::kGzip   ? "gzip -dc"
                    : GetParam() == Compression::kZstd ? "zstd -qdc"
                                                       : "cat";
  EXPECT_EQ("sha256:" + sh("sha256sum < " + file).substr(0, 64),
            r->digests.compressed_digest.str());
  EXPECT_EQ("sha256:" + sh(std::string(cat) + " " + file + " | sha256sum").substr(0, 64),
            r->digests.diff_id.str());
}

INSTANTIATE_TEST_SUITE_P(Formats, UnpackCompressionTest,
                         ::testing::Values(Compression::kNone, Compression::kGzip,
                                           Compression::kZstd));

}  // namespace
}  // namespace keel::manager::snapshots
