// Pins platform parsing and the choice of one manifest from an index
// (manager/registry/platform.cpp), on the shape of a real multi-arch index.
#include "manager/registry/platform.h"

#include <gtest/gtest.h>

namespace keel::manager::registry {
namespace {

const nlohmann::json kIndex = nlohmann::json::parse(R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.index.v1+json",
  "manifests": [
    {"digest": "sha256:aa", "platform": {"os": "linux", "architecture": "amd64"}},
    {"digest": "sha256:bb", "platform": {"os": "linux", "architecture": "arm", "variant": "v6"}},
    {"digest": "sha256:cc", "platform": {"os": "linux", "architecture": "arm", "variant": "v7"}},
    {"digest": "sha256:dd", "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
    {"digest": "sha256:ee", "platform": {"os": "unknown", "architecture": "unknown"}},
    {"digest": "sha256:ff", "annotations": {"vnd.docker.reference.type": "attestation-manifest"}}
  ]})");

TEST(Platform, ParsesDockerSpellings) {
  auto p = parse_platform("linux/arm/v7");
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, (Platform{"linux", "arm", "v7"}));
  auto bare = parse_platform("x86_64");
  ASSERT_TRUE(bare);
  EXPECT_EQ(*bare, (Platform{"linux", "amd64", ""}));
  EXPECT_FALSE(parse_platform("linux//v7"));
  EXPECT_FALSE(parse_platform("a/b/c/d"));
}

TEST(Platform, HostIsOneOfTheIndexEntries) {
  const Platform host = host_platform();
  EXPECT_EQ(host.os, "linux");
  EXPECT_FALSE(host.architecture.empty());
}

TEST(Platform, SelectsByArchitectureAndVariant) {
  auto amd64 = select_platform(kIndex, Platform{"linux", "amd64", ""});
  ASSERT_TRUE(amd64);
  EXPECT_EQ((*amd64)["digest"], "sha256:aa");
  auto armv6 = select_platform(kIndex, Platform{"linux", "arm", "v6"});
  ASSERT_TRUE(armv6);
  EXPECT_EQ((*armv6)["digest"], "sha256:bb");
  // A bare arm means v7, a bare arm64 v8, as containerd normalises them.
  auto arm = select_platform(kIndex, Platform{"linux", "arm", ""});
  ASSERT_TRUE(arm);
  EXPECT_EQ((*arm)["digest"], "sha256:cc");
  auto arm64 = select_platform(kIndex, Platform{"linux", "arm64", ""});
  ASSERT_TRUE(arm64);
  EXPECT_EQ((*arm64)["digest"], "sha256:dd");
}

TEST(Platform, AMissingPlatformNamesTheOnesThatExist) {
  auto s390x = select_platform(kIndex, Platform{"linux", "s390x", ""});
  ASSERT_FALSE(s390x);
  EXPECT_EQ(s390x.error().kind(), Errc::kNotFound);
  EXPECT_NE(s390x.error().message().find("linux/amd64, linux/arm/v6, linux/arm/v7"),
            std::string::npos)
      << s390x.error().message();
}

}  // namespace
}  // namespace keel::manager::registry
