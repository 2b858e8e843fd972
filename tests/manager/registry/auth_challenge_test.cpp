// Pins parse_auth_challenges (manager/registry/auth_challenge.cpp) on the headers real registries
// send: Docker Hub's and distribution's bearer challenge, Basic, several challenges in one value.
#include "manager/registry/auth_challenge.h"

#include <gtest/gtest.h>

namespace keel::manager::registry {
namespace {

TEST(AuthChallenge, DockerHubBearer) {
  auto c = parse_auth_challenges(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",)"
      R"(scope="repository:library/busybox:pull")");
  ASSERT_TRUE(c) << c.error().message();
  ASSERT_EQ(c->size(), 1U);
  EXPECT_EQ((*c)[0].scheme, "bearer");
  EXPECT_EQ((*c)[0].param("realm"), "https://auth.docker.io/token");
  EXPECT_EQ((*c)[0].param("service"), "registry.docker.io");
  EXPECT_EQ((*c)[0].param("scope"), "repository:library/busybox:pull");
}

TEST(AuthChallenge, BasicThenBearerWithSpacesAndEscapes) {
  auto c = parse_auth_challenges(
      R"(Basic realm="Registry \"realm\"" , BEARER realm = "https://a/token", error=insufficient_scope)");
  ASSERT_TRUE(c) << c.error().message();
  ASSERT_EQ(c->size(), 2U);
  EXPECT_EQ((*c)[0].scheme, "basic");
  EXPECT_EQ((*c)[0].param("realm"), "Registry \"realm\"");
  EXPECT_EQ((*c)[1].scheme, "bearer");
  EXPECT_EQ((*c)[1].param("realm"), "https://a/token");
  EXPECT_EQ((*c)[1].param("error"), "insufficient_scope");
}

TEST(AuthChallenge, SchemeWithoutParameters) {
  auto c = parse_auth_challenges("Negotiate");
  ASSERT_TRUE(c);
  ASSERT_EQ(c->size(), 1U);
  EXPECT_EQ((*c)[0].scheme, "negotiate");
  EXPECT_TRUE((*c)[0].params.empty());
}

TEST(AuthChallenge, UnterminatedQuoteIsRefusedWithItsOffset) {
  auto c = parse_auth_challenges(R"(Bearer realm="https://auth)");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message().find("unterminated quote at offset 13"), std::string::npos)
      << c.error().message();
}

}  // namespace
}  // namespace keel::manager::registry
