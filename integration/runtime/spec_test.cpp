// Pins `spec`: it writes a config.json that runs the bundle, never overwrites one, and
// `--rootless` adds a user namespace mapping the caller.
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integration/fixtures/fixtures.h"

namespace keel::fixtures {
namespace {

using ::testing::Contains;

nlohmann::json read_config(const Bundle& bundle) {
  return nlohmann::json::parse(read_text(bundle.dir / "config.json"), nullptr, false);
}

std::vector<std::string> namespace_types(const nlohmann::json& config) {
  std::vector<std::string> types;
  for (const auto& ns : config["linux"].value("namespaces", nlohmann::json::array()))
    types.push_back(ns.value("type", ""));
  return types;
}

TEST(Spec, WritesConfigThatRunsTheBundle) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  std::filesystem::remove(bundle.dir / "config.json");
  const RunResult spec = run_runtime(bundle, {"spec"});
  EXPECT_EQ(spec.exit_code, 0) << spec;
  EXPECT_EQ(spec.err, "") << spec;
  auto config = read_config(bundle);
  ASSERT_TRUE(config.is_object()) << read_text(bundle.dir / "config.json");
  EXPECT_TRUE(config.value("ociVersion", "").starts_with("1.")) << config;
  EXPECT_EQ(config["root"].value("path", ""), "rootfs") << config;
  EXPECT_FALSE(config["process"].value("args", nlohmann::json::array()).empty()) << config;
  EXPECT_THAT(namespace_types(config), Contains("mount"));
  EXPECT_THAT(namespace_types(config), Contains("pid"));
  // Only what a test harness must change: no terminal here, and its own cgroup for the leak check.
  config["process"]["terminal"] = false;
  config["process"]["args"] = {"true"};
  config["linux"]["cgroupsPath"] = bundle.cgroups_path;
  bundle.config = config;
  bundle.write();
  const RunResult run = run_runtime(bundle, {"run", bundle.id});
  EXPECT_EQ(run.exit_code, 0) << run;
  leaks.expect_none();
}

TEST(Spec, RefusesToOverwriteConfig) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  const std::string before = read_text(bundle.dir / "config.json");
  const RunResult spec = run_runtime(bundle, {"spec"});
  expect_error_line(spec, "config.json");
  EXPECT_EQ(read_text(bundle.dir / "config.json"), before);
  leaks.expect_none();
}

TEST(Spec, RootlessAddsUserNamespaceMappingTheCaller) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  std::filesystem::remove(bundle.dir / "config.json");
  const RunResult spec = run_runtime(bundle, {"spec", "--rootless"});
  EXPECT_EQ(spec.exit_code, 0) << spec;
  auto config = read_config(bundle);
  ASSERT_TRUE(config.is_object()) << read_text(bundle.dir / "config.json");
  EXPECT_THAT(namespace_types(config), Contains("user"));
  for (const char* key : {"uidMappings", "gidMappings"}) {
    const auto mappings = config["linux"].value(key, nlohmann::json::array());
    ASSERT_EQ(mappings.size(), 1U) << key << ": " << config["linux"];
    EXPECT_EQ(mappings[0].value("containerID", -1), 0) << key;
    EXPECT_EQ(mappings[0].value("size", 0), 1) << key;
  }
  EXPECT_EQ(config["linux"]["uidMappings"][0].value("hostID", -1), static_cast<int>(::geteuid()));
  EXPECT_EQ(config["linux"]["gidMappings"][0].value("hostID", -1), static_cast<int>(::getegid()));
  // The rootless config runs as is (root may run it too): uid 0 inside is the caller outside.
  config["process"]["terminal"] = false;
  config["process"]["args"] = {"id", "-u"};
  config["linux"]["cgroupsPath"] = bundle.cgroups_path;
  bundle.config = config;
  bundle.write();
  const RunResult run = run_runtime(bundle, {"run", bundle.id});
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(run.out, "0\n") << run;
  leaks.expect_none();
}

}  // namespace
}  // namespace keel::fixtures
