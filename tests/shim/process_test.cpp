// Pins the process state machine (shim/process.cpp): what each status allows, the codes of the
// refusals, and waiters answered on exit or at once after it.
#include "shim/process.h"

#include <gtest/gtest.h>

namespace keel::shim {
namespace {

TEST(Process, CreatedInitMayStartKillOrDeleteButNotPause) {
  Process p("", {});
  p.set_created(42, nullptr);
  EXPECT_TRUE(p.check_can("start"));
  EXPECT_TRUE(p.check_can("kill"));
  EXPECT_TRUE(p.check_can("delete"));
  auto pause = p.check_can("pause");
  ASSERT_FALSE(pause);
  EXPECT_EQ(pause.error().kind(), Errc::kFailedPrecondition);
  EXPECT_EQ(pause.error().message(), "cannot pause a created task");
}

TEST(Process, RunningRefusesStartAndDelete) {
  Process p("e1", {});
  p.set_created(42, nullptr);
  p.set_running(42);
  EXPECT_EQ(p.check_can("start").error().kind(), Errc::kFailedPrecondition);
  EXPECT_EQ(p.check_can("delete").error().message(), "cannot delete a running exec process");
  EXPECT_TRUE(p.check_can("pause"));
  p.set_paused(true);
  EXPECT_EQ(p.status(), ProcessStatus::kPaused);
  EXPECT_TRUE(p.check_can("resume"));
  EXPECT_FALSE(p.check_can("exec"));
}

TEST(Process, StoppedIsNotFoundForKillAndAnswersWaitersAtOnce) {
  Process p("", {});
  p.set_created(42, nullptr);
  p.set_running(42);
  int early = -1, late = -1;
  p.add_waiter([&](const shimapi::ExitRecord& r) { early = static_cast<int>(r.status); });
  EXPECT_EQ(early, -1);
  p.set_exited(shimapi::ExitRecord{42, 3, 1});
  EXPECT_EQ(early, 3);
  p.add_waiter([&](const shimapi::ExitRecord& r) { late = static_cast<int>(r.status); });
  EXPECT_EQ(late, 3);
  EXPECT_EQ(p.check_can("kill").error().kind(), Errc::kNotFound);
  EXPECT_TRUE(p.check_can("delete"));
  p.set_paused(false);  // a late resume does not bring it back
  EXPECT_EQ(p.status(), ProcessStatus::kStopped);
}

}  // namespace
}  // namespace keel::shim
