// Pins the stdio of `run` in the foreground: the caller's stdin reaches the process, and its
// stdout and stderr come back on the runtime's, apart.
#include <gtest/gtest.h>

#include "integration/fixtures/fixtures.h"

namespace keel::fixtures {
namespace {

TEST(Run, ForwardsStdinToProcess) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.set_args({"cat"});
  bundle.write();
  RunOptions options;
  options.stdin_data = "hello from stdin\n";
  const RunResult run = run_runtime(bundle, {"run", bundle.id}, options);
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(run.out, "hello from stdin\n") << run;
  leaks.expect_none();
}

TEST(Run, KeepsStdoutAndStderrApart) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  const RunResult run = run_script(bundle, "echo to-stdout; echo to-stderr >&2");
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(run.out, "to-stdout\n") << run;
  EXPECT_EQ(run.err, "to-stderr\n") << run;
  leaks.expect_none();
}

}  // namespace
}  // namespace keel::fixtures
