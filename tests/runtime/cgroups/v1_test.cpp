// Pins the v1 manager (runtime/cgroups/v1.cpp) over a fake cgroupfs: which knob each resource
// writes, with what value and in what order.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "runtime/cgroups/manager.h"
#include "tests/runtime/cgroups/fake_cgroupfs.h"

namespace keel::runtime::cgroups {
namespace {

using testing::FakeCgroupFs;
using ::testing::HasSubstr;

constexpr const char* kUnlimited = "9223372036854771712\n";

class V1Test : public ::testing::Test {
 protected:
  void SetUp() override {
    fs_.dir("memory/keel/c1",
            {"cgroup.procs", "memory.memsw.limit_in_bytes", "memory.soft_limit_in_bytes",
             "memory.swappiness", "memory.oom_control"});
    fs_.write("memory/keel/c1/memory.limit_in_bytes", kUnlimited);
    fs_.dir("cpu,cpuacct/keel/c1",
            {"cgroup.procs", "cpu.shares", "cpu.cfs_quota_us", "cpu.cfs_period_us",
             "cpu.cfs_burst_us", "cpu.rt_period_us", "cpu.rt_runtime_us", "cpu.idle"});
    fs_.write("cpuset/cpuset.cpus", "0-3\n");
    fs_.write("cpuset/cpuset.mems", "0\n");
    fs_.dir("cpuset/keel", {"cpuset.cpus", "cpuset.mems"});
    fs_.dir("cpuset/keel/c1", {"cgroup.procs", "cpuset.cpus", "cpuset.mems"});
    fs_.dir("devices/keel/c1", {"cgroup.procs", "devices.allow", "devices.deny"});
    fs_.dir("freezer/keel/c1", {"cgroup.procs", "freezer.state"});
    fs_.dir("blkio/keel/c1",
            {"cgroup.procs", "blkio.bfq.weight", "blkio.bfq.weight_device", "blkio.leaf_weight",
             "blkio.leaf_weight_device", "blkio.throttle.read_bps_device",
             "blkio.throttle.write_bps_device", "blkio.throttle.read_iops_device",
             "blkio.throttle.write_iops_device"});
    fs_.dir("hugetlb/keel/c1", {"cgroup.procs", "hugetlb.2MB.limit_in_bytes"});
    fs_.dir("net_cls,net_prio/keel/c1", {"cgroup.procs", "net_cls.classid", "net_prio.ifpriomap"});
    fs_.dir("pids/keel/c1", {"cgroup.procs", "pids.max"});
    fs_.dir("systemd/keel/c1", {"cgroup.procs"});
    auto m = make_manager(fs_.v1_layout(), std::nullopt, "c1");
    KEEL_ASSERT_OK(m);
    manager_ = std::move(*m);
    KEEL_ASSERT_OK(manager_->create());
  }

  Result<void> apply(const oci::Resources& r) { return manager_->apply(r); }

  FakeCgroupFs fs_;
  std::unique_ptr<Manager> manager_;
};

TEST_F(V1Test, PathsNameEveryMountedHierarchy) {
  const Paths& p = manager_->paths();
  EXPECT_EQ(p.v1.size(), 10u);
  EXPECT_EQ(p.v1.at("cpu,cpuacct"), fs_.path("cpu,cpuacct/keel/c1"));
  EXPECT_EQ(p.v1.at("name=systemd"), fs_.path("systemd/keel/c1"));
  EXPECT_TRUE(p.unified.empty());
}

TEST_F(V1Test, CreateCopiesCpusetFromTheParentIntoEmptyDirs) {
  EXPECT_EQ(fs_.read("cpuset/keel/cpuset.cpus"), "0-3");
  EXPECT_EQ(fs_.read("cpuset/keel/cpuset.mems"), "0");
  EXPECT_EQ(fs_.read("cpuset/keel/c1/cpuset.cpus"), "0-3");
  EXPECT_EQ(fs_.read("cpuset/keel/c1/cpuset.mems"), "0");
}

TEST_F(V1Test, CreateKeepsCpusetAlreadySet) {
  fs_.write("cpuset/keel/c1/cpuset.cpus", "1\n");
  KEEL_ASSERT_OK(manager_->create());
  EXPECT_EQ(fs_.read("cpuset/keel/c1/cpuset.cpus"), "1\n");
}

TEST_F(V1Test, CreateMakesMissingDirectories) {
  auto m = make_manager(fs_.v1_layout(), "/other/c2", "c2");
  KEEL_ASSERT_OK(m);
  fs_.dir("cpuset/other", {"cpuset.cpus", "cpuset.mems"});
  fs_.dir("cpuset/other/c2", {"cpuset.cpus", "cpuset.mems"});
  KEEL_ASSERT_OK((*m)->create());
  EXPECT_TRUE(fs_.exists("memory/other/c2"));
  EXPECT_TRUE(fs_.exists("systemd/other/c2"));
  EXPECT_TRUE(fs_.exists("net_cls,net_prio/other/c2"));
}

TEST_F(V1Test, FailedCreateRemovesTheDirectoriesItMade) {
  auto m = make_manager(fs_.v1_layout(), "/fail/c3", "c3");
  KEEL_ASSERT_OK(m);
  auto result = (*m)->create();  // cpuset/fail has no cpuset.cpus in the fake
  ASSERT_FALSE(result);
  EXPECT_THAT(result.error().message(), HasSubstr("cpuset.cpus"));
  for (const auto& [h, dir] : (*m)->paths().v1)
    EXPECT_FALSE(std::filesystem::exists(dir)) << dir;
}

TEST_F(V1Test, MemoryLimitSwapReservationSwappinessOom) {
  oci::Memory m;
  m.limit = 256 << 20;
  m.swap = 512 << 20;
  m.reservation = 128 << 20;
  m.swappiness = 10;
  m.disable_oom_killer = true;
  m.kernel = 1 << 20;  // deprecated: ignored
  oci::Resources r;
  r.memory = m;
  KEEL_ASSERT_OK(apply(r));
  EXPECT_EQ(fs_.read("memory/keel/c1/memory.limit_in_bytes"), "268435456");
  EXPECT_EQ(fs_.read("memory/keel/c1/memory.memsw.limit_in_bytes"), "536870912");
  EXPECT_EQ(fs_.read("memory/keel/c1/memory.soft_limit_in_bytes"), "134217728");
  EXPECT_EQ(fs_.read("memory/keel/c1/memory.swappiness"), "10");
  EXPECT_EQ(fs_.read("memory/keel/c1/memory.oom_control"), "1");
}

TEST_F(V1Test, KernelTcpLimitIsWritten) {
  fs_.write("memory/keel/c1/memory.kmem.tcp.limit_in_bytes", kUnlimited);
  oci::Resources r;
  r.memory = oci::Memory{.kernel_tcp = 8 << 20};
  KEEL_ASSERT_OK(apply(r));
  EXPECT_EQ(fs_.read("memory/keel/c1/memory.kmem.tcp.limit_in_bytes"), "8388608");
}

TEST_F(V1Test, KernelTcpWithoutTheKnobIsRefusedByName) {
  oci::Resources r;
  r.memory = oci::Memory{.kernel_tcp = 8 << 20};
  auto result = apply(r);
  ASSERT_FALSE(result);
  EXPECT_THAT(result.error().message(), HasSubstr("kernelTCP"));
  EXPECT_THAT(result.error().message(), HasSubstr("memory.kmem.tcp.limit_in_bytes"));
}

// With memsw unwritable, the knob written before it shows the order.
TEST_F(V1Test, MemoryShrinkingWritesLimitBeforeMemsw) {
  std::filesystem::remove(fs_.path("memory/keel/c1/memory.memsw.limit_in_bytes"));
  fs_.dir("memory/keel/c1/memory.memsw.limit_in_bytes");
  oci::Resources r;
  r.memory = oci::Memory{.limit = 1 << 20, .swap = 2 << 20};
  auto result = apply(r);
  ASSERT_FALSE(result);
  EXPECT_THAT(result.error().message(), HasSubstr("memory.memsw.limit_in_bytes"));
  EXPECT_EQ(fs_.read("memory/keel/c1/memory.limit_in_bytes"), "1048576");
}

TEST_F(V1Test, MemoryGrowingWritesMemswBeforeLimit) {
  fs_.write("memory/keel/c1/memory.limit_in_bytes", "1048576\n");
  std::filesystem::remove(fs_.path("memory/keel/c1/memory.memsw.limit_in_bytes"));
  fs_.dir("memory/keel/c1/memory.memsw.limit_in_bytes");
  oci::Resources r;
  r.memory = oci::Memory{.limit = 256 << 20, .swap = 512 << 20};
  ASSERT_FALSE(apply(r));
  EXPECT_EQ(fs_.read("memory/keel/c1/memory.limit_in_bytes"), "1048576\n");
}

TEST_F(V1Test, UnlimitedMemoryAlsoUnlimitsMemsw) {
  oci::Resources r;
  r.memory = oci::Memory{.limit = -1};
  KEEL_ASSERT_OK(apply(r));
  EXPECT_EQ(fs_.read("memory/keel/c1/memory.limit_in_bytes"), "-1");
  EXPECT_EQ(fs_.read("memory/keel/c1/memory.memsw.limit_in_bytes"), "-1");
}

TEST_F(V1Test, SwapIgnoredWithoutSwapAccounting) {
  std::filesystem::remove(fs_.path("memory/keel/c1/memory.memsw.limit_in_bytes"));
  oci::Resources r;
  r.memory = oci::Memory{.limit = 1 << 20, .swap = 2 << 20};
  KEEL_ASSERT_OK(apply(r));
  EXPECT_EQ(fs_.read("memory/keel/c1/memory.limit_in_bytes"), "1048576");
}

TEST_F(V1Test, ErrorNamesTheFile) {
  std::filesystem::remove(fs_.path("memory/keel/c1/memory.swappiness"));
  oci::Resources r;
  r.memory = oci::Memory{.swappiness = 5};
  auto result = apply(r);
  ASSERT_FALSE(result);
  EXPECT_THAT(result.error().message(), HasSubstr(fs_.path("memory/keel/c1/memory.swappiness")));
  EXPECT_EQ(result.error().errnum(), ENOENT);
}

TEST_F(V1Test, CpuSharesQuotaPeriodBurstRealtimeIdle) {
  oci::Resources r;
  r.cpu = oci::Cpu{.shares = 512,
                   .quota = 50000,
                   .burst = 1000,
                   .period = 100000,
                   .realtime_runtime = 950,
                   .realtime_period = 1000,
                   .idle = 1};
  KEEL_ASSERT_OK(apply(r));
  const std::string d = "cpu,cpuacct/keel/c1/";
  EXPECT_EQ(fs_.read(d + "cpu.shares"), "512");
  EXPECT_EQ(fs_.read(d + "cpu.cfs_quota_us"), "50000");
  EXPECT_EQ(fs_.read(d + "cpu.cfs_period_us"), "100000");
  EXPECT_EQ(fs_.read(d + "cpu.cfs_burst_us"), "1000");
  EXPECT_EQ(fs_.read(d + "cpu.rt_runtime_us"), "950");
  EXPECT_EQ(fs_.read(d + "cpu.rt_period_us"), "1000");
  EXPECT_EQ(fs_.read(d + "cpu.idle"), "1");
}

TEST_F(V1Test, CpusAndMems) {
  oci::Resources r;
  r.cpu = oci::Cpu{.cpus = "1-2", .mems = "0"};
  KEEL_ASSERT_OK(apply(r));
  EXPECT_EQ(fs_.read("cpuset/keel/c1/cpuset.cpus"), "1-2");
  EXPECT_EQ(fs_.read("cpuset/keel/c1/cpuset.mems"), "0");
}

TEST_F(V1Test, PidsLimitAndUnlimited) {
  oci::Resources r;
  r.pids = oci::Pids{.limit = 100};
  KEEL_ASSERT_OK(apply(r));
  EXPECT_EQ(fs_.read("pids/keel/c1/pids.max"), "100");
  r.pids->limit = 0;
  KEEL_ASSERT_OK(apply(r));
  EXPECT_EQ(fs_.read("pids/keel/c1/pids.max"), "max");
  r.pids->limit = -1;
  KEEL_ASSERT_OK(apply(r));
  EXPECT_EQ(fs_.read("pids/keel/c1/pids.max"), "max");
}

TEST_F(V1Test, BlockIoFallsBackToBfqAndWritesEveryRule) {
  oci::BlockIo io;
  io.weight = 300;
  io.leaf_weight = 200;
  io.weight_device = {{.major = 8, .minor = 0, .weight = 500, .leaf_weight = 400}};
  io.throttle_read_bps_device = {{.major = 8, .minor = 0, .rate = 1000},
                                 {.major = 8, .minor = 16, .rate = 2000}};
  io.throttle_write_iops_device = {{.major = 8, .minor = 0, .rate = 30}};
  oci::Resources r;
  r.block_io = io;
  KEEL_ASSERT_OK(apply(r));
  const std::string d = "blkio/keel/c1/";
  EXPECT_EQ(fs_.read(d + "blkio.bfq.weight"), "300");
  EXPECT_EQ(fs_.read(d + "blkio.leaf_weight"), "200");
  EXPECT_EQ(fs_.read(d + "blkio.bfq.weight_device"), "8:0 500");
  EXPECT_EQ(fs_.read(d + "blkio.leaf_weight_device"), "8:0 400");
  // One write(2) per rule; the fake file shows them back to back.
  EXPECT_EQ(fs_.read(d + "blkio.throttle.read_bps_device"), "8:0 10008:16 2000");
  EXPECT_EQ(fs_.read(d + "blkio.throttle.write_iops_device"), "8:0 30");
  EXPECT_EQ(fs_.read(d + "blkio.throttle.write_bps_device"), "");
}

TEST_F(V1Test, BlockIoPrefersCfqWeight) {
  fs_.write("blkio/keel/c1/blkio.weight", "");
  oci::Resources r;
  r.block_io = oci::BlockIo{.weight = 300};
  KEEL_ASSERT_OK(apply(r));
  EXPECT_EQ(fs_.read("blkio/keel/c1/blkio.weight"), "300");
  EXPECT_EQ(fs_.read("blkio/keel/c1/blkio.bfq.weight"), "");
}

TEST_F(V1Test, HugepageLimits) {
  oci::Resources r;
  r.hugepage_limits = {{.page_size = "2MB", .limit = 4 << 20}};
  KEEL_ASSERT_OK(apply(r));
  EXPECT_EQ(fs_.read("hugetlb/keel/c1/hugetlb.2MB.limit_in_bytes"), "4194304");
}

TEST_F(V1Test, NetworkClassIdAndPriorities) {
  oci::Resources r;
  r.network = oci::Network{.class_id = 0x100001, .priorities = {{"eth0", 5}, {"lo", 2}}};
  KEEL_ASSERT_OK(apply(r));
  EXPECT_EQ(fs_.read("net_cls,net_prio/keel/c1/net_cls.classid"), "1048577");
  EXPECT_EQ(fs_.read("net_cls,net_prio/keel/c1/net_prio.ifpriomap"), "eth0 5lo 2");
}

TEST_F(V1Test, DevicesWrittenInOrderToAllowAndDeny) {
  oci::Resources r;
  r.devices = {
      {.allow = false, .access = "rwm"},
      {.allow = true, .type = "c", .access = "rwm", .major = 1, .minor = 3},
      {.allow = true, .type = "c", .access = "rwm", .major = 136},
      {.allow = false, .type = "b", .access = "w", .major = 8, .minor = 0},
  };
  KEEL_ASSERT_OK(apply(r));
  EXPECT_EQ(fs_.read("devices/keel/c1/devices.deny"), "a *:* rwmb 8:0 w");
  EXPECT_EQ(fs_.read("devices/keel/c1/devices.allow"), "c 1:3 rwmc 136:* rwm");
}

TEST_F(V1Test, DeviceTypeMustBeABOrC) {
  oci::Resources r;
  r.devices = {{.allow = true, .type = "x"}};
  auto result = apply(r);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind(), Errc::kInvalidArgument);
}

TEST_F(V1Test, UnifiedNeedsACgroup2Tree) {
  oci::Resources r;
  r.unified = {{"memory.high", "1000"}};
  auto result = apply(r);
  ASSERT_FALSE(result);
  EXPECT_THAT(result.error().message(), HasSubstr("linux.resources.unified"));
}

TEST_F(V1Test, LimitForUnmountedControllerIsAnError) {
  Layout layout = fs_.v1_layout();
  layout.v1_mounts.erase("pids");
  auto m = make_manager(layout, std::nullopt, "c1");
  KEEL_ASSERT_OK(m);
  oci::Resources r;
  r.pids = oci::Pids{.limit = 10};
  auto result = (*m)->apply(r);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind(), Errc::kFailedPrecondition);
  EXPECT_THAT(result.error().message(), HasSubstr("pids cgroup hierarchy is not mounted"));
}

TEST_F(V1Test, EmptyResourcesWriteNothing) {
  KEEL_ASSERT_OK(apply(oci::Resources{}));
  EXPECT_EQ(fs_.read("memory/keel/c1/memory.limit_in_bytes"), kUnlimited);
  EXPECT_EQ(fs_.read("devices/keel/c1/devices.deny"), "");
  EXPECT_EQ(fs_.read("pids/keel/c1/pids.max"), "");
}

TEST_F(V1Test, FreezeAndThawUseTheFreezer) {
  KEEL_ASSERT_OK(manager_->freeze());
  EXPECT_EQ(fs_.read("freezer/keel/c1/freezer.state"), "FROZEN");
  auto frozen = manager_->is_frozen();
  KEEL_ASSERT_OK(frozen);
  EXPECT_TRUE(*frozen);
  KEEL_ASSERT_OK(manager_->thaw());
  EXPECT_EQ(fs_.read("freezer/keel/c1/freezer.state"), "THAWED");
  frozen = manager_->is_frozen();
  KEEL_ASSERT_OK(frozen);
  EXPECT_FALSE(*frozen);
}

TEST_F(V1Test, StatsReadEveryController) {
  const std::string m = "memory/keel/c1/";
  fs_.write(m + "memory.usage_in_bytes", "1000\n");
  fs_.write(m + "memory.max_usage_in_bytes", "2000\n");
  fs_.write(m + "memory.failcnt", "3\n");
  fs_.write(m + "memory.memsw.usage_in_bytes", "1500\n");
  fs_.write(m + "memory.memsw.limit_in_bytes", kUnlimited);
  fs_.write(m + "memory.stat", "cache 400\nrss 600\n");
  fs_.write(m + "memory.use_hierarchy", "1\n");
  fs_.write(m + "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
  const std::string c = "cpu,cpuacct/keel/c1/";
  fs_.write(c + "cpuacct.usage", "900\n");
  fs_.write(c + "cpuacct.usage_user", "600\n");
  fs_.write(c + "cpuacct.usage_sys", "300\n");
  fs_.write(c + "cpuacct.usage_percpu", "500 400 \n");
  fs_.write(c + "cpu.stat", "nr_periods 10\nnr_throttled 4\nthrottled_time 777\n");
  fs_.write("pids/keel/c1/pids.current", "3\n");
  fs_.write("pids/keel/c1/pids.max", "max\n");
  fs_.write("blkio/keel/c1/blkio.throttle.io_service_bytes_recursive",
            "8:0 Read 4096\n8:0 Write 8192\nTotal 12288\n");

  auto s = manager_->stats();
  KEEL_ASSERT_OK(s);
  EXPECT_EQ(s->memory.usage.usage, 1000u);
  EXPECT_EQ(s->memory.usage.max_usage, 2000u);
  EXPECT_EQ(s->memory.usage.limit, 9223372036854771712u);
  EXPECT_EQ(s->memory.usage.failcnt, 3u);
  EXPECT_EQ(s->memory.swap.usage, 1500u);
  EXPECT_EQ(s->memory.cache, 400u);
  EXPECT_EQ(s->memory.stat.at("rss"), 600u);
  EXPECT_TRUE(s->memory.use_hierarchy);
  EXPECT_EQ(s->memory.oom_kill, 2u);
  EXPECT_EQ(s->cpu.usage_total_ns, 900u);
  EXPECT_EQ(s->cpu.usage_user_ns, 600u);
  EXPECT_EQ(s->cpu.usage_system_ns, 300u);
  EXPECT_EQ(s->cpu.usage_percpu_ns, (std::vector<uint64_t>{500, 400}));
  EXPECT_EQ(s->cpu.nr_periods, 10u);
  EXPECT_EQ(s->cpu.nr_throttled, 4u);
  EXPECT_EQ(s->cpu.throttled_time_ns, 777u);
  EXPECT_EQ(s->pids.current, 3u);
  EXPECT_EQ(s->pids.limit, 0u);
  EXPECT_EQ(s->blkio.io_service_bytes_recursive,
            (std::vector<BlkioEntry>{{8, 0, "Read", 4096}, {8, 0, "Write", 8192}}));

  auto oom = manager_->oom_kill_count();
  KEEL_ASSERT_OK(oom);
  EXPECT_EQ(*oom, 2u);
}

}  // namespace
}  // namespace keel::runtime::cgroups
