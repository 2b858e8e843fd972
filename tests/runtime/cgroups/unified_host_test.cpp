// Runs the v2 manager on this host's own cgroup2 tree (on a hybrid host: /sys/fs/cgroup/unified,
// which holds no controllers but placement and cgroup.freeze), as root; skipped where absent.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "common/fs.h"
#include "runtime/cgroups/manager.h"

namespace keel::runtime::cgroups {
namespace {

std::string first_line(const std::string& path) {
  auto text = fs::read_file(path);
  if (!text)
    return {};
  return text->substr(0, text->find('\n'));
}

bool events_say_frozen(const std::string& dir, bool frozen) {
  auto text = fs::read_file(dir + "/cgroup.events");
  return text && text->find(frozen ? "frozen 1" : "frozen 0") != std::string::npos;
}

class UnifiedTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0)
      GTEST_SKIP() << "needs root";
    auto layout = detect_layout();
    ASSERT_TRUE(layout.has_value()) << layout.error().message();
    if (layout->unified_mount.empty())
      GTEST_SKIP() << "no cgroup2 tree on this host";
    Layout v2 = *layout;
    v2.mode = Layout::Mode::kV2;
    v2.v1_mounts.clear();
    path_ = "/keel-unit-v2-" + std::to_string(::getpid());
    auto manager = make_manager(v2, path_, "unified");
    ASSERT_TRUE(manager.has_value()) << manager.error().message();
    manager_ = std::move(*manager);
  }
  void TearDown() override {
    if (child_ > 0) {
      ::kill(child_, SIGKILL);
      if (manager_)
        (void)manager_->thaw();
      ::waitpid(child_, nullptr, 0);
    }
    if (manager_)
      (void)manager_->destroy();
  }

  std::string path_;
  std::unique_ptr<Manager> manager_;
  pid_t child_ = 0;
};

TEST_F(UnifiedTreeTest, PlacesFreezesThawsAndRemovesOnTheHostsCgroup2Tree) {
  ASSERT_TRUE(manager_->create().has_value());
  const std::string dir = manager_->paths().unified;
  ASSERT_FALSE(dir.empty());
  ASSERT_TRUE(std::filesystem::is_directory(dir));

  child_ = ::fork();
  if (child_ == 0) {
    ::execl("/bin/sleep", "sleep", "1000", nullptr);
    ::_exit(127);
  }
  ASSERT_TRUE(manager_->add_process(child_).has_value());
  auto own = fs::read_file("/proc/" + std::to_string(child_) + "/cgroup");
  ASSERT_TRUE(own.has_value());
  EXPECT_NE(own->find("0::" + path_ + "\n"), std::string::npos) << *own;
  auto pids = manager_->pids();
  ASSERT_TRUE(pids.has_value());
  EXPECT_EQ(*pids, std::vector<pid_t>{child_});

  ASSERT_TRUE(manager_->freeze().has_value());
  EXPECT_EQ(first_line(dir + "/cgroup.freeze"), "1");
  EXPECT_TRUE(events_say_frozen(dir, true));
  auto frozen = manager_->is_frozen();
  ASSERT_TRUE(frozen.has_value());
  EXPECT_TRUE(*frozen);

  ASSERT_TRUE(manager_->thaw().has_value());
  EXPECT_EQ(first_line(dir + "/cgroup.freeze"), "0");
  EXPECT_TRUE(events_say_frozen(dir, false));

  ASSERT_TRUE(manager_->destroy().has_value());
  int status = 0;
  ASSERT_EQ(::waitpid(child_, &status, 0), child_);
  child_ = 0;
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  EXPECT_FALSE(std::filesystem::exists(dir));
}

// linux.resources.devices through the manager: the eBPF filter holds for a process added after.
TEST_F(UnifiedTreeTest, DeviceRulesHoldForAProcessInTheCgroup) {
  ASSERT_TRUE(manager_->create().has_value());
  oci::Resources r;
  r.devices = {oci::DeviceCgroup{false, std::nullopt, "rwm", std::nullopt, std::nullopt},
               oci::DeviceCgroup{true, "c", "rwm", 1, 3}};
  auto applied = manager_->apply(r);
  ASSERT_TRUE(applied.has_value()) << applied.error().message();

  int go[2];
  ASSERT_EQ(::pipe2(go, O_CLOEXEC), 0);
  child_ = ::fork();
  if (child_ == 0) {
    char byte = 0;
    if (::read(go[0], &byte, 1) != 1)
      ::_exit(100);
    const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd < 0)
      ::_exit(101);
    const int zero_fd = ::open("/dev/zero", O_RDONLY | O_CLOEXEC);
    ::_exit(zero_fd < 0 ? errno : 0);
  }
  ::close(go[0]);
  ASSERT_TRUE(manager_->add_process(child_).has_value());
  ASSERT_EQ(::write(go[1], "x", 1), 1);
  ::close(go[1]);
  int status = 0;
  ASSERT_EQ(::waitpid(child_, &status, 0), child_);
  child_ = 0;
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), EPERM) << "/dev/null must open, /dev/zero must not";
  ASSERT_TRUE(manager_->destroy().has_value());
}

}  // namespace
}  // namespace keel::runtime::cgroups
