// Pins manager/server/private_mount: keeld's dirs become private mounts, so that what keeld
// mounts below them is not copied into the namespaces that share the host's mounts, and the
// bind goes again once nothing is mounted below it. Root only (mounts); each scenario runs in a
// child with a mount namespace of its own, so the host's mounts are never touched.
#include "manager/server/private_mount.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "common/fs.h"

namespace keel::manager::server {
namespace {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = "/tmp/keel-private-mount-test-XXXXXX";
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  TempDir(TempDir&&) = delete;
  TempDir& operator=(TempDir&&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

bool mounted_in(pid_t pid, const std::string& point) {
  auto text = fs::read_file("/proc/" + std::to_string(pid) + "/mountinfo");
  return text && text->find(" " + point + " ") != std::string::npos;
}

// Runs `scenario` in a child in a mount namespace of its own, with / private in it; the child's
// exit code is what the test sees (0: every step held, otherwise the step that failed).
int in_own_namespace(int (*scenario)(const std::string&), const std::string& dir) {
  const pid_t child = ::fork();
  if (child == 0) {
    if (::unshare(CLONE_NEWNS) != 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
      ::_exit(100);
    ::_exit(scenario(dir));
  }
  int status = 0;
  if (child < 0 || ::waitpid(child, &status, 0) != child || !WIFEXITED(status))
    return 101;
  return WEXITSTATUS(status);
}

// The host of a systemd machine: `dir` on a shared mount, and a peer namespace (a service's)
// that receives every mount made below it. Then keeld's root below it, made private, and a
// container's rootfs mounted below that root.
int rootfs_below_a_private_root_stays_out_of_the_peer(const std::string& dir) {
  if (::mount(dir.c_str(), dir.c_str(), nullptr, MS_BIND, nullptr) != 0 ||
      ::mount(nullptr, dir.c_str(), nullptr, MS_SHARED, nullptr) != 0)
    return 1;
  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) != 0)
    return 2;
  const pid_t peer = ::fork();
  if (peer == 0) {
    // A copy of a shared mount in a new namespace is its peer.
    char byte = ::unshare(CLONE_NEWNS) == 0 ? 'y' : 'n';
    (void)!::write(ready[1], &byte, 1);
    ::pause();
    ::_exit(0);
  }
  char byte = 0;
  if (peer < 0 || ::read(ready[0], &byte, 1) != 1 || byte != 'y')
    return 3;
  int failed = 0;
  const std::string root = dir + "/root";
  const std::string elsewhere = dir + "/elsewhere";
  const std::string rootfs = root + "/containers/c1/rootfs";
  std::filesystem::create_directories(rootfs);
  std::filesystem::create_directories(elsewhere);
  {
    auto made = PrivateMount::make(root);
    if (!made) {
      failed = 4;
    } else if (::mount("tmpfs", elsewhere.c_str(), "tmpfs", 0, nullptr) != 0 ||
               ::mount("tmpfs", rootfs.c_str(), "tmpfs", 0, nullptr) != 0) {
      failed = 5;
    } else if (!mounted_in(peer, elsewhere)) {
      failed = 6;  // the setup itself does not propagate: the test would prove nothing
    } else if (mounted_in(peer, rootfs)) {
      failed = 7;  // the rootfs was copied into the peer
    } else if (!mounted_in(::getpid(), rootfs)) {
      failed = 8;  // and is still seen where keeld runs
    } else {
      (void)::umount2(rootfs.c_str(), MNT_DETACH);
    }
  }
  if (failed == 0 && mounted_in(::getpid(), root))
    failed = 9;  // the bind outlived its PrivateMount with nothing below
  ::kill(peer, SIGKILL);
  ::waitpid(peer, nullptr, 0);
  return failed;
}

// With a rootfs still mounted below (keeld stops, containers keep running), the bind stays, and
// the next keeld takes it over and undoes it once the rootfs is gone.
int a_bind_with_mounts_below_stays_and_is_taken_over(const std::string& dir) {
  const std::string root = dir + "/root";
  const std::string rootfs = root + "/containers/c1/rootfs";
  std::filesystem::create_directories(rootfs);
  {
    auto made = PrivateMount::make(root);
    if (!made || ::mount("tmpfs", rootfs.c_str(), "tmpfs", 0, nullptr) != 0)
      return 1;
  }
  if (!mounted_in(::getpid(), root) || !mounted_in(::getpid(), rootfs))
    return 2;
  {
    auto again = PrivateMount::make(root);
    if (!again)
      return 3;
    (void)::umount2(rootfs.c_str(), MNT_DETACH);
  }
  return mounted_in(::getpid(), root) ? 4 : 0;
}

class PrivateMountTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0)
      GTEST_SKIP() << "needs root (mounts)";
  }
  TempDir dir_;
};

TEST_F(PrivateMountTest, WhatIsMountedBelowIsNotCopiedIntoNamespacesSharingTheHostsMounts) {
  EXPECT_EQ(in_own_namespace(&rootfs_below_a_private_root_stays_out_of_the_peer, dir_.path()), 0);
}

TEST_F(PrivateMountTest, TheBindStaysWhileSomethingIsMountedBelowAndIsTakenOver) {
  EXPECT_EQ(in_own_namespace(&a_bind_with_mounts_below_stays_and_is_taken_over, dir_.path()), 0);
}

}  // namespace
}  // namespace keel::manager::server
