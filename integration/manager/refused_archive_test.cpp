// Archives keeld must refuse: layers whose entries reach outside the layer root, and archives
// whose bytes do not match their digests. Each is refused with one error line and leaves no
// blob, ingest file, snapshot or image behind, and nothing outside.
#include <sys/stat.h>

#include <functional>

#include <gtest/gtest.h>

#include "integration/manager/archives.h"
#include "integration/manager/manager_test.h"

namespace keel::it {
namespace {

namespace stdfs = std::filesystem;

constexpr const char* kVictimText = "must stay as it is\n";

// "../" enough times to reach / from any layer root, then `path` (absolute) below it.
std::string dotdots_to(const stdfs::path& path) {
  std::string up;
  for (int i = 0; i < 32; ++i)
    up += "../";
  return up + path.relative_path().string();
}

class RefusedArchive : public ManagerTest {
 protected:
  void SetUp() override {
    ManagerTest::SetUp();
    if (IsSkipped() || HasFatalFailure())
      return;
    outside_ = work_ / "outside";
    stdfs::create_directory(outside_);
    write_file(outside_ / "victim", kVictimText);
    // A good image first, so the store is not empty and "nothing new" means something.
    const auto good = docker_archive({TarBuilder().file("good", "good\n").finish()}, "it/good:1");
    const auto loaded = load(good.archive);
    ASSERT_EQ(loaded.exit_code, 0) << loaded << keeld_.log();
    before_ = keeld_.store_files();
    ASSERT_EQ(before_.blobs.size(), 3U);  // manifest, config, layer
    ASSERT_EQ(before_.snapshots.size(), 1U);
    ids_before_ = image_ids();
  }

  // Loads `archive` and expects a refusal that leaves everything as before.
  void expect_refused(const std::string& archive, const std::string& error_mentions) {
    const auto result = load(archive);
    EXPECT_EQ(result.exit_code, 1) << result;
    const auto lines = result.err_lines();
    ASSERT_EQ(lines.size(), 1U) << "expected one error line:" << result;
    EXPECT_NE(lines[0].find(error_mentions), std::string::npos)
        << "the error does not name \"" << error_mentions << "\":" << result;
    EXPECT_TRUE(result.out.empty()) << result;
    expect_nothing_kept();
  }

  void expect_nothing_kept() {
    const auto now = keeld_.store_files();
    EXPECT_EQ(fixtures::added_names(before_.blobs, now.blobs), std::set<std::string>{})
        << "blobs kept";
    EXPECT_EQ(now.ingest, std::set<std::string>{}) << "ingest files left";
    EXPECT_EQ(fixtures::added_names(before_.snapshots, now.snapshots), std::set<std::string>{})
        << "snapshot dirs kept";
    EXPECT_EQ(image_ids(), ids_before_);
    // Nothing was written outside: the victim unchanged and unlinked, no new file beside it, and
    // no "escape" anywhere in keeld's dirs or ours.
    EXPECT_EQ(tree_of(outside_), std::set<std::string>{"victim"});
    EXPECT_EQ(read_file(outside_ / "victim"), kVictimText);
    struct stat st {};
    ASSERT_EQ(::stat((outside_ / "victim").c_str(), &st), 0);
    EXPECT_EQ(st.st_nlink, 1U) << "the victim gained a hard link";
    for (const auto& dir : {keeld_.dir(), work_.path()}) {
      for (const auto& path : tree_of(dir))
        EXPECT_EQ(path.find("escape"), std::string::npos) << "written by the layer: " << path;
    }
    EXPECT_FALSE(stdfs::exists("/escape"));
    EXPECT_FALSE(stdfs::exists("/tmp/escape"));
  }

  stdfs::path outside_;
  fixtures::StoreFiles before_;
  std::vector<std::string> ids_before_;
};

TEST_F(RefusedArchive, DotDotEntry) {
  const auto layer = TarBuilder().file("ok", "fine\n").file("../escape", "out\n").finish();
  expect_refused(docker_archive({layer}, "it/bad:1").archive, "../escape");
}

TEST_F(RefusedArchive, DotDotEntryReachingAnOutsideDir) {
  const std::string path = dotdots_to(outside_ / "escape");
  const auto layer = TarBuilder().file("ok", "fine\n").file(path, "out\n").finish();
  expect_refused(docker_archive({layer}, "it/bad:1").archive, "escape");
}

TEST_F(RefusedArchive, WriteThroughAnAbsoluteSymlink) {
  const auto layer = TarBuilder()
                         .file("ok", "fine\n")
                         .symlink("link", outside_.string())
                         .file("link/escape", "out\n")
                         .finish();
  expect_refused(docker_archive({layer}, "it/bad:1").archive, "link/escape");
}

TEST_F(RefusedArchive, WriteThroughARelativeSymlinkOutOfTheRoot) {
  const auto layer = TarBuilder()
                         .file("ok", "fine\n")
                         .symlink("link", dotdots_to(outside_))
                         .file("link/escape", "out\n")
                         .finish();
  expect_refused(docker_archive({layer}, "it/bad:1").archive, "link/escape");
}

TEST_F(RefusedArchive, AbsoluteHardlinkOutOfTheRoot) {
  const auto layer = TarBuilder()
                         .file("ok", "fine\n")
                         .hardlink("escape-link", (outside_ / "victim").string())
                         .finish();
  expect_refused(docker_archive({layer}, "it/bad:1").archive, "escape-link");
}

TEST_F(RefusedArchive, DotDotHardlinkOutOfTheRoot) {
  const auto layer = TarBuilder()
                         .file("ok", "fine\n")
                         .hardlink("escape-link", dotdots_to(outside_ / "victim"))
                         .file("escape-link", "overwritten\n")
                         .finish();
  expect_refused(docker_archive({layer}, "it/bad:1").archive, "escape-link");
}

TEST_F(RefusedArchive, EscapeInTheSecondLayerKeepsNothingOfTheFirst) {
  const auto base = TarBuilder().file("base-only", "new base content\n").finish();
  const auto bad = TarBuilder().file("../escape", "out\n").finish();
  expect_refused(oci_archive({base, bad}, "it/bad:2").archive, "../escape");
}

// The tampered archives: every byte keeld keeps must match the digest that names it.

TEST_F(RefusedArchive, LayerBytesNotMatchingTheirDigestName) {
  const auto layer = TarBuilder().file("data", "original\n").finish();
  const auto image = docker_archive({layer}, "it/tampered:1");
  auto tampered = TarBuilder().file("data", "tampered\n").finish();
  ASSERT_EQ(tampered.size(), layer.size());
  const auto archive =
      docker_archive_raw(hex_of(image.config_digest) + ".json", image.config_json,
                         {hex_of(image.diff_ids[0]) + ".tar"}, {tampered}, "it/tampered:1");
  expect_refused(archive, hex_of(image.diff_ids[0]).substr(0, 12));
}

TEST_F(RefusedArchive, DiffIdNotMatchingTheLayer) {
  const auto layer = TarBuilder().file("data", "original\n").finish();
  const auto other = TarBuilder().file("data", "another\n").finish();
  const auto image = docker_archive({layer}, "it/tampered:1");
  // The layer under a name that is no digest, as old docker saves wrote it: only the config's
  // diff id can catch it.
  const auto archive = docker_archive_raw(hex_of(image.config_digest) + ".json", image.config_json,
                                          {"0123abcd/layer.tar"}, {other}, "it/tampered:1");
  expect_refused(archive, "diff");
}

TEST_F(RefusedArchive, OciLayerBlobNotMatchingTheManifest) {
  const auto layer = TarBuilder().file("data", "original\n").finish();
  const auto tampered = TarBuilder().file("data", "tampered\n").finish();
  const auto image = oci_archive_with_swap({layer}, "it/tampered:1", {digest_of(layer), tampered});
  expect_refused(image.archive, hex_of(digest_of(layer)).substr(0, 12));
}

TEST_F(RefusedArchive, OciConfigBlobNotMatchingTheManifest) {
  const auto layer = TarBuilder().file("data", "original\n").finish();
  const auto honest = oci_archive({layer}, "it/tampered:1");
  const auto injected = image_config({layer}, {{"Env", {"INJECTED=1"}}}).dump();
  const auto image =
      oci_archive_with_swap({layer}, "it/tampered:1", {honest.config_digest, injected});
  expect_refused(image.archive, hex_of(honest.config_digest).substr(0, 12));
}

}  // namespace
}  // namespace keel::it
