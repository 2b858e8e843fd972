// What the drop-in tests share: the built keel, a busybox OCI image made offline with umoci, a
// private temp dir per test, Debian's tools found or the test skipped, and the host checks that
// nothing (state, cgroup, mount, process) outlives a tool's run.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "integration/fixtures/process.h"

namespace keel::dropin {

// The keel binary of this build.
[[nodiscard]] std::filesystem::path keel_path();

// Whether `keel --help` lists `command` (pause, resume... arrive after exec).
[[nodiscard]] bool keel_has_command(const std::string& command);

// The full path of a tool in the system directories, "" when absent.
[[nodiscard]] std::string tool_path(const std::string& name);
// "" when every tool is installed, else the first one missing (for GTEST_SKIP).
[[nodiscard]] std::string missing_tool(const std::vector<std::string>& tools);

// An OCI image layout (tag "latest") holding busybox-static, built once per process with umoci,
// and the same layout as a tar archive (what `ctr image import` and `podman load` read).
struct BusyboxImage {
  std::filesystem::path layout;
  std::filesystem::path archive;
};
[[nodiscard]] const BusyboxImage& busybox_image();

// A private directory, removed (unless something is still mounted under it) on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix);
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A cgroup parent for one test, e.g. "/keel-dropin-<pid>-<n>"; the destructor kills what is
// left in it and removes it under every hierarchy.
class CgroupParent {
 public:
  CgroupParent();
  CgroupParent(const CgroupParent&) = delete;
  CgroupParent& operator=(const CgroupParent&) = delete;
  ~CgroupParent();
  [[nodiscard]] const std::string& path() const { return path_; }
  // Directories under the parent (any hierarchy): containers' cgroups left behind.
  [[nodiscard]] std::vector<std::filesystem::path> children() const;

 private:
  std::string path_;
};

// Adds a failure for each mount whose line names `dir`, each container state in `state_root`,
// each cgroup under `cgroups` (but the tool's own, named in `tool_cgroups`), and each live child
// of the test process.
void expect_nothing_left(const std::filesystem::path& dir, const std::filesystem::path& state_root,
                         const CgroupParent& cgroups,
                         const std::vector<std::string>& tool_cgroups = {});

// Pids of live processes whose command line contains `needle` and mentions `dir`.
[[nodiscard]] std::vector<pid_t> processes_mentioning(const std::string& needle,
                                                      const std::filesystem::path& dir);

// Runs a command (a bare name is found with tool_path) with a deadline.
[[nodiscard]] fixtures::RunResult run(std::vector<std::string> argv,
                                      fixtures::RunOptions options = {});

}  // namespace keel::dropin

#define KEEL_DROPIN_NEEDS(...)                                                  \
  do {                                                                          \
    if (::geteuid() != 0)                                                       \
      GTEST_SKIP() << "needs root (runs real containers)";                      \
    const std::string missing = ::keel::dropin::missing_tool({__VA_ARGS__});    \
    if (!missing.empty())                                                       \
      GTEST_SKIP() << missing << " is not installed (scripts/install-deps.sh)"; \
  } while (0)
