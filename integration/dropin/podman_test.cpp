// keel as podman's OCI runtime (`podman --runtime`), through conmon, with private storage
// (--root, --runroot, vfs), cgroupfs, file events and no network: run --rm with the common flags,
// an interactive terminal, and exec; nothing is left behind.
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integration/dropin/dropin.h"
#include "integration/dropin/terminal.h"
#include "integration/fixtures/process.h"

namespace keel::dropin {
namespace {

namespace stdfs = std::filesystem;
using fixtures::RunResult;
using ::testing::HasSubstr;

constexpr const char* kImage = "keel.test/busybox:latest";

class PodmanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    KEEL_DROPIN_NEEDS("podman", "conmon", "umoci");
    dir_.emplace("keel-dropin-podman");
    // Lowered rlimits: podman's defaults (nofile 1048576) need CAP_SYS_RESOURCE to raise to.
    // runtime_supports_json makes podman pass --log-format json to keel, as it does for runc.
    std::ofstream(dir() / "containers.conf")
        << "[containers]\n"
           "default_ulimits = [\"nofile=1024:1024\", \"nproc=4096:4096\"]\n"
           "[engine]\n"
           "cgroup_manager = \"cgroupfs\"\n"
           "events_logger = \"file\"\n"
           "runtime_supports_json = [\"keel\"]\n"
           "[engine.runtimes]\n"
           "keel = [\""
        << (dir() / "keel").string() << "\"]\n";
    // podman's exit command (`podman container cleanup`, run by conmon) drops --runtime-flag, so
    // a private --root reaches keel through this one-line wrapper instead.
    std::ofstream(dir() / "keel") << "#!/bin/sh\nexec " << keel_path().string() << " --root "
                                  << (dir() / "keel-root").string() << " \"$@\"\n";
    stdfs::permissions(dir() / "keel", stdfs::perms::owner_all);
    std::ofstream(dir() / "storage.conf")
        << "[storage]\ndriver = \"vfs\"\nrunroot = \"" << (dir() / "run").string()
        << "\"\ngraphroot = \"" << (dir() / "storage").string() << "\"\n";
    const RunResult load = podman({"load", "-i", busybox_image().archive.string()});
    ASSERT_EQ(load.exit_code, 0) << load;
    const RunResult tag = podman({"tag", "localhost/latest:latest", kImage});
    ASSERT_EQ(tag.exit_code, 0) << tag;
  }
  void TearDown() override {
    if (!dir_)
      return;
    const RunResult rm = podman({"rm", "--all", "--force"});
    EXPECT_EQ(rm.exit_code, 0) << rm;
    expect_nothing_left(dir(), dir() / "keel-root", cgroups_, {"conmon"});
  }

  [[nodiscard]] const stdfs::path& dir() const { return dir_->path(); }
  [[nodiscard]] std::vector<std::string> podman_argv(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {
        tool_path("podman"),
        "--root",
        (dir() / "storage").string(),
        "--runroot",
        (dir() / "run").string(),
        "--tmpdir",
        (dir() / "tmp").string(),
        "--storage-driver",
        "vfs",
        "--cgroup-manager",
        "cgroupfs",
        "--events-backend",
        "file",
        "--runtime",
        "keel",
    };
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  // `env CONTAINERS_CONF=... CONTAINERS_STORAGE_CONF=... podman ...`: no host configuration.
  [[nodiscard]] std::vector<std::string> with_env(std::vector<std::string> argv) const {
    argv.insert(argv.begin(),
                {"/usr/bin/env", "CONTAINERS_CONF=" + (dir() / "containers.conf").string(),
                 "CONTAINERS_STORAGE_CONF=" + (dir() / "storage.conf").string()});
    return argv;
  }
  [[nodiscard]] RunResult podman(const std::vector<std::string>& args,
                                 fixtures::RunOptions options = {}) const {
    return run(with_env(podman_argv(args)), std::move(options));
  }
  [[nodiscard]] std::vector<std::string> container_flags() const {
    return {"--network", "none", "--cgroup-parent", cgroups_.path()};
  }

  CgroupParent cgroups_;
  std::optional<TempDir> dir_;
};

TEST_F(PodmanTest, RunRmAppliesEnvWorkdirUserAndMemory) {
  std::vector<std::string> args = {"run",  "--rm",   "-e",        "KEEL_PODMAN=yes", "-w",
                                   "/tmp", "--user", "1000:1000", "--memory",        "64m"};
  const auto flags = container_flags();
  args.insert(args.end(), flags.begin(), flags.end());
  args.insert(args.end(), {kImage, "sh", "-c",
                           "echo $KEEL_PODMAN; pwd; id -u; id -g; "
                           "cat /sys/fs/cgroup/memory/memory.limit_in_bytes; exit 9"});
  const RunResult r = podman(args);
  EXPECT_EQ(r.exit_code, 9) << r;
  EXPECT_EQ(r.out, "yes\n/tmp\n1000\n1000\n67108864\n") << r;
}

TEST_F(PodmanTest, RunInteractiveTerminalThroughConmon) {
  std::vector<std::string> args = {"run", "--rm", "-it"};
  const auto flags = container_flags();
  args.insert(args.end(), flags.begin(), flags.end());
  args.insert(args.end(), {kImage, "sh"});
  Terminal tty(30, 90);
  const pid_t pid = tty.spawn(with_env(podman_argv(args)));
  tty.write("tty; stty size; exit 6\n");
  const std::string out = tty.read_until("");
  EXPECT_THAT(out, testing::ContainsRegex("/dev/pts/[0-9]+\r\n")) << out;
  EXPECT_THAT(out, HasSubstr("30 90\r\n")) << out;
  EXPECT_EQ(wait_exit_code(pid, std::chrono::seconds(40)), 6) << out;
}

TEST_F(PodmanTest, ExecRunsInTheContainer) {
  std::vector<std::string> args = {"run", "-d", "--name", "keel-exec"};
  const auto flags = container_flags();
  args.insert(args.end(), flags.begin(), flags.end());
  args.insert(args.end(), {kImage, "sleep", "1000"});
  const RunResult started = podman(args);
  ASSERT_EQ(started.exit_code, 0) << started;
  const RunResult exec =
      podman({"exec", "-e", "KEEL_EXEC=1", "keel-exec", "sh", "-c", "echo $KEEL_EXEC; exit 4"});
  EXPECT_EQ(exec.exit_code, 4) << exec;
  EXPECT_EQ(exec.out, "1\n") << exec;
  Terminal tty(20, 70);
  const pid_t pid = tty.spawn(with_env(podman_argv({"exec", "-it", "keel-exec", "sh"})));
  tty.write("stty size; exit 2\n");
  const std::string out = tty.read_until("");
  EXPECT_THAT(out, HasSubstr("20 70\r\n")) << out;
  EXPECT_EQ(wait_exit_code(pid, std::chrono::seconds(40)), 2) << out;
  const RunResult rm = podman({"rm", "--force", "--time", "0", "keel-exec"});
  EXPECT_EQ(rm.exit_code, 0) << rm;
}

}  // namespace
}  // namespace keel::dropin
