// Pins `update`: new limits reach the live container's cgroup, from runc's flags or from a
// linux.resources document on stdin, and are recorded in the container's state; bad input and
// stopped containers are refused in one line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integration/fixtures/fixtures.h"

namespace keel::fixtures {
namespace {

// A v1 controller's knob of this container, as the host sees it.
std::string knob(const Bundle& bundle, const std::string& controller, const std::string& file) {
  std::string text = read_text("/sys/fs/cgroup/" + controller + bundle.cgroups_path + "/" + file);
  while (!text.empty() && text.back() == '\n')
    text.pop_back();
  return text;
}

bool has_v1(const std::string& controller) {
  return std::filesystem::exists("/sys/fs/cgroup/" + controller + "/cgroup.procs");
}

Bundle limited_bundle() {
  auto bundle = busybox_bundle();
  bundle.config["linux"]["resources"]["memory"] = {{"limit", 64 << 20}};
  bundle.config["linux"]["resources"]["pids"] = {{"limit", 20}};
  return bundle;
}

TEST(Update, RaisesMemoryAndPidsLimitsOfARunningContainer) {
  KEEL_SKIP_UNLESS_ROOT();
  if (!has_v1("memory") || !has_v1("pids"))
    GTEST_SKIP() << "needs the v1 memory and pids hierarchies";
  LeakCheck leaks;
  auto bundle = limited_bundle();
  ASSERT_NO_FATAL_FAILURE(run_detached(bundle, until_released()));
  ASSERT_EQ(knob(bundle, "memory", "memory.limit_in_bytes"), std::to_string(64 << 20));
  ASSERT_EQ(knob(bundle, "pids", "pids.max"), "20");

  const RunResult update =
      run_runtime(bundle, {"update", "--memory", "128m", "--pids-limit", "50", bundle.id});
  EXPECT_EQ(update.exit_code, 0) << update;
  EXPECT_EQ(knob(bundle, "memory", "memory.limit_in_bytes"), std::to_string(128 << 20));
  EXPECT_EQ(knob(bundle, "pids", "pids.max"), "50");
  EXPECT_TRUE(wait_for_status(bundle, bundle.id, "running"));
  force_delete(bundle);
  leaks.expect_none();
}

TEST(Update, ReadsResourcesJsonFromStdin) {
  KEEL_SKIP_UNLESS_ROOT();
  if (!has_v1("pids") || !has_v1("cpu"))
    GTEST_SKIP() << "needs the v1 pids and cpu hierarchies";
  LeakCheck leaks;
  auto bundle = limited_bundle();
  ASSERT_NO_FATAL_FAILURE(run_detached(bundle, until_released()));
  RunOptions options;
  options.stdin_data = R"({"pids": {"limit": 42}, "cpu": {"quota": 20000, "period": 100000}})";
  // The flags are ignored when a document is given, as in runc.
  const RunResult update =
      run_runtime(bundle, {"update", "--pids-limit", "7", "-r", "-", bundle.id}, options);
  EXPECT_EQ(update.exit_code, 0) << update;
  EXPECT_EQ(knob(bundle, "pids", "pids.max"), "42");
  EXPECT_EQ(knob(bundle, "cpu", "cpu.cfs_quota_us"), "20000");
  force_delete(bundle);
  leaks.expect_none();
}

TEST(Update, RefusesABadSizeInOneLine) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = limited_bundle();
  ASSERT_NO_FATAL_FAILURE(run_detached(bundle, until_released()));
  const RunResult update = run_runtime(bundle, {"update", "--memory", "12x", bundle.id});
  expect_error_line(update, "--memory \"12x\": not a size");
  force_delete(bundle);
  leaks.expect_none();
}

TEST(Update, RefusesAStoppedContainer) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = limited_bundle();
  ASSERT_NO_FATAL_FAILURE(run_detached(bundle, {"true"}));
  ASSERT_TRUE(wait_for_status(bundle, bundle.id, "stopped"));
  const RunResult update = run_runtime(bundle, {"update", "--pids-limit", "5", bundle.id});
  expect_error_line(update, "it is stopped");
  force_delete(bundle);
  leaks.expect_none();
}

// As runc records the new limits in its state.json: later commands, a later update included, see
// what the container has now, not what it was created with.
nlohmann::json saved_resources(const Bundle& bundle) {
  const std::string text = read_text(bundle.root / bundle.id / "config.json");
  const auto config = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (config.is_discarded() || !config.contains("linux"))
    return nullptr;
  return config["linux"].value("resources", nlohmann::json());
}

TEST(Update, RecordsTheLimitsInTheContainersState) {
  KEEL_SKIP_UNLESS_ROOT();
  if (!is_keel())
    GTEST_SKIP() << "keel's state directory";
  if (!has_v1("memory") || !has_v1("pids") || !has_v1("cpu"))
    GTEST_SKIP() << "needs the v1 memory, pids and cpu hierarchies";
  LeakCheck leaks;
  auto bundle = limited_bundle();
  ASSERT_NO_FATAL_FAILURE(run_detached(bundle, until_released()));
  ASSERT_EQ(saved_resources(bundle)["pids"]["limit"], 20);

  RunResult update = run_runtime(bundle, {"update", "--pids-limit", "50", bundle.id});
  ASSERT_EQ(update.exit_code, 0) << update;
  update = run_runtime(bundle, {"update", "--memory", "128m", bundle.id});
  ASSERT_EQ(update.exit_code, 0) << update;
  RunOptions options;
  options.stdin_data = R"({"cpu": {"quota": 30000, "period": 100000}})";
  update = run_runtime(bundle, {"update", "-r", "-", bundle.id}, options);
  ASSERT_EQ(update.exit_code, 0) << update;

  const nlohmann::json saved = saved_resources(bundle);
  EXPECT_EQ(saved["pids"]["limit"], 50) << saved;
  EXPECT_EQ(saved["memory"]["limit"], 128 << 20) << saved;
  EXPECT_EQ(saved["cpu"]["quota"], 30000) << saved;
  EXPECT_EQ(saved["cpu"]["period"], 100000) << saved;
  EXPECT_EQ(knob(bundle, "pids", "pids.max"), "50");
  EXPECT_EQ(knob(bundle, "memory", "memory.limit_in_bytes"), std::to_string(128 << 20));
  // The rest of the state still reads: the container is running, its processes listed.
  EXPECT_TRUE(wait_for_status(bundle, bundle.id, "running"));
  const RunResult ps = run_runtime(bundle, {"ps", "--format", "json", bundle.id});
  EXPECT_EQ(ps.exit_code, 0) << ps;
  release(bundle);
  force_delete(bundle);
  leaks.expect_none();
}

TEST(Update, RefusedLimitsAreNotRecorded) {
  KEEL_SKIP_UNLESS_ROOT();
  if (!is_keel())
    GTEST_SKIP() << "keel's state directory";
  if (!has_v1("pids"))
    GTEST_SKIP() << "needs the v1 pids hierarchy";
  LeakCheck leaks;
  auto bundle = limited_bundle();
  ASSERT_NO_FATAL_FAILURE(run_detached(bundle, until_released()));
  RunOptions options;
  options.stdin_data = R"({"pids": {"limit": 30}, "cpu": {"cpus": "100000"}})";
  const RunResult update = run_runtime(bundle, {"update", "-r", "-", bundle.id}, options);
  EXPECT_NE(update.exit_code, 0) << update;
  EXPECT_EQ(saved_resources(bundle)["pids"]["limit"], 20);
  release(bundle);
  force_delete(bundle);
  leaks.expect_none();
}

}  // namespace
}  // namespace keel::fixtures
