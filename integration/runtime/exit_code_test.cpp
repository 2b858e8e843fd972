// Pins how `run` reports the container process's end: its exit code, or 128 + the signal.
#include <algorithm>

#include <gtest/gtest.h>

#include "integration/fixtures/fixtures.h"

namespace keel::fixtures {
namespace {

TEST(Run, ReturnsZeroWhenProcessSucceeds) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  const RunResult run = run_script(bundle, "exit 0");
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(run.err, "") << run;
  leaks.expect_none();
}

TEST(Run, ReturnsProcessExitCodeWhenNonZero) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  const RunResult run = run_script(bundle, "exit 7");
  EXPECT_EQ(run.exit_code, 7) << run;
  EXPECT_EQ(run.term_signal, 0) << "the runtime itself must not die of the signal" << run;
  leaks.expect_none();
}

TEST(Run, Returns128PlusSignalWhenProcessIsKilled) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.set_args({"sleep", "1000"});
  bundle.write();
  auto run = start_runtime(bundle, {"run", bundle.id});
  ASSERT_TRUE(wait_for_status(bundle, bundle.id, "running"));
  const RunResult kill = run_runtime(bundle, {"kill", bundle.id, "KILL"});
  EXPECT_EQ(kill.exit_code, 0) << kill;
  const RunResult done = run.wait();
  EXPECT_EQ(done.exit_code, 128 + 9) << done;
  EXPECT_EQ(done.term_signal, 0) << "the runtime exits with 137, it is not killed itself" << done;
  leaks.expect_none();
}

// Pid 1 of a pid namespace ignores signals it has no handler for, even SIGKILL, when they come
// from inside; without a pid namespace `kill -9 $$` does kill the container's process.
TEST(Run, Returns128PlusSignalWhenProcessKillsItself) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  auto& namespaces = bundle.config["linux"]["namespaces"];
  namespaces.erase(std::remove_if(namespaces.begin(), namespaces.end(),
                                  [](const auto& ns) { return ns["type"] == "pid"; }),
                   namespaces.end());
  const RunResult run = run_script(bundle, "kill -9 $$");
  EXPECT_EQ(run.exit_code, 128 + 9) << run;
  EXPECT_EQ(run.term_signal, 0) << run;
  leaks.expect_none();
}

}  // namespace
}  // namespace keel::fixtures
