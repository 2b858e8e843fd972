// Pins `state`: the OCI state JSON and the status through create, start and the process's exit.
#include <gtest/gtest.h>

#include "integration/fixtures/fixtures.h"

namespace keel::fixtures {
namespace {

TEST(State, ReportsCreatedWithOciFieldsAfterCreate) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  ASSERT_NO_FATAL_FAILURE(create_container(bundle, until_released()));
  const auto state = container_state(bundle, bundle.id);
  ASSERT_TRUE(state.has_value());
  EXPECT_TRUE(state->value("ociVersion", "").starts_with("1.")) << *state;
  EXPECT_EQ(state->value("id", ""), bundle.id) << *state;
  EXPECT_EQ(state->value("status", ""), "created") << *state;
  EXPECT_EQ(state->value("bundle", ""), bundle.dir.string()) << *state;
  const int pid = state->value("pid", 0);
  EXPECT_GT(pid, 0) << *state;
  EXPECT_TRUE(std::filesystem::exists("/proc/" + std::to_string(pid))) << *state;
  force_delete(bundle);
  leaks.expect_none();
}

TEST(State, ReportsRunningAfterStart) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  ASSERT_NO_FATAL_FAILURE(create_container(bundle, until_released()));
  const auto created = container_state(bundle, bundle.id);
  ASSERT_TRUE(created.has_value());
  ASSERT_NO_FATAL_FAILURE(start_container(bundle));
  const auto state = container_state(bundle, bundle.id);
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->value("status", ""), "running") << *state;
  EXPECT_EQ(state->value("pid", 0), created->value("pid", -1))
      << "start runs the process create made" << *state;
  release(bundle);
  EXPECT_TRUE(wait_for_status(bundle, bundle.id, "stopped"));
  force_delete(bundle);
  leaks.expect_none();
}

TEST(State, ReportsStoppedAfterProcessExits) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  ASSERT_NO_FATAL_FAILURE(create_container(bundle, until_released()));
  ASSERT_NO_FATAL_FAILURE(start_container(bundle));
  release(bundle);
  EXPECT_TRUE(wait_for_status(bundle, bundle.id, "stopped"));
  const auto state = container_state(bundle, bundle.id);
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->value("id", ""), bundle.id) << *state;
  EXPECT_EQ(state->value("bundle", ""), bundle.dir.string()) << *state;
  force_delete(bundle);
  leaks.expect_none();
}

TEST(State, ReportsRunningWhileForegroundRunWaits) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.set_args(until_released());
  bundle.write();
  auto run = start_runtime(bundle, {"run", bundle.id});
  EXPECT_TRUE(wait_for_status(bundle, bundle.id, "running"));
  release(bundle);
  const RunResult done = run.wait();
  EXPECT_EQ(done.exit_code, 0) << done;
  leaks.expect_none();
}

}  // namespace
}  // namespace keel::fixtures
