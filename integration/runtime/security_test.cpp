// Pins what the container's process is allowed: a seccomp rule's errno for one syscall only, a
// seccomp agent answering for the container through linux.seccomp.listenerPath, the exact
// capability sets in /proc/self/status, and linux.personality.
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstring>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/unique_fd.h"
#include "integration/fixtures/fixtures.h"

namespace keel::fixtures {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(Seccomp, ErrnoRuleFailsTheChosenSyscallOnly) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.config["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"syscalls",
       {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", EXDEV}}}}};
  const RunResult run = run_script(bundle, "echo ok; mkdir /tmp/x; echo mkdir=$?; touch /tmp/y");
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.out, HasSubstr("ok\nmkdir=1\n")) << run;
  EXPECT_THAT(run.err, HasSubstr("Invalid cross-device link")) << run;
  EXPECT_FALSE(std::filesystem::exists(bundle.host_path("/tmp/x")));
  EXPECT_TRUE(std::filesystem::exists(bundle.host_path("/tmp/y"))) << "other syscalls failed too";
  leaks.expect_none();
}

// A seccomp agent on a unix socket: what the runtime sent, then answers for the container.
class SeccompAgent {
 public:
  explicit SeccompAgent(const std::filesystem::path& path) : path_(path) {
    listener_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (!listener_.valid() ||
        ::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listener_.get(), 1) != 0)
      throw std::runtime_error("seccomp agent socket " + path.string());
  }

  // Accepts the runtime's connection: the container process state and the listener fd.
  bool receive(std::chrono::milliseconds timeout) {
    struct pollfd p {
      listener_.get(), POLLIN, 0
    };
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1)
      return false;
    UniqueFd conn(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    char data[8192];
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    iovec iov{data, sizeof data};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(conn.get(), &msg, MSG_CMSG_CLOEXEC);
    if (n <= 0)
      return false;
    state_.assign(data, static_cast<size_t>(n));
    for (ssize_t more = 0; (more = ::recv(conn.get(), data, sizeof data, 0)) > 0;)
      state_.append(data, static_cast<size_t>(more));
    const cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    if (cmsg == nullptr || cmsg->cmsg_type != SCM_RIGHTS)
      return false;
    int fd = -1;
    std::memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
    notify_.reset(fd);
    return true;
  }

  // Answers the next notification with `errnum`; returns the syscall number it was for, or -1.
  int answer_next(int errnum, std::chrono::milliseconds timeout) {
    struct pollfd p {
      notify_.get(), POLLIN, 0
    };
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1)
      return -1;
    seccomp_notif request{};
    if (::ioctl(notify_.get(), SECCOMP_IOCTL_NOTIF_RECV, &request) != 0)
      return -1;
    seccomp_notif_resp response{};
    response.id = request.id;
    response.error = -errnum;
    if (::ioctl(notify_.get(), SECCOMP_IOCTL_NOTIF_SEND, &response) != 0)
      return -1;
    return request.data.nr;
  }

  const std::string& state() const { return state_; }
  ~SeccompAgent() { std::filesystem::remove(path_); }
  SeccompAgent(const SeccompAgent&) = delete;
  SeccompAgent& operator=(const SeccompAgent&) = delete;

 private:
  std::filesystem::path path_;
  UniqueFd listener_;
  UniqueFd notify_;
  std::string state_;
};

// With noNewPrivileges the filter is loaded just before execve, after start; without it, during
// create while the init still has CAP_SYS_ADMIN. The fd must reach the agent either way.
void expect_agent_answers(bool no_new_privileges) {
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.config["process"]["noNewPrivileges"] = no_new_privileges;
  {
    SeccompAgent agent(bundle.base() / "agent.sock");
    bundle.config["linux"]["seccomp"] = {
        {"defaultAction", "SCMP_ACT_ALLOW"},
        {"listenerPath", (bundle.base() / "agent.sock").string()},
        {"listenerMetadata", "it-metadata"},
        {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_NOTIFY"}}}}};
    ASSERT_NO_FATAL_FAILURE(run_detached(
        bundle, {"sh", "-c", "echo x > /tmp/before; mkdir /tmp/x 2>/tmp/err; echo $? > /tmp/rc"}));
    ASSERT_TRUE(agent.receive(std::chrono::seconds(10))) << "no fd reached the agent";
    const auto state = nlohmann::json::parse(agent.state());
    EXPECT_EQ(state["fds"], nlohmann::json({"seccompFd"})) << state;
    EXPECT_EQ(state.value("metadata", ""), "it-metadata") << state;
    EXPECT_EQ(state["state"].value("id", ""), bundle.id) << state;
    const auto container = container_state(bundle, bundle.id);
    ASSERT_TRUE(container.has_value());
    EXPECT_EQ(state.value("pid", -1), container->value("pid", 0)) << state;

    EXPECT_GE(agent.answer_next(EROFS, std::chrono::seconds(10)), 0) << "no notification came";
    EXPECT_TRUE(wait_until([&] { return !read_text(bundle.host_path("/tmp/rc")).empty(); }));
    EXPECT_EQ(read_text(bundle.host_path("/tmp/rc")), "1\n");
    EXPECT_THAT(read_text(bundle.host_path("/tmp/err")), HasSubstr("Read-only file system"));
    EXPECT_EQ(read_text(bundle.host_path("/tmp/before")), "x\n") << "an allowed syscall failed";
    EXPECT_FALSE(std::filesystem::exists(bundle.host_path("/tmp/x")));
    force_delete(bundle);
  }
  leaks.expect_none();
}

TEST(SeccompNotify, AgentAnswersForAContainerWithNoNewPrivileges) {
  KEEL_SKIP_UNLESS_ROOT();
  expect_agent_answers(true);
}

TEST(SeccompNotify, AgentAnswersForAContainerWithoutNoNewPrivileges) {
  KEEL_SKIP_UNLESS_ROOT();
  expect_agent_answers(false);
}

// An exec'd process loads the container's filter too: its own listener fd goes to the agent,
// with its pid and the container's state.
TEST(SeccompNotify, AgentAnswersForAnExecdProcess) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  {
    SeccompAgent agent(bundle.base() / "agent.sock");
    bundle.config["linux"]["seccomp"] = {
        {"defaultAction", "SCMP_ACT_ALLOW"},
        {"listenerPath", (bundle.base() / "agent.sock").string()},
        {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_NOTIFY"}}}}};
    ASSERT_NO_FATAL_FAILURE(run_detached(bundle, until_released()));
    ASSERT_TRUE(agent.receive(std::chrono::seconds(10))) << "the init's fd never came";
    const auto container = container_state(bundle, bundle.id);
    ASSERT_TRUE(container.has_value());
    const int init_pid = container->value("pid", 0);

    const auto pid_file = bundle.base() / "exec.pid";
    const RunResult exec =
        run_runtime(bundle, {"exec", "--detach", "--pid-file", pid_file.string(), bundle.id, "sh",
                             "-c", "mkdir /tmp/e 2>/tmp/err; echo $? > /tmp/rc"});
    ASSERT_EQ(exec.exit_code, 0) << exec;
    ASSERT_TRUE(agent.receive(std::chrono::seconds(10))) << "the exec'd process's fd never came";
    const auto state = nlohmann::json::parse(agent.state());
    EXPECT_EQ(std::to_string(state.value("pid", -1)), read_text(pid_file)) << state;
    EXPECT_EQ(state["state"].value("pid", -1), init_pid) << state;
    EXPECT_EQ(state["state"].value("status", ""), "running") << state;

    EXPECT_GE(agent.answer_next(EROFS, std::chrono::seconds(10)), 0) << "no notification came";
    EXPECT_TRUE(wait_until([&] { return !read_text(bundle.host_path("/tmp/rc")).empty(); }));
    EXPECT_EQ(read_text(bundle.host_path("/tmp/rc")), "1\n");
    EXPECT_THAT(read_text(bundle.host_path("/tmp/err")), HasSubstr("Read-only file system"));
    release(bundle);
    force_delete(bundle);
  }
  leaks.expect_none();
}

TEST(SeccompNotify, RefusesANotifyRuleWithoutListenerPath) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.config["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"syscalls", {{{"names", {"mkdir"}}, {"action", "SCMP_ACT_NOTIFY"}}}}};
  const RunResult run = run_script(bundle, "true");
  expect_error_line(run, "linux.seccomp.listenerPath: required by SCMP_ACT_NOTIFY");
  leaks.expect_none();
}

// The Cap* lines of /proc/self/status as the container's process sees them.
std::string cap_lines(const RunResult& run) {
  std::string out;
  std::istringstream in(run.out);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("Cap"))
      out += line + "\n";
  }
  return out;
}

TEST(Capabilities, RootProcessHasExactlyTheConfiguredSets) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  const nlohmann::json allowed = {"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  bundle.config["process"]["noNewPrivileges"] = true;
  bundle.config["process"]["capabilities"] = {
      {"bounding",
       {"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_KILL", "CAP_SETUID", "CAP_NET_BIND_SERVICE"}},
      {"effective", allowed},
      {"permitted", allowed},
      {"inheritable", {"CAP_KILL"}},
      {"ambient", nlohmann::json::array()}};
  const RunResult run = run_script(bundle, "cat /proc/self/status");
  EXPECT_EQ(run.exit_code, 0) << run;
  // CHOWN 0, DAC_OVERRIDE 1, KILL 5, SETUID 7, NET_BIND_SERVICE 10.
  EXPECT_EQ(cap_lines(run),
            "CapInh:\t0000000000000020\n"
            "CapPrm:\t0000000000000421\n"
            "CapEff:\t0000000000000421\n"
            "CapBnd:\t00000000000004a3\n"
            "CapAmb:\t0000000000000000\n")
      << run;
  leaks.expect_none();
}

// A non-root process keeps after execve only what is ambient (capabilities(7)): permitted and
// effective become the ambient set, inheritable and bounding stay as configured.
TEST(Capabilities, UnprivilegedProcessKeepsItsAmbientSet) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  const nlohmann::json kept = {"CAP_KILL", "CAP_NET_BIND_SERVICE"};
  bundle.config["process"]["user"] = {{"uid", kUserUid}, {"gid", kUserGid}};
  bundle.config["process"]["capabilities"] = {
      {"bounding", {"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"}},
      {"effective", kept},
      {"permitted", kept},
      {"inheritable", kept},
      {"ambient", {"CAP_NET_BIND_SERVICE"}}};
  const RunResult run = run_script(bundle, "id -u; cat /proc/self/status");
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_TRUE(run.out.starts_with("1000\n")) << run;
  EXPECT_EQ(cap_lines(run),
            "CapInh:\t0000000000000420\n"
            "CapPrm:\t0000000000000400\n"
            "CapEff:\t0000000000000400\n"
            "CapBnd:\t0000000000000421\n"
            "CapAmb:\t0000000000000400\n")
      << run;
  leaks.expect_none();
}

TEST(Personality, Linux32MakesUnameReportA32BitMachine) {
  KEEL_SKIP_UNLESS_ROOT();
  utsname host{};
  if (::uname(&host) != 0 || std::string(host.machine) != "x86_64")
    GTEST_SKIP() << "LINUX32 reports i686 on x86_64 hosts only";
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.config["linux"]["personality"] = {{"domain", "LINUX32"}};
  const RunResult run = run_script(bundle, "uname -m");
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(run.out, "i686\n") << run;
  EXPECT_THAT(run.out, Not(HasSubstr("x86_64")));
  leaks.expect_none();
}

TEST(Personality, AppliesToExecdProcessesToo) {
  KEEL_SKIP_UNLESS_ROOT();
  utsname host{};
  if (::uname(&host) != 0 || std::string(host.machine) != "x86_64")
    GTEST_SKIP() << "LINUX32 reports i686 on x86_64 hosts only";
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.config["linux"]["personality"] = {{"domain", "LINUX32"}};
  ASSERT_NO_FATAL_FAILURE(run_detached(bundle, until_released()));
  const RunResult exec = run_runtime(bundle, {"exec", bundle.id, "uname", "-m"});
  EXPECT_EQ(exec.exit_code, 0) << exec;
  EXPECT_EQ(exec.out, "i686\n") << exec;
  release(bundle);
  force_delete(bundle);
  leaks.expect_none();
}

}  // namespace
}  // namespace keel::fixtures
