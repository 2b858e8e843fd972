// Runs the manager on this host's real cgroup hierarchies (as root; skipped otherwise) under a
// per-process test path, /keel-unit-<pid>-<n>. TearDown kills children and removes every
// directory even when an assertion failed half-way.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/fs.h"
#include "runtime/cgroups/manager.h"
#include "tests/runtime/cgroups/fake_cgroupfs.h"

namespace keel::runtime::cgroups {
namespace {

using ::testing::Contains;

// A forked child that blocks on a pipe until go(), then execs argv: it can join a cgroup before
// it runs anything. The destructor SIGKILLs and reaps it.
class GatedChild {
 public:
  explicit GatedChild(std::vector<std::string> argv) : argv_(std::move(argv)) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
      return;
    std::vector<char*> args;
    for (auto& a : argv_)
      args.push_back(a.data());
    args.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(fds[1]);
      char byte = 0;
      if (::read(fds[0], &byte, 1) != 1)
        ::_exit(126);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(fds[0]);
    gate_ = fds[1];
  }
  GatedChild(const GatedChild&) = delete;
  GatedChild& operator=(const GatedChild&) = delete;
  ~GatedChild() {
    if (gate_ >= 0)
      ::close(gate_);
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  void go() {
    const char byte = 1;
    EXPECT_EQ(::write(gate_, &byte, 1), 1);
    ::close(gate_);
    gate_ = -1;
  }
  // Reaps the child and returns its wait status.
  int reap() {
    int status = 0;
    EXPECT_EQ(::waitpid(pid_, &status, 0), pid_);
    pid_ = 0;
    return status;
  }

 private:
  std::vector<std::string> argv_;
  pid_t pid_ = -1;
  int gate_ = -1;
};

std::string first_line(const std::string& path) {
  auto text = fs::read_file(path);
  if (!text)
    return "<" + text.error().message() + ">";
  return text->substr(0, text->find('\n'));
}

class HostCgroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0)
      GTEST_SKIP() << "needs root";
    auto layout = detect_layout();
    KEEL_ASSERT_OK(layout);
    layout_ = *layout;
    static int counter = 0;
    const std::string path =
        "/keel-unit-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
    auto m = make_manager(layout_, path, "unit");
    KEEL_ASSERT_OK(m);
    manager_ = std::move(*m);
  }

  void TearDown() override {
    if (!manager_)
      return;
    // A frozen child would never be reaped; SIGKILL and reap before destroy, which cannot remove
    // a populated cgroup.
    (void)manager_->thaw();
    children_.clear();
    (void)manager_->destroy();
    for (const auto& dir : dirs()) {
      std::error_code ec;
      std::filesystem::remove(dir, ec);
      EXPECT_FALSE(std::filesystem::exists(dir)) << "left behind: " << dir;
    }
  }

  std::vector<std::string> dirs() const {
    std::vector<std::string> out;
    for (const auto& [h, dir] : manager_->paths().v1)
      out.push_back(dir);
    if (!manager_->paths().unified.empty())
      out.push_back(manager_->paths().unified);
    return out;
  }

  GatedChild& spawn(std::vector<std::string> argv) {
    children_.push_back(std::make_unique<GatedChild>(std::move(argv)));
    EXPECT_GT(children_.back()->pid(), 0);
    return *children_.back();
  }

  Layout layout_;
  std::unique_ptr<Manager> manager_;
  std::vector<std::unique_ptr<GatedChild>> children_;
};

TEST_F(HostCgroupTest, CreateJoinLimitFreezeThawDestroy) {
  KEEL_ASSERT_OK(manager_->create());
  for (const auto& dir : dirs())
    EXPECT_TRUE(std::filesystem::is_directory(dir)) << dir;

  oci::Resources r;
  r.memory = oci::Memory{.limit = 64 << 20};
  r.pids = oci::Pids{.limit = 32};
  KEEL_ASSERT_OK(manager_->apply(r));
  const Paths& p = manager_->paths();
  if (layout_.mode == Layout::Mode::kV2) {
    EXPECT_EQ(first_line(p.unified + "/memory.max"), "67108864");
    EXPECT_EQ(first_line(p.unified + "/pids.max"), "32");
  } else {
    EXPECT_EQ(first_line(p.v1.at("memory") + "/memory.limit_in_bytes"), "67108864");
    EXPECT_EQ(first_line(p.v1.at("pids") + "/pids.max"), "32");
  }
  if (p.v1.contains("cpuset")) {  // initialised from the parent, or the join below fails
    EXPECT_NE(first_line(p.v1.at("cpuset") + "/cpuset.cpus"), "");
    EXPECT_NE(first_line(p.v1.at("cpuset") + "/cpuset.mems"), "");
  }

  GatedChild& child = spawn({"/bin/sleep", "1000"});
  KEEL_ASSERT_OK(manager_->add_process(child.pid()));
  child.go();
  auto pids = manager_->pids();
  KEEL_ASSERT_OK(pids);
  EXPECT_EQ(*pids, std::vector<pid_t>{child.pid()});
  for (const auto& dir : dirs())
    EXPECT_EQ(first_line(dir + "/cgroup.procs"), std::to_string(child.pid())) << dir;

  auto stats = manager_->stats();
  KEEL_ASSERT_OK(stats);
  EXPECT_EQ(stats->pids.current, 1u);
  EXPECT_EQ(stats->pids.limit, 32u);

  KEEL_ASSERT_OK(manager_->freeze());
  auto frozen = manager_->is_frozen();
  KEEL_ASSERT_OK(frozen);
  EXPECT_TRUE(*frozen);
  if (p.v1.contains("freezer")) {
    EXPECT_EQ(first_line(p.v1.at("freezer") + "/freezer.state"), "FROZEN");
  }
  KEEL_ASSERT_OK(manager_->thaw());
  frozen = manager_->is_frozen();
  KEEL_ASSERT_OK(frozen);
  EXPECT_FALSE(*frozen);

  KEEL_ASSERT_OK(manager_->destroy());
  for (const auto& dir : dirs())
    EXPECT_FALSE(std::filesystem::exists(dir)) << dir;
  const int status = child.reap();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  KEEL_ASSERT_OK(manager_->destroy());  // idempotent
}

TEST_F(HostCgroupTest, DestroyKillsEveryDescendantWhileFrozen) {
  KEEL_ASSERT_OK(manager_->create());
  GatedChild& child = spawn({"/bin/sh", "-c", "sleep 1000 & sleep 1000 & wait"});
  KEEL_ASSERT_OK(manager_->add_process(child.pid()));
  child.go();
  std::vector<pid_t> pids;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (pids.size() < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    auto now = manager_->pids();
    KEEL_ASSERT_OK(now);
    pids = *now;
  }
  ASSERT_EQ(pids.size(), 3u);
  EXPECT_THAT(pids, Contains(child.pid()));
  KEEL_ASSERT_OK(manager_->freeze());  // delete of a paused container

  KEEL_ASSERT_OK(manager_->destroy());
  for (const auto& dir : dirs())
    EXPECT_FALSE(std::filesystem::exists(dir)) << dir;
  const int status = child.reap();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
}

TEST_F(HostCgroupTest, OpenedFromPersistedPathsControlsTheSameCgroup) {
  KEEL_ASSERT_OK(manager_->create());
  GatedChild& child = spawn({"/bin/sleep", "1000"});
  KEEL_ASSERT_OK(manager_->add_process(child.pid()));
  child.go();
  auto paths = parse_paths(to_json(manager_->paths()));
  KEEL_ASSERT_OK(paths);
  auto reopened = open_manager(*paths);
  KEEL_ASSERT_OK(reopened);
  auto pids = (*reopened)->pids();
  KEEL_ASSERT_OK(pids);
  EXPECT_EQ(*pids, std::vector<pid_t>{child.pid()});
  KEEL_ASSERT_OK((*reopened)->freeze());
  auto frozen = manager_->is_frozen();
  KEEL_ASSERT_OK(frozen);
  EXPECT_TRUE(*frozen);
  KEEL_ASSERT_OK((*reopened)->destroy());
  for (const auto& dir : dirs())
    EXPECT_FALSE(std::filesystem::exists(dir)) << dir;
}

}  // namespace
}  // namespace keel::runtime::cgroups
