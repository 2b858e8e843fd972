// Pins runtime/cgroups/detect.cpp: the layout read from mountinfo and /proc/self/cgroup text.
#include <linux/magic.h>
#include <sys/statfs.h>

#include <gtest/gtest.h>

#include "common/fs.h"
#include "runtime/cgroups/internal.h"
#include "tests/runtime/cgroups/fake_cgroupfs.h"

namespace keel::runtime::cgroups {
namespace {

constexpr const char* kHybridMountinfo =
    "23 1 0:21 / /sys rw,nosuid - sysfs sysfs rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct\n"
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset,clone_children\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
constexpr const char* kHybridSelf =
    "9:name=systemd:/user.slice\n"
    "4:memory:/process_api/50d4\n"
    "3:cpuset:/\n"
    "2:cpu,cpuacct:/\n"
    "1:net_cls,net_prio:/\n"  // not mounted here: left out
    "0::/user.slice\n";

TEST(ParseLayout, HybridHost) {
  auto l = detail::parse_layout(kHybridMountinfo, kHybridSelf);
  KEEL_ASSERT_OK(l);
  EXPECT_EQ(l->mode, Layout::Mode::kHybrid);
  EXPECT_EQ(l->v1_mounts,
            (std::map<std::string, std::string>{{"cpu,cpuacct", "/sys/fs/cgroup/cpu,cpuacct"},
                                                {"cpuset", "/sys/fs/cgroup/cpuset"},
                                                {"memory", "/sys/fs/cgroup/memory"},
                                                {"name=systemd", "/sys/fs/cgroup/systemd"}}));
  EXPECT_EQ(l->unified_mount, "/sys/fs/cgroup/unified");
  EXPECT_EQ(l->self_cgroup.at("memory"), "/process_api/50d4");
  EXPECT_EQ(l->self_cgroup.at("name=systemd"), "/user.slice");
  EXPECT_EQ(l->self_cgroup.at(""), "/user.slice");
}

// The view in which bench/ measures crun: an empty tmpfs stacked over the cgroup2 mount. A path
// lookup lands in the tmpfs, so the layout is v1 only; before, keel wrote cgroup.subtree_control
// into the tmpfs and clone3 into the "cgroup" failed with EBADF.
TEST(ParseLayout, StackedMountHidesTheOneBelow) {
  const std::string mountinfo =
      std::string(kHybridMountinfo) +
      "90 41 0:60 / /sys/fs/cgroup/unified rw,relatime - tmpfs tmpfs rw\n";
  auto l = detail::parse_layout(mountinfo, kHybridSelf);
  KEEL_ASSERT_OK(l);
  EXPECT_EQ(l->mode, Layout::Mode::kV1);
  EXPECT_TRUE(l->unified_mount.empty());
  EXPECT_EQ(l->v1_mounts.size(), 4U);
}

TEST(ParseLayout, MountOverAnAncestorHidesEverythingBelow) {
  const std::string mountinfo = std::string(kHybridMountinfo) +
                                "91 23 0:61 / /sys/fs rw - tmpfs tmpfs rw\n" +
                                "92 91 0:62 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
  auto l = detail::parse_layout(mountinfo, kHybridSelf);
  KEEL_ASSERT_OK(l);
  EXPECT_EQ(l->mode, Layout::Mode::kV2);
  EXPECT_EQ(l->unified_mount, "/sys/fs/cgroup");
  EXPECT_TRUE(l->v1_mounts.empty());
}

TEST(ParseLayout, TheLastOfTwoStackedCgroupMountsIsTheVisibleOne) {
  auto l = detail::parse_layout(
      "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
      "36 35 0:33 /sub /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n",
      "4:memory:/sub/a\n");
  KEEL_ASSERT_OK(l);
  EXPECT_EQ(l->self_cgroup.at("memory"), "/a");
}

TEST(ParseLayout, PureV1) {
  auto l = detail::parse_layout("35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n",
                                "4:memory:/a\n");
  KEEL_ASSERT_OK(l);
  EXPECT_EQ(l->mode, Layout::Mode::kV1);
  EXPECT_TRUE(l->unified_mount.empty());
}

TEST(ParseLayout, PureV2) {
  auto l = detail::parse_layout(
      "30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n",
      "0::/user.slice/user-0.slice/session-1.scope\n");
  KEEL_ASSERT_OK(l);
  EXPECT_EQ(l->mode, Layout::Mode::kV2);
  EXPECT_EQ(l->unified_mount, "/sys/fs/cgroup");
  EXPECT_TRUE(l->v1_mounts.empty());
  EXPECT_EQ(l->self_cgroup.at(""), "/user.slice/user-0.slice/session-1.scope");
}

// A container runtime that bind-mounts the hierarchy from the process's own cgroup: the mount's
// root is that cgroup, so the process sits at "/" below the mountpoint.
TEST(ParseLayout, OwnCgroupIsRelativeToTheMountRoot) {
  auto l = detail::parse_layout(
      "35 31 0:32 /docker/abc /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n"
      "41 31 0:38 /docker/abc /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n",
      "4:memory:/docker/abc/sub\n0::/docker/abc\n");
  KEEL_ASSERT_OK(l);
  EXPECT_EQ(l->self_cgroup.at("memory"), "/sub");
  EXPECT_EQ(l->self_cgroup.at(""), "/");
}

TEST(ParseLayout, EscapedMountpoint) {
  auto l = detail::parse_layout("35 31 0:32 / /mnt/my\\040cgroups rw - cgroup cgroup rw,pids\n",
                                "8:pids:/\n");
  KEEL_ASSERT_OK(l);
  EXPECT_EQ(l->v1_mounts.at("pids"), "/mnt/my cgroups");
}

TEST(ParseLayout, PrefersTheStandardCgroup2Mountpoint) {
  auto l = detail::parse_layout(
      "50 23 0:38 / /run/other rw - cgroup2 cgroup2 rw\n"
      "41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n",
      "0::/\n");
  KEEL_ASSERT_OK(l);
  EXPECT_EQ(l->unified_mount, "/sys/fs/cgroup/unified");
}

TEST(ParseLayout, NothingMountedIsAnError) {
  auto l = detail::parse_layout("23 1 0:21 / /sys rw - sysfs sysfs rw\n", "0::/\n");
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error().kind(), Errc::kFailedPrecondition);
}

TEST(DetectLayout, AgreesWithStatfsOnThisHost) {
  auto l = detect_layout();
  KEEL_ASSERT_OK(l);
  struct statfs st {};
  ASSERT_EQ(::statfs("/sys/fs/cgroup", &st), 0);
  if (st.f_type == CGROUP2_SUPER_MAGIC) {
    EXPECT_EQ(l->mode, Layout::Mode::kV2);
    EXPECT_EQ(l->unified_mount, "/sys/fs/cgroup");
  } else {
    EXPECT_NE(l->mode, Layout::Mode::kV2);
    EXPECT_FALSE(l->v1_mounts.empty());
  }
  auto again = detect_layout();  // cached: same answer
  KEEL_ASSERT_OK(again);
  EXPECT_EQ(again->v1_mounts, l->v1_mounts);
}

}  // namespace
}  // namespace keel::runtime::cgroups

namespace keel::runtime::cgroups {
namespace {

bool v2_only_host() {
  struct statfs st {};
  return ::statfs("/sys/fs/cgroup", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
}

// The usual places, found without mountinfo, are what mountinfo says on this very host.
TEST(ConventionalLayout, IsWhatMountinfoSaysOnThisHost) {
  if (v2_only_host())
    GTEST_SKIP() << "a cgroup2-only host reads neither";
  auto self = fs::read_file("/proc/self/cgroup");
  auto mountinfo = fs::read_file("/proc/self/mountinfo");
  KEEL_ASSERT_OK(self);
  KEEL_ASSERT_OK(mountinfo);
  const auto fast = detail::conventional_layout(*self);
  ASSERT_TRUE(fast.has_value()) << "this host's layout is the usual one:\n" << *self;
  auto parsed = detail::parse_layout(*mountinfo, *self);
  KEEL_ASSERT_OK(parsed);
  EXPECT_EQ(fast->mode, parsed->mode);
  EXPECT_EQ(fast->v1_mounts, parsed->v1_mounts);
  EXPECT_EQ(fast->unified_mount, parsed->unified_mount);
  EXPECT_EQ(fast->self_cgroup, parsed->self_cgroup);
}

// What it cannot see for sure it leaves to mountinfo: a hierarchy not at its usual place, or a
// mount that does not show our cgroup below it (a container's bind of a subtree).
TEST(ConventionalLayout, LeavesAnythingUnusualToMountinfo) {
  if (v2_only_host())
    GTEST_SKIP() << "needs cgroup v1 hierarchies";
  auto self = fs::read_file("/proc/self/cgroup");
  KEEL_ASSERT_OK(self);
  ASSERT_TRUE(detail::conventional_layout(*self).has_value());
  EXPECT_FALSE(detail::conventional_layout(*self + "12:no_such_controller:/\n").has_value());
  EXPECT_FALSE(detail::conventional_layout("4:memory:/keel-no-such-cgroup/x\n").has_value());
  EXPECT_FALSE(detail::conventional_layout("4:memory:/\n5:memory:/\n").has_value())
      << "one mount for two hierarchies";
  EXPECT_FALSE(detail::conventional_layout("0::/\n").has_value()) << "no v1 hierarchy";
}

}  // namespace
}  // namespace keel::runtime::cgroups
