// Containers end to end through keelctl and a private keeld: run's output, exit codes and flags,
// the lifecycle verbs, logs, events, limits, restart policies, keeld killed under running
// containers, and the filesystem verbs. Every test ends by removing all its containers and
// checking that no shim, mount, cgroup or state file of them is left.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/unique_fd.h"
#include "integration/manager/manager_test.h"

namespace keel::it {
namespace {

namespace stdfs = std::filesystem;
using fixtures::RunResult;
using fixtures::wait_until;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.pop_back();
  return text;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Unix seconds with a fraction, for `events --since`.
std::string unix_now() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  return std::to_string(us / 1'000'000) + "." +
         std::to_string(1'000'000 + us % 1'000'000).substr(1);
}

// The pids of keel-shim processes serving the keeld on `socket` (their -address argument).
std::vector<pid_t> shims_of(const stdfs::path& socket) {
  std::vector<pid_t> pids;
  std::error_code ec;
  for (const auto& entry : stdfs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos)
      continue;
    if (trimmed(fixtures::read_text(entry.path() / "comm")) != "keel-shim")
      continue;
    const std::string cmdline = fixtures::read_text(entry.path() / "cmdline");
    std::vector<std::string> args;
    for (std::string::size_type start = 0; start < cmdline.size();) {
      auto end = cmdline.find('\0', start);
      if (end == std::string::npos)
        end = cmdline.size();
      args.push_back(cmdline.substr(start, end - start));
      start = end + 1;
    }
    for (std::size_t i = 0; i + 1 < args.size(); ++i) {
      if (args[i] == "-address" && args[i + 1] == socket.string()) {
        // A zombie is gone for this purpose.
        const std::string stat = fixtures::read_text(entry.path() / "stat");
        const auto close = stat.rfind(')');
        if (close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z')
          break;
        pids.push_back(std::stoi(name));
        break;
      }
    }
  }
  return pids;
}

// Every cgroup dir keel made for container `id`, under any hierarchy (v1 and v2).
std::vector<stdfs::path> cgroup_dirs_of(const std::string& id) {
  std::vector<stdfs::path> found;
  std::error_code ec;
  for (const auto& hierarchy : stdfs::directory_iterator("/sys/fs/cgroup", ec)) {
    if (stdfs::exists(hierarchy.path() / "keel" / id))
      found.push_back(hierarchy.path() / "keel" / id);
  }
  if (stdfs::exists(stdfs::path("/sys/fs/cgroup/keel") / id))
    found.push_back(stdfs::path("/sys/fs/cgroup/keel") / id);
  return found;
}

std::set<std::string> names_in(const stdfs::path& dir) {
  std::set<std::string> names;
  std::error_code ec;
  for (const auto& entry : stdfs::directory_iterator(dir, ec))
    names.insert(entry.path().filename().string());
  return names;
}

// Entry names of a tar file, without a leading "./".
std::set<std::string> tar_entries(const stdfs::path& file) {
  std::set<std::string> names;
  struct archive* in = archive_read_new();
  archive_read_support_format_all(in);
  if (archive_read_open_filename(in, file.c_str(), 1 << 16) != ARCHIVE_OK) {
    ADD_FAILURE() << "cannot read " << file << ": " << archive_error_string(in);
    archive_read_free(in);
    return names;
  }
  struct archive_entry* entry = nullptr;
  while (archive_read_next_header(in, &entry) == ARCHIVE_OK) {
    std::string name = archive_entry_pathname(entry);
    if (name.starts_with("./"))
      name = name.substr(2);
    names.insert(name);
  }
  archive_read_free(in);
  return names;
}

// The freezer's view of process `pid`, found through /proc/<pid>/cgroup: v1's freezer.state
// ("FROZEN", "THAWED") where the v1 freezer is mounted (this hybrid host), else cgroup v2's
// cgroup.freeze read as the same words. Empty when neither can be read.
std::string freezer_state(pid_t pid) {
  std::istringstream lines(fixtures::read_text("/proc/" + std::to_string(pid) + "/cgroup"));
  std::string unified;
  for (std::string line; std::getline(lines, line);) {
    const auto first = line.find(':');
    const auto second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos)
      continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    const std::string path = line.substr(second + 1);
    std::istringstream names(controllers);
    for (std::string name; std::getline(names, name, ',');) {
      if (name == "freezer")
        return trimmed(fixtures::read_text("/sys/fs/cgroup/freezer" + path + "/freezer.state"));
    }
    if (controllers.empty())
      unified = path;
  }
  if (unified.empty())
    return "";
  const std::string freeze =
      trimmed(fixtures::read_text("/sys/fs/cgroup" + unified + "/cgroup.freeze"));
  return freeze == "1" ? "FROZEN" : freeze == "0" ? "THAWED" : "";
}

bool process_alive(pid_t pid) {
  const std::string stat = fixtures::read_text("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
}

class KeeldContainers : public ManagerTest {
 protected:
  void SetUp() override {
    ManagerTest::SetUp();
    if (IsSkipped() || HasFatalFailure())
      return;
    since_ = unix_now();
    const auto tar = work_ / "busybox.tar";
    write_file(tar, busybox_rootfs_tar());
    keeld_.ctl_ok({"import", "-c", R"(CMD ["/bin/sh"])", tar.string(), "busybox:latest"});
  }

  void TearDown() override {
    if (::geteuid() == 0) {
      // A test that failed while keeld was down: bring it back to remove what its shims run.
      if (!keeld_.running())
        keeld_.start();
      if (keeld_.running())
        remove_everything_and_expect_nothing_left();
      // Whatever the checks found is not left behind on the host.
      for (const pid_t shim : shims_of(keeld_.socket()))
        ::kill(shim, SIGKILL);
    }
    ManagerTest::TearDown();
  }

  // `rm -f` of every container, then: no shim, mount, cgroup or state file of any container
  // this test created.
  void remove_everything_and_expect_nothing_left() {
    const auto ids = lines_of(keeld_.ctl({"ps", "-a", "-q", "--no-trunc"}).out);
    if (!ids.empty()) {
      std::vector<std::string> args = {"rm", "-f"};
      args.insert(args.end(), ids.begin(), ids.end());
      keeld_.ctl_ok(args);
    }
    EXPECT_THAT(lines_of(keeld_.ctl_ok({"ps", "-a", "-q"})), ::testing::IsEmpty());
    // Shims exit on their own a moment after Shutdown.
    EXPECT_TRUE(wait_until([&] { return shims_of(keeld_.socket()).empty(); }, seconds(10)))
        << "keel-shim processes left: " << shims_of(keeld_.socket()).size();
    for (const auto& dir : {keeld_.root(), keeld_.state()})
      for (const auto& mount : fixtures::mounts_under(dir))
        ADD_FAILURE() << "mount left: " << mount;
    std::set<std::string> created = created_ids();
    created.insert(ids.begin(), ids.end());
    for (const auto& id : created)
      for (const auto& dir : cgroup_dirs_of(id))
        ADD_FAILURE() << "cgroup left: " << dir;
    EXPECT_THAT(names_in(keeld_.root() / "containers"), ::testing::IsEmpty());
    EXPECT_THAT(names_in(keeld_.state() / "shims"), ::testing::IsEmpty());
    // The runtime's state dir keeps its seccomp filter cache, nothing per container.
    auto runtime = names_in(keeld_.state() / "runtime");
    runtime.erase("@seccomp-cache");
    EXPECT_THAT(runtime, ::testing::IsEmpty());
  }

  // Ids of every container created since SetUp, from keeld's event history.
  std::set<std::string> created_ids() {
    std::set<std::string> ids;
    for (const auto& line : events_since(since_)) {
      if (contains(line, " container create ")) {
        std::istringstream fields(line);
        std::string time, type, action, id;
        fields >> time >> type >> action >> id;
        ids.insert(id);
      }
    }
    return ids;
  }

  // The events kept since `since`, one line each, as keelctl prints them.
  std::vector<std::string> events_since(const std::string& since) {
    return lines_of(keeld_.ctl_ok({"events", "--since", since, "--until", "0s"}));
  }

  // run -d ARGS...; returns the full id.
  std::string run_detached(std::vector<std::string> args) {
    args.insert(args.begin(), {"run", "-d"});
    const RunResult result = keeld_.ctl(args);
    EXPECT_EQ(result.exit_code, 0) << result << "\n  keeld log:\n" << keeld_.log();
    return trimmed(result.out);
  }

  std::string inspect(const std::string& name, const std::string& format) {
    return trimmed(keeld_.ctl_ok({"inspect", "-f", format, name}));
  }

  nlohmann::json inspect_json(const std::string& name) {
    const auto all = nlohmann::json::parse(keeld_.ctl_ok({"inspect", name}), nullptr, false);
    if (all.is_discarded() || !all.is_array() || all.empty()) {
      ADD_FAILURE() << "inspect " << name << " is not a JSON array";
      return nlohmann::json::object();
    }
    return all[0];
  }

  // The STATUS column of `ps -a` for the container named `name`.
  std::string ps_status(const std::string& name) {
    const auto lines = lines_of(keeld_.ctl_ok({"ps", "-a", "--format", "{{.Names}}|{{.Status}}"}));
    for (const auto& line : lines)
      if (line.starts_with(name + "|"))
        return line.substr(name.size() + 1);
    return {};
  }

  bool running(const std::string& name) { return inspect(name, "{{.State.Running}}") == "true"; }

  std::string since_;
};

// --- run: output, exit codes, flags ----------------------------------------------------------

using ContainerRun = KeeldContainers;

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

// --- limits and restart policies -------------------------------------------------------------

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
}  // namespace keel::it
