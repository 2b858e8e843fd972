#include "manager/network/netns.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cstring>
#include <thread>
#include <utility>

#include <spdlog/spdlog.h>

#include "common/unique_fd.h"

namespace keel::manager::network {
namespace {

// What the CNI loopback plugin does, without a process: lo up in the calling thread's
// namespace, so 127.0.0.1 works inside the container.
int bring_loopback_up() {
  UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (sock.get() < 0)
    return errno;
  ifreq request{};
  std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(sock.get(), SIOCGIFFLAGS, &request) != 0)
    return errno;
  request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
  if (::ioctl(sock.get(), SIOCSIFFLAGS, &request) != 0)
    return errno;
  return 0;
}

}  // namespace

bool NetNs::exists(const std::string& path) {
  struct statfs st {};
  return ::statfs(path.c_str(), &st) == 0 && st.f_type == NSFS_MAGIC;
}

Result<NetNs> NetNs::create(const std::string& path) {
  if (exists(path))
    return Error::of(Errc::kAlreadyExists, "network namespace " + path + " already exists");
  {
    UniqueFd file(::open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0444));
    if (file.get() < 0)
      return Error::sys("creating " + path);
  }
  NetNs ns(path);  // from here, any failure unlinks the file again
  // A thread of its own: unshare(CLONE_NEWNET) moves only the calling thread, which ends right
  // after binding its namespace, so no thread of keeld is left inside it.
  int err = 0;
  std::string step;
  std::thread worker([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      err = errno;
      step = "unshare(CLONE_NEWNET)";
      return;
    }
    if (::mount("/proc/thread-self/ns/net", path.c_str(), nullptr, MS_BIND, nullptr) != 0) {
      err = errno;
      step = "bind-mounting the namespace on " + path;
      return;
    }
    if ((err = bring_loopback_up()) != 0)
      step = "bringing lo up";
  });
  worker.join();
  if (err != 0)
    return Error::sys(step, err).context("creating network namespace " + path);
  return ns;
}

Result<void> NetNs::remove(const std::string& path) {
  // MNT_DETACH: a plugin or `ip netns exec` still inside must not make teardown fail.
  if (exists(path) && ::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL)
    return Error::sys("unmounting network namespace " + path);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return Error::sys("removing " + path);
  return {};
}

Result<void> NetNs::run_inside(const std::string& path, const std::function<Result<void>()>& work) {
  UniqueFd ns(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (ns.get() < 0)
    return Error::sys("opening network namespace " + path);
  if (!exists(path))
    return Error::of(Errc::kNotFound, path + " is not a network namespace");
  Result<void> result;
  std::thread worker([&] {
    if (::setns(ns.get(), CLONE_NEWNET) != 0) {
      result = Error::sys("entering network namespace " + path);
      return;
    }
    result = work();
  });
  worker.join();
  return result;
}

NetNs::NetNs(NetNs&& other) noexcept : path_(std::exchange(other.path_, {})) {}

NetNs::~NetNs() {
  if (path_.empty())
    return;
  if (auto removed = remove(path_); !removed)
    spdlog::warn("{}", removed.error().message());
}

}  // namespace keel::manager::network
