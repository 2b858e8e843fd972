// Pins the v2 manager (runtime/cgroups/v2.cpp) over a fake cgroupfs: controller delegation, the
// v1-to-v2 value conversions, device rules reaching the eBPF filter, cgroup.freeze and stats.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "runtime/cgroups/manager.h"
#include "tests/runtime/cgroups/fake_cgroupfs.h"

namespace keel::runtime::cgroups {
namespace {

using testing::FakeCgroupFs;
using ::testing::HasSubstr;

constexpr const char* kControllers = "cpuset cpu io memory hugetlb pids rdma";
constexpr const char* kAllEnabled = "+cpuset +cpu +io +memory +hugetlb +pids +rdma";

class V2Test : public ::testing::Test {
 protected:
  void SetUp() override {
    fs_.write("unified/cgroup.controllers", std::string(kControllers) + "\n");
    fs_.dir("unified", {"cgroup.subtree_control", "cgroup.procs"});
    fs_.dir("unified/keel", {"cgroup.subtree_control", "cgroup.type"});
    fs_.dir("unified/keel/c1",
            {"cgroup.procs", "cgroup.type", "cgroup.freeze", "cgroup.events", "memory.max",
             "memory.swap.max", "memory.low", "memory.high", "cpu.weight", "cpu.max",
             "cpu.max.burst", "cpu.idle", "cpuset.cpus", "cpuset.mems", "pids.max", "io.weight",
             "io.max", "hugetlb.2MB.max", "rdma.max"});
    auto m = make_manager(fs_.v2_layout(), std::nullopt, "c1");
    KEEL_ASSERT_OK(m);
    manager_ = std::move(*m);
  }

  Result<void> apply(const oci::Resources& r) { return manager_->apply(r); }
  std::string knob(const std::string& file) { return fs_.read("unified/keel/c1/" + file); }

  FakeCgroupFs fs_;
  std::unique_ptr<Manager> manager_;
};

TEST_F(V2Test, PathIsInTheUnifiedTreeOnly) {
  EXPECT_TRUE(manager_->paths().v1.empty());
  EXPECT_EQ(manager_->paths().unified, fs_.path("unified/keel/c1"));
}

TEST_F(V2Test, CreateEnablesEveryRootControllerDownToTheParent) {
  KEEL_ASSERT_OK(manager_->create());
  EXPECT_EQ(fs_.read("unified/cgroup.subtree_control"), kAllEnabled);
  EXPECT_EQ(fs_.read("unified/keel/cgroup.subtree_control"), kAllEnabled);
  EXPECT_EQ(fs_.read("unified/keel/c1/cgroup.subtree_control"), "");  // not created: a leaf
}

TEST_F(V2Test, CreateLeavesAncestorsAloneWhenTheParentDelegatesAll) {
  fs_.write("unified/keel/cgroup.subtree_control", std::string(kControllers) + "\n");
  KEEL_ASSERT_OK(manager_->create());
  EXPECT_EQ(fs_.read("unified/cgroup.subtree_control"), "");
  EXPECT_EQ(fs_.read("unified/keel/cgroup.subtree_control"), std::string(kControllers) + "\n");
}

TEST_F(V2Test, CreateFromOpenedPathsFindsTheRootByCgroupType) {
  auto m = open_manager(manager_->paths());
  KEEL_ASSERT_OK(m);
  KEEL_ASSERT_OK((*m)->create());
  EXPECT_EQ(fs_.read("unified/cgroup.subtree_control"), kAllEnabled);
}

TEST_F(V2Test, MemoryLimitSwapAndLow) {
  oci::Resources r;
  r.memory = oci::Memory{.limit = 256 << 20, .reservation = 64 << 20, .swap = 384 << 20};
  KEEL_ASSERT_OK(apply(r));
  EXPECT_EQ(knob("memory.max"), "268435456");
  EXPECT_EQ(knob("memory.swap.max"), "134217728");  // memory+swap minus memory
  EXPECT_EQ(knob("memory.low"), "67108864");
}

TEST_F(V2Test, SwapEqualToLimitMeansNoSwap) {
  oci::Resources r;
  r.memory = oci::Memory{.limit = 1 << 20, .swap = 1 << 20};
  KEEL_ASSERT_OK(apply(r));
  EXPECT_EQ(knob("memory.swap.max"), "0");
}

TEST_F(V2Test, UnlimitedMemoryIsMax) {
  oci::Resources r;
  r.memory = oci::Memory{.limit = -1};
  KEEL_ASSERT_OK(apply(r));
  EXPECT_EQ(knob("memory.max"), "max");
  EXPECT_EQ(knob("memory.swap.max"), "max");
}

TEST_F(V2Test, SwapWithoutLimitIsRejected) {
  oci::Resources r;
  r.memory = oci::Memory{.swap = 1 << 20};
  auto result = apply(r);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind(), Errc::kInvalidArgument);
}

TEST_F(V2Test, SwapBelowLimitIsRejected) {
  oci::Resources r;
  r.memory = oci::Memory{.limit = 2 << 20, .swap = 1 << 20};
  ASSERT_FALSE(apply(r));
}

TEST_F(V2Test, CpuSharesBecomeWeight) {
  oci::Resources r;
  r.cpu = oci::Cpu{.shares = 1024};
  KEEL_ASSERT_OK(apply(r));
  EXPECT_EQ(knob("cpu.weight"), "39");  // 1 + (1024 - 2) * 9999 / 262142
  r.cpu->shares = 262144;
  KEEL_ASSERT_OK(apply(r));
  EXPECT_EQ(knob("cpu.weight"), "10000");
  r.cpu->shares = 2;
  KEEL_ASSERT_OK(apply(r));
  EXPECT_EQ(knob("cpu.weight"), "1");
}

TEST_F(V2Test, CpuMaxBurstIdleCpuset) {
  oci::Resources r;
  r.cpu = oci::Cpu{
      .quota = 50000, .burst = 1000, .period = 100000, .cpus = "0-1", .mems = "0", .idle = 0};
  KEEL_ASSERT_OK(apply(r));
  EXPECT_EQ(knob("cpu.max"), "50000 100000");
  EXPECT_EQ(knob("cpu.max.burst"), "1000");
  EXPECT_EQ(knob("cpu.idle"), "0");
  EXPECT_EQ(knob("cpuset.cpus"), "0-1");
  EXPECT_EQ(knob("cpuset.mems"), "0");
}

TEST_F(V2Test, CpuMaxWithoutQuotaIsMax) {
  oci::Resources r;
  r.cpu = oci::Cpu{.quota = -1, .period = 100000};
  KEEL_ASSERT_OK(apply(r));
  EXPECT_EQ(knob("cpu.max"), "max 100000");
}

TEST_F(V2Test, RealtimeIsRejected) {
  oci::Resources r;
  r.cpu = oci::Cpu{.realtime_runtime = 100};
  auto result = apply(r);
  ASSERT_FALSE(result);
  EXPECT_THAT(result.error().message(), HasSubstr("realtime"));
}

TEST_F(V2Test, PidsMax) {
  oci::Resources r;
  r.pids = oci::Pids{.limit = 64};
  KEEL_ASSERT_OK(apply(r));
  EXPECT_EQ(knob("pids.max"), "64");
  r.pids->limit = -1;
  KEEL_ASSERT_OK(apply(r));
  EXPECT_EQ(knob("pids.max"), "max");
}

TEST_F(V2Test, IoWeightConvertedAndIoMaxPerRule) {
  oci::BlockIo io;
  io.weight = 500;
  io.throttle_read_bps_device = {{.major = 8, .minor = 0, .rate = 1000}};
  io.throttle_write_iops_device = {{.major = 8, .minor = 16, .rate = 40}};
  oci::Resources r;
  r.block_io = io;
  KEEL_ASSERT_OK(apply(r));
  EXPECT_EQ(knob("io.weight"), "4950");  // 1 + (500 - 10) * 9999 / 990
  EXPECT_EQ(knob("io.max"), "8:0 rbps=10008:16 wiops=40");
}

TEST_F(V2Test, IoWeightGoesToBfqWhenPresent) {
  fs_.write("unified/keel/c1/io.bfq.weight", "");
  oci::Resources r;
  r.block_io = oci::BlockIo{.weight = 500};
  KEEL_ASSERT_OK(apply(r));
  EXPECT_EQ(knob("io.bfq.weight"), "500");  // BFQ takes blkio's range unconverted
  r.block_io = oci::BlockIo{.weight_device = {{.major = 8, .weight = 200}}};
  KEEL_ASSERT_OK(apply(r));
  EXPECT_EQ(knob("io.bfq.weight"), "8:0 200");
  EXPECT_EQ(knob("io.weight"), "");
}

TEST_F(V2Test, HugetlbMax) {
  oci::Resources r;
  r.hugepage_limits = {{.page_size = "2MB", .limit = 2 << 20}};
  KEEL_ASSERT_OK(apply(r));
  EXPECT_EQ(knob("hugetlb.2MB.max"), "2097152");
}

TEST_F(V2Test, UnifiedWinsOverMappedValues) {
  oci::Resources r;
  r.memory = oci::Memory{.limit = 1 << 20};
  r.unified = {{"memory.max", "2097152"}, {"memory.high", "1000000"}};
  KEEL_ASSERT_OK(apply(r));
  EXPECT_EQ(knob("memory.max"), "2097152");
  EXPECT_EQ(knob("memory.high"), "1000000");
}

TEST_F(V2Test, UnifiedUnknownKnobIsAnError) {
  oci::Resources r;
  r.unified = {{"misc.max", "1"}};
  auto result = apply(r);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind(), Errc::kFailedPrecondition);
  EXPECT_THAT(result.error().message(), HasSubstr("misc.max"));
}

TEST_F(V2Test, UnifiedKeyCannotBeAPath) {
  oci::Resources r;
  r.unified = {{"../memory.max", "1"}};
  auto result = apply(r);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind(), Errc::kInvalidArgument);
}

// The filter itself is attached on a real cgroup2 tree (device_filter_host_test.cpp,
// unified_host_test.cpp); here, only that device rules reach it.
TEST_F(V2Test, DeviceRulesNeedARealCgroup2Directory) {
  oci::Resources r;
  r.devices = {{.allow = false, .access = "rwm"},
               {.allow = true, .type = "c", .access = "rwm", .major = 1, .minor = 3}};
  auto result = apply(r);
  ASSERT_FALSE(result);
  EXPECT_THAT(result.error().message(), HasSubstr(fs_.path("unified/keel/c1")));
}

TEST_F(V2Test, BadDeviceRuleIsRefused) {
  oci::Resources r;
  r.devices = {{.allow = true, .access = "rwm"},
               {.allow = false, .type = "x", .access = "w", .major = 8, .minor = 0}};
  auto result = apply(r);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind(), Errc::kInvalidArgument);
  EXPECT_THAT(result.error().message(), HasSubstr("devices[1]: type \"x\""));
}

TEST_F(V2Test, NetworkIsRefused) {
  oci::Resources r;
  r.network = oci::Network{.class_id = 1};
  ASSERT_FALSE(apply(r));
}

TEST_F(V2Test, RdmaMax) {
  oci::Resources r;
  r.rdma = {{"mlx4_0", {.hca_handles = 2, .hca_objects = 2000}}};
  KEEL_ASSERT_OK(apply(r));
  EXPECT_EQ(knob("rdma.max"), "mlx4_0 hca_handle=2 hca_object=2000");
}

TEST_F(V2Test, FreezeWritesCgroupFreezeAndWaitsForEvents) {
  fs_.write("unified/keel/c1/cgroup.events", "populated 1\nfrozen 1\n");
  KEEL_ASSERT_OK(manager_->freeze());
  EXPECT_EQ(knob("cgroup.freeze"), "1");
  auto frozen = manager_->is_frozen();
  KEEL_ASSERT_OK(frozen);
  EXPECT_TRUE(*frozen);
  KEEL_ASSERT_OK(manager_->thaw());
  EXPECT_EQ(knob("cgroup.freeze"), "0");
  frozen = manager_->is_frozen();
  KEEL_ASSERT_OK(frozen);
  EXPECT_FALSE(*frozen);
}

TEST_F(V2Test, StatsReadTheV2Files) {
  fs_.write("unified/keel/c1/memory.current", "1000\n");
  fs_.write("unified/keel/c1/memory.max", "4096\n");
  fs_.write("unified/keel/c1/memory.peak", "3000\n");
  fs_.write("unified/keel/c1/memory.swap.current", "10\n");
  fs_.write("unified/keel/c1/memory.swap.max", "max\n");
  fs_.write("unified/keel/c1/memory.events", "low 0\nhigh 0\nmax 7\noom 2\noom_kill 1\n");
  fs_.write("unified/keel/c1/memory.stat", "anon 600\nfile 400\n");
  fs_.write("unified/keel/c1/cpu.stat",
            "usage_usec 900\nuser_usec 600\nsystem_usec 300\nnr_periods 5\nnr_throttled 2\n"
            "throttled_usec 70\n");
  fs_.write("unified/keel/c1/pids.current", "4\n");
  fs_.write("unified/keel/c1/pids.max", "64\n");
  fs_.write("unified/keel/c1/io.stat",
            "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n");

  auto s = manager_->stats();
  KEEL_ASSERT_OK(s);
  EXPECT_EQ(s->memory.usage.usage, 1000u);
  EXPECT_EQ(s->memory.usage.limit, 4096u);
  EXPECT_EQ(s->memory.usage.max_usage, 3000u);
  EXPECT_EQ(s->memory.usage.failcnt, 7u);
  EXPECT_EQ(s->memory.swap.usage, 1010u);
  EXPECT_EQ(s->memory.swap.limit, UINT64_MAX);
  EXPECT_EQ(s->memory.oom_events, 2u);
  EXPECT_EQ(s->memory.oom_kill, 1u);
  EXPECT_EQ(s->memory.cache, 400u);
  EXPECT_EQ(s->cpu.usage_total_ns, 900000u);
  EXPECT_EQ(s->cpu.usage_user_ns, 600000u);
  EXPECT_EQ(s->cpu.usage_system_ns, 300000u);
  EXPECT_EQ(s->cpu.nr_periods, 5u);
  EXPECT_EQ(s->cpu.nr_throttled, 2u);
  EXPECT_EQ(s->cpu.throttled_time_ns, 70000u);
  EXPECT_EQ(s->pids.current, 4u);
  EXPECT_EQ(s->pids.limit, 64u);
  EXPECT_EQ(
      s->blkio.io_service_bytes_recursive,
      (std::vector<BlkioEntry>{{8, 0, "Read", 4096}, {8, 0, "Write", 8192}, {8, 0, "Discard", 0}}));
  EXPECT_EQ(s->blkio.io_serviced_recursive.size(), 3u);

  auto oom = manager_->oom_kill_count();
  KEEL_ASSERT_OK(oom);
  EXPECT_EQ(*oom, 1u);
}

}  // namespace
}  // namespace keel::runtime::cgroups
