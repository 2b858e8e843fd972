// Pins the hybrid-host behaviour of the v1 manager (runtime/cgroups/v1.cpp): controllers from v1,
// placement also in the unified tree, and hugetlb / linux.resources.unified from that tree.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "runtime/cgroups/manager.h"
#include "tests/runtime/cgroups/fake_cgroupfs.h"

namespace keel::runtime::cgroups {
namespace {

using testing::FakeCgroupFs;
using ::testing::HasSubstr;

class HybridTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs_.write("cpuset/cpuset.cpus", "0-1\n");
    fs_.write("cpuset/cpuset.mems", "0\n");
    fs_.dir("cpuset/keel", {"cpuset.cpus", "cpuset.mems"});
    fs_.dir("cpuset/keel/c1", {"cgroup.procs", "cpuset.cpus", "cpuset.mems"});
    for (const char* h :
         {"blkio", "cpu,cpuacct", "devices", "memory", "net_cls,net_prio", "pids", "systemd"})
      fs_.dir(std::string(h) + "/keel/c1", {"cgroup.procs"});
    fs_.dir("freezer/keel/c1", {"cgroup.procs", "freezer.state"});
    fs_.write("unified/cgroup.controllers", "hugetlb\n");
    fs_.dir("unified", {"cgroup.subtree_control"});
    fs_.dir("unified/keel", {"cgroup.subtree_control", "cgroup.type"});
    fs_.dir("unified/keel/c1", {"cgroup.procs", "cgroup.type", "cgroup.freeze", "cgroup.max.depth",
                                "hugetlb.2MB.max"});
    auto m = make_manager(fs_.hybrid_layout(), std::nullopt, "c1");
    KEEL_ASSERT_OK(m);
    manager_ = std::move(*m);
    KEEL_ASSERT_OK(manager_->create());
  }

  FakeCgroupFs fs_;
  std::unique_ptr<Manager> manager_;
};

TEST_F(HybridTest, PathsHoldV1AndTheUnifiedDir) {
  EXPECT_EQ(manager_->paths().v1.size(), 9u);
  EXPECT_EQ(manager_->paths().unified, fs_.path("unified/keel/c1"));
}

TEST_F(HybridTest, CreateLeavesSubtreeControlAlone) {
  EXPECT_EQ(fs_.read("unified/cgroup.subtree_control"), "");
  EXPECT_EQ(fs_.read("unified/keel/cgroup.subtree_control"), "");
}

TEST_F(HybridTest, CreateMakesTheUnifiedDir) {
  auto m = make_manager(fs_.hybrid_layout(), "/elsewhere/c2", "c2");
  KEEL_ASSERT_OK(m);
  fs_.dir("cpuset/elsewhere/c2", {"cpuset.cpus", "cpuset.mems"});
  fs_.dir("cpuset/elsewhere", {"cpuset.cpus", "cpuset.mems"});
  KEEL_ASSERT_OK((*m)->create());
  EXPECT_TRUE(fs_.exists("unified/elsewhere/c2"));
  EXPECT_EQ((*m)->paths().unified, fs_.path("unified/elsewhere/c2"));
}

TEST_F(HybridTest, AddProcessJoinsTheUnifiedTreeToo) {
  KEEL_ASSERT_OK(manager_->add_process(4321));
  EXPECT_EQ(fs_.read("unified/keel/c1/cgroup.procs"), "4321");
  EXPECT_EQ(fs_.read("memory/keel/c1/cgroup.procs"), "4321");
}

TEST_F(HybridTest, HugepageLimitsUseTheUnifiedTreeWhenV1HasNoHugetlb) {
  oci::Resources r;
  r.hugepage_limits = {{.page_size = "2MB", .limit = 2 << 20}};
  KEEL_ASSERT_OK(manager_->apply(r));
  EXPECT_EQ(fs_.read("unified/cgroup.subtree_control"), "+hugetlb");
  EXPECT_EQ(fs_.read("unified/keel/cgroup.subtree_control"), "+hugetlb");
  EXPECT_EQ(fs_.read("unified/keel/c1/hugetlb.2MB.max"), "2097152");
}

TEST_F(HybridTest, UnifiedKnobPresentInTheTreeIsWritten) {
  oci::Resources r;
  r.unified = {{"cgroup.max.depth", "3"}};
  KEEL_ASSERT_OK(manager_->apply(r));
  EXPECT_EQ(fs_.read("unified/keel/c1/cgroup.max.depth"), "3");
  EXPECT_EQ(fs_.read("unified/cgroup.subtree_control"), "");  // core knob: no controller needed
}

TEST_F(HybridTest, UnifiedKnobOfAV1ControllerIsAnError) {
  oci::Resources r;
  r.unified = {{"memory.high", "1000"}};
  auto result = manager_->apply(r);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind(), Errc::kFailedPrecondition);
  EXPECT_THAT(result.error().message(), HasSubstr("memory.high"));
}

TEST_F(HybridTest, FreezeUsesTheV1Freezer) {
  KEEL_ASSERT_OK(manager_->freeze());
  EXPECT_EQ(fs_.read("freezer/keel/c1/freezer.state"), "FROZEN");
  EXPECT_EQ(fs_.read("unified/keel/c1/cgroup.freeze"), "");
}

TEST_F(HybridTest, WithoutV1FreezerTheUnifiedTreeFreezes) {
  Layout layout = fs_.hybrid_layout();
  layout.v1_mounts.erase("freezer");
  layout.v1_mounts.erase("cpuset");
  auto m = make_manager(layout, std::nullopt, "c1");
  KEEL_ASSERT_OK(m);
  fs_.write("unified/keel/c1/cgroup.events", "populated 0\nfrozen 1\n");
  KEEL_ASSERT_OK((*m)->freeze());
  EXPECT_EQ(fs_.read("unified/keel/c1/cgroup.freeze"), "1");
}

}  // namespace
}  // namespace keel::runtime::cgroups
