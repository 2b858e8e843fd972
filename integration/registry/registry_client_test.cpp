// Pins RegistryClient (manager/registry/registry_client.cpp) against a real distribution
// registry on 127.0.0.1: manifests by tag and by digest come back byte for byte, a blob streams
// with its digest intact and resumes from an offset, a missing blob or tag is kNotFound, and
// plain HTTP is allowed only because the host is loopback.
#include "manager/registry/registry_client.h"

#include <gtest/gtest.h>

#include "integration/fixtures/skip.h"
#include "integration/registry/local_registry.h"
#include "integration/registry/tcp_proxy.h"

namespace keel::it {
namespace {

using manager::content::Digest;
using manager::registry::RegistryClient;
using manager::registry::resolve_endpoint;

class RegistryClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    registry_ = new LocalRegistry();
    image_ = new PushedImage(registry_->push(
        "keel/test", "v1", {{"etc/hostname", "keel\n"}, {"bin/hello", std::string(300000, 'x')}}));
  }
  static void TearDownTestSuite() {
    delete image_;
    delete registry_;
  }

  RegistryClient client() const {
    return RegistryClient(resolve_endpoint(registry_->host(), {}), std::nullopt);
  }

  static LocalRegistry* registry_;
  static PushedImage* image_;
};

LocalRegistry* RegistryClientTest::registry_ = nullptr;
PushedImage* RegistryClientTest::image_ = nullptr;

TEST_F(RegistryClientTest, LoopbackMayFallBackToPlainHttp) {
  EXPECT_EQ(client().endpoint().base_url, "https://" + registry_->host());
  EXPECT_EQ(client().endpoint().plain_http_url, "http://" + registry_->host());
  EXPECT_EQ(resolve_endpoint("registry.example:5000", {}).base_url,
            "https://registry.example:5000");
  EXPECT_EQ(resolve_endpoint("docker.io", {}).base_url, "https://registry-1.docker.io");
}

TEST_F(RegistryClientTest, ManifestByTagAndByDigestIsTheOnePushed) {
  auto c = client();
  auto by_tag = c.get_manifest("keel/test", "v1");
  ASSERT_TRUE(by_tag) << by_tag.error().message();
  EXPECT_EQ(by_tag->bytes, image_->manifest);
  EXPECT_EQ(by_tag->digest.str(), image_->manifest_digest);
  EXPECT_EQ(by_tag->media_type, "application/vnd.oci.image.manifest.v1+json");
  auto by_digest = c.get_manifest("keel/test", image_->manifest_digest);
  ASSERT_TRUE(by_digest) << by_digest.error().message();
  EXPECT_EQ(by_digest->bytes, image_->manifest);
}

TEST_F(RegistryClientTest, UnknownTagIsNotFoundWithTheRegistrysCode) {
  auto m = client().get_manifest("keel/test", "nope");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().kind(), Errc::kNotFound);
  EXPECT_NE(m.error().message().find("manifest unknown"), std::string::npos) << m.error().message();
}

TEST_F(RegistryClientTest, BlobStreamsWithItsDigestAndResumesFromAnOffset) {
  auto c = client();
  auto digest = Digest::parse(image_->layer_digest);
  ASSERT_TRUE(digest);
  auto size = c.stat_blob("keel/test", *digest);
  ASSERT_TRUE(size) << size.error().message();
  ASSERT_TRUE(size->has_value());
  EXPECT_EQ(**size, image_->layer.size());

  std::string whole;
  int chunks = 0;
  auto fetched = c.fetch_blob(
      "keel/test", *digest, 0,
      [&](std::string_view chunk) -> Result<void> {
        whole.append(chunk);
        ++chunks;
        return {};
      },
      [] { return Result<void>(); });
  ASSERT_TRUE(fetched) << fetched.error().message();
  EXPECT_EQ(Digest::of(whole).str(), image_->layer_digest);
  EXPECT_GT(chunks, 1) << "the body should stream in chunks, not arrive in one piece";

  // Interrupted after 1000 bytes: the rest comes from there (HTTP Range).
  const std::uint64_t offset = 1000;
  std::string tail;
  bool restarted = false;
  auto resumed = c.fetch_blob(
      "keel/test", *digest, offset,
      [&](std::string_view chunk) -> Result<void> {
        tail.append(chunk);
        return {};
      },
      [&] {
        restarted = true;
        return Result<void>();
      });
  ASSERT_TRUE(resumed) << resumed.error().message();
  ASSERT_FALSE(restarted) << "the registry serves ranges";
  EXPECT_EQ(image_->layer.substr(0, offset) + tail, image_->layer);
}

TEST_F(RegistryClientTest, ASinkErrorStopsTheTransferAndIsWhatComesBack) {
  auto digest = Digest::parse(image_->layer_digest);
  ASSERT_TRUE(digest);
  auto fetched = client().fetch_blob(
      "keel/test", *digest, 0,
      [](std::string_view) -> Result<void> { return Error::of(Errc::kInternal, "disk full"); },
      [] { return Result<void>(); });
  ASSERT_FALSE(fetched);
  EXPECT_EQ(fetched.error().message(), "disk full");
}

TEST_F(RegistryClientTest, MissingBlobIsAbsent) {
  auto missing = client().stat_blob("keel/test", Digest::of("not pushed"));
  ASSERT_TRUE(missing) << missing.error().message();
  EXPECT_FALSE(missing->has_value());
}

TEST_F(RegistryClientTest, ARegistryThatIsNotThereIsOneLineNamingTheUrl) {
  RegistryClient gone(resolve_endpoint("127.0.0.1:1", {}), std::nullopt);
  auto r = gone.check_login();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), Errc::kUnavailable);
  EXPECT_NE(r.error().message().find("http://127.0.0.1:1/v2/"), std::string::npos)
      << r.error().message();
}

}  // namespace
}  // namespace keel::it

namespace keel::it {
namespace {

// An overloaded registry: the client waits as Retry-After says, backs off after a 503, and
// gives up with the registry's answer after its last try.
TEST_F(RegistryClientTest, TooManyRequestsAndUnavailableAreTriedAgainHonouringRetryAfter) {
  TcpProxy proxy(registry_->host(), TcpProxy::Mode::kForward);
  // Three canned answers: the first goes to the client's one TLS attempt (a loopback registry
  // is tried over TLS first), which fails on it and moves to plain HTTP; two 429s remain.
  proxy.answer_next(3,
                    "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 2\r\nContent-Length: 0\r\n"
                    "Connection: close\r\n\r\n");
  RegistryClient via_proxy(resolve_endpoint(proxy.host(), {}), std::nullopt);
  const auto start = std::chrono::steady_clock::now();
  auto m = via_proxy.get_manifest("keel/test", "v1");
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->digest.str(), image_->manifest_digest);
  EXPECT_GE(took, std::chrono::seconds(4));  // twice the 2 s asked for
  EXPECT_LT(took, std::chrono::seconds(10));

  // A proxy of its own: clients share the process's kept-alive connections, and the first
  // proxy's would bypass the canned answers.
  TcpProxy overloaded_proxy(registry_->host(), TcpProxy::Mode::kForward);
  overloaded_proxy.answer_next(100,
                               "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                               "Connection: close\r\n\r\n");
  RegistryClient overloaded(resolve_endpoint(overloaded_proxy.host(), {}), std::nullopt);
  auto refused = overloaded.get_manifest("keel/test", "v1");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("answered 503"), std::string::npos)
      << refused.error().message();
}

}  // namespace
}  // namespace keel::it
