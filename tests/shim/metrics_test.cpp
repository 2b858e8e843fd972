// Pins the Stats payload both ways: the shim's mapping of the runtime's stats JSON onto
// containerd's v1 and v2 metrics (shim/metrics.cpp), and the figures keeld reads back from either
// (shimapi/metrics.cpp).
#include "shim/metrics.h"

#include <gtest/gtest.h>

#include "containerd/cgroups/v2/metrics.pb.h"
#include "shimapi/metrics.h"

namespace keel::shim {
namespace {

// One line of `keel events --stats`, runc's names, as on a cgroup v2 host.
constexpr const char* kStats = R"({"type":"stats","id":"c1","data":{
  "cpu":{"usage":{"total":5000000,"kernel":2000000,"user":3000000},
         "throttling":{"periods":10,"throttledPeriods":4,"throttledTime":7000}},
  "memory":{"cache":100,"usage":{"limit":1048576,"usage":65536,"max":70000,"failcnt":2},
            "swap":{"limit":3145728,"usage":69632,"failcnt":0},
            "raw":{"anon":4096,"file":100,"pgfault":12}},
  "pids":{"current":3,"limit":64},
  "blkio":{"ioServiceBytesRecursive":[{"major":8,"minor":0,"op":"Read","value":512},
                                      {"major":8,"minor":0,"op":"Write","value":1024},
                                      {"major":8,"minor":16,"op":"Write","value":2048}],
           "ioServicedRecursive":[{"major":8,"minor":0,"op":"Read","value":1}]}}})";

TEST(TaskMetrics, V1CarriesCpuMemoryPidsAndBlkio) {
  auto m = metrics_from_stats(kStats, false);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->type_url, "io.containerd.cgroups.v1.Metrics");
  auto f = shimapi::figures_of_metrics(m->type_url, m->value);
  ASSERT_TRUE(f) << f.error().message();
  EXPECT_EQ(f->cpu_usage_ns, 5000000u);
  EXPECT_EQ(f->memory_usage, 65536u);
  EXPECT_EQ(f->memory_limit, 1048576u);
  EXPECT_EQ(f->pids, 3u);
  EXPECT_EQ(f->block_read, 512u);
  EXPECT_EQ(f->block_write, 3072u);
}

TEST(TaskMetrics, V2UsesUpstreamsFieldsAndUnits) {
  auto m = metrics_from_stats(kStats, true);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->type_url, "io.containerd.cgroups.v2.Metrics");
  ::io::containerd::cgroups::v2::Metrics raw;
  ASSERT_TRUE(raw.ParseFromString(m->value));
  EXPECT_EQ(raw.cpu().usage_usec(), 5000u);
  EXPECT_EQ(raw.cpu().system_usec(), 2000u);
  EXPECT_EQ(raw.cpu().nr_throttled(), 4u);
  EXPECT_EQ(raw.cpu().throttled_usec(), 7u);
  EXPECT_EQ(raw.memory().anon(), 4096u);
  EXPECT_EQ(raw.memory().pgfault(), 12u);
  EXPECT_EQ(raw.memory().swap_usage(), 4096u);  // runc's memory+swap less memory
  EXPECT_EQ(raw.memory().swap_limit(), 2097152u);
  ASSERT_EQ(raw.io().usage_size(), 2);
  EXPECT_EQ(raw.io().usage(0).rbytes(), 512u);
  EXPECT_EQ(raw.io().usage(0).rios(), 1u);
  EXPECT_EQ(raw.io().usage(1).minor(), 16u);
  auto f = shimapi::figures_of_metrics(m->type_url, m->value);
  ASSERT_TRUE(f) << f.error().message();
  EXPECT_EQ(f->cpu_usage_ns, 5000000u);
  EXPECT_EQ(f->memory_usage, 65536u);
  EXPECT_EQ(f->pids, 3u);
  EXPECT_EQ(f->block_read, 512u);
  EXPECT_EQ(f->block_write, 3072u);
}

TEST(TaskMetrics, RefusesWhatIsNotAStatsLine) {
  EXPECT_FALSE(metrics_from_stats(R"({"type":"oom","id":"c1"})", false));
  auto unknown = shimapi::figures_of_metrics("io.example.Metrics", "");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind(), Errc::kInvalidArgument);
}

}  // namespace
}  // namespace keel::shim
