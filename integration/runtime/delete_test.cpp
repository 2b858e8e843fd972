// Pins `delete`: a stopped container goes without a trace, a running one only with --force.
#include <gtest/gtest.h>

#include "integration/fixtures/fixtures.h"

namespace keel::fixtures {
namespace {

TEST(Delete, RemovesStoppedContainer) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  ASSERT_NO_FATAL_FAILURE(run_detached(bundle, {"true"}));
  ASSERT_TRUE(wait_for_status(bundle, bundle.id, "stopped"));
  const RunResult del = run_runtime(bundle, {"delete", bundle.id});
  EXPECT_EQ(del.exit_code, 0) << del;
  EXPECT_EQ(del.err, "") << del;
  EXPECT_FALSE(container_state(bundle, bundle.id).has_value()) << "state after delete";
  leaks.expect_none();
}

TEST(Delete, ForceRemovesRunningContainerAndItsProcess) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  ASSERT_NO_FATAL_FAILURE(run_detached(bundle, {"sleep", "1000"}));
  const auto state = container_state(bundle, bundle.id);
  ASSERT_TRUE(state.has_value());
  const std::string proc = "/proc/" + std::to_string(state->value("pid", 0));
  const RunResult del = run_runtime(bundle, {"delete", "--force", bundle.id});
  EXPECT_EQ(del.exit_code, 0) << del;
  EXPECT_TRUE(wait_until([&] { return !std::filesystem::exists(proc); })) << proc << " lives on";
  EXPECT_FALSE(container_state(bundle, bundle.id).has_value()) << "state after delete";
  leaks.expect_none();
}

TEST(Delete, ForceRemovesCreatedContainer) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  ASSERT_NO_FATAL_FAILURE(create_container(bundle, {"sleep", "1000"}));
  const RunResult del = run_runtime(bundle, {"delete", "--force", bundle.id});
  EXPECT_EQ(del.exit_code, 0) << del;
  EXPECT_FALSE(container_state(bundle, bundle.id).has_value()) << "state after delete";
  leaks.expect_none();
}

TEST(Delete, RefusesRunningContainerWithoutForce) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  ASSERT_NO_FATAL_FAILURE(run_detached(bundle, {"sleep", "1000"}));
  const RunResult del = run_runtime(bundle, {"delete", bundle.id});
  expect_error_line(del, bundle.id);
  const auto state = container_state(bundle, bundle.id);
  ASSERT_TRUE(state.has_value()) << "a refused delete must leave the container";
  EXPECT_EQ(state->value("status", ""), "running") << *state;
  force_delete(bundle);
  leaks.expect_none();
}

TEST(Delete, ForceOfAnUnknownIdSucceeds) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  const RunResult del = run_runtime(bundle, {"delete", "--force", unique_id()});
  EXPECT_EQ(del.exit_code, 0) << del;
  EXPECT_EQ(del.err, "") << del;
  leaks.expect_none();
}

}  // namespace
}  // namespace keel::fixtures
