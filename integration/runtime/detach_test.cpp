// Pins `run --detach` and `--pid-file`: the runtime returns while the container runs on.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integration/fixtures/fixtures.h"

namespace keel::fixtures {
namespace {

TEST(RunDetach, ReturnsWhileContainerRuns) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.set_args({"sleep", "1000"});
  bundle.write();
  // A runtime that waited for the process would hit this deadline long before sleep ends.
  RunOptions options;
  options.timeout = std::chrono::seconds(30);
  const RunResult run = run_runtime(bundle, {"run", "--detach", bundle.id}, options);
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_FALSE(run.timed_out);
  const auto state = container_state(bundle, bundle.id);
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->value("status", ""), "running") << *state;
  force_delete(bundle);
  leaks.expect_none();
}

TEST(RunDetach, WritesInitPidToPidFile) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.set_args({"sleep", "1000"});
  bundle.write();
  const auto pid_file = bundle.dir / "init.pid";
  const RunResult run =
      run_runtime(bundle, {"run", "--detach", "--pid-file", pid_file.string(), bundle.id});
  EXPECT_EQ(run.exit_code, 0) << run;
  const auto state = container_state(bundle, bundle.id);
  ASSERT_TRUE(state.has_value());
  const std::string pid = std::to_string(state->value("pid", 0));
  EXPECT_EQ(read_text(pid_file), pid) << "runc writes the pid without a newline";
  // The host pid is the container's pid 1.
  EXPECT_THAT(read_text("/proc/" + pid + "/status"),
              ::testing::HasSubstr("NSpid:\t" + pid + "\t1\n"));
  force_delete(bundle);
  leaks.expect_none();
}

TEST(Create, WritesInitPidToPidFile) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.set_args({"sleep", "1000"});
  bundle.write();
  const auto pid_file = bundle.dir / "init.pid";
  const RunResult run = run_runtime(bundle, {"create", "--pid-file", pid_file.string(), bundle.id});
  EXPECT_EQ(run.exit_code, 0) << run;
  const auto state = container_state(bundle, bundle.id);
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(read_text(pid_file), std::to_string(state->value("pid", 0)));
  force_delete(bundle);
  leaks.expect_none();
}

}  // namespace
}  // namespace keel::fixtures
