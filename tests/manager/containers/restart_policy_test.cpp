// Pins manager/containers/restart_policy: docker's decisions and back-off.
#include "manager/containers/restart_policy.h"

#include <gtest/gtest.h>

namespace keel::manager::containers {
namespace {

ContainerRecord exited(const std::string& policy, int code, int restarts = 0,
                       bool by_user = false) {
  auto parsed = parse_restart_policy(policy);
  EXPECT_TRUE(parsed) << parsed.error().message();
  ContainerRecord record;
  record.restart = *parsed;
  record.state.exit_code = code;
  record.state.restart_count = restarts;
  record.state.stopped_by_user = by_user;
  return record;
}

TEST(RestartPolicy, NoNeverRestarts) {
  EXPECT_FALSE(should_restart(exited("no", 1)));
}

TEST(RestartPolicy, AlwaysAndUnlessStoppedRestartAnyExit) {
  EXPECT_TRUE(should_restart(exited("always", 0)));
  EXPECT_TRUE(should_restart(exited("unless-stopped", 0)));
}

TEST(RestartPolicy, AStopByAUserKeepsEveryPolicyDown) {
  EXPECT_FALSE(should_restart(exited("always", 137, 0, true)));
  EXPECT_FALSE(should_restart(exited("on-failure", 1, 0, true)));
}

TEST(RestartPolicy, OnFailureCountsRestartsAgainstMaxRetries) {
  EXPECT_FALSE(should_restart(exited("on-failure:2", 0)));
  EXPECT_TRUE(should_restart(exited("on-failure:2", 1, 1)));
  EXPECT_FALSE(should_restart(exited("on-failure:2", 1, 2)));
  EXPECT_TRUE(should_restart(exited("on-failure", 1, 100)));  // 0: unlimited
}

TEST(RestartPolicy, BackOffDoublesFrom100MsUpToAMinute) {
  EXPECT_EQ(restart_delay(0), std::chrono::milliseconds(100));
  EXPECT_EQ(restart_delay(1), std::chrono::milliseconds(200));
  EXPECT_EQ(restart_delay(9), std::chrono::milliseconds(51'200));
  EXPECT_EQ(restart_delay(10), std::chrono::milliseconds(60'000));
  EXPECT_EQ(restart_delay(1000), std::chrono::milliseconds(60'000));
}

}  // namespace
}  // namespace keel::manager::containers
