// Pins keeld's client of keel-shim (manager/containers/task_client.cpp over shimapi/) against a
// real shim and keel over a busybox bundle: launch as containerd does, CRI log, exit codes, kill,
// reconnect from the saved address, the exit file, the shim's `delete`, and nothing left behind.
#include "manager/containers/task_client.h"

#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/fs.h"
#include "common/unique_fd.h"
#include "integration/fixtures/fixtures.h"
#include "manager/containers/log_reader.h"
#include "manager/containers/spec_builder.h"
#include "shimapi/metrics.h"

namespace keel::manager::containers {
namespace {

namespace stdfs = std::filesystem;
using ::testing::ElementsAre;

constexpr const char* kNamespace = "keeld-test";

std::string bin(const char* name) {
  return (stdfs::path(KEEL_BIN_DIR) / name).string();
}

// One bundle with a shim launched for it. The destructor kills a shim a failed test left and
// runs the shim's `delete`, as containerd does for a dead shim, so nothing outlives the test.
class ShimUnderTest {
 public:
  // `edit` may change the bundle's config before it is written.
  explicit ShimUnderTest(std::vector<std::string> args,
                         const std::function<void(fixtures::Bundle&)>& edit = {})
      : bundle_(fixtures::busybox_bundle()) {
    log_path_ = (bundle_.base() / "ctr.log").string();
    bundle_.set_args(std::move(args));
    bundle_.config["annotations"]["io.keel.shim.log-path"] = log_path_;
    if (edit)
      edit(bundle_);
    bundle_.write();
  }
  ShimUnderTest(const ShimUnderTest&) = delete;
  ShimUnderTest& operator=(const ShimUnderTest&) = delete;
  ShimUnderTest(ShimUnderTest&&) = delete;
  ShimUnderTest& operator=(ShimUnderTest&&) = delete;
  ~ShimUnderTest() {
    if (const pid_t pid = shim_pid(); pid > 0 && ::kill(pid, 0) == 0) {
      ::kill(pid, SIGKILL);
      (void)wait_shim_gone();
      (void)remove_dead_shim();
    }
  }

  [[nodiscard]] Result<std::string> launch() { return TaskClient::launch(launch_options()); }
  // The shim's `delete`, as containerd runs it for a shim that died.
  [[nodiscard]] Result<shimapi::ShimDeleted> remove_dead_shim() {
    return shimapi::delete_shim(launch_options());
  }
  [[nodiscard]] Result<int> create(TaskClient& client) {
    return client.create(bundle_.id, bundle_.dir.string(), TaskStdio{}, bin("keel"),
                         bundle_.root.string());
  }
  [[nodiscard]] pid_t shim_pid() const {
    auto text = fs::read_file((bundle_.dir / "shim.pid").string());
    return text ? static_cast<pid_t>(std::atoi(text->c_str())) : 0;
  }
  [[nodiscard]] bool wait_shim_gone() const {
    const pid_t pid = shim_pid();
    return pid <= 0 || fixtures::wait_until([&] { return ::kill(pid, 0) != 0; });
  }
  // Delete, Shutdown, and the shim is gone with its socket.
  void finish(TaskClient& client, const std::string& address) {
    EXPECT_TRUE(client.remove(bundle_.id));
    EXPECT_TRUE(client.shutdown(bundle_.id));
    EXPECT_TRUE(wait_shim_gone());
    EXPECT_FALSE(stdfs::exists(address.substr(std::string("unix://").size()))) << address;
  }
  [[nodiscard]] std::vector<std::string> log_lines() const {
    std::vector<std::string> lines;
    (void)read_log(log_path_, {}, [&](const LogEntry& e) {
      lines.push_back(e.line);
      return true;
    });
    return lines;
  }

  [[nodiscard]] const std::string& id() const { return bundle_.id; }
  [[nodiscard]] std::string bundle_dir() const { return bundle_.dir.string(); }

 private:
  [[nodiscard]] std::string keeld_address() const {
    return (bundle_.base() / "keeld.sock").string();
  }
  // The socket dir goes in the shim's environment: private per test.
  [[nodiscard]] ShimLaunch launch_options() const {
    return ShimLaunch{
        .shim_binary = bin("keel-shim"),
        .ns = kNamespace,
        .id = bundle_.id,
        .bundle = bundle_.dir.string(),
        .address = keeld_address(),
        .env = {std::string(shimapi::kSocketDirEnv) + "=" + (bundle_.base() / "s").string()}};
  }

  fixtures::Bundle bundle_;
  std::string log_path_;
};

TEST(TaskClient, RunsEchoAndItsOutputLandsInTheCriLog) {
  KEEL_SKIP_UNLESS_ROOT();
  fixtures::LeakCheck leaks;
  {
    ShimUnderTest shim({"echo", "hello"});
    auto address = shim.launch();
    ASSERT_TRUE(address) << address.error().message();
    EXPECT_TRUE(address->starts_with("unix://")) << *address;
    auto client = TaskClient::connect(*address);
    ASSERT_TRUE(client) << client.error().message();
    auto pid = shim.create(*client);
    ASSERT_TRUE(pid) << pid.error().message();
    EXPECT_GT(*pid, 0);
    auto state = client->state(shim.id());
    ASSERT_TRUE(state);
    EXPECT_EQ(state->status, "created");
    ASSERT_TRUE(client->start(shim.id()));
    auto exit = client->wait(shim.id());
    ASSERT_TRUE(exit) << exit.error().message();
    EXPECT_EQ(exit->exit_status, 0);
    EXPECT_TRUE(fixtures::wait_until([&] { return !shim.log_lines().empty(); }));
    EXPECT_THAT(shim.log_lines(), ElementsAre("hello\n"));
    shim.finish(*client, *address);
  }
  leaks.expect_none();
}

TEST(TaskClient, WaitStateAndTheExitFileGiveTheExitCode) {
  KEEL_SKIP_UNLESS_ROOT();
  fixtures::LeakCheck leaks;
  {
    ShimUnderTest shim({"sh", "-c", "exit 7"});
    auto address = shim.launch();
    ASSERT_TRUE(address) << address.error().message();
    auto client = TaskClient::connect(*address);
    ASSERT_TRUE(client);
    auto pid = shim.create(*client);
    ASSERT_TRUE(pid);
    ASSERT_TRUE(client->start(shim.id()));
    auto exit = client->wait(shim.id());
    ASSERT_TRUE(exit);
    EXPECT_EQ(exit->exit_status, 7);
    EXPECT_GT(exit->exited_at_ns, 0);
    auto state = client->state(shim.id());
    ASSERT_TRUE(state);
    EXPECT_EQ(state->status, "stopped");
    EXPECT_EQ(state->exit_status, 7);
    // What keeld reads after a restart, when the shim may be gone.
    auto recorded = TaskClient::read_exit_file(shim.bundle_dir());
    ASSERT_TRUE(recorded);
    EXPECT_EQ(recorded->exit_status, 7);
    EXPECT_EQ(recorded->pid, *pid);
    auto removed = client->remove(shim.id());
    ASSERT_TRUE(removed);
    EXPECT_EQ(removed->exit_status, 7);
    EXPECT_TRUE(client->shutdown(shim.id()));
    EXPECT_TRUE(shim.wait_shim_gone());
  }
  leaks.expect_none();
}

TEST(TaskClient, DeleteAfterTheShimDiedGivesTheRecordedExit) {
  KEEL_SKIP_UNLESS_ROOT();
  fixtures::LeakCheck leaks;
  {
    ShimUnderTest shim({"sh", "-c", "exit 3"});
    auto address = shim.launch();
    ASSERT_TRUE(address) << address.error().message();
    auto client = TaskClient::connect(*address);
    ASSERT_TRUE(client);
    auto pid = shim.create(*client);
    ASSERT_TRUE(pid);
    ASSERT_TRUE(client->start(shim.id()));
    ASSERT_TRUE(client->wait(shim.id()));
    ASSERT_EQ(::kill(shim.shim_pid(), SIGKILL), 0);
    ASSERT_TRUE(shim.wait_shim_gone());
    auto deleted = shim.remove_dead_shim();
    ASSERT_TRUE(deleted) << deleted.error().message();
    EXPECT_EQ(deleted->exit_status, 3u);
    EXPECT_EQ(deleted->pid, *pid);
    EXPECT_GT(deleted->exited_at_ns, 0);
    EXPECT_FALSE(stdfs::exists(address->substr(std::string("unix://").size()))) << *address;
  }
  leaks.expect_none();
}

TEST(TaskClient, KillEndsASleepingTask) {
  KEEL_SKIP_UNLESS_ROOT();
  fixtures::LeakCheck leaks;
  {
    ShimUnderTest shim({"sleep", "1000"});
    auto address = shim.launch();
    ASSERT_TRUE(address) << address.error().message();
    auto client = TaskClient::connect(*address);
    ASSERT_TRUE(client);
    auto pid = shim.create(*client);
    ASSERT_TRUE(pid);
    ASSERT_TRUE(client->start(shim.id()));
    auto pids = client->pids(shim.id());
    ASSERT_TRUE(pids) << pids.error().message();
    EXPECT_THAT(*pids, ::testing::Contains(*pid));
    auto stats = client->stats(shim.id());
    ASSERT_TRUE(stats) << stats.error().message();
    // v2 metrics on a host whose cgroups are all v2, v1 on a v1 or hybrid host (as here).
    EXPECT_EQ(stats->type_url, stdfs::exists("/sys/fs/cgroup/cgroup.controllers")
                                   ? shimapi::kCgroupV2MetricsType
                                   : shimapi::kCgroupV1MetricsType);
    auto figures = shimapi::figures_of_metrics(stats->type_url, stats->value);
    ASSERT_TRUE(figures) << figures.error().message();
    EXPECT_GE(figures->pids, 1u);
    EXPECT_GT(figures->memory_usage, 0u);
    auto busy = client->remove(shim.id());  // a running task cannot be deleted
    ASSERT_FALSE(busy);
    EXPECT_EQ(busy.error().kind(), Errc::kFailedPrecondition);
    ASSERT_TRUE(client->kill(shim.id(), SIGKILL));
    auto exit = client->wait(shim.id());
    ASSERT_TRUE(exit);
    EXPECT_EQ(exit->exit_status, 128 + SIGKILL);
    shim.finish(*client, *address);
  }
  leaks.expect_none();
}

TEST(TaskClient, ASecondClientReconnectsFromTheSavedAddress) {
  KEEL_SKIP_UNLESS_ROOT();
  fixtures::LeakCheck leaks;
  {
    ShimUnderTest shim({"sleep", "1000"});
    auto address = shim.launch();
    ASSERT_TRUE(address) << address.error().message();
    int task_pid = 0;
    {
      auto first = TaskClient::connect(*address);
      ASSERT_TRUE(first);
      auto pid = shim.create(*first);
      ASSERT_TRUE(pid);
      task_pid = *pid;
      ASSERT_TRUE(first->start(shim.id()));
    }  // keeld goes away: its connection closes, the task keeps running
    // The shim's `start` also wrote the address into the bundle, as containerd reads it back.
    auto saved = fs::read_file(shim.bundle_dir() + "/address");
    ASSERT_TRUE(saved);
    EXPECT_EQ(*saved, *address);
    auto second = TaskClient::connect(*saved);
    ASSERT_TRUE(second) << second.error().message();
    auto info = second->connect_info(shim.id());
    ASSERT_TRUE(info) << info.error().message();
    EXPECT_EQ(info->shim_pid, shim.shim_pid());
    EXPECT_EQ(info->task_pid, task_pid);
    auto state = second->state(shim.id());
    ASSERT_TRUE(state);
    EXPECT_EQ(state->status, "running");
    // Launching again for the same id hands out the running shim's address.
    auto again = shim.launch();
    ASSERT_TRUE(again) << again.error().message();
    EXPECT_EQ(*again, *address);
    ASSERT_TRUE(second->kill(shim.id(), SIGKILL));
    auto exit = second->wait(shim.id());
    ASSERT_TRUE(exit);
    EXPECT_EQ(exit->exit_status, 128 + SIGKILL);
    shim.finish(*second, *address);
  }
  leaks.expect_none();
}

// keeld starts the daemon itself (no `start` process): it must still be a daemon in a session of
// its own and hold no fd of keeld's, even one keeld left without CLOEXEC. (That it is orphaned at
// once is pinned by spawn's tests: the fixtures make this process a subreaper, which adopts it.)
TEST(TaskClient, LaunchedShimIsADaemonOfItsOwnWithoutTheCallersFds) {
  KEEL_SKIP_UNLESS_ROOT();
  fixtures::LeakCheck leaks;
  {
    int leaky[2];
    // NOLINTNEXTLINE(android-cloexec-pipe): no O_CLOEXEC, on purpose
    ASSERT_EQ(::pipe(leaky), 0);
    const UniqueFd leaky_read(leaky[0]);
    const UniqueFd leaky_write(leaky[1]);
    ShimUnderTest shim({"true"});
    auto address = shim.launch();
    ASSERT_TRUE(address) << address.error().message();
    auto client = TaskClient::connect(*address);
    ASSERT_TRUE(client) << client.error().message();
    auto info = client->connect_info(shim.id());
    ASSERT_TRUE(info) << info.error().message();
    const pid_t pid = info->shim_pid;
    auto stat = fs::read_file("/proc/" + std::to_string(pid) + "/stat");
    ASSERT_TRUE(stat);
    // "pid (comm) state ppid pgrp session ..."
    std::istringstream fields(stat->substr(stat->rfind(')') + 2));
    std::string state;
    pid_t ppid = 0;
    pid_t pgrp = 0;
    pid_t session = 0;
    fields >> state >> ppid >> pgrp >> session;
    EXPECT_EQ(session, pid);
    const std::string leaked = stdfs::read_symlink("/proc/self/fd/" + std::to_string(leaky[1]));
    for (const auto& entry : stdfs::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
      std::error_code ec;
      EXPECT_NE(stdfs::read_symlink(entry.path(), ec).string(), leaked) << entry.path();
    }
    EXPECT_TRUE(client->shutdown(shim.id()));
    EXPECT_TRUE(shim.wait_shim_gone());
  }
  leaks.expect_none();
}

TEST(TaskClient, BuiltSpecRunsWithDockersCapabilitiesAndSeccomp) {
  KEEL_SKIP_UNLESS_ROOT();
  fixtures::LeakCheck leaks;
  {
    const std::string log = "ctr.log";
    auto use_built_spec = [](fixtures::Bundle& bundle) {
      ImageConfig image;
      image.cmd = {"sh", "-c",
                   "grep -E '^(CapBnd|Seccomp):' /proc/self/status; unshare -n true 2>/dev/null; "
                   "echo unshare=$?; echo host=$HOSTNAME"};
      SpecContext context;
      context.id = bundle.id;
      context.rootfs = bundle.rootfs.string();
      context.cgroups_path = bundle.cgroups_path;
      context.log_path = bundle.config["annotations"]["io.keel.shim.log-path"];
      auto spec = build_spec(image, RunOptions{}, context);
      ASSERT_TRUE(spec) << spec.error().message();
      bundle.config = nlohmann::json::parse(oci::to_json(*spec));
    };
    ShimUnderTest shim({"true"}, use_built_spec);
    auto address = shim.launch();
    ASSERT_TRUE(address) << address.error().message();
    auto client = TaskClient::connect(*address);
    ASSERT_TRUE(client);
    auto pid = shim.create(*client);
    ASSERT_TRUE(pid) << pid.error().message();
    ASSERT_TRUE(client->start(shim.id()));
    auto exit = client->wait(shim.id());
    ASSERT_TRUE(exit);
    EXPECT_EQ(exit->exit_status, 0);
    EXPECT_TRUE(fixtures::wait_until([&] { return shim.log_lines().size() >= 4; }));
    // docker's 14 default capabilities; seccomp in filter mode; unshare refused by both.
    EXPECT_THAT(shim.log_lines(),
                ElementsAre("CapBnd:\t00000000a80425fb\n", "Seccomp:\t2\n", "unshare=1\n",
                            "host=" + shim.id().substr(0, 12) + "\n"));
    shim.finish(*client, *address);
  }
  leaks.expect_none();
}

}  // namespace
}  // namespace keel::manager::containers
