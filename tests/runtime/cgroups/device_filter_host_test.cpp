// Attaches the eBPF device filter (runtime/cgroups/device_filter.cpp) to a private cgroup in this
// host's cgroup2 tree and opens devices from a process inside it. A device program needs no
// controller, so this runs on a hybrid host's /sys/fs/cgroup/unified too. Root only.
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/fs.h"
#include "runtime/cgroups/device_filter.h"
#include "runtime/cgroups/manager.h"

namespace keel::runtime::cgroups {
namespace {

const oci::DeviceCgroup kDenyAll{false, std::nullopt, "rwm", std::nullopt, std::nullopt};
const oci::DeviceCgroup kAllowAll{true, "a", "rwm", std::nullopt, std::nullopt};
const oci::DeviceCgroup kNull{true, "c", "rwm", 1, 3};

class DeviceFilterHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0)
      GTEST_SKIP() << "needs root";
    auto layout = detect_layout();
    ASSERT_TRUE(layout.has_value()) << layout.error().message();
    if (layout->unified_mount.empty())
      GTEST_SKIP() << "no cgroup2 tree on this host";
    dir_ = layout->unified_mount + "/keel-unit-devices-" + std::to_string(::getpid());
    ASSERT_EQ(::mkdir(dir_.c_str(), 0755), 0) << dir_;
  }
  void TearDown() override {
    if (!dir_.empty())
      ::rmdir(dir_.c_str());  // the programs go with the cgroup
  }

  // errno of open(path, O_RDONLY) for each path, from a child moved into the cgroup first.
  std::vector<int> open_inside(const std::vector<std::string>& paths) {
    int go[2];
    int result[2];
    if (::pipe2(go, O_CLOEXEC) != 0 || ::pipe2(result, O_CLOEXEC) != 0)
      return {};
    const pid_t pid = ::fork();
    if (pid == 0) {
      char byte = 0;
      if (::read(go[0], &byte, 1) != 1)
        ::_exit(2);
      std::vector<int> errnos;
      for (const auto& path : paths) {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        errnos.push_back(fd < 0 ? errno : 0);
        if (fd >= 0)
          ::close(fd);
      }
      const auto size = static_cast<ssize_t>(errnos.size() * sizeof(int));
      ::_exit(::write(result[1], errnos.data(), static_cast<size_t>(size)) == size ? 0 : 3);
    }
    ::close(go[0]);
    ::close(result[1]);
    std::vector<int> errnos(paths.size(), -1);
    if (pid > 0) {
      auto moved = fs::write_file(dir_ + "/cgroup.procs", std::to_string(pid));
      EXPECT_TRUE(moved.has_value()) << moved.error().message();
      if (!moved)
        ::kill(pid, SIGKILL);
      (void)!::write(go[1], "x", 1);
      const auto want = static_cast<ssize_t>(errnos.size() * sizeof(int));
      EXPECT_EQ(::read(result[0], errnos.data(), static_cast<size_t>(want)), want);
      ::waitpid(pid, nullptr, 0);
    }
    ::close(go[1]);
    ::close(result[0]);
    return errnos;
  }

  // How many device programs the cgroup itself holds.
  int attached() const {
    const int fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    std::uint32_t ids[8] = {};
    bpf_attr attr{};
    attr.query.target_fd = static_cast<std::uint32_t>(fd);
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    attr.query.prog_ids = reinterpret_cast<std::uint64_t>(ids);
    attr.query.prog_cnt = 8;
    const long rc = ::syscall(SYS_bpf, BPF_PROG_QUERY, &attr, sizeof attr);
    ::close(fd);
    return rc == 0 ? static_cast<int>(attr.query.prog_cnt) : -1;
  }

  std::string dir_;
};

TEST_F(DeviceFilterHostTest, AllowsTheListedDeviceOnly) {
  auto applied = apply_device_filter(dir_, {kDenyAll, kNull});
  ASSERT_TRUE(applied.has_value()) << applied.error().message();
  EXPECT_EQ(attached(), 1);
  EXPECT_EQ(open_inside({"/dev/null", "/dev/zero", "/dev/full"}),
            (std::vector<int>{0, EPERM, EPERM}));
}

TEST_F(DeviceFilterHostTest, WithoutAFilterEverythingOpens) {
  EXPECT_EQ(attached(), 0);
  EXPECT_EQ(open_inside({"/dev/null", "/dev/zero"}), (std::vector<int>{0, 0}));
}

TEST_F(DeviceFilterHostTest, ApplyingAgainReplacesTheProgram) {
  ASSERT_TRUE(apply_device_filter(dir_, {kDenyAll, kNull}).has_value());
  // Allow all but /dev/null now: were the first program still attached, its "deny all but
  // /dev/null" would refuse /dev/zero too.
  auto applied = apply_device_filter(dir_, {kAllowAll, {false, "c", "rwm", 1, 3}});
  ASSERT_TRUE(applied.has_value()) << applied.error().message();
  EXPECT_EQ(attached(), 1);
  EXPECT_EQ(open_inside({"/dev/null", "/dev/zero"}), (std::vector<int>{EPERM, 0}));
}

TEST_F(DeviceFilterHostTest, DenyOfReadRefusesAReadOnlyOpen) {
  ASSERT_TRUE(apply_device_filter(dir_, {kAllowAll, {false, "c", "r", 1, 5}}).has_value());
  EXPECT_EQ(open_inside({"/dev/zero", "/dev/null"}), (std::vector<int>{EPERM, 0}));
}

}  // namespace
}  // namespace keel::runtime::cgroups
