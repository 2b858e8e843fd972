// Pins the refusal of a broken bundle: one stderr line (keel names the JSON path at fault), a
// non-zero exit, and nothing created: no state, no cgroup, no mount.
#include <gtest/gtest.h>

#include "common/fs.h"
#include "integration/fixtures/fixtures.h"

namespace keel::fixtures {
namespace {

void expect_create_refused(const Bundle& bundle, std::string_view keel_detail) {
  const RunResult r = run_runtime(bundle, {"create", bundle.id});
  expect_error_line(r, keel_detail);
  EXPECT_TRUE(std::filesystem::is_empty(bundle.root)) << "state left in the root";
  EXPECT_FALSE(container_state(bundle, bundle.id).has_value());
}

TEST(BadConfig, RefusedWhenConfigJsonIsMissing) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  std::filesystem::remove(bundle.dir / "config.json");
  expect_create_refused(bundle, "config.json");
  leaks.expect_none();
}

TEST(BadConfig, RefusedWhenConfigIsNotJson) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  ASSERT_TRUE(fs::write_file_atomic(bundle.dir / "config.json", "{ \"ociVersion\": ", 0644));
  expect_create_refused(bundle, "config.json");
  leaks.expect_none();
}

TEST(BadConfig, RefusedWhenProcessArgsIsEmpty) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.set_args({});
  bundle.write();
  expect_create_refused(bundle, "process.args");
  leaks.expect_none();
}

TEST(BadConfig, RefusedWhenNamespaceTypeIsUnknown) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.config["linux"]["namespaces"][0]["type"] = "bogus";
  bundle.write();
  expect_create_refused(bundle, "linux.namespaces[0].type");
  leaks.expect_none();
}

// runc and crun mount into the caller's namespace here; keel refuses, and says why, and
// `keel features` says so before anyone tries.
TEST(BadConfig, RefusedWhenMountsHaveNoMountNamespace) {
  KEEL_SKIP_UNLESS_ROOT();
  if (!is_keel())
    GTEST_SKIP() << "runc accepts it";
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.drop_namespace("mount");
  bundle.write();
  const RunResult r = run_runtime(bundle, {"create", bundle.id});
  expect_error_line(r, "mounts");
  EXPECT_NE(r.err.find("would outlive the container"), std::string::npos) << r;
  EXPECT_TRUE(std::filesystem::is_empty(bundle.root)) << "state left in the root";
  const RunResult features = run_runtime(bundle, {"features"});
  ASSERT_EQ(features.exit_code, 0) << features;
  EXPECT_EQ(
      nlohmann::json::parse(features.out)["annotations"]["io.keel.mounts.requireMountNamespace"],
      "true");
  leaks.expect_none();
}

TEST(BadConfig, RefusedWhenCwdIsRelative) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.config["process"]["cwd"] = "tmp";
  bundle.write();
  expect_create_refused(bundle, "process.cwd");
  leaks.expect_none();
}

TEST(BadConfig, RefusedWhenRootfsDirIsMissing) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.config["root"]["path"] = "no-such-rootfs";
  bundle.write();
  expect_create_refused(bundle, "root.path");
  EXPECT_FALSE(std::filesystem::exists(bundle.dir / "no-such-rootfs")) << "must not be created";
  leaks.expect_none();
}

}  // namespace
}  // namespace keel::fixtures
