// A three-layer image with a whiteout and an opaque directory, loaded from an OCI archive and
// looked at through the Snapshots API: a view of the top chain id, mounted as a client would.
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "integration/manager/archives.h"
#include "integration/manager/grpc_client.h"
#include "integration/manager/manager_test.h"

namespace keel::it {
namespace {

namespace stdfs = std::filesystem;

// Mounts what Snapshots.View/Mounts returned on `target` with plain mount(2) and unmounts on
// destruction: the way a runtime would use it, independent of keeld's own mount code.
class SnapshotMount {
 public:
  SnapshotMount(const keel::v1::MountsResponse& response, const stdfs::path& target)
      : target_(target) {
    if (response.mounts_size() != 1) {
      ADD_FAILURE() << "expected one mount, got " << response.DebugString();
      return;
    }
    const auto& m = response.mounts(0);
    unsigned long flags = 0;
    std::string data;
    bool read_only = false;
    for (const auto& option : m.options()) {
      if (option == "ro") {
        read_only = true;
      } else if (option == "rbind") {
        flags |= MS_BIND | MS_REC;
      } else if (option != "rw") {
        data += (data.empty() ? "" : ",") + option;
      }
    }
    if (m.type() == "bind")
      flags |= MS_BIND;
    else if (read_only)
      flags |= MS_RDONLY;
    if (::mount(m.source().c_str(), target.c_str(), m.type().c_str(), flags,
                data.empty() ? nullptr : data.c_str()) != 0) {
      ADD_FAILURE() << "mount " << m.DebugString() << ": " << std::strerror(errno);  // NOLINT
      return;
    }
    mounted_ = true;
    if (m.type() == "bind" && read_only &&
        ::mount(nullptr, target.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) != 0)
      ADD_FAILURE() << "remount read-only: " << std::strerror(errno);  // NOLINT
  }
  SnapshotMount(const SnapshotMount&) = delete;
  SnapshotMount& operator=(const SnapshotMount&) = delete;
  ~SnapshotMount() {
    if (mounted_ && ::umount2(target_.c_str(), MNT_DETACH) != 0)
      ADD_FAILURE() << "umount " << target_ << ": " << std::strerror(errno);  // NOLINT
  }
  [[nodiscard]] bool mounted() const { return mounted_; }

 private:
  stdfs::path target_;
  bool mounted_ = false;
};

// The lowerdir list of an overlay mount, top first.
std::vector<std::string> lowerdirs(const keel::v1::MountsResponse& response) {
  std::vector<std::string> dirs;
  for (const auto& m : response.mounts()) {
    for (const auto& option : m.options()) {
      if (!option.starts_with("lowerdir="))
        continue;
      std::string list = option.substr(9);
      for (size_t start = 0; start <= list.size();) {
        auto end = list.find(':', start);
        if (end == std::string::npos)
          end = list.size();
        dirs.push_back(list.substr(start, end - start));
        start = end + 1;
      }
    }
  }
  return dirs;
}

class Whiteouts : public ManagerTest {};

TEST_F(Whiteouts, DeletedFilesAndOpaqueDirLowerContentAreGoneInTheView) {
  const std::string base = TarBuilder()
                               .dir("etc")
                               .file("etc/keep", "kept\n")
                               .file("etc/gone", "deleted by layer 2\n")
                               .dir("opq")
                               .file("opq/a", "hidden by the opaque dir\n")
                               .dir("opq/sub")
                               .file("opq/sub/b", "hidden too\n")
                               .file("top", "deleted by layer 2\n")
                               .finish();
  const std::string upper = TarBuilder()
                                .dir("etc")
                                .file("etc/.wh.gone", "")
                                .file(".wh.top", "")
                                .dir("opq")
                                .file("opq/.wh..wh..opq", "")
                                .file("opq/new", "after the opaque marker\n")
                                .finish();
  const std::string third = TarBuilder().dir("etc").file("etc/third", "3\n").finish();
  const auto image = oci_archive({base, upper, third}, "it/whiteouts:1");
  const auto loaded = load(image.archive);
  ASSERT_EQ(loaded.exit_code, 0) << loaded << keeld_.log();
  EXPECT_EQ(lines_of(loaded.out), std::vector<std::string>({"Loaded image: it/whiteouts:1"}));

  const auto inspected =
      nlohmann::json::parse(keeld_.ctl_ok({"image", "inspect", "it/whiteouts:1"}), nullptr, false);
  ASSERT_TRUE(inspected.is_array() && inspected.size() == 1);
  EXPECT_EQ(inspected[0]["Id"], image.config_digest);
  EXPECT_EQ(inspected[0]["RootFS"]["Layers"], nlohmann::json(image.diff_ids));
  EXPECT_EQ(inspected[0]["Descriptor"]["digest"], image.manifest_digest);

  // One committed snapshot per layer, named by chain id, each on the one below.
  const auto chains = chain_ids(image.diff_ids);
  auto channel = channel_to(keeld_);
  auto snapshots = keel::v1::Snapshots::NewStub(channel);
  keel::v1::ListSnapshotsResponse listed;
  ASSERT_TRUE(snapshots->List(context_with_deadline().get(), {}, &listed).ok());
  std::map<std::string, std::string> parents;
  for (const auto& s : listed.snapshots()) {
    EXPECT_EQ(s.kind(), keel::v1::SNAPSHOT_KIND_COMMITTED) << s.DebugString();
    parents[s.name()] = s.parent();
  }
  EXPECT_EQ(parents, (std::map<std::string, std::string>{
                         {chains[0], ""}, {chains[1], chains[0]}, {chains[2], chains[1]}}));

  keel::v1::PrepareSnapshotRequest view;
  view.set_key("it-view");
  view.set_parent(chains[2]);
  keel::v1::MountsResponse mounts;
  const auto status = snapshots->View(context_with_deadline().get(), view, &mounts);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(lowerdirs(mounts).size(), 3U) << mounts.DebugString();

  // The layers as unpacked: the whiteout is overlay's 0:0 character device, the opaque dir
  // carries trusted.overlay.opaque=y, and no .wh. file is left as a regular file.
  const stdfs::path layer2 = lowerdirs(mounts)[1];
  struct stat st {};
  ASSERT_EQ(::lstat((layer2 / "etc" / "gone").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
  ASSERT_EQ(::lstat((layer2 / "top").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
  char opaque[8] = {};
  EXPECT_EQ(::getxattr((layer2 / "opq").c_str(), "trusted.overlay.opaque", opaque, sizeof opaque),
            1);
  EXPECT_EQ(opaque[0], 'y');
  for (const auto& path : tree_of(layer2))
    EXPECT_EQ(path.find(".wh."), std::string::npos) << "whiteout file kept as is: " << path;

  {
    const auto target = work_ / "view";
    stdfs::create_directory(target);
    SnapshotMount mounted(mounts, target);
    ASSERT_TRUE(mounted.mounted());
    EXPECT_EQ(tree_of(target),
              (std::set<std::string>{"etc", "etc/keep", "etc/third", "opq", "opq/new"}));
    EXPECT_EQ(read_file(target / "etc" / "keep"), "kept\n");
    EXPECT_EQ(read_file(target / "opq" / "new"), "after the opaque marker\n");
  }

  // The middle layer alone: the opaque dir hides the base's content there too.
  keel::v1::PrepareSnapshotRequest middle;
  middle.set_key("it-view-middle");
  middle.set_parent(chains[1]);
  keel::v1::MountsResponse middle_mounts;
  ASSERT_TRUE(snapshots->View(context_with_deadline().get(), middle, &middle_mounts).ok());
  {
    const auto target = work_ / "middle";
    stdfs::create_directory(target);
    SnapshotMount mounted(middle_mounts, target);
    ASSERT_TRUE(mounted.mounted());
    EXPECT_EQ(tree_of(target), (std::set<std::string>{"etc", "etc/keep", "opq", "opq/new"}));
  }

  for (const char* key : {"it-view", "it-view-middle"}) {
    keel::v1::SnapshotRequest remove;
    remove.set_key(key);
    keel::v1::Empty empty;
    EXPECT_TRUE(snapshots->Remove(context_with_deadline().get(), remove, &empty).ok()) << key;
  }
}

}  // namespace
}  // namespace keel::it
