// Pins runtime/cgroups/paths.cpp: where cgroupsPath puts a container, and Paths' JSON form.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "runtime/cgroups/manager.h"
#include "tests/runtime/cgroups/fake_cgroupfs.h"

namespace keel::runtime::cgroups {
namespace {

Layout hybrid() {
  Layout l;
  l.mode = Layout::Mode::kHybrid;
  l.v1_mounts = {{"memory", "/sys/fs/cgroup/memory"},
                 {"cpu,cpuacct", "/sys/fs/cgroup/cpu,cpuacct"},
                 {"name=systemd", "/sys/fs/cgroup/systemd"}};
  l.unified_mount = "/sys/fs/cgroup/unified";
  l.self_cgroup = {{"memory", "/process_api/50d4"}, {"cpu,cpuacct", "/"}, {"", "/user.slice"}};
  return l;
}

TEST(ResolvePaths, AbsentPathIsKeelSlashId) {
  auto p = resolve_paths(hybrid(), std::nullopt, "web");
  KEEL_ASSERT_OK(p);
  EXPECT_EQ(p->v1.at("memory"), "/sys/fs/cgroup/memory/keel/web");
  EXPECT_EQ(p->v1.at("cpu,cpuacct"), "/sys/fs/cgroup/cpu,cpuacct/keel/web");
  EXPECT_EQ(p->v1.at("name=systemd"), "/sys/fs/cgroup/systemd/keel/web");
  EXPECT_EQ(p->unified, "/sys/fs/cgroup/unified/keel/web");
}

TEST(ResolvePaths, EmptyPathCountsAsAbsent) {
  auto p = resolve_paths(hybrid(), std::string(), "web");
  KEEL_ASSERT_OK(p);
  EXPECT_EQ(p->unified, "/sys/fs/cgroup/unified/keel/web");
}

TEST(ResolvePaths, AbsolutePathIsUnderEachMountpointAsIs) {
  auto p = resolve_paths(hybrid(), "/machine/pod1/web", "web");
  KEEL_ASSERT_OK(p);
  EXPECT_EQ(p->v1.at("memory"), "/sys/fs/cgroup/memory/machine/pod1/web");
  EXPECT_EQ(p->unified, "/sys/fs/cgroup/unified/machine/pod1/web");
}

TEST(ResolvePaths, RelativePathIsUnderTheCallersOwnCgroup) {
  auto p = resolve_paths(hybrid(), "pod1/web", "web");
  KEEL_ASSERT_OK(p);
  EXPECT_EQ(p->v1.at("memory"), "/sys/fs/cgroup/memory/process_api/50d4/pod1/web");
  EXPECT_EQ(p->v1.at("cpu,cpuacct"), "/sys/fs/cgroup/cpu,cpuacct/pod1/web");
  EXPECT_EQ(p->v1.at("name=systemd"), "/sys/fs/cgroup/systemd/pod1/web");  // no entry: "/"
  EXPECT_EQ(p->unified, "/sys/fs/cgroup/unified/user.slice/pod1/web");
}

TEST(ResolvePaths, DotDotCannotLeaveTheHierarchy) {
  auto p = resolve_paths(hybrid(), "/../../etc//./web/", "web");
  KEEL_ASSERT_OK(p);
  EXPECT_EQ(p->v1.at("memory"), "/sys/fs/cgroup/memory/etc/web");
}

TEST(ResolvePaths, TheHierarchyRootIsRefused) {
  auto p = resolve_paths(hybrid(), "/a/..", "web");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().kind(), Errc::kInvalidArgument);
}

TEST(ResolvePaths, PureV1HasNoUnifiedAndPureV2NoV1) {
  Layout v1 = hybrid();
  v1.mode = Layout::Mode::kV1;
  v1.unified_mount.clear();
  auto p1 = resolve_paths(v1, std::nullopt, "web");
  KEEL_ASSERT_OK(p1);
  EXPECT_TRUE(p1->unified.empty());
  EXPECT_EQ(p1->v1.size(), 3u);

  Layout v2;
  v2.mode = Layout::Mode::kV2;
  v2.unified_mount = "/sys/fs/cgroup";
  auto p2 = resolve_paths(v2, std::nullopt, "web");
  KEEL_ASSERT_OK(p2);
  EXPECT_TRUE(p2->v1.empty());
  EXPECT_EQ(p2->unified, "/sys/fs/cgroup/keel/web");
}

TEST(PathsJson, RoundTrips) {
  Paths p;
  p.v1 = {{"memory", "/sys/fs/cgroup/memory/keel/a b"}, {"name=systemd", "/x/\"q\""}};
  p.unified = "/sys/fs/cgroup/unified/keel/a b";
  auto back = parse_paths(to_json(p));
  KEEL_ASSERT_OK(back);
  EXPECT_EQ(*back, p);
}

TEST(PathsJson, EmptyRoundTrips) {
  auto back = parse_paths(to_json(Paths{}));
  KEEL_ASSERT_OK(back);
  EXPECT_EQ(*back, Paths{});
}

TEST(PathsJson, BadJsonIsInvalidArgument) {
  for (const char* text : {"", "{", R"({"v1": 3})", R"({"unified": []})"}) {
    auto p = parse_paths(text);
    ASSERT_FALSE(p) << text;
    EXPECT_EQ(p.error().kind(), Errc::kInvalidArgument) << text;
    EXPECT_THAT(p.error().message(), ::testing::HasSubstr("cgroup paths")) << text;
  }
}

}  // namespace
}  // namespace keel::runtime::cgroups
