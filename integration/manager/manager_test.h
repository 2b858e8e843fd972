// The base of keeld's integration tests: a private keeld per test, started in SetUp and checked
// for leaks in TearDown, plus the small file and listing helpers the tests share.
#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "integration/fixtures/fixtures.h"

namespace keel::it {

// A temp dir removed (recursively) at destruction.
class TempDir {
 public:
  TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::filesystem::path operator/(const std::string& name) const {
    return path_ / name;
  }

 private:
  std::filesystem::path path_;
};

void write_file(const std::filesystem::path& path, const std::string& data);
[[nodiscard]] std::string read_file(const std::filesystem::path& path);
// Non-empty lines.
[[nodiscard]] std::vector<std::string> lines_of(const std::string& text);
// Every path (relative, sorted) of the files, dirs and links below `dir`.
[[nodiscard]] std::set<std::string> tree_of(const std::filesystem::path& dir);

// A tar of the busybox rootfs fixture (Debian's busybox-static), built once per process.
[[nodiscard]] const std::string& busybox_rootfs_tar();

class ManagerTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // `images -a -q --no-trunc`: every image id keeld lists.
  [[nodiscard]] std::vector<std::string> image_ids() const;
  // Writes `archive` to a file and runs `keelctl load -i` on it.
  [[nodiscard]] fixtures::RunResult load(const std::string& archive) const;

  fixtures::Keeld keeld_;
  TempDir work_;  // the test's own files: archives, outputs
};

}  // namespace keel::it
