// Pins TrashBin (common/trash_bin.cpp): a discarded directory leaves its place at
// once and is removed in the background; what an earlier keeld left in the bin goes at open.
#include "common/trash_bin.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace keel {
namespace {

namespace stdfs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (stdfs::temp_directory_path() / "keel-trash-test.XXXXXX").string();
    path_ = ::mkdtemp(pattern.data()) != nullptr ? pattern : "";
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  TempDir(TempDir&&) = delete;
  TempDir& operator=(TempDir&&) = delete;
  ~TempDir() {
    std::error_code ec;
    stdfs::remove_all(path_, ec);
  }
  [[nodiscard]] const stdfs::path& path() const { return path_; }

 private:
  stdfs::path path_;
};

void make_tree(const stdfs::path& dir) {
  stdfs::create_directories(dir / "rootfs" / "etc");
  std::ofstream(dir / "config.json") << "{}";
  std::ofstream(dir / "rootfs" / "etc" / "hosts") << "127.0.0.1 localhost\n";
}

bool empty_dir(const stdfs::path& dir) {
  return stdfs::is_directory(dir) && stdfs::is_empty(dir);
}

TEST(TrashBin, DiscardedDirectoryLeavesAtOnceAndIsRemovedInTheBackground) {
  TempDir tmp;
  ASSERT_FALSE(tmp.path().empty());
  auto bin = TrashBin::open((tmp.path() / "trash").string());
  ASSERT_TRUE(bin) << bin.error().message();
  const stdfs::path container = tmp.path() / "containers" / "abc";
  make_tree(container);
  ASSERT_TRUE((*bin)->discard(container.string()));
  EXPECT_FALSE(stdfs::exists(container));
  // The same name again, as a container id can never be but a second discard must not clash.
  make_tree(container);
  ASSERT_TRUE((*bin)->discard(container.string()));
  EXPECT_FALSE(stdfs::exists(container));
  (*bin)->drain();
  EXPECT_TRUE(empty_dir(tmp.path() / "trash"));
  EXPECT_TRUE(empty_dir(tmp.path() / "containers"));
}

TEST(TrashBin, DiscardingWhatIsGoneIsNoError) {
  TempDir tmp;
  auto bin = TrashBin::open((tmp.path() / "trash").string());
  ASSERT_TRUE(bin) << bin.error().message();
  EXPECT_TRUE((*bin)->discard((tmp.path() / "never-there").string()));
}

TEST(TrashBin, WhatAnEarlierRunLeftIsRemovedAtOpen) {
  TempDir tmp;
  make_tree(tmp.path() / "trash" / "left-1");
  make_tree(tmp.path() / "trash" / "left-2");
  {
    auto bin = TrashBin::open((tmp.path() / "trash").string());
    ASSERT_TRUE(bin) << bin.error().message();
    (*bin)->drain();
    EXPECT_TRUE(empty_dir(tmp.path() / "trash"));
  }
  // Closing the bin finishes what is queued: nothing is left for the next run.
  make_tree(tmp.path() / "containers" / "late");
  {
    auto bin = TrashBin::open((tmp.path() / "trash").string());
    ASSERT_TRUE(bin);
    ASSERT_TRUE((*bin)->discard((tmp.path() / "containers" / "late").string()));
  }
  EXPECT_TRUE(empty_dir(tmp.path() / "trash"));
}

}  // namespace
}  // namespace keel
