// Pins process.terminal (runc docs/terminals.md): the pty is made inside the container and its
// master is sent over --console-socket (SCM_RIGHTS); without one, `run` and `exec -t` in the
// foreground relay the caller's own terminal, raw while they run and restored afterwards.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/fs.h"
#include "common/unique_fd.h"
#include "integration/fixtures/fixtures.h"

namespace keel::fixtures {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;

// A listening unix socket at `path`, as a console-socket receiver (conmon, containerd) has.
UniqueFd listen_at(const std::filesystem::path& path) {
  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  struct sockaddr_un addr {};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (::bind(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(sock.get(), 1) != 0)
    ADD_FAILURE() << "listen on " << path << ": " << std::strerror(errno);
  return sock;
}

// Accepts one connection and receives the one fd it carries.
UniqueFd receive_master(int listener) {
  UniqueFd conn(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
  if (!conn.valid()) {
    ADD_FAILURE() << "accept: " << std::strerror(errno);
    return {};
  }
  char name[128] = {};
  struct iovec iov = {name, sizeof name - 1};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  if (::recvmsg(conn.get(), &msg, MSG_CMSG_CLOEXEC) <= 0) {
    ADD_FAILURE() << "recvmsg: " << std::strerror(errno);
    return {};
  }
  struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  if (cmsg == nullptr || cmsg->cmsg_type != SCM_RIGHTS) {
    ADD_FAILURE() << "message without SCM_RIGHTS";
    return {};
  }
  EXPECT_THAT(std::string(name), HasSubstr("/dev/pts/")) << "runc sends the pty's name";
  int fd = -1;
  std::memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
  return UniqueFd(fd);
}

// Reads `fd` until `want` matches what was read, EOF/EIO, or the deadline.
std::string read_until(int fd, const std::string& want_regex,
                       std::chrono::seconds timeout = std::chrono::seconds(20)) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!want_regex.empty() && testing::Matches(ContainsRegex(want_regex))(out))
      break;
    struct pollfd p = {fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0)
      continue;
    char buf[4096];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0)
      break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

void write_text(int fd, const std::string& text) {
  ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
}

TEST(Terminal, SendsPtyMasterOverConsoleSocket) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.config["process"]["terminal"] = true;
  bundle.config["process"]["consoleSize"] = {{"height", 31}, {"width", 97}};
  bundle.set_args({"sh"});
  bundle.write();
  {
    const auto path = bundle.base() / "console.sock";
    const UniqueFd listener = listen_at(path);
    const RunResult run =
        run_runtime(bundle, {"run", "-d", "--console-socket", path.string(), bundle.id});
    ASSERT_EQ(run.exit_code, 0) << run;
    const UniqueFd master = receive_master(listener.get());
    ASSERT_TRUE(master.valid());
    write_text(master.get(), "tty; stty size; exit 3\n");
    const std::string out = read_until(master.get(), "");
    EXPECT_THAT(out, ContainsRegex("\n/dev/pts/[0-9]+\r\n")) << out;
    EXPECT_THAT(out, HasSubstr("\n31 97\r\n")) << out;
  }
  ASSERT_TRUE(wait_for_status(bundle, bundle.id, "stopped"));
  force_delete(bundle);
  leaks.expect_none();
}

TEST(Terminal, ExecTtySendsPtyMasterOverConsoleSocket) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  ASSERT_NO_FATAL_FAILURE(run_detached(bundle, {"sleep", "1000"}));
  {
    const nlohmann::json process = {
        {"terminal", true},
        {"consoleSize", {{"height", 25}, {"width", 81}}},
        {"user", {{"uid", 0}, {"gid", 0}}},
        {"args", {"sh"}},
        {"env", {"PATH=/bin:/usr/bin"}},
        {"cwd", "/"},
    };
    const auto process_path = bundle.base() / "process.json";
    ASSERT_TRUE(fs::write_file_atomic(process_path, process.dump(), 0644).has_value());
    const auto path = bundle.base() / "console.sock";
    const UniqueFd listener = listen_at(path);
    const auto pid_file = bundle.base() / "exec.pid";
    const RunResult r =
        run_runtime(bundle, {"exec", "-d", "--console-socket", path.string(), "--pid-file",
                             pid_file.string(), "--process", process_path.string(), bundle.id});
    ASSERT_EQ(r.exit_code, 0) << r;
    const UniqueFd master = receive_master(listener.get());
    ASSERT_TRUE(master.valid());
    write_text(master.get(), "tty; stty size; exit\n");
    const std::string out = read_until(master.get(), "");
    EXPECT_THAT(out, ContainsRegex("\n/dev/pts/[0-9]+\r\n")) << out;
    EXPECT_THAT(out, HasSubstr("\n25 81\r\n")) << out;
    // Its reaper is the test process: until reaped, the pid namespace cannot end with delete.
    const std::string proc = "/proc/" + read_text(pid_file);
    EXPECT_TRUE(wait_until([&] { return !std::filesystem::exists(proc); }));
  }
  force_delete(bundle);
  leaks.expect_none();
}

// A pty pair standing for the user's terminal: keel gets the slave as stdio and controlling tty.
struct CallerTerminal {
  UniqueFd master;
  std::string slave_path;
};

CallerTerminal open_caller_terminal(unsigned short rows, unsigned short cols) {
  CallerTerminal t;
  t.master.reset(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  EXPECT_TRUE(t.master.valid());
  EXPECT_EQ(::grantpt(t.master.get()), 0);
  EXPECT_EQ(::unlockpt(t.master.get()), 0);
  char name[64] = {};
  EXPECT_EQ(::ptsname_r(t.master.get(), name, sizeof name), 0);
  t.slave_path = name;
  struct winsize size = {rows, cols, 0, 0};
  EXPECT_EQ(::ioctl(t.master.get(), TIOCSWINSZ, &size), 0);
  return t;
}

// Starts `argv` in a new session whose controlling terminal and stdio are `slave_path`.
pid_t spawn_on_terminal(const std::string& slave_path, const std::vector<std::string>& argv,
                        const std::filesystem::path& cwd) {
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setsid();
    const int slave = ::open(slave_path.c_str(), O_RDWR | O_CLOEXEC);  // dup2 clears it
    if (slave < 0 || ::ioctl(slave, TIOCSCTTY, 0) != 0 || ::chdir(cwd.c_str()) != 0)
      ::_exit(125);
    for (int i = 0; i < 3; ++i)
      ::dup2(slave, i);
    ::close(slave);
    ::execv(args[0], args.data());
    ::_exit(126);
  }
  return pid;
}

// Waits through a pidfd, not wait_until: its reaping of orphans would take this status away.
int wait_exit_code(pid_t pid) {
  const UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  struct pollfd p = {pidfd.get(), POLLIN, 0};
  if (!pidfd.valid() || ::poll(&p, 1, 30000) != 1) {
    ::kill(pid, SIGKILL);
    ADD_FAILURE() << "runtime did not exit";
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

tcflag_t local_flags(int fd) {
  struct termios mode {};
  EXPECT_EQ(::tcgetattr(fd, &mode), 0);
  return mode.c_lflag & (ICANON | ECHO | ISIG);
}

TEST(Terminal, RunInTheForegroundUsesTheCallersTerminal) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.config["process"]["terminal"] = true;
  bundle.set_args({"sh"});
  bundle.write();
  {
    const CallerTerminal caller = open_caller_terminal(40, 120);
    const tcflag_t cooked = local_flags(caller.master.get());
    const pid_t pid = spawn_on_terminal(
        caller.slave_path,
        {runtime_path().string(), "--root", bundle.root.string(), "run", bundle.id}, bundle.dir);
    write_text(caller.master.get(), "tty; stty size\n");
    std::string out = read_until(caller.master.get(), "\n40 120\r\n");
    EXPECT_THAT(out, ContainsRegex("\n/dev/pts/[0-9]+\r\n")) << out;
    EXPECT_THAT(out, HasSubstr("\n40 120\r\n")) << out;
    EXPECT_EQ(local_flags(caller.master.get()), 0U) << "the caller's terminal is raw";
    // A resize of the caller's terminal (SIGWINCH to keel) reaches the container's pty.
    struct winsize bigger = {50, 132, 0, 0};
    ASSERT_EQ(::ioctl(caller.master.get(), TIOCSWINSZ, &bigger), 0);
    for (int attempt = 0; attempt < 20 && out.find("\n50 132\r\n") == std::string::npos;
         ++attempt) {
      write_text(caller.master.get(), "stty size\n");
      out += read_until(caller.master.get(), "\n50 132\r\n", std::chrono::seconds(1));
    }
    EXPECT_THAT(out, HasSubstr("\n50 132\r\n")) << out;
    write_text(caller.master.get(), "exit 5\n");
    (void)read_until(caller.master.get(), "", std::chrono::seconds(5));
    EXPECT_EQ(wait_exit_code(pid), 5);
    EXPECT_EQ(local_flags(caller.master.get()), cooked) << "the terminal mode is restored";
  }
  leaks.expect_none();
}

TEST(Terminal, ExecTtyInTheForegroundUsesTheCallersTerminal) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  ASSERT_NO_FATAL_FAILURE(run_detached(bundle, {"sleep", "1000"}));
  {
    const CallerTerminal caller = open_caller_terminal(33, 77);
    const pid_t pid = spawn_on_terminal(
        caller.slave_path,
        {runtime_path().string(), "--root", bundle.root.string(), "exec", "-t", bundle.id, "sh"},
        bundle.dir);
    write_text(caller.master.get(), "tty; stty size; exit 4\n");
    const std::string out = read_until(caller.master.get(), "");
    EXPECT_THAT(out, ContainsRegex("\n/dev/pts/[0-9]+\r\n")) << out;
    EXPECT_THAT(out, HasSubstr("\n33 77\r\n")) << out;
    EXPECT_EQ(wait_exit_code(pid), 4);
  }
  force_delete(bundle);
  leaks.expect_none();
}

TEST(Terminal, DetachedExecTtyWithoutConsoleSocketIsRefused) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  ASSERT_NO_FATAL_FAILURE(run_detached(bundle, {"sleep", "1000"}));
  const RunResult r = run_runtime(bundle, {"exec", "-t", "-d", bundle.id, "true"});
  expect_error_line(r, "--console-socket");
  force_delete(bundle);
  leaks.expect_none();
}

}  // namespace
}  // namespace keel::fixtures
