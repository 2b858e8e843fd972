// Pins RegistryClient's writes (manager/registry/registry_push.cpp) against a real distribution
// registry on 127.0.0.1: a blob cut into PATCH chunks arrives whole, a mount from a repository
// holding the blob needs no upload and one from a repository without it opens a session that
// takes the upload, a manifest comes back byte for byte, and a wrong digest is the registry's
// error in docker's words.
#include <algorithm>
#include <stdexcept>

#include <gtest/gtest.h>

#include "integration/fixtures/skip.h"
#include "integration/registry/local_registry.h"
#include "manager/registry/registry_client.h"

namespace keel::it {
namespace {

using manager::content::Digest;
using manager::registry::BlobSource;
using manager::registry::RegistryClient;
using manager::registry::resolve_endpoint;
using manager::registry::UploadChunking;

BlobSource from_memory(const std::string& bytes) {
  BlobSource source;
  source.digest = Digest::of(bytes);
  source.size = bytes.size();
  source.read = [&bytes](std::uint64_t offset, std::span<char> buffer) -> Result<std::size_t> {
    const std::size_t n = std::min<std::size_t>(buffer.size(), bytes.size() - offset);
    std::copy_n(bytes.data() + offset, n, buffer.data());
    return n;
  };
  return source;
}

std::string fetch(RegistryClient& client, const std::string& repository, const Digest& digest) {
  std::string out;
  auto r = client.fetch_blob(
      repository, digest, 0,
      [&](std::string_view chunk) -> Result<void> {
        out.append(chunk);
        return {};
      },
      [] { return Result<void>(); });
  if (!r)
    throw std::runtime_error(r.error().message());
  return out;
}

class RegistryPushTest : public ::testing::Test {
 protected:
  RegistryClient client() const {
    return RegistryClient(resolve_endpoint(registry_.host(), {}), std::nullopt);
  }
  LocalRegistry registry_;
};

TEST_F(RegistryPushTest, ChunkedUploadArrivesWholeAndIsThenKnown) {
  auto c = client();
  std::string bytes;
  for (int i = 0; i < 5000; ++i)
    bytes += std::to_string(i) + ",";
  const BlobSource blob = from_memory(bytes);
  auto before = c.blob_exists_for_push("keel/chunks", blob.digest);
  ASSERT_TRUE(before) << before.error().message();
  EXPECT_FALSE(*before);

  auto session = c.start_upload("keel/chunks", blob.digest, "");
  ASSERT_TRUE(session) << session.error().message();
  ASSERT_TRUE(session->has_value());
  // Chunks of 4000 bytes, the last one short: every boundary is exercised.
  std::vector<std::uint64_t> progress;
  auto uploaded = c.upload_blob("keel/chunks", **session, blob,
                                UploadChunking{.monolithic_max = 1000, .chunk_size = 4000},
                                [&](std::uint64_t sent) {
                                  progress.push_back(sent);
                                  return true;
                                });
  ASSERT_TRUE(uploaded) << uploaded.error().message();
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), bytes.size());

  auto after = c.blob_exists_for_push("keel/chunks", blob.digest);
  ASSERT_TRUE(after) << after.error().message();
  EXPECT_TRUE(*after);
  EXPECT_EQ(fetch(c, "keel/chunks", blob.digest), bytes);
}

TEST_F(RegistryPushTest, MountNeedsNoUploadWhereTheBlobIsAndOpensASessionWhereItIsNot) {
  auto c = client();
  const std::string bytes = "a layer that two repositories share";
  const BlobSource blob = from_memory(bytes);

  // From a repository that lacks it: 202, and the session takes the bytes.
  auto fallback = c.start_upload("keel/first", blob.digest, "keel/nowhere");
  ASSERT_TRUE(fallback) << fallback.error().message();
  ASSERT_TRUE(fallback->has_value());
  auto uploaded = c.upload_blob("keel/first", **fallback, blob, UploadChunking{}, nullptr);
  ASSERT_TRUE(uploaded) << uploaded.error().message();

  auto mounted = c.start_upload("keel/second", blob.digest, "keel/first");
  ASSERT_TRUE(mounted) << mounted.error().message();
  EXPECT_FALSE(mounted->has_value());
  EXPECT_EQ(fetch(c, "keel/second", blob.digest), bytes);
}

TEST_F(RegistryPushTest, ManifestGoesUpByteForByte) {
  auto c = client();
  const std::string config =
      R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})";
  const BlobSource blob = from_memory(config);
  auto session = c.start_upload("keel/manifest", blob.digest, "");
  ASSERT_TRUE(session) << session.error().message();
  ASSERT_TRUE(c.upload_blob("keel/manifest", **session, blob, UploadChunking{}, nullptr));
  // Spacing no serializer would produce: what goes up must be these bytes, not a re-encoding.
  const std::string manifest =
      "{\"schemaVersion\": 2,  \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\","
      " \"config\": {\"mediaType\": \"application/vnd.oci.image.config.v1+json\", \"digest\": \"" +
      blob.digest.str() + "\", \"size\": " + std::to_string(config.size()) + "}, \"layers\": []}";
  auto digest =
      c.put_manifest("keel/manifest", "v1", "application/vnd.oci.image.manifest.v1+json", manifest);
  ASSERT_TRUE(digest) << digest.error().message();
  EXPECT_EQ(*digest, Digest::of(manifest));
  auto back = c.get_manifest("keel/manifest", "v1");
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->bytes, manifest);
}

TEST_F(RegistryPushTest, AWrongDigestIsTheRegistrysErrorInDockersWords) {
  auto c = client();
  const std::string bytes = "these bytes";
  BlobSource lying = from_memory(bytes);
  lying.digest = Digest::of("other bytes");
  auto session = c.start_upload("keel/lies", lying.digest, "");
  ASSERT_TRUE(session) << session.error().message();
  auto uploaded = c.upload_blob("keel/lies", **session, lying, UploadChunking{}, nullptr);
  ASSERT_FALSE(uploaded);
  EXPECT_NE(uploaded.error().message().find("digest_invalid: "), std::string::npos)
      << uploaded.error().message();
  auto there = c.blob_exists_for_push("keel/lies", lying.digest);
  ASSERT_TRUE(there) << there.error().message();
  EXPECT_FALSE(*there);
}

}  // namespace
}  // namespace keel::it
