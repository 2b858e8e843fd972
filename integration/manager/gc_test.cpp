// rmi and prune free what no image references any more: blobs under content/blobs/sha256 and
// layer directories under overlay/snapshots, while shared layers stay for the image still using
// them.
#include <gtest/gtest.h>

#include "integration/manager/archives.h"
#include "integration/manager/manager_test.h"

namespace keel::it {
namespace {

class GarbageCollection : public ManagerTest {};

TEST_F(GarbageCollection, RmiFreesBlobsAndSnapshotsNotShared) {
  const auto base = TarBuilder().dir("shared").file("shared/base", "in both images\n").finish();
  const auto only_a = TarBuilder().file("a", "only in a\n").finish();
  const auto only_b = TarBuilder().file("b", "only in b\n").finish();
  const auto a = docker_archive({base, only_a}, "it/a:1");
  const auto b = oci_archive({base, only_b}, "it/b:1");

  ASSERT_EQ(load(a.archive).exit_code, 0) << keeld_.log();
  const auto after_a = keeld_.store_files();
  // manifest, config and two layers; one directory per layer.
  EXPECT_EQ(after_a.blobs.size(), 4U);
  EXPECT_TRUE(after_a.blobs.contains(hex_of(a.config_digest)));
  EXPECT_TRUE(after_a.blobs.contains(hex_of(a.diff_ids[0])));
  EXPECT_TRUE(after_a.blobs.contains(hex_of(a.diff_ids[1])));
  EXPECT_EQ(after_a.snapshots.size(), 2U);

  ASSERT_EQ(load(b.archive).exit_code, 0) << keeld_.log();
  const auto after_b = keeld_.store_files();
  // b adds its manifest, config and top layer; the base layer blob and snapshot are shared.
  EXPECT_EQ(after_b.blobs.size(), 7U);
  EXPECT_TRUE(after_b.blobs.contains(hex_of(b.manifest_digest)));
  EXPECT_EQ(after_b.snapshots.size(), 3U);

  // A second name for a: removing one name frees nothing.
  keeld_.ctl_ok({"tag", "it/a:1", "it/a:2"});
  keeld_.ctl_ok({"rmi", "it/a:2"});
  EXPECT_EQ(keeld_.store_files().blobs, after_b.blobs);

  const auto rmi = keeld_.ctl_ok({"rmi", "it/a:1"});
  EXPECT_NE(rmi.find("Deleted: " + a.config_digest), std::string::npos) << rmi;
  const auto after_rmi = keeld_.store_files();
  EXPECT_EQ(after_rmi.blobs.size(), 4U);
  EXPECT_FALSE(after_rmi.blobs.contains(hex_of(a.config_digest)));
  EXPECT_FALSE(after_rmi.blobs.contains(hex_of(a.diff_ids[1])));
  EXPECT_TRUE(after_rmi.blobs.contains(hex_of(a.diff_ids[0])));  // b's base
  EXPECT_EQ(after_rmi.snapshots.size(), 2U);
  EXPECT_EQ(fixtures::added_names(after_a.snapshots, after_rmi.snapshots).size(), 1U)
      << "b's own layer is the only directory a did not have";

  // b still works: its layers are all there to view.
  EXPECT_EQ(image_ids(), std::vector<std::string>({b.config_digest}));

  keeld_.ctl_ok({"rmi", "it/b:1"});
  const auto empty = keeld_.store_files();
  EXPECT_TRUE(empty.blobs.empty()) << empty.blobs.size() << " blob(s) left";
  EXPECT_TRUE(empty.snapshots.empty()) << empty.snapshots.size() << " snapshot dir(s) left";
  EXPECT_TRUE(empty.ingest.empty());
  EXPECT_TRUE(image_ids().empty());
}

TEST_F(GarbageCollection, ImagePruneAllAndSystemPruneEmptyTheStore) {
  const auto layer = TarBuilder().file("x", "x\n").finish();
  ASSERT_EQ(load(docker_archive({layer}, "it/prune:1").archive).exit_code, 0);
  ASSERT_EQ(load(docker_archive({TarBuilder().file("y", "y\n").finish()}, "it/prune:2").archive)
                .exit_code,
            0);
  EXPECT_EQ(keeld_.store_files().blobs.size(), 6U);

  // Without -a, tagged images are kept.
  keeld_.ctl_ok({"image", "prune", "-f"});
  EXPECT_EQ(image_ids().size(), 2U);
  EXPECT_EQ(keeld_.store_files().blobs.size(), 6U);

  const auto pruned = keeld_.ctl_ok({"image", "prune", "-a", "-f"});
  EXPECT_NE(pruned.find("Total reclaimed space"), std::string::npos) << pruned;
  EXPECT_TRUE(image_ids().empty());
  const auto files = keeld_.store_files();
  EXPECT_TRUE(files.blobs.empty());
  EXPECT_TRUE(files.snapshots.empty());

  ASSERT_EQ(load(docker_archive({layer}, "it/prune:1").archive).exit_code, 0);
  keeld_.ctl_ok({"system", "prune", "-a", "-f"});
  EXPECT_TRUE(image_ids().empty());
  EXPECT_TRUE(keeld_.store_files().blobs.empty());
  EXPECT_TRUE(keeld_.store_files().snapshots.empty());
}

}  // namespace
}  // namespace keel::it
