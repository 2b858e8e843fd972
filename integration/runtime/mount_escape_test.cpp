// Pins that a bind mount whose destination passes through a symlink in the rootfs is resolved
// inside the rootfs: a hostile image cannot make the runtime mount over host paths.
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integration/fixtures/fixtures.h"

namespace keel::fixtures {
namespace {

namespace stdfs = std::filesystem;

// Where the mount would land on the host if the runtime followed the symlink out of the rootfs.
std::vector<stdfs::path> escape_targets(const Bundle& bundle, const std::string& name) {
  std::vector<stdfs::path> targets = {stdfs::path("/") / name};
  for (stdfs::path p = bundle.rootfs.parent_path(); p != p.parent_path(); p = p.parent_path())
    targets.push_back(p / name);
  return targets;
}

void expect_mount_stays_inside(Bundle& bundle, const std::string& link, const std::string& target) {
  const std::string name = "escape-" + bundle.id;  // holds the id: LeakCheck watches for it too
  const stdfs::path source = bundle.dir / "escape-src";
  stdfs::create_directories(source);
  std::ofstream(source / "marker") << "inside\n";
  stdfs::create_symlink(target, bundle.host_path("/" + link));
  bundle.config["mounts"].push_back({{"destination", "/" + link + "/" + name},
                                     {"type", "bind"},
                                     {"source", source.string()},
                                     {"options", {"rbind", "ro"}}});
  bundle.set_args({"cat", "/" + name + "/marker"});
  bundle.write();

  const RunResult run = run_runtime(bundle, {"run", bundle.id});
  for (const auto& outside : escape_targets(bundle, name)) {
    EXPECT_FALSE(stdfs::exists(outside)) << "mount target created outside the rootfs: " << outside;
    std::error_code ec;
    stdfs::remove(outside, ec);
  }
  for (const auto& mount : host_mounts())
    EXPECT_THAT(mount.line, Not(::testing::HasSubstr(name))) << "mount on the host";
  // Resolved in the rootfs, the symlink leads to the rootfs's own /, where the mount must be.
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(run.out, "inside\n") << run;
}

TEST(MountDestination, StaysInRootfsWhenSymlinkPointsAtRoot) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  expect_mount_stays_inside(bundle, "evil", "/");
  leaks.expect_none();
}

TEST(MountDestination, StaysInRootfsWhenSymlinkClimbsWithDotDot) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  // More ".." than the rootfs is deep below the host's /: followed on the host, it reaches /.
  expect_mount_stays_inside(bundle, "evil2", "../../../../../../../..");
  leaks.expect_none();
}

TEST(MountDestination, StaysInRootfsWhenSymlinkIsRelativeToParent) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  expect_mount_stays_inside(bundle, "evil3", "../..");
  leaks.expect_none();
}

}  // namespace
}  // namespace keel::fixtures
