// Pins ExitMonitor (manager/containers/exit_monitor.cpp): every expected exit settles exactly
// once on one of its workers, from a report (before or after the expectation) or from its shim's
// death, and a slow callback holds up no other container's.
#include "manager/containers/exit_monitor.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace keel::manager::containers {
namespace {

using namespace std::chrono_literals;

// What the callbacks saw, in order.
class Settled {
 public:
  struct Entry {
    std::string key;
    int status = 0;
    std::string error;
  };

  ExitMonitor::Exited record(std::string key) {
    return [this, key = std::move(key)](Result<TaskExit> exit) {
      std::lock_guard lock(mutex_);
      entries_.push_back(
          {key, exit ? exit->exit_status : -1, exit ? std::string() : exit.error().message()});
      changed_.notify_all();
    };
  }
  bool wait_for(std::size_t count, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return entries_.size() >= count; });
  }
  std::vector<Entry> entries() {
    std::lock_guard lock(mutex_);
    return entries_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Entry> entries_;
};

class ExitMonitorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto monitor = ExitMonitor::start();
    ASSERT_TRUE(monitor) << monitor.error().message();
    monitor_ = std::move(*monitor);
  }
  Settled settled_;  // outlives the monitor, whose thread calls into it
  std::unique_ptr<ExitMonitor> monitor_;
};

TEST_F(ExitMonitorTest, AReportAfterTheExpectationSettlesItOnce) {
  monitor_->expect("c1", 10, 0, settled_.record("c1"));
  monitor_->report("c1", TaskExit{.pid = 10, .exit_status = 3});
  monitor_->report("c1", TaskExit{.pid = 10, .exit_status = 4});  // no expectation left
  ASSERT_TRUE(settled_.wait_for(1));
  std::this_thread::sleep_for(50ms);
  ASSERT_EQ(settled_.entries().size(), 1U);
  EXPECT_EQ(settled_.entries()[0].status, 3);
}

TEST_F(ExitMonitorTest, AReportBeforeTheExpectationIsHandedOver) {
  monitor_->report("c2", TaskExit{.pid = 20, .exit_status = 7});
  monitor_->expect("c2", 20, 0, settled_.record("c2"));
  ASSERT_TRUE(settled_.wait_for(1));
  EXPECT_EQ(settled_.entries()[0].status, 7);
}

TEST_F(ExitMonitorTest, AnExitOfAnotherPidIsNotThisRunsExit) {
  monitor_->report("c3", TaskExit{.pid = 30, .exit_status = 1});  // an earlier run
  monitor_->expect("c3", 31, 0, settled_.record("c3"));
  monitor_->report("c3", TaskExit{.pid = 32, .exit_status = 2});
  EXPECT_FALSE(settled_.wait_for(1, 200ms));
  monitor_->report("c3", TaskExit{.pid = 31, .exit_status = 5});
  ASSERT_TRUE(settled_.wait_for(1));
  EXPECT_EQ(settled_.entries()[0].status, 5);
}

TEST_F(ExitMonitorTest, AForgottenExpectationNeverSettles) {
  monitor_->expect("c4", 40, 0, settled_.record("c4"));
  monitor_->forget("c4");
  monitor_->report("c4", TaskExit{.pid = 40, .exit_status = 1});
  EXPECT_FALSE(settled_.wait_for(1, 200ms));
}

TEST_F(ExitMonitorTest, AShimThatDiesWithoutReportingSettlesWithAnError) {
  const pid_t shim = ::fork();
  ASSERT_GE(shim, 0);
  if (shim == 0) {
    ::pause();
    ::_exit(0);
  }
  monitor_->expect("c5", 50, shim, settled_.record("c5"));
  EXPECT_FALSE(settled_.wait_for(1, 100ms)) << "a live shim settles nothing";
  ::kill(shim, SIGKILL);
  ::waitpid(shim, nullptr, 0);
  ASSERT_TRUE(settled_.wait_for(1));
  EXPECT_NE(settled_.entries()[0].error.find("shim exited"), std::string::npos);
}

TEST_F(ExitMonitorTest, AReportWithinTheGraceAfterTheShimDiedWins) {
  const pid_t shim = ::fork();
  ASSERT_GE(shim, 0);
  if (shim == 0)
    ::_exit(0);
  ::waitpid(shim, nullptr, 0);
  monitor_->expect("c6", 60, shim, settled_.record("c6"));  // the shim is gone already
  monitor_->report("c6", TaskExit{.pid = 60, .exit_status = 9});
  ASSERT_TRUE(settled_.wait_for(1));
  EXPECT_EQ(settled_.entries()[0].status, 9);
}

TEST_F(ExitMonitorTest, ASlowCallbackHoldsUpNoOtherExit) {
  // The first callback blocks as recording an exit does while the runtime deletes the task.
  std::mutex gate_mutex;
  std::condition_variable gate_changed;
  bool open = false;
  bool entered = false;
  monitor_->expect("slow", 80, 0, [&](const Result<TaskExit>&) {
    std::unique_lock lock(gate_mutex);
    entered = true;
    gate_changed.notify_all();
    gate_changed.wait(lock, [&] { return open; });
  });
  monitor_->report("slow", TaskExit{.pid = 80, .exit_status = 0});
  {
    std::unique_lock lock(gate_mutex);
    ASSERT_TRUE(gate_changed.wait_for(lock, 5s, [&] { return entered; }));
  }
  for (int i = 0; i < 3; ++i) {
    const std::string key = "next" + std::to_string(i);
    monitor_->expect(key, 81 + i, 0, settled_.record(key));
    monitor_->report(key, TaskExit{.pid = 81 + i, .exit_status = i});
  }
  EXPECT_TRUE(settled_.wait_for(3)) << "the others waited for the blocked callback";
  {
    std::lock_guard lock(gate_mutex);
    open = true;
  }
  gate_changed.notify_all();
}

TEST_F(ExitMonitorTest, StopJoinsAndDropsWhatIsPending) {
  monitor_->expect("c7", 70, 0, settled_.record("c7"));
  monitor_->stop();
  monitor_->report("c7", TaskExit{.pid = 70, .exit_status = 1});
  EXPECT_FALSE(settled_.wait_for(1, 100ms));
  monitor_->stop();  // idempotent
}

}  // namespace
}  // namespace keel::manager::containers
