// keeld as a daemon and keelctl as its client: the error when nobody listens, the socket's mode,
// daemons side by side on separate roots, one daemon per root, clean SIGTERM shutdown.
#include <signal.h>
#include <sys/stat.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integration/fixtures/iptables.h"
#include "integration/manager/archives.h"
#include "integration/manager/manager_test.h"

namespace keel::it {
namespace {

namespace stdfs = std::filesystem;
using fixtures::Keeld;
using fixtures::run_command;

class Daemon : public ManagerTest {};

TEST_F(Daemon, KeelctlWithoutKeeldPrintsOneLineAndExits1) {
  const auto socket = work_ / "nobody.sock";
  for (const auto& argv : std::vector<std::vector<std::string>>{
           {fixtures::keelctl_path().string(), "--address", socket.string(), "images"},
           {"/usr/bin/env", "KEEL_ADDRESS=" + socket.string(), fixtures::keelctl_path().string(),
            "version"},
           {fixtures::keelctl_path().string(), "-H", socket.string(), "load", "-i", "/dev/null"}}) {
    const auto result = run_command(
        argv, {.stdin_data = {}, .extra_fds = {}, .cwd = {}, .timeout = std::chrono::seconds(20)});
    EXPECT_EQ(result.exit_code, 1) << result;
    const auto lines = result.err_lines();
    ASSERT_EQ(lines.size(), 1U) << result;
    EXPECT_NE(lines[0].find(socket.string()), std::string::npos)
        << "the error names the address tried:" << result;
    EXPECT_NE(lines[0].find("running"), std::string::npos)
        << "the error says keeld is not running:" << result;
  }
  // A stale socket file nobody listens on reads the same.
  write_file(socket, "");
  const auto stale =
      run_command({fixtures::keelctl_path().string(), "--address", socket.string(), "images"});
  EXPECT_EQ(stale.exit_code, 1) << stale;
  EXPECT_EQ(stale.err_lines().size(), 1U) << stale;
}

TEST_F(Daemon, SocketIsOwnerOnly) {
  struct stat st {};
  ASSERT_EQ(::lstat(keeld_.socket().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0600U) << std::oct << (st.st_mode & 07777);
  EXPECT_EQ(st.st_uid, ::geteuid());
}

TEST_F(Daemon, TwoDaemonsWithSeparateRootsRunSideBySide) {
  Keeld other;
  ASSERT_NO_FATAL_FAILURE(other.start());
  const auto layer = TarBuilder().file("f", "one\n").finish();
  const auto one = docker_archive({layer}, "it/one:1");
  ASSERT_EQ(load(one.archive).exit_code, 0);
  const auto path = work_ / "two.tar";
  write_file(path, docker_archive({TarBuilder().file("f", "two\n").finish()}, "it/two:1").archive);
  other.ctl_ok({"load", "-i", path.string()});

  EXPECT_EQ(lines_of(keeld_.ctl_ok({"images", "--format", "{{.Repository}}:{{.Tag}}"})),
            std::vector<std::string>({"it/one:1"}));
  EXPECT_EQ(lines_of(other.ctl_ok({"images", "--format", "{{.Repository}}:{{.Tag}}"})),
            std::vector<std::string>({"it/two:1"}));
  // Stopping one leaves the other serving.
  other.stop();
  EXPECT_EQ(lines_of(keeld_.ctl_ok({"images", "-q"})).size(), 1U);
  other.expect_no_leaks();
}

TEST_F(Daemon, SecondDaemonOnTheSameRootIsRefused) {
  // Same root and state, its own socket: only the root lock can stop it.
  const auto socket = work_ / "intruder.sock";
  const auto result = run_command(
      {fixtures::keeld_path().string(), "--root", keeld_.root().string(), "--state",
       keeld_.state().string(), "--address", socket.string()},
      {.stdin_data = {}, .extra_fds = {}, .cwd = {}, .timeout = std::chrono::seconds(20)});
  EXPECT_NE(result.exit_code, 0) << result;
  EXPECT_NE(result.err.find("in use by another keeld"), std::string::npos) << result;
  EXPECT_FALSE(stdfs::exists(socket)) << "the refused keeld still made its socket";
  // The first one is unharmed.
  EXPECT_EQ(keeld_.ctl({"images"}).exit_code, 0);
  EXPECT_EQ(fixtures::keeld_processes_for(keeld_.root()).size(), 1U);
}

TEST_F(Daemon, SigtermStopsCleanlyAndRestartKeepsImages) {
  const auto image = docker_archive({TarBuilder().file("f", "kept\n").finish()}, "it/kept:1");
  ASSERT_EQ(load(image.archive).exit_code, 0);
  const auto stopped = keeld_.stop();
  EXPECT_EQ(stopped.exit_code, 0);
  EXPECT_FALSE(stdfs::exists(keeld_.socket())) << "socket left after a clean shutdown";
  EXPECT_TRUE(fixtures::keeld_processes_for(keeld_.root()).empty());
  EXPECT_EQ(keeld_.ctl({"images"}).exit_code, 1);

  ASSERT_NO_FATAL_FAILURE(keeld_.start());
  EXPECT_EQ(image_ids(), std::vector<std::string>({image.config_digest}));
}

TEST_F(Daemon, RelativePathFlagsAreResolvedAgainstItsWorkingDirectory) {
  // A second keeld started from `cwd` with relative paths: containers run from their bundle dirs
  // and need an absolute rootfs, so keeld must resolve its flags before anything uses them. (The
  // state dir's name is short: shim sockets below it must fit a unix socket path.)
  const auto& cwd = work_.path();
  auto relative = fixtures::start_command(
      {fixtures::keeld_path().string(), "--root", "ux/root", "--state", "./ux/s", "--address",
       "ux/keeld.sock", "--log-level", "warn", "--bridge", keeld_.bridge() + "r", "--bridge-subnet",
       "10.199.77.0/24"},
      {.stdin_data = {}, .extra_fds = {}, .cwd = cwd, .timeout = std::chrono::seconds(60)});
  const auto socket = cwd / "ux/keeld.sock";
  auto ctl = [&](const std::vector<std::string>& args) {
    std::vector<std::string> argv = {fixtures::keelctl_path().string(), "--address",
                                     socket.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
  };
  ASSERT_TRUE(fixtures::wait_until([&] { return ctl({"version"}).exit_code == 0; },
                                   std::chrono::seconds(15)));
  EXPECT_TRUE(stdfs::exists(cwd / "ux/root/metadata.db"));
  write_file(work_ / "busybox.tar", busybox_rootfs_tar());
  const auto imported = ctl({"import", (work_ / "busybox.tar").string(), "busybox:latest"});
  EXPECT_EQ(imported.exit_code, 0) << imported;
  // No network: this is about paths, and the host's bridges stay untouched.
  const auto run = ctl({"run", "--rm", "--network", "none", "busybox", "echo", "hi"});
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(run.out, "hi\n");

  ::kill(relative.pid(), SIGTERM);
  const auto stopped = relative.wait(std::chrono::seconds(15));
  EXPECT_EQ(stopped.exit_code, 0) << stopped;
  EXPECT_TRUE(fixtures::mounts_under(cwd).empty());
  // Its default network's rules stay after it, as they do after any keeld; the test's go here.
  fixtures::delete_iptables_rules_tagged("keel-net:" + keeld_.bridge() + "r");
  EXPECT_THAT(fixtures::iptables_rules_tagged("keel-net:" + keeld_.bridge() + "r"),
              ::testing::IsEmpty());
}

}  // namespace
}  // namespace keel::it
