// Containers end to end through keelctl and a private keeld: run's output, exit codes and flags,
// the lifecycle verbs, logs, events, limits, restart policies, keeld killed under running
// containers, and the filesystem verbs. Every test ends by removing all its containers and
// checking that no shim, mount, cgroup or state file of them is left.
#include "integration/manager/keeld_containers.h"

namespace keel::it::containers_it {
namespace {

TEST_F(ContainerRun, PrintsTheContainersOutputAndExitsWithItsCode) {
  RunResult hello = keeld_.ctl({"run", "--rm", "busybox", "echo", "hello"});
  EXPECT_EQ(hello.exit_code, 0) << hello;
  EXPECT_EQ(hello.out, "hello\n");

  RunResult err = keeld_.ctl({"run", "--rm", "busybox", "sh", "-c", "echo oops >&2; exit 3"});
  EXPECT_EQ(err.exit_code, 3) << err;
  EXPECT_EQ(err.out, "");
  EXPECT_THAT(err.err, HasSubstr("oops"));

  RunResult seven = keeld_.ctl({"run", "--name", "seven", "busybox", "sh", "-c", "exit 7"});
  EXPECT_EQ(seven.exit_code, 7) << seven;
  EXPECT_EQ(inspect("seven", "{{.State.ExitCode}}"), "7");
  EXPECT_THAT(ps_status("seven"), HasSubstr("Exited (7)"));

  RunResult missing = keeld_.ctl({"run", "--rm", "busybox", "/no/such/binary"});
  EXPECT_NE(missing.exit_code, 0) << missing;
}

// A --rm container's upper is thrown away with it, so its overlay is volatile (no sync of the
// host filesystem at unmount); a container that is kept is not. The container's own mountinfo
// shows its root's overlay options.
TEST_F(ContainerRun, OnlyRmContainersGetAVolatileUpper) {
  const std::vector<std::string> root_options = {
      "busybox", "sh", "-c", "grep ' / / ' /proc/self/mountinfo | grep -c volatile"};
  std::vector<std::string> rm = {"run", "--rm"};
  rm.insert(rm.end(), root_options.begin(), root_options.end());
  RunResult removed = keeld_.ctl(rm);
  EXPECT_EQ(removed.exit_code, 0) << removed;
  EXPECT_EQ(removed.out, "1\n");

  std::vector<std::string> kept = {"run", "--name", "kept"};
  kept.insert(kept.end(), root_options.begin(), root_options.end());
  RunResult persistent = keeld_.ctl(kept);
  EXPECT_EQ(persistent.exit_code, 1) << persistent;
  EXPECT_EQ(persistent.out, "0\n");
}

// A restart starts the next shim on the path the last one served: that one gives the path up
// before it answers Shutdown, so the new start neither talks to it nor loses its own socket when
// it exits (before, about one restart in four failed under load: "task already exists", or no
// socket to connect to).
TEST_F(ContainerRun, BackToBackRestartsEachReachTheirOwnShim) {
  keeld_.ctl_ok({"run", "-d", "--name", "again", "--network", "none", "busybox", "sleep", "300"});
  for (int i = 0; i < 15; ++i) {
    const RunResult restarted = keeld_.ctl({"restart", "-t", "0", "again"});
    ASSERT_EQ(restarted.exit_code, 0) << "restart " << i << ": " << restarted;
  }
  EXPECT_EQ(inspect("again", "{{.State.Status}}"), "running");
  EXPECT_EQ(keeld_.ctl_ok({"exec", "again", "echo", "alive"}), "alive\n");
}

TEST_F(ContainerRun, EnvWorkdirUserAndBindMountsApply) {
  const auto vol = work_ / "vol";
  stdfs::create_directory(vol);
  stdfs::permissions(vol, stdfs::perms::all);  // the container writes as uid 1000
  write_file(vol / "from-host", "host data\n");

  const std::string script =
      "echo \"$GREETING\"; pwd; id -u; cat /data/from-host; "
      "echo container data > /data/from-container";
  RunResult result =
      keeld_.ctl({"run", "--rm", "-e", "GREETING=hi there", "-w", "/tmp", "-u", "1000", "-v",
                  vol.string() + ":/data", "busybox", "sh", "-c", script});
  ASSERT_EQ(result.exit_code, 0) << result;
  EXPECT_THAT(lines_of(result.out), ElementsAre("hi there", "/tmp", "1000", "host data"));
  EXPECT_EQ(read_file(vol / "from-container"), "container data\n");
  struct stat st {};
  ASSERT_EQ(::stat((vol / "from-container").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, fixtures::kUserUid);

  RunResult ro = keeld_.ctl({"run", "--rm", "-v", vol.string() + ":/data:ro", "busybox", "sh", "-c",
                             "cat /data/from-host && echo nope > /data/refused"});
  EXPECT_NE(ro.exit_code, 0) << ro;
  EXPECT_EQ(ro.out, "host data\n");
  EXPECT_THAT(ro.err, HasSubstr("Read-only file system"));
  EXPECT_FALSE(stdfs::exists(vol / "refused"));
}

TEST_F(ContainerRun, RmRemovesTheContainerAndItsDirectory) {
  RunResult result =
      keeld_.ctl({"run", "--rm", "--name", "gone", "busybox", "sh", "-c", "echo bye; exit 4"});
  EXPECT_EQ(result.exit_code, 4) << result;
  EXPECT_EQ(result.out, "bye\n");
  EXPECT_THAT(lines_of(keeld_.ctl_ok({"ps", "-a", "-q"})), ::testing::IsEmpty());
  EXPECT_NE(keeld_.ctl({"inspect", "gone"}).exit_code, 0);
  EXPECT_THAT(names_in(keeld_.root() / "containers"), ::testing::IsEmpty());
  // The name is free again.
  EXPECT_EQ(keeld_.ctl({"run", "--rm", "--name", "gone", "busybox", "true"}).exit_code, 0);
}

TEST_F(ContainerRun, InteractiveTerminal) {
  int master = -1;
  winsize size{.ws_row = 24, .ws_col = 80, .ws_xpixel = 0, .ws_ypixel = 0};
  const std::string ctl = fixtures::keelctl_path().string();
  const std::string address = keeld_.socket().string();
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, &size);
  ASSERT_GE(pid, 0) << "forkpty: " << std::strerror(errno);
  if (pid == 0) {
    ::execl(ctl.c_str(), ctl.c_str(), "--address", address.c_str(), "run", "-it", "--rm", "busybox",
            "sh", nullptr);
    ::_exit(127);
  }
  std::string seen;
  // Reads what the terminal shows until `want` appears, the terminal closes or the time is up.
  auto read_until = [&](const std::string& want, milliseconds timeout) {
    const auto deadline = steady_clock::now() + timeout;
    while (!contains(seen, want) && steady_clock::now() < deadline) {
      pollfd fd{master, POLLIN, 0};
      if (::poll(&fd, 1, 100) <= 0)
        continue;
      char buffer[4096];
      const ssize_t n = ::read(master, buffer, sizeof buffer);
      if (n <= 0)
        return;  // EIO: the other side is closed
      seen.append(buffer, static_cast<std::size_t>(n));
    }
  };
  read_until("# ", seconds(15));
  EXPECT_THAT(seen, HasSubstr("# ")) << "no shell prompt";
  const std::string input = "echo h''i; exit 3\n";
  ASSERT_EQ(::write(master, input.data(), input.size()), static_cast<ssize_t>(input.size()));
  read_until("\nhi", seconds(10));
  read_until("\x01never", seconds(2));  // the rest, up to the close
  ::close(master);
  // Its exit, seen on a pidfd: waitpid polling through wait_until would let the fixtures' reaper
  // of adopted children take the status first.
  const UniqueFd exit_fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  ASSERT_TRUE(exit_fd.valid()) << "pidfd_open: " << std::strerror(errno);
  pollfd exit_poll{exit_fd.get(), POLLIN, 0};
  const bool exited = ::poll(&exit_poll, 1, 10'000) == 1;
  if (!exited)
    ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(exited) << "keelctl run -it did not end; terminal showed:\n" << seen;
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3) << seen;
  // "h''i" echoes as typed; only the command's output reads "hi" at a line start.
  EXPECT_THAT(seen, HasSubstr("\nhi\r\n"));
}

// --- lifecycle verbs ---------------------------------------------------------------------------

using ContainerLifecycle = KeeldContainers;

TEST_F(ContainerLifecycle, ExecRunsInARunningContainer) {
  run_detached({"--name", "web", "busybox", "sleep", "1000"});
  RunResult result = keeld_.ctl({"exec", "web", "sh", "-c", "echo in-container; exit 4"});
  EXPECT_EQ(result.exit_code, 4) << result;
  EXPECT_EQ(result.out, "in-container\n");

  RunResult flags = keeld_.ctl({"exec", "-u", "1000", "-w", "/etc", "-e", "V=exec-env", "web", "sh",
                                "-c", "id -u; pwd; echo $V"});
  EXPECT_EQ(flags.exit_code, 0) << flags;
  EXPECT_THAT(lines_of(flags.out), ElementsAre("1000", "/etc", "exec-env"));

  // The exec'd process shares the container's pid namespace: pid 1 is its sleep.
  EXPECT_EQ(keeld_.ctl_ok({"exec", "web", "cat", "/proc/1/cmdline"}), std::string("sleep\0"
                                                                                  "1000\0",
                                                                                  11));
  EXPECT_TRUE(running("web"));
}

TEST_F(ContainerLifecycle, StopKillsAProcessIgnoringSigtermAfterTheTimeout) {
  run_detached({"--name", "stubborn", "busybox", "sh", "-c", "trap '' TERM; sleep 1000"});
  // The trap is set once sh has started its sleep.
  ASSERT_TRUE(wait_until(
      [&] {
        return contains(keeld_.ctl({"top", "stubborn"}).out, "sleep 1000");
      },
      seconds(10)));
  const auto start = steady_clock::now();
  RunResult stop = keeld_.ctl({"stop", "-t", "1", "stubborn"});
  const auto took = steady_clock::now() - start;
  EXPECT_EQ(stop.exit_code, 0) << stop;
  EXPECT_GE(took, milliseconds(900));
  EXPECT_LT(took, seconds(5));
  EXPECT_EQ(inspect("stubborn", "{{.State.ExitCode}}"), "137");
  EXPECT_THAT(ps_status("stubborn"), HasSubstr("Exited (137)"));
}

TEST_F(ContainerLifecycle, StopOfAProcessHandlingSigtermIsQuick) {
  run_detached({"--name", "polite", "busybox", "sh", "-c",
                "trap 'exit 0' TERM; while true; do sleep 0.1; done"});
  ASSERT_TRUE(wait_until(
      [&] {
        return contains(keeld_.ctl({"top", "polite"}).out, "sleep");
      },
      seconds(10)));
  const auto start = steady_clock::now();
  keeld_.ctl_ok({"stop", "-t", "10", "polite"});
  EXPECT_LT(steady_clock::now() - start, seconds(5));
  EXPECT_EQ(inspect("polite", "{{.State.ExitCode}}"), "0");
}

TEST_F(ContainerLifecycle, PauseAndUnpauseFreezeTheContainer) {
  run_detached({"--name", "ticker", "busybox", "sh", "-c",
                "i=0; while true; do i=$((i+1)); echo $i > /tmp/n; mv /tmp/n /tmp/t; done"});
  // A counter replaced whole by rename, so a copy never sees it half written.
  ASSERT_TRUE(wait_until(
      [&] {
        return keeld_.ctl({"exec", "ticker", "test", "-s", "/tmp/t"}).exit_code == 0;
      },
      seconds(10)));
  const pid_t pid = std::stoi(inspect("ticker", "{{.State.Pid}}"));
  keeld_.ctl_ok({"pause", "ticker"});
  EXPECT_THAT(ps_status("ticker"), HasSubstr("Paused"));
  EXPECT_EQ(inspect("ticker", "{{.State.Paused}}"), "true");
  EXPECT_EQ(freezer_state(pid), "FROZEN");
  // Nothing runs while paused: the file the loop rewrites stays as it is. Absence of progress
  // can only be seen over time.
  keeld_.ctl_ok({"cp", "ticker:/tmp/t", (work_ / "t1").string()});
  std::this_thread::sleep_for(milliseconds(300));
  keeld_.ctl_ok({"cp", "ticker:/tmp/t", (work_ / "t2").string()});
  EXPECT_NE(read_file(work_ / "t1"), "");
  EXPECT_EQ(read_file(work_ / "t1"), read_file(work_ / "t2"));

  keeld_.ctl_ok({"unpause", "ticker"});
  EXPECT_THAT(ps_status("ticker"), AllOf(HasSubstr("Up"), Not(HasSubstr("Paused"))));
  EXPECT_EQ(inspect("ticker", "{{.State.Paused}}"), "false");
  EXPECT_EQ(freezer_state(pid), "THAWED");
  EXPECT_TRUE(wait_until(
      [&] {
        keeld_.ctl_ok({"cp", "ticker:/tmp/t", (work_ / "t3").string()});
        return read_file(work_ / "t3") != read_file(work_ / "t2");
      },
      seconds(10)))
      << "the counter did not advance after unpause";
}

TEST_F(ContainerLifecycle, KillSendsTheSignalAndWaitPrintsTheExitCode) {
  run_detached({"--name", "catcher", "busybox", "sh", "-c",
                "trap 'echo got-usr1; exit 12' USR1; while true; do sleep 0.1; done"});
  ASSERT_TRUE(wait_until(
      [&] {
        return contains(keeld_.ctl({"top", "catcher"}).out, "sleep");
      },
      seconds(10)));
  keeld_.ctl_ok({"kill", "-s", "USR1", "catcher"});
  fixtures::RunOptions twenty_seconds;
  twenty_seconds.timeout = seconds(20);
  RunResult wait = keeld_.ctl({"wait", "catcher"}, twenty_seconds);
  EXPECT_EQ(wait.exit_code, 0) << wait;
  EXPECT_EQ(trimmed(wait.out), "12");
  EXPECT_THAT(keeld_.ctl_ok({"logs", "catcher"}), HasSubstr("got-usr1"));

  run_detached({"--name", "victim", "busybox", "sleep", "1000"});
  keeld_.ctl_ok({"kill", "-s", "SIGKILL", "victim"});
  EXPECT_EQ(trimmed(keeld_.ctl_ok({"wait", "victim"})), "137");
}

TEST_F(ContainerLifecycle, TopListsTheProcessAndStatsShowsMemory) {
  run_detached({"--name", "watched", "--memory", "16m", "busybox", "sleep", "1000"});
  const std::string pid = inspect("watched", "{{.State.Pid}}");
  const std::string top = keeld_.ctl_ok({"top", "watched"});
  EXPECT_THAT(top, HasSubstr("PID"));
  EXPECT_THAT(top, HasSubstr("sleep 1000"));
  EXPECT_THAT(top, HasSubstr(pid));

  const auto stats = lines_of(keeld_.ctl_ok({"stats", "--no-stream", "watched"}));
  ASSERT_EQ(stats.size(), 2U);
  EXPECT_THAT(stats[0], HasSubstr("MEM USAGE / LIMIT"));
  EXPECT_THAT(stats[1], HasSubstr("watched"));
  EXPECT_THAT(stats[1], HasSubstr("/ 16MiB"));
}

TEST_F(ContainerLifecycle, RenameAndUpdateMemory) {
  const std::string id = run_detached({"--name", "before", "busybox", "sleep", "1000"});
  keeld_.ctl_ok({"rename", "before", "after"});
  EXPECT_NE(keeld_.ctl({"inspect", "before"}).exit_code, 0);
  EXPECT_EQ(inspect("after", "{{.Id}}"), id);
  EXPECT_EQ(inspect("after", "{{.Name}}"), "/after");
  EXPECT_THAT(ps_status("after"), HasSubstr("Up"));

  keeld_.ctl_ok({"update", "--memory", "32m", "after"});
  EXPECT_EQ(inspect("after", "{{.HostConfig.Memory}}"), "33554432");
  const auto v1 = stdfs::path("/sys/fs/cgroup/memory/keel") / id / "memory.limit_in_bytes";
  const auto v2 = stdfs::path("/sys/fs/cgroup/keel") / id / "memory.max";
  const auto limit_file = stdfs::exists(v1) ? v1 : v2;
  EXPECT_EQ(trimmed(fixtures::read_text(limit_file)), "33554432") << limit_file;
  const auto stats = lines_of(keeld_.ctl_ok({"stats", "--no-stream", "after"}));
  ASSERT_EQ(stats.size(), 2U);
  EXPECT_THAT(stats[1], HasSubstr("/ 32MiB"));
}

TEST_F(ContainerLifecycle, PsListsStatesAndFiltersNamesByRegex) {
  keeld_.ctl_ok({"create", "--name", "seven", "busybox", "true"});
  keeld_.ctl_ok({"create", "--name", "seventy", "busybox", "true"});
  run_detached({"--name", "upper", "busybox", "sleep", "1000"});
  EXPECT_EQ(lines_of(keeld_.ctl_ok({"ps", "-q"})).size(), 1U);
  EXPECT_EQ(lines_of(keeld_.ctl_ok({"ps", "-a", "-q"})).size(), 3U);
  EXPECT_THAT(
      lines_of(keeld_.ctl_ok({"ps", "-a", "--filter", "name=^seven$", "--format", "{{.Names}}"})),
      ElementsAre("seven"));
  EXPECT_THAT(
      lines_of(keeld_.ctl_ok({"ps", "-a", "--filter", "name=sev", "--format", "{{.Names}}"})),
      ::testing::UnorderedElementsAre("seven", "seventy"));
  EXPECT_THAT(ps_status("seven"), HasSubstr("Created"));
  EXPECT_THAT(ps_status("upper"), HasSubstr("Up"));
}

// --- logs and events -------------------------------------------------------------------------

using ContainerLogsAndEvents = KeeldContainers;

TEST_F(ContainerLogsAndEvents, LogsFollowPrintsLinesAsTheyComeAndEndsWithTheContainer) {
  run_detached({"--name", "talker", "busybox", "sh", "-c",
                "for i in 1 2 3 4 5 6 7 8 9 10; do echo line$i; sleep 0.2; done"});
  const auto out = work_ / "follow.out";
  auto follow = fixtures::start_command({"/bin/sh", "-c", "exec \"$@\" > " + out.string(), "follow",
                                         fixtures::keelctl_path().string(), "--address",
                                         keeld_.socket().string(), "logs", "-f", "talker"});
  // Lines show up while the container still has more to print.
  ASSERT_TRUE(wait_until([&] { return contains(read_file(out), "line2\n"); }, seconds(10)))
      << read_file(out);
  EXPECT_THAT(read_file(out), Not(HasSubstr("line10")));
  EXPECT_TRUE(running("talker"));
  // And the command ends by itself once the container exits.
  RunResult result = follow.wait(seconds(15));
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_FALSE(running("talker"));
  std::vector<std::string> expected;
  for (int i = 1; i <= 10; ++i)
    expected.push_back("line" + std::to_string(i));
  EXPECT_EQ(lines_of(read_file(out)), expected);

  EXPECT_THAT(lines_of(keeld_.ctl_ok({"logs", "--tail", "2", "talker"})),
              ElementsAre("line9", "line10"));
}

TEST_F(ContainerLogsAndEvents, EventsComeInOrderWithTheExitCode) {
  const std::string since = unix_now();
  // A live subscriber as well as the history.
  const auto live_out = work_ / "events.out";
  auto live =
      fixtures::start_command({"/bin/sh", "-c", "exec \"$@\" > " + live_out.string(), "events",
                               fixtures::keelctl_path().string(), "--address",
                               keeld_.socket().string(), "events", "--filter", "container=evt"});
  std::this_thread::sleep_for(milliseconds(300));  // subscribed
  RunResult run = keeld_.ctl({"run", "--rm", "--name", "evt", "busybox", "sh", "-c", "exit 3"});
  EXPECT_EQ(run.exit_code, 3) << run;

  auto actions_of = [](const std::vector<std::string>& lines, std::string* die_line) {
    std::vector<std::string> actions;
    for (const auto& line : lines) {
      if (!contains(line, "name=evt"))
        continue;
      std::istringstream fields(line);
      std::string time, type, action;
      fields >> time >> type >> action;
      EXPECT_EQ(type, "container") << line;
      actions.push_back(action);
      if (action == "die")
        *die_line = line;
    }
    return actions;
  };
  std::string die;
  EXPECT_THAT(actions_of(events_since(since), &die),
              ElementsAre("create", "start", "die", "destroy"));
  EXPECT_THAT(die, HasSubstr("exitCode=3"));

  ASSERT_TRUE(wait_until([&] { return contains(read_file(live_out), " destroy "); }, seconds(10)))
      << read_file(live_out);
  ::kill(live.pid(), SIGTERM);
  (void)live.wait(seconds(10));
  std::string live_die;
  EXPECT_THAT(actions_of(lines_of(read_file(live_out)), &live_die),
              ElementsAre("create", "start", "die", "destroy"));
  EXPECT_THAT(live_die, HasSubstr("exitCode=3"));
}

}  // namespace
}  // namespace keel::it::containers_it
