// Process attributes applied by the container's init just before execve.
#include "runtime/process/process_setup.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <string_view>

#include "common/fs.h"
#include "common/unique_fd.h"

namespace keel::runtime {
namespace {

struct RlimitName {
  std::string_view name;
  int resource;
};

constexpr std::array kRlimits{
    RlimitName{"RLIMIT_AS", RLIMIT_AS},
    RlimitName{"RLIMIT_CORE", RLIMIT_CORE},
    RlimitName{"RLIMIT_CPU", RLIMIT_CPU},
    RlimitName{"RLIMIT_DATA", RLIMIT_DATA},
    RlimitName{"RLIMIT_FSIZE", RLIMIT_FSIZE},
    RlimitName{"RLIMIT_LOCKS", RLIMIT_LOCKS},
    RlimitName{"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    RlimitName{"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    RlimitName{"RLIMIT_NICE", RLIMIT_NICE},
    RlimitName{"RLIMIT_NOFILE", RLIMIT_NOFILE},
    RlimitName{"RLIMIT_NPROC", RLIMIT_NPROC},
    RlimitName{"RLIMIT_RSS", RLIMIT_RSS},
    RlimitName{"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    RlimitName{"RLIMIT_RTTIME", RLIMIT_RTTIME},
    RlimitName{"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    RlimitName{"RLIMIT_STACK", RLIMIT_STACK},
};

constexpr std::string_view kDefaultPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

}  // namespace

Result<void> apply_rlimits(const std::vector<oci::Rlimit>& rlimits) {
  for (const auto& limit : rlimits) {
    int resource = -1;
    for (const auto& r : kRlimits) {
      if (r.name == limit.type)
        resource = r.resource;
    }
    if (resource < 0)
      return Error::of(Errc::kInvalidArgument,
                       "process.rlimits: unknown type \"" + limit.type + "\"");
    struct rlimit rl {};
    rl.rlim_cur = limit.soft;
    rl.rlim_max = limit.hard;
    if (::setrlimit(static_cast<__rlimit_resource>(resource), &rl) != 0) {
      const int err = errno;
      std::string what = "set " + limit.type;
      if (err == EPERM)
        what += " (raising a hard limit needs CAP_SYS_RESOURCE)";
      return Error::sys(what, err);
    }
  }
  return {};
}

Result<void> apply_oom_score_adj(int value) {
  auto r = fs::write_file("/proc/self/oom_score_adj", std::to_string(value));
  if (!r) {
    std::string what = "set process.oomScoreAdj " + std::to_string(value);
    if (r.error().errnum() == EACCES || r.error().errnum() == EPERM)
      what += " (lowering it needs CAP_SYS_RESOURCE)";
    return Error::sys(what, r.error().errnum());
  }
  return {};
}

Result<void> apply_user(const oci::User& user, bool setgroups_allowed) {
  if (setgroups_allowed) {
    // An empty list is written too: the init must not keep keel's supplementary groups.
    std::vector<gid_t> groups(user.additional_gids.begin(), user.additional_gids.end());
    if (::setgroups(groups.size(), groups.data()) != 0)
      return Error::sys("setgroups");
  } else if (!user.additional_gids.empty()) {
    return Error::of(Errc::kInvalidArgument,
                     "process.user.additionalGids: setgroups is denied in this user namespace");
  }
  if (::setresgid(user.gid, user.gid, user.gid) != 0)
    return Error::sys("setgid " + std::to_string(user.gid));
  if (::setresuid(user.uid, user.uid, user.uid) != 0)
    return Error::sys("setuid " + std::to_string(user.uid));
  if (user.umask)
    ::umask(static_cast<mode_t>(*user.umask & 0777));
  return {};
}

Result<std::string> find_executable(const std::string& name, const std::vector<std::string>& env) {
  auto check = [](const std::string& path) -> Result<std::string> {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
      return Error::sys("exec \"" + path + "\"");
    if (S_ISDIR(st.st_mode))
      return Error::sys("exec \"" + path + "\"", EISDIR);
    if (::access(path.c_str(), X_OK) != 0)
      return Error::sys("exec \"" + path + "\"");
    return path;
  };
  if (name.find('/') != std::string::npos)
    return check(name);
  std::string_view path_list = kDefaultPath;
  for (const auto& e : env) {
    if (e.rfind("PATH=", 0) == 0)
      path_list = std::string_view(e).substr(5);
  }
  while (true) {
    const auto colon = path_list.find(':');
    std::string dir(path_list.substr(0, colon));
    if (dir.empty())
      dir = ".";
    const std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) {
      struct stat st {};
      if (::stat(candidate.c_str(), &st) == 0 && !S_ISDIR(st.st_mode))
        return candidate;
    }
    if (colon == std::string_view::npos)
      break;
    path_list.remove_prefix(colon + 1);
  }
  return Error::of(Errc::kNotFound, "exec \"" + name + "\": executable file not found in $PATH");
}

Result<void> send_fd(int socket, int fd, const std::string& name) {
  struct msghdr msg {};
  struct iovec iov {};
  iov.iov_base = const_cast<char*>(name.data());
  iov.iov_len = name.size();
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  ssize_t n = 0;
  do {
    n = ::sendmsg(socket, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0)
    return Error::sys("send fd over socket");
  return {};
}

Result<void> setup_console(int console_socket, const std::optional<oci::ConsoleSize>& size,
                           bool bind_dev_console) {
  const int master = ::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    return Error::sys("open /dev/ptmx");
  UniqueFd master_fd(master);
  if (::unlockpt(master_fd.get()) != 0)
    return Error::sys("unlockpt");
  const int slave = ::ioctl(master_fd.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0)
    return Error::sys("open pty peer");
  UniqueFd slave_fd(slave);
  char name[64] = {};
  if (::ptsname_r(master_fd.get(), name, sizeof name) != 0)
    return Error::sys("ptsname");
  if (size) {
    struct winsize ws {};
    ws.ws_row = static_cast<unsigned short>(size->height);
    ws.ws_col = static_cast<unsigned short>(size->width);
    if (::ioctl(slave_fd.get(), TIOCSWINSZ, &ws) != 0)
      return Error::sys("set console size");
  }
  // /dev/console is the pty, as the spec's "console" section asks.
  const int console =
      bind_dev_console ? ::open("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600)
                       : -1;
  if (console >= 0) {
    ::close(console);
    if (::mount(name, "/dev/console", nullptr, MS_BIND, nullptr) != 0)
      return Error::sys("bind pty to /dev/console");
  }
  KEEL_TRY(send_fd(console_socket, master_fd.get(), name));
  master_fd.reset();
  if (::setsid() < 0)
    return Error::sys("setsid");
  if (::ioctl(slave_fd.get(), TIOCSCTTY, 0) != 0)
    return Error::sys("set controlling terminal");
  for (int i = 0; i < 3; ++i) {
    if (::dup3(slave_fd.get(), i, 0) < 0)
      return Error::sys("dup pty to stdio");
  }
  return {};
}

}  // namespace keel::runtime
