// Pins manager/images/reference.cpp against docker's normalisation.
#include "manager/images/reference.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace keel::manager::images {
namespace {

struct Case {
  const char* in;
  const char* full;
  const char* familiar;
};

TEST(Reference, NormalisesLikeDocker) {
  const std::string d = "sha256:" + std::string(64, 'a');
  const Case cases[] = {
      {"busybox", "docker.io/library/busybox:latest", "busybox:latest"},
      {"busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36"},
      {"library/busybox", "docker.io/library/busybox:latest", "busybox:latest"},
      {"docker.io/busybox", "docker.io/library/busybox:latest", "busybox:latest"},
      {"index.docker.io/library/busybox", "docker.io/library/busybox:latest", "busybox:latest"},
      {"user/app:v1", "docker.io/user/app:v1", "user/app:v1"},
      {"quay.io/org/app", "quay.io/org/app:latest", "quay.io/org/app:latest"},
      {"localhost/app", "localhost/app:latest", "localhost/app:latest"},
      {"localhost:5000/a/b/c:tag", "localhost:5000/a/b/c:tag", "localhost:5000/a/b/c:tag"},
      {"registry.example.com:443/x", "registry.example.com:443/x:latest",
       "registry.example.com:443/x:latest"},
      {"a.b-c.io/e_f.g---h__i", "a.b-c.io/e_f.g---h__i:latest", "a.b-c.io/e_f.g---h__i:latest"},
  };
  for (const auto& c : cases) {
    auto ref = parse_reference(c.in);
    ASSERT_TRUE(ref) << c.in << ": " << ref.error().message();
    EXPECT_EQ(ref->str(), c.full) << c.in;
    EXPECT_EQ(ref->familiar(), c.familiar) << c.in;
  }
}

TEST(Reference, KeepsDigestsAndTags) {
  const std::string d = "sha256:" + std::string(64, 'a');
  auto ref = parse_reference("busybox@" + d);
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->str(), "docker.io/library/busybox@" + d);
  EXPECT_EQ(ref->tag, "");
  auto both = parse_reference("localhost:5000/app:v2@" + d);
  ASSERT_TRUE(both);
  EXPECT_EQ(both->domain, "localhost:5000");
  EXPECT_EQ(both->tag, "v2");
  EXPECT_EQ(both->digest->str(), d);
  EXPECT_EQ(both->familiar_name(), "localhost:5000/app");
}

TEST(Reference, RefusesWhatDockerRefuses) {
  using ::testing::HasSubstr;
  const std::pair<std::string, std::string> bad[] = {
      {"", "empty"},
      {"Busybox", "lowercase"},
      {"busybox:", "invalid tag"},
      {"busybox:-x", "invalid tag"},
      {"bad__-name", "invalid repository name component"},
      {"a/-b", "invalid repository name component"},
      {std::string(64, 'a'), "image id"},
      {"busybox@sha512:abc", "unsupported digest algorithm"},
      {"busybox@sha256:xyz", "invalid digest"},
      {"host:port/app", "invalid registry"},
  };
  for (const auto& [text, why] : bad) {
    auto ref = parse_reference(text);
    ASSERT_FALSE(ref) << text;
    EXPECT_EQ(ref.error().kind(), Errc::kInvalidArgument) << text;
    EXPECT_THAT(ref.error().message(), HasSubstr(why)) << text;
  }
}

TEST(Reference, IdsLookLikeIds) {
  EXPECT_TRUE(looks_like_id("abc123"));
  EXPECT_TRUE(looks_like_id("sha256:abc"));
  EXPECT_FALSE(looks_like_id("busybox"));
  EXPECT_FALSE(looks_like_id(std::string(65, 'a')));
}

}  // namespace
}  // namespace keel::manager::images
