// Pins default_config() (oci-spec/default_config.cpp) to what `runc spec` and
// `runc spec --rootless` write, apart from the hostname, the spec version and the host's ids.
#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "oci-spec/runtime_config.h"
#include "tests/oci-spec/runc_spec.h"

namespace keel::oci {
namespace {

using nlohmann::ordered_json;

bool host_has_cgroup2() {
  struct statfs fs {};
  return ::statfs("/sys/fs/cgroup", &fs) == 0 &&
         fs.f_type == static_cast<decltype(fs.f_type)>(CGROUP2_SUPER_MAGIC);
}

// runc's spec as runc would write it on this host, as this user, with Keel's two differences.
ordered_json expected_spec(std::string_view runc_text, bool rootless) {
  ordered_json spec = ordered_json::parse(runc_text);
  spec["ociVersion"] = std::string(kOciVersion);
  spec["hostname"] = "keel";
  if (host_has_cgroup2() && !rootless)
    spec["linux"]["namespaces"].push_back({{"type", "cgroup"}});
  if (host_has_cgroup2() && rootless) {
    auto& namespaces = spec["linux"]["namespaces"];
    namespaces.insert(namespaces.end() - 1, ordered_json{{"type", "cgroup"}});
  }
  if (rootless) {
    spec["linux"]["uidMappings"][0]["hostID"] = ::geteuid();
    spec["linux"]["gidMappings"][0]["hostID"] = ::getegid();
  }
  return spec;
}

TEST(DefaultConfig, MatchesRuncSpecLayout) {
  EXPECT_EQ(to_json(default_config(false)), expected_spec(testdata::kRuncSpec, false).dump(2));
}

TEST(DefaultConfig, RootlessMatchesRuncSpecRootlessLayout) {
  EXPECT_EQ(to_json(default_config(true)),
            expected_spec(testdata::kRuncSpecRootless, true).dump(2));
}

TEST(DefaultConfig, PassesValidation) {
  for (bool rootless : {false, true}) {
    auto result = validate(default_config(rootless));
    EXPECT_TRUE(result.has_value()) << result.error().message();
  }
}

TEST(DefaultConfig, ParsesBackToItself) {
  for (bool rootless : {false, true}) {
    const RuntimeConfig config = default_config(rootless);
    auto parsed = parse_config(to_json(config));
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message();
    EXPECT_EQ(*parsed, config);
  }
}

TEST(DefaultConfig, RootlessMapsCallingUserAndDropsPrivilegedParts) {
  const RuntimeConfig config = default_config(true);
  const Linux& linux = *config.linux;
  ASSERT_EQ(linux.uid_mappings.size(), 1u);
  EXPECT_EQ(linux.uid_mappings[0], (IdMapping{0, static_cast<uint32_t>(::geteuid()), 1}));
  EXPECT_EQ(linux.gid_mappings[0], (IdMapping{0, static_cast<uint32_t>(::getegid()), 1}));
  EXPECT_EQ(linux.namespaces.back().type, "user");
  for (const Namespace& ns : linux.namespaces)
    EXPECT_NE(ns.type, "network");
  EXPECT_FALSE(linux.resources);
  for (const Mount& m : config.mounts) {
    for (const std::string& option : m.options) {
      EXPECT_FALSE(option.starts_with("gid=") || option.starts_with("uid=")) << m.destination;
    }
    if (m.destination == "/sys") {
      EXPECT_EQ(m.type, "none");
    }
  }
}

}  // namespace
}  // namespace keel::oci
