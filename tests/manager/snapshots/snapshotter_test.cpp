// Pins manager/snapshots/snapshotter.cpp and apply_layer.cpp with real overlay mounts in private
// temp dirs: layer stacks, lifecycle, refusals that leave nothing, and crash leftovers.
#include "manager/snapshots/snapshotter.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <filesystem>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/fs.h"
#include "manager/snapshots/mount.h"
#include "manager/store/database.h"
#include "tests/manager/snapshots/layer_builder.h"

namespace keel::manager::snapshots {
namespace {

using testing::Compression;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::LayerBuilder;
using testing::read_from_string;
using testing::TempDir;

std::vector<std::string> dir_names(const std::string& path) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(path))
    out.push_back(e.path().filename());
  std::sort(out.begin(), out.end());
  return out;
}

class SnapshotterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::is_root())
      GTEST_SKIP() << "needs root (overlay mounts, whiteouts)";
    open();
  }
  void open() {
    snapshotter_.reset();
    db_.reset();
    auto db = store::Database::open(tmp_ / "meta.db");
    ASSERT_TRUE(db) << db.error().message();
    db_ = std::make_unique<store::Database>(std::move(*db));
    auto s = Snapshotter::open(*db_, tmp_.path());
    ASSERT_TRUE(s) << s.error().message();
    snapshotter_ = std::move(*s);
  }
  Result<ApplyResult> apply(const std::string& blob, const std::string& parent = "") {
    ApplyOptions options;
    options.parent = parent;
    return snapshotter_->apply_layer(read_from_string(blob), options);
  }
  std::string mount_point(const std::string& name) {
    const std::string path = tmp_ / name;
    std::filesystem::create_directories(path);
    return path;
  }
  std::string snapshots_dir() const { return tmp_ / "snapshots"; }

  TempDir tmp_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<Snapshotter> snapshotter_;
};

TEST(ChainId, FollowsTheImageSpec) {
  const auto a = content::Digest::of("layer a");
  const auto b = content::Digest::of("layer b");
  const auto ids = chain_ids({a, b});
  ASSERT_EQ(ids.size(), 2U);
  EXPECT_EQ(ids[0], a);
  EXPECT_EQ(ids[1], content::Digest::of(a.str() + " " + b.str()));
}

TEST_F(SnapshotterTest, MultiLayerImageHidesWhiteoutsAndOpaqueDirContent) {
  auto l1 = apply(LayerBuilder(Compression::kGzip)
                      .dir("etc")
                      .file("etc/keep", "keep")
                      .file("etc/gone", "gone")
                      .dir("var/cache")
                      .file("var/cache/old1", "1")
                      .file("var/cache/old2", "2")
                      .finish());
  ASSERT_TRUE(l1) << l1.error().message();
  auto l2 = apply(LayerBuilder(Compression::kZstd)
                      .file("etc/.wh.gone", "")
                      .dir("var/cache")
                      .file("var/cache/.wh..wh..opq", "")
                      .file("var/cache/new", "new")
                      .finish(),
                  l1->snapshot.name);
  ASSERT_TRUE(l2) << l2.error().message();
  auto l3 = apply(LayerBuilder().file("etc/keep", "keep v3").finish(), l2->snapshot.name);
  ASSERT_TRUE(l3) << l3.error().message();
  const auto ids = chain_ids({l1->digests.diff_id, l2->digests.diff_id, l3->digests.diff_id});
  EXPECT_EQ(l3->snapshot.name, ids[2].str());
  EXPECT_EQ(l3->snapshot.parent, ids[1].str());
  EXPECT_EQ(l3->snapshot.kind, Kind::kCommitted);

  auto mounts = snapshotter_->prepare("container", l3->snapshot.name);
  ASSERT_TRUE(mounts) << mounts.error().message();
  ASSERT_EQ(mounts->size(), 1U);
  EXPECT_EQ(mounts->front().type, "overlay");
  const std::string root = mount_point("rootfs");
  auto guard = mount_all(*mounts, root);
  ASSERT_TRUE(guard) << guard.error().message();
  EXPECT_EQ(*fs::read_file(root + "/etc/keep"), "keep v3");
  EXPECT_FALSE(fs::exists(root + "/etc/gone"));
  EXPECT_THAT(dir_names(root + "/var/cache"), ElementsAre("new"));
  // Writes land in the container's upper dir, not in a shared layer.
  ASSERT_TRUE(fs::write_file_atomic(root + "/etc/keep", "mine", 0644));
  guard->reset();
  EXPECT_EQ(*fs::read_file(*snapshotter_->tree_path("container") + "/etc/keep"), "mine");
  EXPECT_EQ(*fs::read_file(*snapshotter_->tree_path(l3->snapshot.name) + "/etc/keep"), "keep v3");

  // A read-only view of the same image.
  auto view = snapshotter_->view("look", l3->snapshot.name);
  ASSERT_TRUE(view) << view.error().message();
  const std::string look = mount_point("look");
  auto view_guard = mount_all(*view, look);
  ASSERT_TRUE(view_guard) << view_guard.error().message();
  EXPECT_FALSE(fs::exists(look + "/etc/gone"));
  EXPECT_FALSE(fs::write_file_atomic(look + "/x", "x"));
}

TEST_F(SnapshotterTest, LifecyclePrepareCommitRemove) {
  auto base = snapshotter_->prepare("base-active", "");
  ASSERT_TRUE(base) << base.error().message();
  ASSERT_EQ(base->size(), 1U);
  EXPECT_EQ(base->front().type, "bind");
  {
    const std::string mnt = mount_point("base");
    auto guard = mount_all(*base, mnt);
    ASSERT_TRUE(guard) << guard.error().message();
    ASSERT_TRUE(fs::write_file_atomic(mnt + "/hello", "world", 0644));
  }
  ASSERT_TRUE(snapshotter_->commit("base", "base-active", {{"owner", "test"}}));
  auto info = snapshotter_->stat("base");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->kind, Kind::kCommitted);
  EXPECT_EQ(info->labels.at("owner"), "test");
  EXPECT_EQ(snapshotter_->stat("base-active").error().kind(), Errc::kNotFound);

  ASSERT_TRUE(snapshotter_->prepare("child", "base"));
  // Mistakes a caller can make, each with its own code.
  EXPECT_EQ(snapshotter_->prepare("child", "base").error().kind(), Errc::kAlreadyExists);
  EXPECT_EQ(snapshotter_->prepare("x", "nope").error().kind(), Errc::kNotFound);
  EXPECT_EQ(snapshotter_->prepare("x", "child").error().kind(), Errc::kFailedPrecondition);
  EXPECT_EQ(snapshotter_->commit("y", "base").error().kind(), Errc::kFailedPrecondition);

  auto refused = snapshotter_->remove("base");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind(), Errc::kFailedPrecondition);
  EXPECT_THAT(refused.error().message(), HasSubstr("parent of 1 snapshot"));

  auto list = snapshotter_->list();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2U);
  EXPECT_EQ((*list)[1].parent, "base");

  ASSERT_TRUE(snapshotter_->remove("child"));
  ASSERT_TRUE(snapshotter_->remove("base"));
  EXPECT_THAT(*snapshotter_->list(), IsEmpty());
  EXPECT_THAT(dir_names(snapshots_dir()), IsEmpty());
}

TEST_F(SnapshotterTest, RefusedLayersLeaveNothing) {
  const std::string outside = mount_point("outside");
  const std::vector<std::string> blobs = {
      LayerBuilder().file("ok", "ok").file("../escape", "x").finish(),
      LayerBuilder().symlink("etc", outside).file("etc/passwd", "x").finish(),
      LayerBuilder().file("a", "a").hardlink("passwd", "../../../etc/passwd").finish(),
  };
  for (const auto& blob : blobs) {
    auto r = apply(blob);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind(), Errc::kInvalidArgument) << r.error().message();
    EXPECT_THAT(r.error().message(), HasSubstr("tar entry"));
  }
  EXPECT_THAT(*snapshotter_->list(), IsEmpty());
  EXPECT_THAT(dir_names(snapshots_dir()), IsEmpty());
  EXPECT_THAT(dir_names(outside), IsEmpty());
}

TEST_F(SnapshotterTest, RefusesBlobWhoseDigestDiffersFromTheManifest) {
  const std::string blob = LayerBuilder(Compression::kGzip).file("f", "f").finish();
  ApplyOptions options;
  options.expected_blob_digest = content::Digest::of("something else");
  auto r = snapshotter_->apply_layer(read_from_string(blob), options);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(),
              HasSubstr("layer blob digest is " + content::Digest::of(blob).str()));
  EXPECT_THAT(*snapshotter_->list(), IsEmpty());
  EXPECT_THAT(dir_names(snapshots_dir()), IsEmpty());
}

TEST_F(SnapshotterTest, SameLayerIsUnpackedOnce) {
  const std::string blob = LayerBuilder().file("f", "f").finish();
  auto first = apply(blob);
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_FALSE(first->already_existed);
  auto second = apply(blob);
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_TRUE(second->already_existed);
  EXPECT_EQ(second->snapshot.id, first->snapshot.id);
  // With the diff_id known up front the blob is not read at all.
  ApplyOptions options;
  options.expected_diff_id = first->digests.diff_id;
  auto third = snapshotter_->apply_layer(
      [](std::span<std::byte>) -> Result<std::size_t> {
        return Error::of(Errc::kInternal, "must not be read");
      },
      options);
  ASSERT_TRUE(third) << third.error().message();
  EXPECT_TRUE(third->already_existed);
  EXPECT_THAT(dir_names(snapshots_dir()), ElementsAre(std::to_string(first->snapshot.id)));
}

TEST_F(SnapshotterTest, HundredsOfLayersMountPastTheOnePageOptionLimit) {
  constexpr int kLayers = 130;
  std::string parent;
  for (int i = 0; i < kLayers; ++i) {
    auto r = apply(LayerBuilder()
                       .file("layers/l" + std::to_string(i), std::to_string(i))
                       .file("top", std::to_string(i))
                       .finish(),
                   parent);
    ASSERT_TRUE(r) << i << ": " << r.error().message();
    parent = r->snapshot.name;
  }
  auto mounts = snapshotter_->prepare("big", parent);
  ASSERT_TRUE(mounts) << mounts.error().message();
  std::size_t option_bytes = 0;
  for (const auto& o : mounts->front().options)
    option_bytes += o.size() + 1;
  EXPECT_GT(option_bytes, 4096U);  // mount(2)'s data page could not carry it
  const std::string root = mount_point("rootfs");
  auto guard = mount_all(*mounts, root);
  ASSERT_TRUE(guard) << guard.error().message();
  EXPECT_EQ(*fs::read_file(root + "/top"), std::to_string(kLayers - 1));
  EXPECT_EQ(dir_names(root + "/layers").size(), static_cast<std::size_t>(kLayers));
  EXPECT_EQ(*fs::read_file(root + "/layers/l0"), "0");
}

TEST_F(SnapshotterTest, OpenRemovesOrphanDirectoriesAndKeepsSnapshots) {
  auto layer = apply(LayerBuilder().file("f", "f").finish());
  ASSERT_TRUE(layer) << layer.error().message();
  // What a crash leaves: a staging dir mid-unpack, a tree moved in whose row never committed,
  // a removal that did not finish.
  for (const char* orphan : {"tmp-abc123/fs/usr", "999/fs", "rm-7/fs/x"})
    std::filesystem::create_directories(snapshots_dir() + "/" + orphan);
  open();
  EXPECT_THAT(dir_names(snapshots_dir()), ElementsAre(std::to_string(layer->snapshot.id)));
  auto info = snapshotter_->stat(layer->snapshot.name);
  ASSERT_TRUE(info) << info.error().message();
  EXPECT_EQ(*fs::read_file(*snapshotter_->tree_path(layer->snapshot.name) + "/f"), "f");
}

TEST_F(SnapshotterTest, UsageCountsOwnTreeOnce) {
  auto layer = apply(LayerBuilder()
                         .file("big", std::string(1 << 20, 'x'))
                         .hardlink("big2", "big")
                         .file("small", "s")
                         .finish());
  ASSERT_TRUE(layer) << layer.error().message();
  auto usage = snapshotter_->usage(layer->snapshot.name);
  ASSERT_TRUE(usage) << usage.error().message();
  EXPECT_EQ(usage->inodes, 3);  // root, big (twice linked), small
  EXPECT_GE(usage->size_bytes, 1 << 20);
  EXPECT_LT(usage->size_bytes, (1 << 20) + 64 * 1024);
}

// A --rm container's upper is mounted volatile (no sync at unmount). The kernel leaves a marker
// that refuses the next volatile mount; make_volatile clears it, so mounting again after keeld
// or the host restarted works. A bind (a base snapshot) is left as it is.
TEST_F(SnapshotterTest, VolatileUpperMountsAgainAfterTheKernelsMarker) {
  auto base = snapshotter_->prepare("base-active", "");
  ASSERT_TRUE(base) << base.error().message();
  auto untouched = *base;
  ASSERT_TRUE(make_volatile(untouched));
  EXPECT_EQ(untouched.front().options, base->front().options);
  ASSERT_TRUE(snapshotter_->commit("base", "base-active"));

  auto mounts = snapshotter_->prepare("rm-container", "base");
  ASSERT_TRUE(mounts) << mounts.error().message();
  auto plain = *mounts;
  ASSERT_TRUE(make_volatile(*mounts));
  EXPECT_THAT(mounts->front().options, ::testing::Contains("volatile"));
  const std::string mnt = mount_point("rootfs");
  {
    auto guard = mount_all(*mounts, mnt);
    ASSERT_TRUE(guard) << guard.error().message();
    auto mountinfo = fs::read_file("/proc/self/mountinfo");
    ASSERT_TRUE(mountinfo);
    std::string line;
    bool found = false;
    for (std::istringstream in(*mountinfo); std::getline(in, line);) {
      if (line.find(" " + mnt + " ") != std::string::npos) {
        found = true;
        EXPECT_THAT(line, HasSubstr("volatile"));
      }
    }
    EXPECT_TRUE(found) << mnt << " not in mountinfo";
    ASSERT_TRUE(fs::write_file_atomic(mnt + "/scratch", "x", 0644));
  }
  // The marker is there now: a volatile mount that does not clear it is refused.
  auto again_raw = plain;
  again_raw.front().options.emplace_back("volatile");
  {
    auto refused = mount_all(again_raw, mnt);
    EXPECT_FALSE(refused) << "the kernel's volatile marker no longer refuses a mount";
  }
  ASSERT_TRUE(make_volatile(plain));
  auto guard = mount_all(plain, mnt);
  ASSERT_TRUE(guard) << guard.error().message();
  auto scratch = fs::read_file(mnt + "/scratch");
  ASSERT_TRUE(scratch);
  EXPECT_EQ(*scratch, "x");
}

}  // namespace
}  // namespace keel::manager::snapshots
