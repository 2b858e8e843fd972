// Pins `pause` and `resume`: the freezer stops every process of the container and lets it go on;
// state reports paused and running; the wrong status is refused in one line.
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integration/fixtures/fixtures.h"

namespace keel::fixtures {
namespace {

// Writes an ever-growing count to /tmp/count about every 10 ms.
std::vector<std::string> counter() {
  return {"sh", "-c", "i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.01; done"};
}

long count_in(const Bundle& bundle) {
  const std::string text = read_text(bundle.host_path("/tmp/count"));
  return text.empty() ? -1 : std::stol(text);
}

TEST(Pause, FreezesTheCounterAndResumeThawsIt) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  ASSERT_NO_FATAL_FAILURE(run_detached(bundle, counter()));
  ASSERT_TRUE(wait_until([&] { return count_in(bundle) > 0; }));

  const RunResult pause = run_runtime(bundle, {"pause", bundle.id});
  EXPECT_EQ(pause.exit_code, 0) << pause;
  EXPECT_TRUE(wait_for_status(bundle, bundle.id, "paused"));
  const long frozen_at = count_in(bundle);
  // Absence of progress can only be seen over time: 30 periods of the loop.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(count_in(bundle), frozen_at) << "the counter advanced while paused";

  const RunResult resume = run_runtime(bundle, {"resume", bundle.id});
  EXPECT_EQ(resume.exit_code, 0) << resume;
  EXPECT_TRUE(wait_for_status(bundle, bundle.id, "running"));
  EXPECT_TRUE(wait_until([&] { return count_in(bundle) > frozen_at + 2; }))
      << "the counter did not advance after resume";
  force_delete(bundle);
  leaks.expect_none();
}

TEST(Pause, ForceDeleteEndsAPausedContainer) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  ASSERT_NO_FATAL_FAILURE(run_detached(bundle, counter()));
  const RunResult pause = run_runtime(bundle, {"pause", bundle.id});
  EXPECT_EQ(pause.exit_code, 0) << pause;
  EXPECT_TRUE(wait_for_status(bundle, bundle.id, "paused"));
  force_delete(bundle);
  leaks.expect_none();
}

TEST(Resume, RefusesARunningContainer) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  ASSERT_NO_FATAL_FAILURE(run_detached(bundle, until_released()));
  const RunResult resume = run_runtime(bundle, {"resume", bundle.id});
  expect_error_line(resume, "it is running, not paused");
  EXPECT_TRUE(wait_for_status(bundle, bundle.id, "running"));
  force_delete(bundle);
  leaks.expect_none();
}

TEST(Pause, RefusesACreatedContainer) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  ASSERT_NO_FATAL_FAILURE(create_container(bundle, {"true"}));
  const RunResult pause = run_runtime(bundle, {"pause", bundle.id});
  expect_error_line(pause, "it is created, not running");
  EXPECT_TRUE(wait_for_status(bundle, bundle.id, "created"));
  force_delete(bundle);
  leaks.expect_none();
}

TEST(Pause, RefusesAnUnknownContainer) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  const RunResult pause = run_runtime(bundle, {"pause", "no-such-container"});
  expect_error_line(pause, "\"no-such-container\" does not exist");
  leaks.expect_none();
}

}  // namespace
}  // namespace keel::fixtures
