// Pins `kill ID [SIGNAL]`: the signal reaches the container's process, in each accepted form.
#include <chrono>

#include <gtest/gtest.h>

#include "integration/fixtures/fixtures.h"

namespace keel::fixtures {
namespace {

// Traps `signal`, records it in /tmp/got and exits; /tmp/ready says the trap is set.
std::vector<std::string> trapping(const std::string& signal) {
  return {"sh", "-c",
          "trap 'echo " + signal + " > /tmp/got; exit 0' " + signal +
              "; touch /tmp/ready; while :; do sleep 0.05; done"};
}

void expect_trapped(Bundle& bundle, const std::string& signal,
                    const std::vector<std::string>& kill_args) {
  ASSERT_NO_FATAL_FAILURE(run_detached(bundle, trapping(signal)));
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(bundle.host_path("/tmp/ready")); }));
  const RunResult kill = run_runtime(bundle, kill_args);
  EXPECT_EQ(kill.exit_code, 0) << kill;
  EXPECT_TRUE(wait_for_status(bundle, bundle.id, "stopped"));
  EXPECT_EQ(read_text(bundle.host_path("/tmp/got")), signal + "\n");
  force_delete(bundle);
}

TEST(Kill, DeliversSigusr1ToTrappingProcess) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  expect_trapped(bundle, "USR1", {"kill", bundle.id, "SIGUSR1"});
  leaks.expect_none();
}

TEST(Kill, SendsSigtermWhenNoSignalIsGiven) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  expect_trapped(bundle, "TERM", {"kill", bundle.id});
  leaks.expect_none();
}

struct SignalForm {
  const char* name;
  const char* signal;
};

void PrintTo(const SignalForm& form, std::ostream* os) {
  *os << form.signal;
}

class KillSignalForm : public ::testing::TestWithParam<SignalForm> {};

// `run` in the foreground reports 137 only if the process died of SIGKILL, whatever the form.
TEST_P(KillSignalForm, EndsSleepingContainerWithSigkill) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.set_args({"sleep", "1000"});
  bundle.write();
  auto run = start_runtime(bundle, {"run", bundle.id});
  // What `run` said, if the container never came up, is the only clue to why.
  if (!wait_for_status(bundle, bundle.id, "running"))
    FAIL() << run.wait(std::chrono::seconds(5));
  const RunResult kill = run_runtime(bundle, {"kill", bundle.id, GetParam().signal});
  EXPECT_EQ(kill.exit_code, 0) << kill;
  const RunResult done = run.wait();
  EXPECT_EQ(done.exit_code, 137) << done;
  leaks.expect_none();
}

INSTANTIATE_TEST_SUITE_P(Kill, KillSignalForm,
                         ::testing::Values(SignalForm{"Number", "9"}, SignalForm{"Name", "KILL"},
                                           SignalForm{"PrefixedName", "SIGKILL"}),
                         [](const ::testing::TestParamInfo<SignalForm>& form) {
                           return std::string(form.param.name);
                         });

}  // namespace
}  // namespace keel::fixtures
