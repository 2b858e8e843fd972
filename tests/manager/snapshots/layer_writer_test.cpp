// Pins manager/snapshots/changes.cpp and layer_writer.cpp: what a container changed, as docker
// diff lists it, and that its upper dir exported as a layer and applied again gives the same tree.
#include "manager/snapshots/layer_writer.h"

#include <sys/stat.h>
#include <sys/xattr.h>

#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/fs.h"
#include "manager/snapshots/snapshotter.h"
#include "manager/store/database.h"
#include "tests/manager/snapshots/layer_builder.h"

namespace keel::manager::snapshots {
namespace {

using ::testing::ElementsAre;
using testing::LayerBuilder;
using testing::read_from_string;
using testing::TempDir;

std::vector<std::string> printed(const std::vector<Change>& changes) {
  std::vector<std::string> out;
  for (const auto& c : changes)
    out.push_back(std::string(1, change_letter(c.kind)) + " " + c.path);
  return out;
}

TEST(LayerWriter, ContainerChangesExportAndApplyAgain) {
  if (!testing::is_root())
    GTEST_SKIP() << "needs root (overlay mounts)";
  TempDir tmp;
  auto db = store::Database::open(tmp / "meta.db");
  ASSERT_TRUE(db) << db.error().message();
  auto s = Snapshotter::open(*db, tmp.path());
  ASSERT_TRUE(s) << s.error().message();
  Snapshotter& snapshotter = **s;

  ApplyOptions base_options;
  auto base = snapshotter.apply_layer(read_from_string(LayerBuilder()
                                                           .dir("etc")
                                                           .file("etc/hostname", "base")
                                                           .file("etc/motd", "hi")
                                                           .dir("var/lib")
                                                           .file("var/lib/a", "a")
                                                           .file("var/lib/b", "b")
                                                           .finish()),
                                      base_options);
  ASSERT_TRUE(base) << base.error().message();
  auto mounts = snapshotter.prepare("c1", base->snapshot.name);
  ASSERT_TRUE(mounts) << mounts.error().message();
  std::filesystem::create_directories(tmp / "rootfs");
  {
    auto guard = mount_all(*mounts, tmp / "rootfs");
    ASSERT_TRUE(guard) << guard.error().message();
    const std::string root = tmp / "rootfs";
    ASSERT_TRUE(fs::write_file_atomic(root + "/etc/hostname", "changed", 0644));
    std::filesystem::remove(root + "/etc/motd");  // the kernel writes a whiteout
    std::filesystem::remove_all(root + "/var/lib");
    std::filesystem::create_directories(root + "/var/lib");  // the kernel marks it opaque
    ASSERT_TRUE(fs::write_file_atomic(root + "/var/lib/new", "n", 0600));
    ASSERT_TRUE(fs::write_file_atomic(root + "/added", "x", 0644));
    std::filesystem::create_hard_link(root + "/added", root + "/added2");
  }
  auto diff = snapshot_changes(snapshotter, "c1");
  ASSERT_TRUE(diff) << diff.error().message();
  EXPECT_THAT(printed(*diff), ElementsAre("A /added", "A /added2", "C /etc", "C /etc/hostname",
                                          "D /etc/motd", "C /var", "C /var/lib", "D /var/lib/a",
                                          "D /var/lib/b", "A /var/lib/new"));

  std::string tar;
  auto digests = export_layer(snapshotter, "c1", [&tar](std::span<const std::byte> b) {
    tar.append(reinterpret_cast<const char*>(b.data()), b.size());
    return Result<void>();
  });
  ASSERT_TRUE(digests) << digests.error().message();
  EXPECT_EQ(digests->diff_id, content::Digest::of(tar));

  ApplyOptions options;
  options.parent = base->snapshot.name;
  options.expected_diff_id = digests->diff_id;
  auto layer = snapshotter.apply_layer(read_from_string(tar), options);
  ASSERT_TRUE(layer) << layer.error().message();
  auto view = snapshotter.view("check", layer->snapshot.name);
  ASSERT_TRUE(view) << view.error().message();
  std::filesystem::create_directories(tmp / "check");
  auto guard = mount_all(*view, tmp / "check");
  ASSERT_TRUE(guard) << guard.error().message();
  const std::string check = tmp / "check";
  EXPECT_EQ(*fs::read_file(check + "/etc/hostname"), "changed");
  EXPECT_FALSE(fs::exists(check + "/etc/motd"));
  EXPECT_FALSE(fs::exists(check + "/var/lib/a"));
  EXPECT_EQ(*fs::read_file(check + "/var/lib/new"), "n");
  struct stat a {
  }, b{};
  ASSERT_EQ(::stat((check + "/added").c_str(), &a), 0);
  ASSERT_EQ(::stat((check + "/added2").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(::stat((check + "/var/lib/new").c_str(), &a), 0);
  EXPECT_EQ(a.st_mode & 07777, 0600U);
}

TEST(LayerWriter, RefusesASnapshotThatIsNotActive) {
  if (!testing::is_root())
    GTEST_SKIP() << "needs root";
  TempDir tmp;
  auto db = store::Database::open(tmp / "meta.db");
  ASSERT_TRUE(db);
  auto s = Snapshotter::open(*db, tmp.path());
  ASSERT_TRUE(s);
  ASSERT_TRUE((*s)->prepare("a", ""));
  ASSERT_TRUE((*s)->commit("base", "a"));
  auto r = snapshot_changes(**s, "base");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), Errc::kFailedPrecondition);
}

}  // namespace
}  // namespace keel::manager::snapshots
