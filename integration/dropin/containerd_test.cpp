// keel under containerd's runc shim (io.containerd.runc.v2) with `ctr --runc-binary`: a private
// containerd (own root, state, sockets, no CRI) imports the offline busybox image and runs,
// execs into, pauses, kills and deletes containers; nothing is left behind.
#include <signal.h>

#include <fstream>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integration/dropin/dropin.h"
#include "integration/dropin/terminal.h"
#include "integration/fixtures/process.h"
#include "integration/fixtures/wait.h"

namespace keel::dropin {
namespace {

namespace stdfs = std::filesystem;
using fixtures::RunResult;
using ::testing::HasSubstr;

constexpr const char* kImage = "keel.test/busybox:latest";
constexpr const char* kNamespace = "keel-dropin";

class PrivateContainerd {
 public:
  explicit PrivateContainerd(const stdfs::path& dir)
      : dir_(dir), socket_(dir / "containerd.sock"), daemon_(start(dir)) {}
  PrivateContainerd(const PrivateContainerd&) = delete;
  PrivateContainerd& operator=(const PrivateContainerd&) = delete;
  ~PrivateContainerd() {
    ::kill(daemon_.pid(), SIGTERM);
    (void)daemon_.wait(std::chrono::seconds(20));
    // Shims outlive a stopped containerd by design; those of this daemon go with it here.
    for (pid_t pid : processes_mentioning("containerd-shim", dir_))
      ::kill(pid, SIGKILL);
    (void)fixtures::wait_until(
        [&] { return processes_mentioning("containerd-shim", dir_).empty(); });
  }

  [[nodiscard]] bool ready() {
    return fixtures::wait_until([&] { return ctr({"version"}).exit_code == 0; },
                                std::chrono::seconds(20));
  }

  [[nodiscard]] RunResult ctr(const std::vector<std::string>& args,
                              fixtures::RunOptions options = {}) const {
    return run(ctr_argv(args), std::move(options));
  }
  [[nodiscard]] std::vector<std::string> ctr_argv(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {tool_path("ctr"), "--address", socket_.string(), "--namespace",
                                     kNamespace};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  // `ctr run` flags that make the shim run keel with a private root, fifo dir and cgroup.
  [[nodiscard]] std::vector<std::string> keel_flags(const std::string& cgroup) const {
    return {"--runc-binary", keel_path().string(),     "--runc-root", runc_root().string(),
            "--fifo-dir",    (dir_ / "fifo").string(), "--cgroup",    cgroup};
  }
  [[nodiscard]] stdfs::path runc_root() const { return dir_ / "keel-root"; }

 private:
  static fixtures::RunningCommand start(const stdfs::path& dir) {
    const std::string config = fmt::format(
        R"(version = 2
root = "{0}/root"
state = "{0}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.opt"]
[grpc]
  address = "{0}/containerd.sock"
[ttrpc]
  address = "{0}/containerd.sock.ttrpc"
[debug]
  address = "{0}/debug.sock"
[plugins."io.containerd.monitor.v1.cgroups"]
  no_prometheus = true
)",
        dir.string());
    std::ofstream(dir / "config.toml") << config;
    return fixtures::start_command(
        {tool_path("containerd"), "--config", (dir / "config.toml").string()});
  }

  stdfs::path dir_;
  stdfs::path socket_;
  fixtures::RunningCommand daemon_;
};

// Per test: a temp dir, a cgroup parent, a running private containerd with the image imported.
class ContainerdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    KEEL_DROPIN_NEEDS("containerd", "ctr", "containerd-shim-runc-v2", "umoci");
    dir_.emplace("keel-dropin-ctd");
    daemon_.emplace(dir_->path());
    ASSERT_TRUE(daemon_->ready()) << daemon_->ctr({"version"});
    const RunResult import = daemon_->ctr(
        {"image", "import", "--base-name", "keel.test/busybox", busybox_image().archive.string()});
    ASSERT_EQ(import.exit_code, 0) << import;
  }
  void TearDown() override {
    if (!daemon_)
      return;
    daemon_.reset();
    expect_nothing_left(dir_->path(), dir_->path() / "keel-root", cgroups_);
  }

  [[nodiscard]] std::string cgroup(const std::string& id) const {
    return cgroups_.path() + "/" + id;
  }
  // `ctr run <keel flags> extra... image id args...`.
  [[nodiscard]] std::vector<std::string> run_argv(const std::string& id,
                                                  const std::vector<std::string>& extra,
                                                  const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {"run"};
    const auto flags = daemon_->keel_flags(cgroup(id));
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(kImage);
    argv.push_back(id);
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  [[nodiscard]] std::string task_status(const std::string& id) const {
    const RunResult ls = daemon_->ctr({"task", "ls"});
    std::istringstream lines(ls.out);
    for (std::string line; std::getline(lines, line);) {
      std::istringstream fields(line);
      std::string task;
      std::string pid;
      std::string status;
      fields >> task >> pid >> status;
      if (task == id)
        return status;
    }
    return "";
  }

  CgroupParent cgroups_;
  std::optional<TempDir> dir_;
  std::optional<PrivateContainerd> daemon_;
};

TEST_F(ContainerdTest, RunsToCompletionWithItsExitCode) {
  const RunResult r =
      daemon_->ctr(run_argv("complete", {"--rm"}, {"sh", "-c", "echo from-keel; exit 7"}));
  EXPECT_EQ(r.exit_code, 7) << r;
  EXPECT_EQ(r.out, "from-keel\n") << r;
}

TEST_F(ContainerdTest, ExecsPausesKillsAndDeletesADetachedTask) {
  const std::string id = "detached";
  const RunResult started = daemon_->ctr(run_argv(id, {"-d"}, {"sleep", "1000"}));
  ASSERT_EQ(started.exit_code, 0) << started;
  EXPECT_EQ(task_status(id), "RUNNING");

  const RunResult exec =
      daemon_->ctr({"task", "exec", "--fifo-dir", (dir_->path() / "fifo").string(), "--exec-id",
                    "e1", id, "sh", "-c", "echo exec-out; hostname >/dev/null; exit 5"});
  EXPECT_EQ(exec.exit_code, 5) << exec;
  EXPECT_EQ(exec.out, "exec-out\n") << exec;

  {
    Terminal tty(24, 80);
    const pid_t ctr =
        tty.spawn(daemon_->ctr_argv({"task", "exec", "--fifo-dir", (dir_->path() / "fifo").string(),
                                     "-t", "--exec-id", "e2", id, "sh"}));
    // ctr sizes the pty only after the process started: ask until the size has arrived.
    tty.write("tty\n");
    std::string out = tty.read_until("/dev/pts/[0-9]+\r+\n");
    for (int attempt = 0; attempt < 20 && out.find("\n24 80\r") == std::string::npos; ++attempt) {
      tty.write("stty size\n");
      out += tty.read_until("\n24 80\r", std::chrono::seconds(1));
    }
    tty.write("exit 3\n");
    out += tty.read_until("");
    // ctr leaves its own terminal cooked: lines end "\r\r\n" there.
    EXPECT_THAT(out, testing::ContainsRegex("\n/dev/pts/[0-9]+\r+\n")) << out;
    EXPECT_THAT(out, testing::ContainsRegex("\n24 80\r+\n")) << out;
    EXPECT_EQ(wait_exit_code(ctr), 3) << out;
  }

  const RunResult pause = daemon_->ctr({"task", "pause", id});
  if (!keel_has_command("pause")) {
    // Until keel has pause, the shim passes on the message of keel's JSON log line.
    EXPECT_NE(pause.exit_code, 0) << pause;
    EXPECT_THAT(pause.err, HasSubstr("unknown command \"pause\"")) << pause;
  } else {
    EXPECT_EQ(pause.exit_code, 0) << pause;
    EXPECT_EQ(task_status(id), "PAUSED");
    const RunResult resume = daemon_->ctr({"task", "resume", id});
    EXPECT_EQ(resume.exit_code, 0) << resume;
    EXPECT_EQ(task_status(id), "RUNNING");
  }

  const RunResult kill = daemon_->ctr({"task", "kill", "-s", "SIGKILL", id});
  EXPECT_EQ(kill.exit_code, 0) << kill;
  EXPECT_TRUE(fixtures::wait_until([&] { return task_status(id) == "STOPPED"; }))
      << daemon_->ctr({"task", "ls"});
  const RunResult del = daemon_->ctr({"task", "delete", id});
  EXPECT_EQ(del.exit_code, 0) << del;
  const RunResult rm = daemon_->ctr({"container", "rm", id});
  EXPECT_EQ(rm.exit_code, 0) << rm;
  EXPECT_TRUE(fixtures::wait_until([&] {
    return processes_mentioning("containerd-shim", dir_->path()).empty();
  })) << "the task's shim exits once the task is deleted";
}

}  // namespace
}  // namespace keel::dropin
