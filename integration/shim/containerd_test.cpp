// Pins keel-shim under Debian's containerd 1.6 (`ctr --runtime io.containerd.keel.v2`): run to
// completion, exec with and without a terminal, ps, pause/resume, kill and delete, window
// resize, and a containerd killed and restarted around running and exiting tasks.
#include <signal.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integration/shim/private_containerd.h"

namespace keel::shim::testing {
namespace {

using ::testing::HasSubstr;

#define KEEL_SKIP_WITHOUT_CONTAINERD()                                         \
  do {                                                                         \
    KEEL_SKIP_UNLESS_ROOT();                                                   \
    if (!PrivateContainerd::available())                                       \
      GTEST_SKIP() << "needs containerd and ctr (apt-get install containerd)"; \
  } while (0)

// A container that exits 9 when asked (TERM), whatever happens to containerd meanwhile.
const std::vector<std::string> kExitNineOnTerm = {
    "sh", "-c", "trap 'exit 9' TERM; while :; do sleep 0.1; done"};

void stop_and_delete(PrivateContainerd& ctd, const std::string& id) {
  EXPECT_EQ(ctd.ctr({"task", "kill", "-s", "KILL", id}).exit_code, 0);
  ASSERT_TRUE(ctd.wait_task_status(id, "STOPPED"));
  EXPECT_EQ(ctd.ctr({"task", "delete", id}).exit_code, 0);
  EXPECT_EQ(ctd.ctr({"container", "delete", id}).exit_code, 0);
}

TEST(ShimContainerd, CtrRunEndsWithTheContainersExitCode) {
  KEEL_SKIP_WITHOUT_CONTAINERD();
  PrivateContainerd ctd;
  ASSERT_TRUE(ctd.ready());
  const std::string id = ctd.new_id();
  auto r = ctd.ctr({"run", "--rm", "--runtime", kRuntime, "--cgroup",
                    std::string(fixtures::kCgroupParent) + "/" + id, kImage, id, "sh", "-c",
                    "echo hello from keel-shim; exit 7"});
  EXPECT_EQ(r.exit_code, 7) << r;
  EXPECT_THAT(r.out, HasSubstr("hello from keel-shim"));
  ctd.expect_clean();
}

// containerd hands the shim its ttrpc socket (TTRPC_ADDRESS): the task's events reach subscribers,
// in the order they happened.
TEST(ShimContainerd, TaskEventsReachContainerdInOrder) {
  KEEL_SKIP_WITHOUT_CONTAINERD();
  PrivateContainerd ctd;
  ASSERT_TRUE(ctd.ready());
  auto events = ctd.start_ctr({"events"});
  ::usleep(300000);  // subscribed before the run
  const std::string id = ctd.new_id();
  auto r = ctd.ctr({"run", "--rm", "--runtime", kRuntime, "--cgroup",
                    std::string(fixtures::kCgroupParent) + "/" + id, kImage, id, "true"});
  EXPECT_EQ(r.exit_code, 0) << r;
  (void)fixtures::wait_until([&] {
    const std::string path = "/proc/" + std::to_string(events.pid()) + "/fd/1";
    const std::string out = fixtures::read_text(path);
    return out.find("/tasks/delete") != std::string::npos;
  });
  ::kill(events.pid(), SIGTERM);
  auto got = events.wait();
  std::size_t at = 0;
  for (const std::string topic :
       {"/tasks/create", "/tasks/start", "/tasks/exit", "/tasks/delete"}) {
    const std::size_t found = got.out.find(topic + " ", at);
    EXPECT_NE(found, std::string::npos) << topic << " missing or out of order in:\n" << got.out;
    if (found != std::string::npos)
      at = found;
  }
  EXPECT_THAT(got.out, HasSubstr(id));
  ctd.expect_clean();
}

TEST(ShimContainerd, ExecRunsInADetachedContainerWithAndWithoutTty) {
  KEEL_SKIP_WITHOUT_CONTAINERD();
  PrivateContainerd ctd;
  ASSERT_TRUE(ctd.ready());
  const std::string id = ctd.new_id();
  ASSERT_NO_FATAL_FAILURE(ctd.run_detached(id, {"sleep", "1000"}));
  auto plain = ctd.ctr({"task", "exec", "--exec-id", "plain", id, "sh", "-c", "echo out; exit 4"});
  EXPECT_EQ(plain.exit_code, 4) << plain;
  EXPECT_THAT(plain.out, HasSubstr("out"));
  auto tty = ctd.ctr_in_tty("task exec -t --exec-id tty " + id + " sh -c 'tty; exit 5'");
  EXPECT_EQ(tty.exit_code, 5) << tty;
  EXPECT_THAT(tty.out, HasSubstr("/dev/pts/"));
  stop_and_delete(ctd, id);
  ctd.expect_clean();
}

TEST(ShimContainerd, TerminalSeesTheClientsWindowSize) {
  KEEL_SKIP_WITHOUT_CONTAINERD();
  PrivateContainerd ctd;
  ASSERT_TRUE(ctd.ready());
  const std::string id = ctd.new_id();
  // ctr sends ResizePty right after Start: poll until the size has arrived.
  const std::string script =
      "for i in $(seq 50); do s=$(stty size); [ \"$s\" = \"33 77\" ] && break; sleep 0.1; done; "
      "echo size=$s";
  auto r = ctd.ctr_in_tty("run -t --rm --runtime " + std::string(kRuntime) + " --cgroup " +
                              fixtures::kCgroupParent + "/" + id + " " + kImage + " " + id +
                              " sh -c '" + script + "'",
                          "rows 33 cols 77");
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("size=33 77"));
  ctd.expect_clean();
}

TEST(ShimContainerd, TaskPsListsTheContainersProcesses) {
  KEEL_SKIP_WITHOUT_CONTAINERD();
  if (!keel_has_command("ps"))
    GTEST_SKIP() << "keel ps is not there yet";
  PrivateContainerd ctd;
  ASSERT_TRUE(ctd.ready());
  const std::string id = ctd.new_id();
  ASSERT_NO_FATAL_FAILURE(ctd.run_detached(id, {"sleep", "1000"}));
  auto r = ctd.ctr({"task", "ps", id});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr(std::to_string(ctd.task_pid(id))));
  stop_and_delete(ctd, id);
  ctd.expect_clean();
}

TEST(ShimContainerd, TaskMetricsReportTheContainersCgroup) {
  KEEL_SKIP_WITHOUT_CONTAINERD();
  if (!keel_has_command("events"))
    GTEST_SKIP() << "keel events is not there yet";
  PrivateContainerd ctd;
  ASSERT_TRUE(ctd.ready());
  const std::string id = ctd.new_id();
  ASSERT_NO_FATAL_FAILURE(ctd.run_detached(id, {"sleep", "1000"}));
  auto r = ctd.ctr({"task", "metrics", id});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("memory.usage_in_bytes"));
  EXPECT_THAT(r.out, HasSubstr("pids.current"));
  stop_and_delete(ctd, id);
  ctd.expect_clean();
}

TEST(ShimContainerd, PauseAndResumeChangeTheTaskStatus) {
  KEEL_SKIP_WITHOUT_CONTAINERD();
  if (!keel_has_command("pause") || !keel_has_command("resume"))
    GTEST_SKIP() << "keel pause/resume are not there yet";
  PrivateContainerd ctd;
  ASSERT_TRUE(ctd.ready());
  const std::string id = ctd.new_id();
  ASSERT_NO_FATAL_FAILURE(ctd.run_detached(id, {"sleep", "1000"}));
  auto paused = ctd.ctr({"task", "pause", id});
  EXPECT_EQ(paused.exit_code, 0) << paused;
  EXPECT_EQ(ctd.task_status(id), "PAUSED");
  auto resumed = ctd.ctr({"task", "resume", id});
  EXPECT_EQ(resumed.exit_code, 0) << resumed;
  EXPECT_EQ(ctd.task_status(id), "RUNNING");
  stop_and_delete(ctd, id);
  ctd.expect_clean();
}

TEST(ShimContainerd, KillStopsTheTaskAndDeleteRemovesIt) {
  KEEL_SKIP_WITHOUT_CONTAINERD();
  PrivateContainerd ctd;
  ASSERT_TRUE(ctd.ready());
  const std::string id = ctd.new_id();
  ASSERT_NO_FATAL_FAILURE(ctd.run_detached(id, kExitNineOnTerm));
  EXPECT_EQ(ctd.task_status(id), "RUNNING");
  EXPECT_EQ(ctd.ctr({"task", "kill", id}).exit_code, 0);  // SIGTERM
  ASSERT_TRUE(ctd.wait_task_status(id, "STOPPED"));
  auto deleted = ctd.ctr({"task", "delete", id});
  EXPECT_EQ(deleted.exit_code, 0) << deleted;
  EXPECT_THAT(deleted.err, HasSubstr("exit code 9"));
  EXPECT_EQ(ctd.task_status(id), "");
  EXPECT_EQ(ctd.ctr({"container", "delete", id}).exit_code, 0);
  ctd.expect_clean();
}

TEST(ShimContainerd, RestartedContainerdFindsTheTaskAndItsRealExit) {
  KEEL_SKIP_WITHOUT_CONTAINERD();
  PrivateContainerd ctd;
  ASSERT_TRUE(ctd.ready());
  const std::string id = ctd.new_id();
  ASSERT_NO_FATAL_FAILURE(ctd.run_detached(id, kExitNineOnTerm));
  const pid_t pid = ctd.task_pid(id);
  ctd.kill_daemon();
  ctd.start_daemon();
  ASSERT_TRUE(ctd.ready());
  EXPECT_EQ(ctd.task_status(id), "RUNNING");
  EXPECT_EQ(ctd.task_pid(id), pid);
  EXPECT_EQ(ctd.ctr({"task", "kill", id}).exit_code, 0);
  ASSERT_TRUE(ctd.wait_task_status(id, "STOPPED"));
  auto deleted = ctd.ctr({"task", "delete", id});
  EXPECT_EQ(deleted.exit_code, 0) << deleted;
  EXPECT_THAT(deleted.err, HasSubstr("exit code 9"));
  EXPECT_EQ(ctd.ctr({"container", "delete", id}).exit_code, 0);
  ctd.expect_clean();
}

TEST(ShimContainerd, ExitWhileContainerdIsDownIsReportedAfterRestart) {
  KEEL_SKIP_WITHOUT_CONTAINERD();
  PrivateContainerd ctd;
  ASSERT_TRUE(ctd.ready());
  const std::string id = ctd.new_id();
  ASSERT_NO_FATAL_FAILURE(ctd.run_detached(id, kExitNineOnTerm));
  const pid_t pid = ctd.task_pid(id);
  ASSERT_GT(pid, 0);
  ctd.kill_daemon();
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  ASSERT_TRUE(fixtures::wait_until([&] { return ::kill(pid, 0) != 0; }));
  ctd.start_daemon();
  ASSERT_TRUE(ctd.ready());
  ASSERT_TRUE(ctd.wait_task_status(id, "STOPPED"));
  auto deleted = ctd.ctr({"task", "delete", id});
  EXPECT_EQ(deleted.exit_code, 0) << deleted;
  EXPECT_THAT(deleted.err, HasSubstr("exit code 9"));
  EXPECT_EQ(ctd.ctr({"container", "delete", id}).exit_code, 0);
  ctd.expect_clean();
}

}  // namespace
}  // namespace keel::shim::testing
