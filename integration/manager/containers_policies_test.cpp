// Containers end to end, continued: limits and restart policies, keeld SIGKILLed under running
// containers, the filesystem verbs (commit, diff, export, cp) and rm -f in every state.
#include "integration/manager/keeld_containers.h"

namespace keel::it::containers_it {
namespace {

using ContainerPolicies = KeeldContainers;

TEST_F(ContainerPolicies, MemoryLimitOomKillsAndInspectSaysOOMKilled) {
  RunResult hog = keeld_.ctl({"run", "--name", "hog", "--memory", "8m", "busybox", "sh", "-c",
                              "x=aaaaaaaa; while true; do x=$x$x; done"});
  EXPECT_EQ(hog.exit_code, 137) << hog;
  const auto state = inspect_json("hog")["State"];
  EXPECT_EQ(state.value("OOMKilled", false), true) << state.dump();
  EXPECT_EQ(state.value("ExitCode", -1), 137) << state.dump();
  EXPECT_EQ(state.value("Status", ""), "exited");

  // Within the limit nothing is killed.
  RunResult fine = keeld_.ctl({"run", "--name", "fine", "--memory", "8m", "busybox", "true"});
  EXPECT_EQ(fine.exit_code, 0) << fine;
  EXPECT_EQ(inspect_json("fine")["State"].value("OOMKilled", true), false);
}

TEST_F(ContainerPolicies, OnFailureRestartsUpToTheLimit) {
  run_detached({"--name", "flaky", "--restart", "on-failure:2", "busybox", "sh", "-c", "exit 1"});
  ASSERT_TRUE(wait_until(
      [&] { return inspect("flaky", "{{.RestartCount}} {{.State.Status}}") == "2 exited"; },
      seconds(20)))
      << inspect("flaky", "{{.RestartCount}} {{.State.Status}}");
  // And no further: absence of a restart can only be seen over time.
  std::this_thread::sleep_for(seconds(2));
  EXPECT_EQ(inspect("flaky", "{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}"),
            "2 exited 1");
  EXPECT_THAT(ps_status("flaky"), HasSubstr("Exited (1)"));
}

TEST_F(ContainerPolicies, AlwaysComesBackAfterItsProcessIsKilled) {
  run_detached({"--name", "phoenix", "--restart", "always", "busybox", "sleep", "1000"});
  const pid_t first = std::stoi(inspect("phoenix", "{{.State.Pid}}"));
  ASSERT_GT(first, 0);
  ASSERT_EQ(::kill(first, SIGKILL), 0);
  ASSERT_TRUE(wait_until(
      [&] {
        const auto pid = inspect("phoenix", "{{.State.Pid}}");
        return running("phoenix") && pid != "0" && pid != std::to_string(first);
      },
      seconds(20)));
  EXPECT_EQ(inspect("phoenix", "{{.RestartCount}}"), "1");
  EXPECT_FALSE(process_alive(first));
  // Stopped by the user, it stays stopped (an absence, so seen over a second).
  keeld_.ctl_ok({"stop", "-t", "1", "phoenix"});
  std::this_thread::sleep_for(seconds(1));
  EXPECT_FALSE(running("phoenix"));
}

// --- keeld killed under running containers ---------------------------------------------------

using ContainerRecovery = KeeldContainers;

TEST_F(ContainerRecovery, SigkillWithTwentyRunningContainersKeepsThemAndTheExitsMeanwhile) {
  std::set<std::string> ids;
  for (int i = 0; i < 20; ++i)
    ids.insert(run_detached({"--name", "c" + std::to_string(i), "busybox", "sleep", "1000"}));
  ASSERT_EQ(ids.size(), 20U);
  const std::string quitter =
      run_detached({"--name", "quitter", "busybox", "sh", "-c", "sleep 2; exit 5"});
  const pid_t quitter_pid = std::stoi(inspect("quitter", "{{.State.Pid}}"));
  ASSERT_GT(quitter_pid, 0);

  keeld_.kill();
  // The quitter exits while keeld is away.
  ASSERT_TRUE(wait_until([&] { return !process_alive(quitter_pid); }, seconds(15)));
  EXPECT_EQ(shims_of(keeld_.socket()).size(), 21U) << "shims outlive keeld";
  ASSERT_NO_FATAL_FAILURE(keeld_.start());

  const auto listed = lines_of(keeld_.ctl_ok({"ps", "-q", "--no-trunc"}));
  EXPECT_EQ(listed.size(), 20U);
  EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()), ids);
  const auto all = lines_of(keeld_.ctl_ok({"ps", "-a", "-q", "--no-trunc"}));
  EXPECT_EQ(all.size(), 21U);
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), 21U);
  EXPECT_EQ(inspect("quitter", "{{.State.ExitCode}}"), "5");
  EXPECT_THAT(ps_status("quitter"), HasSubstr("Exited (5)"));
  // The survivors are still driven by keeld: exec works and a stop is recorded.
  EXPECT_EQ(trimmed(keeld_.ctl_ok({"exec", "c7", "echo", "alive"})), "alive");
  keeld_.ctl_ok({"stop", "-t", "1", "c3"});
  EXPECT_THAT(ps_status("c3"), HasSubstr("Exited (137)"));
  EXPECT_EQ(lines_of(keeld_.ctl_ok({"ps", "-q"})).size(), 19U);
}

// --- container filesystems -------------------------------------------------------------------

using ContainerFilesystem = KeeldContainers;

TEST_F(ContainerFilesystem, CommitMakesAnImageWithTheFileAndDiffListsIt) {
  RunResult writer = keeld_.ctl({"run", "--name", "writer", "busybox", "sh", "-c",
                                 "echo committed > /newfile; rm /etc/group"});
  ASSERT_EQ(writer.exit_code, 0) << writer;
  const auto diff = lines_of(keeld_.ctl_ok({"diff", "writer"}));
  EXPECT_THAT(diff, ::testing::Contains("A /newfile"));
  EXPECT_THAT(diff, ::testing::Contains("D /etc/group"));
  EXPECT_THAT(diff, ::testing::Contains("C /etc"));

  keeld_.ctl_ok({"commit", "writer", "committed:v1"});
  RunResult read = keeld_.ctl({"run", "--rm", "committed:v1", "sh", "-c",
                               "cat /newfile; test -e /etc/group || echo no-group"});
  EXPECT_EQ(read.exit_code, 0) << read;
  EXPECT_THAT(lines_of(read.out), ElementsAre("committed", "no-group"));
  // The base image is as it was.
  RunResult base = keeld_.ctl({"run", "--rm", "busybox", "test", "-e", "/newfile"});
  EXPECT_EQ(base.exit_code, 1) << base;
  keeld_.ctl_ok({"rm", "writer"});
  keeld_.ctl_ok({"rmi", "committed:v1"});
}

TEST_F(ContainerFilesystem, ExportGivesTheRootfsAsATar) {
  run_detached({"--name", "exported", "busybox", "sh", "-c", "echo x > /marker; sleep 1000"});
  ASSERT_TRUE(wait_until(
      [&] {
        return keeld_.ctl({"exec", "exported", "test", "-e", "/marker"}).exit_code == 0;
      },
      seconds(10)));
  const auto tar = work_ / "exported.tar";
  keeld_.ctl_ok({"export", "-o", tar.string(), "exported"});
  const std::set<std::string> names = tar_entries(tar);
  EXPECT_TRUE(names.contains("bin/busybox"));
  EXPECT_TRUE(names.contains("marker"));
}

TEST_F(ContainerFilesystem, CpBothWays) {
  run_detached({"--name", "box", "busybox", "sleep", "1000"});
  write_file(work_ / "in.txt", "from the host\n");
  keeld_.ctl_ok({"cp", (work_ / "in.txt").string(), "box:/tmp/copied.txt"});
  EXPECT_EQ(keeld_.ctl_ok({"exec", "box", "cat", "/tmp/copied.txt"}), "from the host\n");
  keeld_.ctl_ok({"cp", (work_ / "in.txt").string(), "box:/tmp/"});
  EXPECT_EQ(keeld_.ctl_ok({"exec", "box", "cat", "/tmp/in.txt"}), "from the host\n");

  keeld_.ctl_ok({"exec", "box", "sh", "-c", "mkdir /out && echo from the container > /out/f"});
  keeld_.ctl_ok({"cp", "box:/out/f", (work_ / "f").string()});
  EXPECT_EQ(read_file(work_ / "f"), "from the container\n");
  keeld_.ctl_ok({"cp", "box:/out", (work_ / "outdir").string()});
  EXPECT_EQ(read_file(work_ / "outdir" / "f"), "from the container\n");
  EXPECT_NE(keeld_.ctl({"cp", "box:/no/such", (work_ / "x").string()}).exit_code, 0);
}

// --- cleanup -----------------------------------------------------------------------------------

using ContainerCleanup = KeeldContainers;

// Containers in every state; TearDown removes them with rm -f and checks that nothing is left.
TEST_F(ContainerCleanup, RmForceOfContainersInEveryStateLeavesNothing) {
  const std::string up = run_detached({"--name", "up", "busybox", "sleep", "1000"});
  // What the check after rm -f looks for is there while the container runs.
  EXPECT_FALSE(cgroup_dirs_of(up).empty());
  EXPECT_TRUE(names_in(keeld_.state() / "runtime").contains(up));
  EXPECT_TRUE(names_in(keeld_.root() / "containers").contains(up));
  EXPECT_FALSE(fixtures::mounts_under(keeld_.root()).empty());
  run_detached({"--name", "frozen", "busybox", "sleep", "1000"});
  keeld_.ctl_ok({"pause", "frozen"});
  EXPECT_EQ(keeld_.ctl({"run", "--name", "done", "busybox", "true"}).exit_code, 0);
  keeld_.ctl_ok({"create", "--name", "fresh", "busybox", "true"});
  run_detached({"--name", "execd", "busybox", "sleep", "1000"});
  keeld_.ctl_ok({"exec", "-d", "execd", "sleep", "1000"});
  run_detached(
      {"--name", "bound", "-v", work_.path().string() + ":/data:ro", "busybox", "sleep", "1000"});
  EXPECT_EQ(lines_of(keeld_.ctl_ok({"ps", "-a", "-q"})).size(), 6U);
  // One shim per container that runs (a created one may have its shim already).
  EXPECT_GE(shims_of(keeld_.socket()).size(), 4U);
  EXPECT_FALSE(names_in(keeld_.state() / "shims").empty());
  // The explicit rm -f here; TearDown then finds nothing to remove and checks the host.
  std::vector<std::string> args = {"rm", "-f"};
  for (const auto& id : lines_of(keeld_.ctl_ok({"ps", "-a", "-q"})))
    args.push_back(id);
  keeld_.ctl_ok(args);
  EXPECT_THAT(lines_of(keeld_.ctl_ok({"ps", "-a", "-q"})), ::testing::IsEmpty());
}

}  // namespace
}  // namespace keel::it::containers_it
