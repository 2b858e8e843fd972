// Pins runtime/security/seccomp_notify.cpp: the agent receives the container process state and the
// listener fd over listenerPath.
#include "runtime/security/seccomp_notify.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/unique_fd.h"

namespace keel::runtime::security {
namespace {

class Listener {
 public:
  Listener() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "keel-notify-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr)
      return;
    dir_ = tmpl;
    path_ = dir_ + "/agent.sock";
    sock_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
    if (::bind(sock_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(sock_.get(), 1) != 0)
      sock_.reset();
  }
  ~Listener() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  [[nodiscard]] bool ok() const { return sock_.valid(); }
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] const std::string& dir() const { return dir_; }
  [[nodiscard]] int fd() const { return sock_.get(); }

 private:
  std::string dir_;
  std::string path_;
  UniqueFd sock_;
};

struct Received {
  std::string data;
  std::vector<int> fds;
};

// Reads one connection to EOF, as an agent would, collecting SCM_RIGHTS fds.
Received receive_all(int conn) {
  Received out;
  for (;;) {
    char buf[4096];
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)] = {};
    iovec iov{buf, sizeof(buf)};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    const ssize_t n = ::recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
    if (n <= 0)
      return out;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
        continue;
      const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < count; ++i) {
        int fd = -1;
        std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
        out.fds.push_back(fd);
      }
    }
    out.data.append(buf, static_cast<size_t>(n));
  }
}

TEST(SeccompNotify, AgentReceivesStateAndTheFd) {
  Listener listener;
  ASSERT_TRUE(listener.ok());
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  UniqueFd read_end(pipe_fds[0]);
  UniqueFd write_end(pipe_fds[1]);

  // Larger than one socket buffer, so the tail goes in later sends without the fd.
  const std::string big(512 * 1024, 'm');
  auto state = container_process_state(4422, big,
                                       R"({"ociVersion":"1.2.0","id":"web","status":"creating",)"
                                       R"("pid":4422,"bundle":"/b"})");
  ASSERT_TRUE(state) << state.error().message();

  // The agent reads while send_notify_fd writes: the payload outgrows the socket buffer.
  Received got;
  const pid_t agent = ::fork();
  ASSERT_GE(agent, 0);
  if (agent == 0) {
    UniqueFd conn(::accept4(listener.fd(), nullptr, nullptr, SOCK_CLOEXEC));
    Received r = receive_all(conn.get());
    struct stat st {};
    const bool same = r.fds.size() == 1 && ::fstat(r.fds[0], &st) == 0;
    struct stat want {};
    (void)::fstat(pipe_fds[1], &want);
    const bool ok = same && st.st_ino == want.st_ino && r.data == *state;
    ::_exit(ok ? 0 : 1);
  }
  auto sent = send_notify_fd(listener.path(), write_end.get(), *state);
  int status = 0;
  ASSERT_EQ(::waitpid(agent, &status, 0), agent);
  ASSERT_TRUE(sent) << sent.error().message();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "agent did not get exactly the state and one fd naming the pipe";
  EXPECT_GE(::fcntl(write_end.get(), F_GETFD), 0) << "the caller's fd stays open";
}

TEST(SeccompNotify, MissingListenerIsAnError) {
  Listener listener;
  ASSERT_TRUE(listener.ok());
  const std::string path = listener.dir() + "/nobody.sock";
  auto sent = send_notify_fd(path, 0, "{}");
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().message(),
            "seccomp: listener \"" + path + "\": connect: No such file or directory");
}

TEST(SeccompNotify, ProcessStateFollowsTheSpec) {
  auto text = container_process_state(7, std::string("MKNOD=/dev/null"),
                                      R"({"ociVersion":"1.2.0","id":"c1","status":"creating"})");
  ASSERT_TRUE(text) << text.error().message();
  const auto j = nlohmann::json::parse(*text);
  EXPECT_EQ(j["ociVersion"], "1.2.0");
  EXPECT_EQ(j["fds"], nlohmann::json::array({"seccompFd"}));
  EXPECT_EQ(j["pid"], 7);
  EXPECT_EQ(j["metadata"], "MKNOD=/dev/null");
  EXPECT_EQ(j["state"]["id"], "c1");

  auto bare = container_process_state(7, std::nullopt, R"({"id":"c1"})");
  ASSERT_TRUE(bare);
  EXPECT_FALSE(nlohmann::json::parse(*bare).contains("metadata"));
}

TEST(SeccompNotify, InvalidStateJsonIsAnError) {
  auto text = container_process_state(7, std::nullopt, "{not json");
  ASSERT_FALSE(text);
  EXPECT_TRUE(text.error().message().starts_with("seccomp: container state: invalid JSON: "))
      << text.error().message();
}

}  // namespace
}  // namespace keel::runtime::security
