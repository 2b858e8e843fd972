// Pins the config's `root.readonly`, `linux.maskedPaths` and `linux.readonlyPaths`, seen from
// inside the container and checked on the host side of the rootfs.
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integration/fixtures/fixtures.h"

namespace keel::fixtures {
namespace {

using ::testing::HasSubstr;

void write_host_file(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

TEST(ReadonlyRoot, RefusesWritesInsideTheContainer) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.config["root"]["readonly"] = true;
  const RunResult run = run_script(bundle, "touch /probe");
  EXPECT_NE(run.exit_code, 0) << run;
  EXPECT_THAT(run.err, HasSubstr("Read-only file system")) << run;
  EXPECT_FALSE(std::filesystem::exists(bundle.host_path("/probe")));
  leaks.expect_none();
}

TEST(ReadonlyRoot, AllowsWritesWhenFalse) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  const RunResult run = run_script(bundle, "echo written > /probe");
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(read_text(bundle.host_path("/probe")), "written\n");
  leaks.expect_none();
}

TEST(MaskedPaths, FileReadsEmpty) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  write_host_file(bundle.host_path("/etc/keel-secret"), "secret\n");
  bundle.config["linux"]["maskedPaths"].push_back("/etc/keel-secret");
  const RunResult run = run_script(bundle, "cat /etc/keel-secret");
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(run.out, "") << run;
  leaks.expect_none();
}

TEST(MaskedPaths, DirectoryListsEmpty) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  write_host_file(bundle.host_path("/srv/secret-dir/key"), "secret\n");
  bundle.config["linux"]["maskedPaths"].push_back("/srv/secret-dir");
  const RunResult run = run_script(bundle, "ls -A /srv/secret-dir");
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(run.out, "") << run;
  leaks.expect_none();
}

TEST(MaskedPaths, ProcTimerListReadsEmpty) {
  KEEL_SKIP_UNLESS_ROOT();
  if (!std::filesystem::exists("/proc/timer_list"))
    GTEST_SKIP() << "this kernel has no /proc/timer_list";
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  ASSERT_THAT(bundle.config["linux"]["maskedPaths"].dump(), HasSubstr("\"/proc/timer_list\""))
      << "the runtime's spec masks /proc/timer_list";
  const RunResult run = run_script(bundle, "wc -c < /proc/timer_list");
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(run.out, "0\n") << run;
  leaks.expect_none();
}

TEST(ReadonlyPaths, RefuseWrites) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  std::filesystem::create_directories(bundle.host_path("/srv/ro-dir"));
  bundle.config["linux"]["readonlyPaths"].push_back("/srv/ro-dir");
  const RunResult run = run_script(bundle, "touch /srv/ro-dir/probe");
  EXPECT_NE(run.exit_code, 0) << run;
  EXPECT_THAT(run.err, HasSubstr("Read-only file system")) << run;
  EXPECT_FALSE(std::filesystem::exists(bundle.host_path("/srv/ro-dir/probe")));
  leaks.expect_none();
}

TEST(ReadonlyPaths, LeaveOtherPathsWritable) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  std::filesystem::create_directories(bundle.host_path("/srv/ro-dir"));
  bundle.config["linux"]["readonlyPaths"].push_back("/srv/ro-dir");
  const RunResult run = run_script(bundle, "touch /srv/probe");
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_TRUE(std::filesystem::exists(bundle.host_path("/srv/probe")));
  leaks.expect_none();
}

}  // namespace
}  // namespace keel::fixtures
