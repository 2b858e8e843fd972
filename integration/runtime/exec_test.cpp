// Pins `exec` (runc man/runc-exec.8.md): the new process joins every namespace and cgroup of a
// running container, takes the flags' or --process's attributes, returns its exit code, and
// starts with stdio only; a container that is not running refuses it.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/fs.h"
#include "common/unique_fd.h"
#include "integration/fixtures/fixtures.h"

namespace keel::fixtures {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A running container whose init sleeps; the caller deletes it.
void run_sleeper(Bundle& bundle) {
  ASSERT_NO_FATAL_FAILURE(run_detached(bundle, {"sleep", "1000"}));
}

RunResult exec(const Bundle& bundle, std::vector<std::string> args, RunOptions options = {}) {
  std::vector<std::string> argv = {"exec"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_runtime(bundle, argv, std::move(options));
}

pid_t init_pid(const Bundle& bundle) {
  const auto state = container_state(bundle, bundle.id);
  return state ? state->value("pid", 0) : 0;
}

std::string ns_link(const std::string& pid, const std::string& ns) {
  std::error_code ec;
  return std::filesystem::read_symlink("/proc/" + pid + "/ns/" + ns, ec).string();
}

TEST(Exec, IsNotPidOneAndSeesInitAsPidOne) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  ASSERT_NO_FATAL_FAILURE(run_sleeper(bundle));
  const RunResult self = exec(bundle, {bundle.id, "sh", "-c", "echo $$"});
  EXPECT_EQ(self.exit_code, 0) << self;
  EXPECT_NE(self.out, "1\n") << self;
  EXPECT_FALSE(self.out.empty()) << self;
  const RunResult ps = exec(bundle, {bundle.id, "ps", "-o", "pid,args"});
  EXPECT_EQ(ps.exit_code, 0) << ps;
  EXPECT_THAT(ps.out, testing::ContainsRegex("\n +1 sleep 1000\n")) << ps;
  force_delete(bundle);
  leaks.expect_none();
}

TEST(Exec, JoinsEveryNamespaceOfTheInit) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  ASSERT_NO_FATAL_FAILURE(run_sleeper(bundle));
  const std::string pid = std::to_string(init_pid(bundle));
  const RunResult r =
      exec(bundle, {bundle.id, "sh", "-c",
                    "for n in mnt uts ipc net pid cgroup; do readlink /proc/$$/ns/$n; done; true"});
  EXPECT_EQ(r.exit_code, 0) << r;
  std::string want;
  for (const char* ns : {"mnt", "uts", "ipc", "net", "pid", "cgroup"})
    want += ns_link(pid, ns) + "\n";
  EXPECT_EQ(r.out, want) << r;
  EXPECT_NE(ns_link(pid, "net"), ns_link("self", "net")) << "the container has its own net ns";
  force_delete(bundle);
  leaks.expect_none();
}

TEST(Exec, SeesTheContainersRootfsAndHostname) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.config["hostname"] = "keel-exec-host";
  ASSERT_NO_FATAL_FAILURE(run_sleeper(bundle));
  ASSERT_TRUE(
      fs::write_file_atomic(bundle.host_path("/exec-marker"), "in the rootfs\n", 0644).has_value());
  const RunResult r = exec(bundle, {bundle.id, "sh", "-c", "cat /exec-marker; hostname"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "in the rootfs\nkeel-exec-host\n") << r;
  force_delete(bundle);
  leaks.expect_none();
}

TEST(Exec, DetachedProcessJoinsTheContainersCgroups) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  ASSERT_NO_FATAL_FAILURE(run_sleeper(bundle));
  const auto pid_file = bundle.base() / "exec.pid";
  const RunResult r =
      exec(bundle, {"-d", "--pid-file", pid_file.string(), bundle.id, "sleep", "999"});
  EXPECT_EQ(r.exit_code, 0) << r;
  const std::string pid = read_text(pid_file);
  ASSERT_FALSE(pid.empty());
  EXPECT_THAT(read_text("/proc/" + pid + "/cmdline"), HasSubstr("sleep")) << pid;
  const auto dirs = cgroup_dirs(bundle.cgroups_path);
  ASSERT_FALSE(dirs.empty());
  for (const char* controller : {"memory", "pids"}) {
    const auto procs =
        read_text(std::filesystem::path("/sys/fs/cgroup") / controller /
                  std::filesystem::path(bundle.cgroups_path).relative_path() / "cgroup.procs");
    EXPECT_THAT(procs, testing::ContainsRegex("(^|\n)" + pid + "\n")) << controller;
  }
  // Every hierarchy the init is in, the cgroup2 tree included, and nothing else.
  const auto state = container_state(bundle, bundle.id);
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(read_text("/proc/" + pid + "/cgroup"),
            read_text("/proc/" + std::to_string(state->value("pid", 0)) + "/cgroup"));
  // The test process is its reaper (a subreaper, as a shim is): until it reaps the process, the
  // container's pid namespace, and so its init, cannot finish dying.
  ::kill(std::stoi(pid), SIGKILL);
  EXPECT_TRUE(wait_until([&] { return !std::filesystem::exists("/proc/" + pid); }));
  force_delete(bundle);
  leaks.expect_none();
}

TEST(Exec, ReturnsTheExitCode) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  ASSERT_NO_FATAL_FAILURE(run_sleeper(bundle));
  const RunResult r = exec(bundle, {bundle.id, "sh", "-c", "exit 42"});
  EXPECT_EQ(r.exit_code, 42) << r;
  const RunResult killed = exec(bundle, {bundle.id, "sh", "-c", "kill -9 $$"});
  EXPECT_EQ(killed.exit_code, 128 + 9) << killed;
  force_delete(bundle);
  leaks.expect_none();
}

TEST(Exec, TakesEnvCwdUserAndGroupsFromFlags) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  ASSERT_NO_FATAL_FAILURE(run_sleeper(bundle));
  const RunResult r =
      exec(bundle, {"-e", "KEEL_EXEC=from-flag", "--cwd", "/tmp", "-u", "1000:1001",
                    "--additional-gids", "20", "-g", "21", bundle.id, "sh", "-c",
                    "echo $KEEL_EXEC; pwd; id -u; id -g; cat /proc/$$/status | grep Groups"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "from-flag\n/tmp\n1000\n1001\nGroups:\t20 21 \n") << r;
  force_delete(bundle);
  leaks.expect_none();
}

TEST(Exec, TakesTheProcessFromProcessJson) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  ASSERT_NO_FATAL_FAILURE(run_sleeper(bundle));
  nlohmann::json process = {
      {"terminal", false},
      {"user", {{"uid", 1234}, {"gid", 1235}}},
      {"args", {"sh", "-c", "echo $KEEL_PROC; pwd; id -u; id -g"}},
      {"env", {"PATH=/bin:/usr/bin", "KEEL_PROC=from-json"}},
      {"cwd", "/dev"},
  };
  const auto path = bundle.base() / "process.json";
  ASSERT_TRUE(fs::write_file_atomic(path, process.dump(), 0644).has_value());
  const RunResult r = exec(bundle, {"--process", path.string(), bundle.id});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "from-json\n/dev\n1234\n1235\n") << r;
  force_delete(bundle);
  leaks.expect_none();
}

TEST(Exec, HasTheConfiguredCapabilitiesAndNoNewPrivs) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.config["process"]["noNewPrivileges"] = true;
  ASSERT_NO_FATAL_FAILURE(run_sleeper(bundle));
  const std::string pid = std::to_string(init_pid(bundle));
  const RunResult r =
      exec(bundle, {bundle.id, "grep", "-E", "^(CapEff|CapBnd|NoNewPrivs)", "/proc/self/status"});
  EXPECT_EQ(r.exit_code, 0) << r;
  std::string want;
  std::istringstream status(read_text("/proc/" + pid + "/status"));
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("CapEff") || line.starts_with("CapBnd") || line.starts_with("NoNewPrivs"))
      want += line + "\n";
  }
  EXPECT_EQ(r.out, want) << r;
  EXPECT_THAT(r.out, HasSubstr("NoNewPrivs:\t1")) << r;
  EXPECT_THAT(r.out, Not(HasSubstr("CapEff:\t000001ffffffffff"))) << r;
  force_delete(bundle);
  leaks.expect_none();
}

TEST(Exec, StartsWithStdioOnlyUnlessFdsArePreserved) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  ASSERT_NO_FATAL_FAILURE(run_sleeper(bundle));
  {
    ASSERT_TRUE(fs::write_file_atomic(bundle.base() / "three", "three\n", 0644).has_value());
    auto three = fs::open(bundle.base() / "three", O_RDONLY);
    ASSERT_TRUE(three.has_value());
    RunOptions options;
    options.extra_fds = {three->get(), three->get()};
    const std::string list = "ls /proc/$$/fd; true";
    const RunResult plain = exec(bundle, {bundle.id, "sh", "-c", list}, options);
    EXPECT_EQ(plain.exit_code, 0) << plain;
    EXPECT_EQ(plain.out, "0\n1\n2\n") << plain;
    const RunResult kept =
        exec(bundle, {"--preserve-fds", "1", bundle.id, "sh", "-c", list + "; cat <&3"}, options);
    EXPECT_EQ(kept.exit_code, 0) << kept;
    EXPECT_EQ(kept.out, "0\n1\n2\n3\nthree\n") << kept;
  }
  force_delete(bundle);
  leaks.expect_none();
}

TEST(Exec, RefusesAStoppedContainer) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  ASSERT_NO_FATAL_FAILURE(run_detached(bundle, {"true"}));
  ASSERT_TRUE(wait_for_status(bundle, bundle.id, "stopped"));
  const RunResult r = exec(bundle, {bundle.id, "true"});
  expect_error_line(r, "cannot exec in a stopped container");
  force_delete(bundle);
  leaks.expect_none();
}

TEST(Exec, RefusesAPausedContainer) {
  KEEL_SKIP_UNLESS_ROOT();
  if (run_command({runtime_path().string(), "--help"}).out.find("\n  pause") == std::string::npos)
    GTEST_SKIP() << "the runtime has no `pause` yet";
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  ASSERT_NO_FATAL_FAILURE(run_sleeper(bundle));
  const RunResult pause = run_runtime(bundle, {"pause", bundle.id});
  ASSERT_EQ(pause.exit_code, 0) << pause;
  const RunResult r = exec(bundle, {bundle.id, "true"});
  expect_error_line(r, "cannot exec in a paused container");
  const RunResult resume = run_runtime(bundle, {"resume", bundle.id});
  EXPECT_EQ(resume.exit_code, 0) << resume;
  force_delete(bundle);
  leaks.expect_none();
}

TEST(Exec, RefusesAnUnknownContainer) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  const RunResult r = exec(bundle, {bundle.id, "true"});
  expect_error_line(r, bundle.id);
  leaks.expect_none();
}

}  // namespace
}  // namespace keel::fixtures
