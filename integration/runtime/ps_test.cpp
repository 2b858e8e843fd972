// Pins `ps`: json lists every pid in the container's cgroup, table is the host's ps cut down to
// them, and arguments after the id go to ps.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integration/fixtures/fixtures.h"

namespace keel::fixtures {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

// The init (sh) with one child (sleep), until released.
std::vector<std::string> init_with_child() {
  return {"sh", "-c", "sleep 1000 & while [ ! -e /tmp/release ]; do sleep 0.05; done; kill $!"};
}

std::vector<int> ps_json(const Bundle& bundle) {
  const RunResult ps = run_runtime(bundle, {"ps", "--format", "json", bundle.id});
  EXPECT_EQ(ps.exit_code, 0) << ps;
  try {
    return nlohmann::json::parse(ps.out).get<std::vector<int>>();
  } catch (const nlohmann::json::exception& e) {
    ADD_FAILURE() << "ps json output is not an array of pids (" << e.what() << "):" << ps;
    return {};
  }
}

TEST(Ps, JsonListsTheInitAndItsChild) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  ASSERT_NO_FATAL_FAILURE(run_detached(bundle, init_with_child()));
  const auto state = container_state(bundle, bundle.id);
  ASSERT_TRUE(state.has_value());
  const int init = state->value("pid", 0);
  std::vector<int> pids;
  // The shell forks its sleep (and loop sleeps) after `run` returns.
  EXPECT_TRUE(wait_until([&] {
    pids = ps_json(bundle);
    return pids.size() >= 2;
  }));
  EXPECT_THAT(pids, Contains(init));
  bool has_sleep_1000 = false;
  for (int pid : pids) {
    // cmdline is NUL-separated: "sleep\01000\0".
    if (pid != init &&
        read_text("/proc/" + std::to_string(pid) + "/cmdline") == std::string("sleep\0"
                                                                              "1000\0",
                                                                              11))
      has_sleep_1000 = true;
  }
  EXPECT_TRUE(has_sleep_1000) << "the init's child is not listed";
  release(bundle);
  EXPECT_TRUE(wait_for_status(bundle, bundle.id, "stopped"));
  force_delete(bundle);
  leaks.expect_none();
}

TEST(Ps, TableKeepsTheHeaderAndOnlyTheContainersProcesses) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  ASSERT_NO_FATAL_FAILURE(run_detached(bundle, init_with_child()));
  ASSERT_TRUE(wait_until([&] { return ps_json(bundle).size() >= 2; }));
  const RunResult ps = run_runtime(bundle, {"ps", bundle.id, "-o", "pid,args"});
  EXPECT_EQ(ps.exit_code, 0) << ps;
  EXPECT_THAT(ps.out, HasSubstr("PID"));
  EXPECT_THAT(ps.out, HasSubstr("sleep 1000"));
  EXPECT_THAT(ps.out, Not(HasSubstr("runtime_integration_tests"))) << "a host process is listed";
  release(bundle);
  force_delete(bundle);
  leaks.expect_none();
}

TEST(Ps, RefusesAStoppedContainer) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  ASSERT_NO_FATAL_FAILURE(run_detached(bundle, {"true"}));
  ASSERT_TRUE(wait_for_status(bundle, bundle.id, "stopped"));
  const RunResult ps = run_runtime(bundle, {"ps", "-f", "json", bundle.id});
  expect_error_line(ps, "is not running");
  force_delete(bundle);
  leaks.expect_none();
}

}  // namespace
}  // namespace keel::fixtures
