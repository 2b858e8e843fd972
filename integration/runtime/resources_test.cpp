// Pins linux.resources by their effect on the container: the OOM killer at the memory limit,
// fork failures at pids.limit, CFS throttling at the cpu quota, a denied device, and the
// container's place in the cgroup2 tree of a hybrid host.
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integration/fixtures/fixtures.h"

namespace keel::fixtures {
namespace {

using ::testing::HasSubstr;

bool has_v1(const std::string& controller) {
  return std::filesystem::exists("/sys/fs/cgroup/" + controller + "/cgroup.procs");
}

// "key value" lines of a v1 controller file of this container.
std::map<std::string, long long> keyed(const Bundle& bundle, const std::string& controller,
                                       const std::string& file) {
  std::istringstream in(
      read_text("/sys/fs/cgroup/" + controller + bundle.cgroups_path + "/" + file));
  std::map<std::string, long long> out;
  std::string key;
  for (long long value = 0; in >> key >> value;)
    out[key] = value;
  return out;
}

TEST(MemoryLimit, OomKillsTheProcessOverIt) {
  KEEL_SKIP_UNLESS_ROOT();
  if (!has_v1("memory"))
    GTEST_SKIP() << "needs the v1 memory hierarchy";
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.config["linux"]["resources"]["memory"] = {{"limit", 32 << 20}};
  bundle.set_args({"dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"});
  bundle.write();
  const RunResult run = run_runtime(bundle, {"run", bundle.id});
  EXPECT_EQ(run.exit_code, 137) << "a 64 MiB buffer under a 32 MiB limit must be OOM-killed:"
                                << run;
  leaks.expect_none();
}

TEST(MemoryLimit, LetsAProcessUnderItFinish) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.config["linux"]["resources"]["memory"] = {{"limit", 32 << 20}};
  bundle.set_args({"dd", "if=/dev/zero", "of=/dev/null", "bs=4M", "count=4"});
  bundle.write();
  const RunResult run = run_runtime(bundle, {"run", bundle.id});
  EXPECT_EQ(run.exit_code, 0) << run;
  leaks.expect_none();
}

TEST(PidsLimit, StopsAForkBombAtTheLimit) {
  KEEL_SKIP_UNLESS_ROOT();
  if (!has_v1("pids"))
    GTEST_SKIP() << "needs the v1 pids hierarchy";
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  constexpr int kLimit = 8;
  bundle.config["linux"]["resources"]["pids"] = {{"limit", kLimit}};
  // 40 background sleeps asked for by an inner shell, which dies of its first failed fork (ash
  // treats that as fatal); the init counts the children that were forked, from its own /proc,
  // with builtins only: no fork is left to count with. It counts every process but itself, not
  // those named "sleep": a child forked just before the shell died may not have exec'd yet.
  const RunResult run =
      run_script(bundle,
                 "sh -c 'for i in $(seq 40); do sleep 30 & done' 2>/tmp/forks.err; echo inner=$?;"
                 "n=0; for p in /proc/[0-9]*; do [ \"${p#/proc/}\" = $$ ] || n=$((n+1));"
                 " done; echo sleeps=$n");
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.out, HasSubstr("inner=2")) << "no fork failed:" << run;
  const auto at = run.out.find("sleeps=");
  ASSERT_NE(at, std::string::npos) << run;
  const int sleeps = std::atoi(run.out.c_str() + at + 7);
  EXPECT_GT(sleeps, 0) << run;
  EXPECT_LE(sleeps, kLimit) << run;
  EXPECT_THAT(read_text(bundle.host_path("/tmp/forks.err")),
              HasSubstr("can't fork: Resource temporarily unavailable"));
  leaks.expect_none();
}

TEST(CpuQuota, ThrottlesABusyLoop) {
  KEEL_SKIP_UNLESS_ROOT();
  if (!has_v1("cpu"))
    GTEST_SKIP() << "needs the v1 cpu hierarchy";
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.config["linux"]["resources"]["cpu"] = {{"quota", 10000}, {"period", 100000}};
  ASSERT_NO_FATAL_FAILURE(run_detached(bundle, {"sh", "-c", "while :; do :; done"}));
  EXPECT_EQ(read_text("/sys/fs/cgroup/cpu" + bundle.cgroups_path + "/cpu.cfs_quota_us"), "10000\n");
  // 10 ms of every 100 ms: a loop that wants all of it is throttled from its first period on.
  EXPECT_TRUE(wait_until([&] { return keyed(bundle, "cpu", "cpu.stat")["nr_throttled"] >= 2; },
                         std::chrono::seconds(10)))
      << read_text("/sys/fs/cgroup/cpu" + bundle.cgroups_path + "/cpu.stat");
  force_delete(bundle);
  leaks.expect_none();
}

TEST(Devices, DeniedDeviceCannotBeOpened) {
  KEEL_SKIP_UNLESS_ROOT();
  if (!has_v1("devices"))
    GTEST_SKIP() << "needs the v1 devices hierarchy";
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.config["linux"]["resources"]["devices"].push_back(
      {{"allow", false}, {"type", "c"}, {"major", 1}, {"minor", 5}, {"access", "rwm"}});
  const RunResult run = run_script(bundle,
                                   "head -c1 /dev/zero; echo zero=$?; echo > /dev/null; "
                                   "echo null=$?");
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.err, HasSubstr("/dev/zero: Operation not permitted")) << run;
  EXPECT_THAT(run.out, HasSubstr("zero=1")) << run;
  EXPECT_THAT(run.out, HasSubstr("null=0")) << "a default device was denied too:" << run;
  leaks.expect_none();
}

// Hybrid hosts: the v1 controllers hold the limits, and the process is placed in the cgroup2
// tree too, at the same path, so cgroup2 tools (and the next runtime) find it there.
TEST(CgroupPlacement, ProcessSitsAtItsPathInEveryHierarchy) {
  KEEL_SKIP_UNLESS_ROOT();
  if (!std::filesystem::exists("/sys/fs/cgroup/unified/cgroup.procs") || !has_v1("memory"))
    GTEST_SKIP() << "needs a hybrid host (v1 memory and cgroup2 at /sys/fs/cgroup/unified)";
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  ASSERT_NO_FATAL_FAILURE(run_detached(bundle, until_released()));
  const auto state = container_state(bundle, bundle.id);
  ASSERT_TRUE(state.has_value());
  const std::string cgroup =
      read_text("/proc/" + std::to_string(state->value("pid", 0)) + "/cgroup");
  EXPECT_THAT(cgroup, HasSubstr("\n0::" + bundle.cgroups_path + "\n")) << cgroup;
  EXPECT_THAT(cgroup, HasSubstr(":memory:" + bundle.cgroups_path + "\n")) << cgroup;
  EXPECT_THAT(cgroup, HasSubstr(":pids:" + bundle.cgroups_path + "\n")) << cgroup;
  // Every hierarchy, not just the two named: the init joins each one itself.
  std::istringstream lines(cgroup);
  for (std::string line; std::getline(lines, line);)
    EXPECT_TRUE(line.ends_with(":" + bundle.cgroups_path)) << line;
  EXPECT_THAT(read_text("/sys/fs/cgroup/unified" + bundle.cgroups_path + "/cgroup.procs"),
              HasSubstr(std::to_string(state->value("pid", 0)) + "\n"));
  force_delete(bundle);
  EXPECT_FALSE(std::filesystem::exists("/sys/fs/cgroup/unified" + bundle.cgroups_path));
  leaks.expect_none();
}

}  // namespace
}  // namespace keel::fixtures
