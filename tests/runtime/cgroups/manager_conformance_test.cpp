// The behaviour every cgroups::Manager shares (runtime/cgroups/manager.h), run over a fake
// cgroupfs in v1, v2 and hybrid layouts: placement, listing, freezing, reopening, destroying.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "runtime/cgroups/manager.h"
#include "tests/runtime/cgroups/fake_cgroupfs.h"

namespace keel::runtime::cgroups {
namespace {

using testing::FakeCgroupFs;

class ManagerConformance : public ::testing::TestWithParam<Layout::Mode> {
 protected:
  void SetUp() override {
    switch (GetParam()) {
      case Layout::Mode::kV1:
        layout_ = fs_.v1_layout();
        break;
      case Layout::Mode::kHybrid:
        layout_ = fs_.hybrid_layout();
        break;
      case Layout::Mode::kV2:
        layout_ = fs_.v2_layout();
        break;
    }
    layout_.v1_mounts.erase("cpuset");  // its knobs are not the subject here
    if (!layout_.unified_mount.empty()) {
      fs_.write("unified/cgroup.controllers", "memory pids\n");
      fs_.dir("unified", {"cgroup.subtree_control"});
      fs_.dir("unified/keel", {"cgroup.subtree_control", "cgroup.type"});
    }
    auto m = make_manager(layout_, std::nullopt, "c1");
    KEEL_ASSERT_OK(m);
    manager_ = std::move(*m);
    for (const auto& dir : all_dirs()) {
      fs_.dir(rel(dir), {"cgroup.procs", "cgroup.type", "freezer.state", "cgroup.freeze"});
      fs_.write(rel(dir) + "/cgroup.events", "populated 1\nfrozen 1\n");
    }
    KEEL_ASSERT_OK(manager_->create());
  }

  std::vector<std::string> all_dirs() const {
    std::vector<std::string> out;
    for (const auto& [h, dir] : manager_->paths().v1)
      out.push_back(dir);
    if (!manager_->paths().unified.empty())
      out.push_back(manager_->paths().unified);
    return out;
  }
  std::string rel(const std::string& dir) const { return dir.substr(fs_.root().size() + 1); }

  FakeCgroupFs fs_;
  Layout layout_;
  std::unique_ptr<Manager> manager_;
};

TEST_P(ManagerConformance, CreateIsIdempotent) {
  KEEL_ASSERT_OK(manager_->create());
  for (const auto& dir : all_dirs())
    EXPECT_TRUE(fs_.exists(rel(dir))) << dir;
}

TEST_P(ManagerConformance, AddProcessJoinsEveryHierarchy) {
  KEEL_ASSERT_OK(manager_->add_process(1234));
  for (const auto& dir : all_dirs())
    EXPECT_EQ(fs_.read(rel(dir) + "/cgroup.procs"), "1234") << dir;
}

TEST_P(ManagerConformance, PidsListsDescendantsSortedOnce) {
  for (const auto& dir : all_dirs()) {
    fs_.write(rel(dir) + "/cgroup.procs", "30\n10\n");
    fs_.write(rel(dir) + "/sub/cgroup.procs", "20\n10\n");
  }
  auto pids = manager_->pids();
  KEEL_ASSERT_OK(pids);
  EXPECT_EQ(*pids, (std::vector<pid_t>{10, 20, 30}));
}

TEST_P(ManagerConformance, FreezeThawRoundTrip) {
  KEEL_ASSERT_OK(manager_->freeze());
  auto frozen = manager_->is_frozen();
  KEEL_ASSERT_OK(frozen);
  EXPECT_TRUE(*frozen);
  KEEL_ASSERT_OK(manager_->thaw());
  frozen = manager_->is_frozen();
  KEEL_ASSERT_OK(frozen);
  EXPECT_FALSE(*frozen);
}

TEST_P(ManagerConformance, ReopenedFromPersistedPathsSeesTheSameCgroup) {
  auto paths = parse_paths(to_json(manager_->paths()));
  KEEL_ASSERT_OK(paths);
  EXPECT_EQ(*paths, manager_->paths());
  auto reopened = open_manager(*paths);
  KEEL_ASSERT_OK(reopened);
  EXPECT_EQ((*reopened)->paths(), manager_->paths());
  KEEL_ASSERT_OK(manager_->freeze());
  auto frozen = (*reopened)->is_frozen();
  KEEL_ASSERT_OK(frozen);
  EXPECT_TRUE(*frozen);
}

TEST_P(ManagerConformance, DestroyRemovesEveryDirectoryAndIsIdempotent) {
  // A fresh container: create() made its directories, which (unlike the fixture's) hold no
  // regular files, so rmdir works on the fake as on cgroupfs.
  auto m = make_manager(layout_, "/keel/c2", "c2");
  KEEL_ASSERT_OK(m);
  KEEL_ASSERT_OK((*m)->create());
  std::vector<std::string> dirs;
  for (const auto& [h, dir] : (*m)->paths().v1)
    dirs.push_back(dir);
  if (!(*m)->paths().unified.empty())
    dirs.push_back((*m)->paths().unified);
  ASSERT_FALSE(dirs.empty());
  for (const auto& dir : dirs) {
    ASSERT_TRUE(fs_.exists(rel(dir)));
    fs_.dir(rel(dir) + "/nested/deeper");
  }
  KEEL_ASSERT_OK((*m)->destroy());
  for (const auto& dir : dirs) {
    EXPECT_FALSE(fs_.exists(rel(dir))) << dir;
    EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(dir).parent_path())) << dir;
  }
  KEEL_ASSERT_OK((*m)->destroy());
}

INSTANTIATE_TEST_SUITE_P(Layouts, ManagerConformance,
                         ::testing::Values(Layout::Mode::kV1, Layout::Mode::kV2,
                                           Layout::Mode::kHybrid),
                         [](const ::testing::TestParamInfo<Layout::Mode>& param_info) {
                           switch (param_info.param) {
                             case Layout::Mode::kV1:
                               return "V1";
                             case Layout::Mode::kV2:
                               return "V2";
                             case Layout::Mode::kHybrid:
                               return "Hybrid";
                           }
                           return "Unknown";
                         });

}  // namespace
}  // namespace keel::runtime::cgroups
