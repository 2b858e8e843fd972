// Pins keel-shim's task API without containerd (shim/task.cpp, task_service.cpp, commands):
// lifecycle, exit codes, refusals with the right codes, exec, the `delete` binary, cleanup.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <regex>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/fs.h"
#include "containerd/runc/v1/options.pb.h"
#include "containerd/task/v2/shim.pb.h"
#include "integration/shim/shim_harness.h"
#include "keel/wkt/empty.pb.h"

namespace keel::shim::testing {
namespace {

namespace v2 = containerd::task::v2;
using keel::wkt::Empty;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ttrpc::Code;

v2::CreateTaskRequest create_request(const fixtures::Bundle& bundle, const std::string& out) {
  v2::CreateTaskRequest req;
  req.set_id(bundle.id);
  req.set_bundle(bundle.dir.string());
  req.set_stdout(out);
  return req;
}

template <class Req>
Req with_id(const std::string& id, const std::string& exec_id = {}) {
  Req req;
  req.set_id(id);
  if constexpr (requires { req.set_exec_id(exec_id); })
    req.set_exec_id(exec_id);
  return req;
}

// Create (no stdout) and Start of the bundle's task; `init_pid` gets the init's pid.
void create_and_start(ShimHarness& shim, const fixtures::Bundle& bundle, std::uint32_t& init_pid) {
  v2::CreateTaskResponse created;
  ASSERT_EQ(shim.call("Create", create_request(bundle, ""), created).code, Code::kOk);
  v2::StartResponse started;
  ASSERT_EQ(shim.call("Start", with_id<v2::StartRequest>(bundle.id), started).code, Code::kOk);
  init_pid = created.pid();
}

// Shuts the shim down and checks it is gone with its socket.
void shutdown_and_check(ShimHarness& shim) {
  Empty empty;
  v2::ShutdownRequest req;
  req.set_id("x");
  EXPECT_EQ(shim.call("Shutdown", req, empty).code, Code::kOk);
  EXPECT_TRUE(shim.wait_shim_exit());
  EXPECT_FALSE(std::filesystem::exists(shim.socket_path())) << shim.socket_path();
}

// SIGKILL to the task's init, then Wait, Delete and Shutdown: the end of a long-running task.
void kill_delete_and_shut_down(ShimHarness& shim, const std::string& id) {
  Empty empty;
  auto kill = with_id<v2::KillRequest>(id);
  kill.set_signal(SIGKILL);
  ASSERT_EQ(shim.call("Kill", kill, empty).code, Code::kOk);
  v2::WaitResponse waited;
  ASSERT_EQ(shim.call("Wait", with_id<v2::WaitRequest>(id), waited).code, Code::kOk);
  EXPECT_EQ(waited.exit_status(), 128U + SIGKILL);
  v2::DeleteResponse deleted;
  ASSERT_EQ(shim.call("Delete", with_id<v2::DeleteRequest>(id), deleted).code, Code::kOk);
  shutdown_and_check(shim);
}

TEST(ShimDirect, RunsBusyboxAndWaitReturnsItsExitCode) {
  KEEL_SKIP_UNLESS_ROOT();
  fixtures::LeakCheck leaks;
  {
    auto bundle = fixtures::busybox_bundle();
    bundle.set_args({"sh", "-c", "echo hello from busybox; exit 7"});
    bundle.write();
    ShimHarness shim(bundle);
    ASSERT_TRUE(shim.started());
    const std::string out = shim.make_output_fifo("stdout");

    v2::CreateTaskResponse created;
    ASSERT_EQ(shim.call("Create", create_request(bundle, out), created).code, Code::kOk);
    EXPECT_GT(created.pid(), 0U);
    v2::StateResponse state;
    ASSERT_EQ(shim.call("State", with_id<v2::StateRequest>(bundle.id), state).code, Code::kOk);
    EXPECT_EQ(state.status(), containerd::v1::types::CREATED);

    v2::StartResponse started;
    ASSERT_EQ(shim.call("Start", with_id<v2::StartRequest>(bundle.id), started).code, Code::kOk);
    EXPECT_EQ(started.pid(), created.pid());
    v2::WaitResponse waited;
    ASSERT_EQ(shim.call("Wait", with_id<v2::WaitRequest>(bundle.id), waited).code, Code::kOk);
    EXPECT_EQ(waited.exit_status(), 7U);
    EXPECT_GT(waited.exited_at().seconds(), 0);
    EXPECT_TRUE(fixtures::wait_until([&] {
      return shim.read_fifo("stdout").find("hello from busybox") != std::string::npos ||
             ::testing::Test::HasFailure();
    }));

    // A Wait arriving after the exit answers at once, with the same status.
    ASSERT_EQ(shim.call("Wait", with_id<v2::WaitRequest>(bundle.id), waited).code, Code::kOk);
    EXPECT_EQ(waited.exit_status(), 7U);
    ASSERT_EQ(shim.call("State", with_id<v2::StateRequest>(bundle.id), state).code, Code::kOk);
    EXPECT_EQ(state.status(), containerd::v1::types::STOPPED);
    EXPECT_EQ(state.exit_status(), 7U);

    v2::DeleteResponse deleted;
    ASSERT_EQ(shim.call("Delete", with_id<v2::DeleteRequest>(bundle.id), deleted).code, Code::kOk);
    EXPECT_EQ(deleted.exit_status(), 7U);
    EXPECT_EQ(deleted.pid(), created.pid());
    shutdown_and_check(shim);
    EXPECT_THAT(shim.published_topics(),
                ElementsAre("/tasks/create", "/tasks/start", "/tasks/exit", "/tasks/delete"));
  }
  leaks.expect_none();
}

TEST(ShimDirect, KillEndsTheTaskWithTheSignalsStatus) {
  KEEL_SKIP_UNLESS_ROOT();
  fixtures::LeakCheck leaks;
  {
    auto bundle = fixtures::busybox_bundle();
    bundle.set_args({"sleep", "1000"});
    bundle.write();
    ShimHarness shim(bundle);
    ASSERT_TRUE(shim.started());
    std::uint32_t init_pid = 0;
    ASSERT_NO_FATAL_FAILURE(create_and_start(shim, bundle, init_pid));
    Empty empty;
    v2::DeleteResponse deleted;
    EXPECT_EQ(shim.call("Delete", with_id<v2::DeleteRequest>(bundle.id), deleted).code,
              Code::kFailedPrecondition);
    auto kill = with_id<v2::KillRequest>(bundle.id);
    kill.set_signal(SIGKILL);
    ASSERT_EQ(shim.call("Kill", kill, empty).code, Code::kOk);
    v2::WaitResponse waited;
    ASSERT_EQ(shim.call("Wait", with_id<v2::WaitRequest>(bundle.id), waited).code, Code::kOk);
    EXPECT_EQ(waited.exit_status(), 128U + SIGKILL);
    EXPECT_EQ(shim.call("Kill", kill, empty).code, Code::kNotFound);  // already finished
    ASSERT_EQ(shim.call("Delete", with_id<v2::DeleteRequest>(bundle.id), deleted).code, Code::kOk);
    EXPECT_EQ(deleted.exit_status(), 128U + SIGKILL);
    shutdown_and_check(shim);
  }
  leaks.expect_none();
}

TEST(ShimDirect, RefusesWhatTheTaskCannotDoWithTheRightCodes) {
  KEEL_SKIP_UNLESS_ROOT();
  fixtures::LeakCheck leaks;
  {
    auto bundle = fixtures::busybox_bundle();
    bundle.set_args({"sleep", "1000"});
    bundle.write();
    ShimHarness shim(bundle);
    ASSERT_TRUE(shim.started());
    Empty empty;
    v2::StartResponse started;
    EXPECT_EQ(shim.call("Start", with_id<v2::StartRequest>(bundle.id), started).code,
              Code::kNotFound);
    v2::CreateTaskResponse created;
    ASSERT_EQ(shim.call("Create", create_request(bundle, ""), created).code, Code::kOk);
    EXPECT_EQ(shim.call("Create", create_request(bundle, ""), created).code, Code::kAlreadyExists);
    EXPECT_EQ(shim.call("Pause", with_id<v2::PauseRequest>(bundle.id), empty).code,
              Code::kFailedPrecondition);
    EXPECT_EQ(shim.call("State", with_id<v2::StateRequest>("other"), empty).code, Code::kNotFound);
    EXPECT_EQ(shim.call("State", with_id<v2::StateRequest>(bundle.id, "nope"), empty).code,
              Code::kNotFound);
    v2::StatsResponse stats;
    ASSERT_EQ(shim.call("Stats", with_id<v2::StatsRequest>(bundle.id), stats).code, Code::kOk);
    EXPECT_EQ(stats.stats().type_url(), "io.containerd.cgroups.v1.Metrics");
    EXPECT_FALSE(stats.stats().value().empty());
    v2::CheckpointTaskRequest checkpoint;
    checkpoint.set_id(bundle.id);
    EXPECT_EQ(shim.call("Checkpoint", checkpoint, empty).code, Code::kUnimplemented);
    auto exec = with_id<v2::ExecProcessRequest>(bundle.id, "e1");
    EXPECT_EQ(shim.call("Exec", exec, empty).code, Code::kFailedPrecondition);  // not running
    v2::ConnectResponse connected;
    ASSERT_EQ(shim.call("Connect", with_id<v2::ConnectRequest>(bundle.id), connected).code,
              Code::kOk);
    EXPECT_EQ(static_cast<pid_t>(connected.shim_pid()), shim.shim_pid());
    EXPECT_EQ(connected.task_pid(), created.pid());
    // A created task may be deleted: the runtime kills its init.
    v2::DeleteResponse deleted;
    ASSERT_EQ(shim.call("Delete", with_id<v2::DeleteRequest>(bundle.id), deleted).code, Code::kOk);
    EXPECT_EQ(deleted.pid(), created.pid());
    EXPECT_EQ(shim.call("Start", with_id<v2::StartRequest>(bundle.id), started).code,
              Code::kNotFound);
    shutdown_and_check(shim);
  }
  leaks.expect_none();
}

TEST(ShimDirect, ExecRunsAProcessBesideTheInitAndReportsItsExit) {
  KEEL_SKIP_UNLESS_ROOT();
  fixtures::LeakCheck leaks;
  {
    auto bundle = fixtures::busybox_bundle();
    bundle.set_args({"sleep", "1000"});
    bundle.write();
    ShimHarness shim(bundle);
    ASSERT_TRUE(shim.started());
    const std::string out = shim.make_output_fifo("exec-out");
    std::uint32_t init_pid = 0;
    ASSERT_NO_FATAL_FAILURE(create_and_start(shim, bundle, init_pid));

    nlohmann::json process = bundle.config["process"];
    process["args"] = {"sh", "-c", "echo from exec; exit 3"};
    auto exec = with_id<v2::ExecProcessRequest>(bundle.id, "e1");
    exec.set_stdout(out);
    exec.mutable_spec()->set_type_url("types.containerd.io/opencontainers/runtime-spec/1/Process");
    exec.mutable_spec()->set_value(process.dump());
    Empty empty;
    ASSERT_EQ(shim.call("Exec", exec, empty).code, Code::kOk);
    EXPECT_EQ(shim.call("Exec", exec, empty).code, Code::kAlreadyExists);
    v2::StartResponse exec_started;
    ASSERT_EQ(shim.call("Start", with_id<v2::StartRequest>(bundle.id, "e1"), exec_started).code,
              Code::kOk);
    EXPECT_GT(exec_started.pid(), 0U);
    EXPECT_NE(exec_started.pid(), init_pid);
    v2::WaitResponse waited;
    ASSERT_EQ(shim.call("Wait", with_id<v2::WaitRequest>(bundle.id, "e1"), waited).code, Code::kOk);
    EXPECT_EQ(waited.exit_status(), 3U);
    EXPECT_TRUE(fixtures::wait_until([&] {
      return shim.read_fifo("exec-out").find("from exec") != std::string::npos ||
             ::testing::Test::HasFailure();
    }));
    v2::DeleteResponse deleted;
    ASSERT_EQ(shim.call("Delete", with_id<v2::DeleteRequest>(bundle.id, "e1"), deleted).code,
              Code::kOk);
    EXPECT_EQ(deleted.exit_status(), 3U);
    EXPECT_EQ(shim.call("Delete", with_id<v2::DeleteRequest>(bundle.id, "e1"), deleted).code,
              Code::kNotFound);

    auto kill = with_id<v2::KillRequest>(bundle.id);
    kill.set_signal(SIGKILL);
    ASSERT_EQ(shim.call("Kill", kill, empty).code, Code::kOk);
    ASSERT_EQ(shim.call("Wait", with_id<v2::WaitRequest>(bundle.id), waited).code, Code::kOk);
    ASSERT_EQ(shim.call("Delete", with_id<v2::DeleteRequest>(bundle.id), deleted).code, Code::kOk);
    shutdown_and_check(shim);
    EXPECT_THAT(shim.published_topics(),
                ElementsAre("/tasks/create", "/tasks/start", "/tasks/exec-added",
                            "/tasks/exec-started", "/tasks/exit", "/tasks/exit", "/tasks/delete"));
  }
  leaks.expect_none();
}

TEST(ShimDirect, DeleteBinaryCleansUpAfterAKilledShim) {
  KEEL_SKIP_UNLESS_ROOT();
  fixtures::LeakCheck leaks;
  {
    auto bundle = fixtures::busybox_bundle();
    bundle.set_args({"sleep", "1000"});
    bundle.write();
    ShimHarness shim(bundle);
    ASSERT_TRUE(shim.started());
    std::uint32_t init_pid = 0;
    ASSERT_NO_FATAL_FAILURE(create_and_start(shim, bundle, init_pid));
    ASSERT_EQ(::kill(shim.shim_pid(), SIGKILL), 0);
    ASSERT_TRUE(shim.wait_shim_exit());
    auto r = shim.run_delete_binary();
    ASSERT_EQ(r.exit_code, 0) << r;
    v2::DeleteResponse deleted;
    ASSERT_TRUE(deleted.ParseFromString(r.out));
    EXPECT_EQ(deleted.pid(), init_pid);
    EXPECT_EQ(deleted.exit_status(), 128U + SIGKILL);
    EXPECT_FALSE(std::filesystem::exists(shim.socket_path()));
    EXPECT_TRUE(fixtures::wait_until([&] { return fixtures::live_children().empty(); }));
  }
  leaks.expect_none();
}

TEST(ShimDirect, OutOfMemoryKillIsPublishedAsTaskOom) {
  KEEL_SKIP_UNLESS_ROOT();
  fixtures::LeakCheck leaks;
  {
    auto bundle = fixtures::busybox_bundle();
    bundle.config["linux"]["resources"]["memory"]["limit"] = 32 * 1024 * 1024;
    // dd fills a 256 MiB buffer: far past the limit, so the kernel's OOM killer ends it.
    bundle.set_args({"dd", "if=/dev/zero", "of=/dev/null", "bs=256M", "count=1"});
    bundle.write();
    ShimHarness shim(bundle);
    ASSERT_TRUE(shim.started());
    std::uint32_t init_pid = 0;
    ASSERT_NO_FATAL_FAILURE(create_and_start(shim, bundle, init_pid));
    v2::WaitResponse waited;
    ASSERT_EQ(shim.call("Wait", with_id<v2::WaitRequest>(bundle.id), waited).code, Code::kOk);
    EXPECT_EQ(waited.exit_status(), 128U + SIGKILL);
    v2::DeleteResponse deleted;
    ASSERT_EQ(shim.call("Delete", with_id<v2::DeleteRequest>(bundle.id), deleted).code, Code::kOk);
    shutdown_and_check(shim);
    EXPECT_THAT(shim.published_topics(), ::testing::Contains("/tasks/oom"));
  }
  leaks.expect_none();
}

size_t open_fds(pid_t pid) {
  std::error_code ec;
  size_t n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++n;
  return n;
}

TEST(ShimDirect, ExecStdinReachesTheProcessAndCloseIoEndsItWithoutLeakingFds) {
  KEEL_SKIP_UNLESS_ROOT();
  fixtures::LeakCheck leaks;
  {
    auto bundle = fixtures::busybox_bundle();
    bundle.set_args({"sleep", "1000"});
    bundle.write();
    ShimHarness shim(bundle);
    ASSERT_TRUE(shim.started());
    const std::string out = shim.make_output_fifo("cat-out");
    const std::string in = (bundle.base() / "cat-in").string();
    ASSERT_EQ(::mkfifo(in.c_str(), 0600), 0);
    std::uint32_t init_pid = 0;
    ASSERT_NO_FATAL_FAILURE(create_and_start(shim, bundle, init_pid));
    const size_t fds_before = open_fds(shim.shim_pid());

    nlohmann::json process = bundle.config["process"];
    process["args"] = {"cat"};
    auto exec = with_id<v2::ExecProcessRequest>(bundle.id, "cat");
    exec.set_stdin(in);
    exec.set_stdout(out);
    exec.mutable_spec()->set_value(process.dump());
    Empty empty;
    ASSERT_EQ(shim.call("Exec", exec, empty).code, Code::kOk);
    v2::StartResponse exec_started;
    ASSERT_EQ(shim.call("Start", with_id<v2::StartRequest>(bundle.id, "cat"), exec_started).code,
              Code::kOk);
    UniqueFd writer(::open(in.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
    ASSERT_TRUE(writer.valid());
    ASSERT_EQ(::write(writer.get(), "ping\n", 5), 5);
    EXPECT_TRUE(fixtures::wait_until([&] {
      return shim.read_fifo("cat-out").find("ping") != std::string::npos ||
             ::testing::Test::HasFailure();
    }));
    auto close = with_id<v2::CloseIORequest>(bundle.id, "cat");
    close.set_stdin(true);
    ASSERT_EQ(shim.call("CloseIO", close, empty).code, Code::kOk);
    v2::WaitResponse waited;
    ASSERT_EQ(shim.call("Wait", with_id<v2::WaitRequest>(bundle.id, "cat"), waited).code,
              Code::kOk);
    EXPECT_EQ(waited.exit_status(), 0U);  // cat saw EOF
    v2::DeleteResponse deleted;
    ASSERT_EQ(shim.call("Delete", with_id<v2::DeleteRequest>(bundle.id, "cat"), deleted).code,
              Code::kOk);
    EXPECT_TRUE(fixtures::wait_until([&] { return open_fds(shim.shim_pid()) <= fds_before; }))
        << open_fds(shim.shim_pid()) << " fds in the shim, " << fds_before << " before the exec";
    kill_delete_and_shut_down(shim, bundle.id);
  }
  leaks.expect_none();
}

TEST(ShimDirect, FailedCreateReportsTheRuntimesErrorAndLeavesNothing) {
  KEEL_SKIP_UNLESS_ROOT();
  fixtures::LeakCheck leaks;
  {
    auto bundle = fixtures::busybox_bundle();
    bundle.config["process"]["cwd"] = "not/absolute";
    bundle.write();
    ShimHarness shim(bundle);
    ASSERT_TRUE(shim.started());
    v2::CreateTaskResponse created;
    auto status = shim.call("Create", create_request(bundle, ""), created);
    EXPECT_EQ(status.code, Code::kInternal);
    EXPECT_THAT(status.message, HasSubstr("runtime create: create \"" + bundle.id + "\""));
    EXPECT_THAT(status.message, HasSubstr("cwd")) << status.message;  // keel's own error line
    v2::StateResponse state;
    EXPECT_EQ(shim.call("State", with_id<v2::StateRequest>(bundle.id), state).code,
              Code::kNotFound);
    shutdown_and_check(shim);  // nothing was created: Shutdown ends the shim
  }
  leaks.expect_none();
}

// keel's create, start, kill and delete run in the shim's own process: the init is cloned from
// the shim, which ignores SIGPIPE and holds its socket, loop and log fds. None of that may reach
// the container's process.
TEST(ShimDirect, TheInitGetsDefaultSignalsAndOnlyItsStdioFromTheShim) {
  KEEL_SKIP_UNLESS_ROOT();
  fixtures::LeakCheck leaks;
  {
    auto bundle = fixtures::busybox_bundle();
    bundle.set_args({"sleep", "1000"});  // opens nothing and changes no disposition
    bundle.write();
    ShimHarness shim(bundle);
    ASSERT_TRUE(shim.started());
    std::uint32_t init_pid = 0;
    ASSERT_NO_FATAL_FAILURE(create_and_start(shim, bundle, init_pid));
    const std::string proc = "/proc/" + std::to_string(init_pid);
    auto status = fs::read_file(proc + "/status");
    ASSERT_TRUE(status) << status.error().message();
    EXPECT_THAT(*status, HasSubstr("SigIgn:\t0000000000000000\n"));  // not the shim's SIGPIPE
    EXPECT_THAT(*status, HasSubstr("SigBlk:\t0000000000000000\n"));  // not its signalfd's set
    std::set<std::string> fds;
    for (const auto& entry : std::filesystem::directory_iterator(proc + "/fd"))
      fds.insert(entry.path().filename().string());
    EXPECT_EQ(fds, (std::set<std::string>{"0", "1", "2"}));
    kill_delete_and_shut_down(shim, bundle.id);
  }
  leaks.expect_none();
}

std::string ns_link(pid_t pid, const std::string& name) {
  std::error_code ec;
  return std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/ns/" + name, ec).string();
}

// A container joining another's pid namespace (a pod's) is born there because its creator enters
// it for its children; in the shim that creator lives on, and its later children must not be.
TEST(ShimDirect, JoiningAPidNamespaceLeavesTheShimsOwnForItsLaterChildren) {
  KEEL_SKIP_UNLESS_ROOT();
  fixtures::LeakCheck leaks;
  {
    auto first = fixtures::busybox_bundle();
    first.set_args({"sleep", "1000"});
    first.write();
    ShimHarness first_shim(first);
    ASSERT_TRUE(first_shim.started());
    std::uint32_t first_pid = 0;
    ASSERT_NO_FATAL_FAILURE(create_and_start(first_shim, first, first_pid));

    auto second = fixtures::busybox_bundle();
    second.set_args({"sleep", "1000"});
    for (auto& ns : second.config["linux"]["namespaces"])
      if (ns["type"] == "pid")
        ns["path"] = "/proc/" + std::to_string(first_pid) + "/ns/pid";
    second.write();
    ShimHarness second_shim(second);
    ASSERT_TRUE(second_shim.started());
    std::uint32_t second_pid = 0;
    ASSERT_NO_FATAL_FAILURE(create_and_start(second_shim, second, second_pid));
    const pid_t shim_pid = second_shim.shim_pid();
    EXPECT_EQ(ns_link(static_cast<pid_t>(second_pid), "pid"),
              ns_link(static_cast<pid_t>(first_pid), "pid"));
    EXPECT_NE(ns_link(shim_pid, "pid"), ns_link(static_cast<pid_t>(first_pid), "pid"));
    EXPECT_EQ(ns_link(shim_pid, "pid_for_children"), ns_link(shim_pid, "pid"));

    kill_delete_and_shut_down(second_shim, second.id);
    kill_delete_and_shut_down(first_shim, first.id);
  }
  leaks.expect_none();
}

// A runtime other than the keel beside the shim (here runc, as containerd's BinaryName names it)
// is run as a binary for every step, its state under the root the options give.
TEST(ShimDirect, AnotherRuntimeNamedInTheOptionsRunsAsItsOwnBinary) {
  KEEL_SKIP_UNLESS_ROOT();
  const std::filesystem::path runc = "/usr/sbin/runc";
  if (!std::filesystem::exists(runc))
    GTEST_SKIP() << "no " << runc;
  fixtures::LeakCheck leaks;
  {
    auto bundle = fixtures::busybox_bundle();
    bundle.set_args({"sh", "-c", "echo from runc; exit 5"});
    bundle.write();
    const std::filesystem::path runc_root = bundle.base() / "runc-root";
    ShimHarness shim(bundle);
    ASSERT_TRUE(shim.started());
    const std::string out = shim.make_output_fifo("stdout");
    auto req = create_request(bundle, out);
    containerd::runc::v1::Options options;
    options.set_binary_name(runc.string());
    options.set_root(runc_root.string());
    req.mutable_options()->set_type_url("containerd.runc.v1.Options");
    req.mutable_options()->set_value(options.SerializeAsString());
    v2::CreateTaskResponse created;
    ASSERT_EQ(shim.call("Create", req, created).code, Code::kOk);
    EXPECT_TRUE(std::filesystem::exists(runc_root / bundle.id / "state.json"))
        << "runc keeps its state there";
    EXPECT_FALSE(std::filesystem::exists(bundle.root / bundle.id)) << "keel's root stays empty";
    v2::StartResponse started;
    ASSERT_EQ(shim.call("Start", with_id<v2::StartRequest>(bundle.id), started).code, Code::kOk);
    v2::WaitResponse waited;
    ASSERT_EQ(shim.call("Wait", with_id<v2::WaitRequest>(bundle.id), waited).code, Code::kOk);
    EXPECT_EQ(waited.exit_status(), 5U);
    EXPECT_TRUE(fixtures::wait_until(
        [&] { return shim.read_fifo("stdout").find("from runc") != std::string::npos; }));
    v2::DeleteResponse deleted;
    ASSERT_EQ(shim.call("Delete", with_id<v2::DeleteRequest>(bundle.id), deleted).code, Code::kOk);
    EXPECT_FALSE(std::filesystem::exists(runc_root / bundle.id)) << "runc delete ran";
    shutdown_and_check(shim);
  }
  leaks.expect_none();
}

TEST(ShimDirect, UpdateSetsTheContainersResources) {
  KEEL_SKIP_UNLESS_ROOT();
  fixtures::LeakCheck leaks;
  {
    auto bundle = fixtures::busybox_bundle();
    bundle.set_args({"sleep", "1000"});
    bundle.write();
    ShimHarness shim(bundle);
    ASSERT_TRUE(shim.started());
    std::uint32_t init_pid = 0;
    ASSERT_NO_FATAL_FAILURE(create_and_start(shim, bundle, init_pid));
    auto update = with_id<v2::UpdateTaskRequest>(bundle.id);
    update.mutable_resources()->set_type_url(
        "types.containerd.io/opencontainers/runtime-spec/1/LinuxResources");
    update.mutable_resources()->set_value(R"({"memory":{"limit":67108864}})");
    Empty empty;
    ASSERT_EQ(shim.call("Update", update, empty).code, Code::kOk);
    std::string limit;
    for (const auto& dir : fixtures::cgroup_dirs(bundle.cgroups_path)) {
      for (const char* file : {"memory.limit_in_bytes", "memory.max"})
        if (auto text = fixtures::read_text(dir / file); !text.empty())
          limit = text;
    }
    EXPECT_EQ(limit, "67108864\n");
    auto kill = with_id<v2::KillRequest>(bundle.id);
    kill.set_signal(SIGKILL);
    ASSERT_EQ(shim.call("Kill", kill, empty).code, Code::kOk);
    v2::WaitResponse waited;
    ASSERT_EQ(shim.call("Wait", with_id<v2::WaitRequest>(bundle.id), waited).code, Code::kOk);
    EXPECT_EQ(shim.call("Update", update, empty).code, Code::kFailedPrecondition);  // stopped
    v2::DeleteResponse deleted;
    ASSERT_EQ(shim.call("Delete", with_id<v2::DeleteRequest>(bundle.id), deleted).code, Code::kOk);
    shutdown_and_check(shim);
  }
  leaks.expect_none();
}

struct CriRecord {
  std::string stream;
  std::string tag;
  std::string message;
};

// Parses a CRI log, checking each time is RFC3339Nano UTC within a minute of now.
std::vector<CriRecord> parse_cri_log(const std::string& text) {
  static const std::regex kLine(
      R"(^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d{0,8}[1-9])?Z (stdout|stderr) ([FP]) (.*)$)");
  std::vector<CriRecord> records;
  std::size_t start = 0;
  for (std::size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
    const std::string line = text.substr(start, nl - start);
    std::smatch m;
    if (!std::regex_match(line, m, kLine)) {
      ADD_FAILURE() << "not a CRI record: \"" << line << "\"";
      continue;
    }
    std::tm tm{};
    EXPECT_NE(::strptime(m[1].str().c_str(), "%Y-%m-%dT%H:%M:%S", &tm), nullptr);
    EXPECT_LT(std::abs(::timegm(&tm) - ::time(nullptr)), 60) << line;
    records.push_back({m[3], m[4], m[5]});
  }
  return records;
}

TEST(ShimDirect, LogPathAnnotationWritesOutputAsCriRecords) {
  KEEL_SKIP_UNLESS_ROOT();
  fixtures::LeakCheck leaks;
  {
    auto bundle = fixtures::busybox_bundle();
    const std::string log = (bundle.base() / "ctr.log").string();
    bundle.set_args({"sh", "-c", "printf 'a\\nb'; printf 'c\\n' >&2"});
    bundle.config["annotations"]["io.keel.shim.log-path"] = log;
    bundle.write();
    ShimHarness shim(bundle);
    ASSERT_TRUE(shim.started());
    const std::string out = shim.make_output_fifo("stdout");  // stderr: the log alone

    v2::CreateTaskResponse created;
    ASSERT_EQ(shim.call("Create", create_request(bundle, out), created).code, Code::kOk);
    struct stat st {};
    ASSERT_EQ(::stat(log.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0640U);
    v2::StartResponse started;
    ASSERT_EQ(shim.call("Start", with_id<v2::StartRequest>(bundle.id), started).code, Code::kOk);
    v2::WaitResponse waited;
    ASSERT_EQ(shim.call("Wait", with_id<v2::WaitRequest>(bundle.id), waited).code, Code::kOk);
    EXPECT_EQ(waited.exit_status(), 0U);
    // The unterminated "b" goes out when stdout ends, as a P record.
    auto read_log = [&] {
      auto text = fs::read_file(log);
      return text ? *text : std::string();
    };
    EXPECT_TRUE(fixtures::wait_until([&] {
      const auto text = read_log();
      return (text.find(" stdout P b\n") != std::string::npos &&
              text.find(" stderr F c\n") != std::string::npos) ||
             ::testing::Test::HasFailure();
    })) << read_log();
    std::vector<std::string> stdout_records, stderr_records;
    for (const auto& r : parse_cri_log(read_log()))
      (r.stream == "stdout" ? stdout_records : stderr_records).push_back(r.tag + " " + r.message);
    EXPECT_THAT(stdout_records, ElementsAre("F a", "P b"));
    EXPECT_THAT(stderr_records, ElementsAre("F c"));
    EXPECT_EQ(shim.read_fifo("stdout"), "a\nb");  // the fifo still gets the raw bytes

    v2::DeleteResponse deleted;
    ASSERT_EQ(shim.call("Delete", with_id<v2::DeleteRequest>(bundle.id), deleted).code, Code::kOk);
    shutdown_and_check(shim);
  }
  leaks.expect_none();
}

}  // namespace
}  // namespace keel::shim::testing
