// Pins how a fetched manifest's type is settled: Content-Type and the document's mediaType must
// agree, a generic Content-Type defers to the document, and what is not a JSON object, is over
// the limit, or has the fields of the other kind is refused with a line that says so.
#include "manager/registry/manifest_document.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace keel::manager::registry {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
constexpr std::string_view kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";

const std::string kManifestBody =
    R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
    R"("config":{},"layers":[]})";
const std::string kIndexBody =
    R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]})";

TEST(ManifestMediaType, AgreeingTypesAreTheType) {
  EXPECT_EQ(manifest_media_type(kOciManifest, kManifestBody).value(), kOciManifest);
  EXPECT_EQ(manifest_media_type(kOciIndex, kIndexBody).value(), kOciIndex);
  // A Docker schema 2 manifest need not repeat its type in the body's fields we look at.
  EXPECT_EQ(manifest_media_type(kDockerManifest, R"({"schemaVersion":2,"config":{},"layers":[]})")
                .value(),
            kDockerManifest);
}

TEST(ManifestMediaType, AGenericContentTypeDefersToTheDocument) {
  EXPECT_EQ(manifest_media_type("application/json", kIndexBody).value(), kOciIndex);
  EXPECT_EQ(manifest_media_type("", R"({"schemaVersion":2,"manifests":[]})").value(), kOciIndex);
  EXPECT_EQ(manifest_media_type("text/plain", R"({"config":{},"layers":[]})").value(),
            kOciManifest);
}

TEST(ManifestMediaType, RefusesADocumentThatLiesAboutItsType) {
  const auto declared = manifest_media_type(kOciManifest, kIndexBody);
  ASSERT_FALSE(declared);
  EXPECT_THAT(declared.error().message(), HasSubstr("declares mediaType"));
  const auto shape = manifest_media_type(kOciManifest, R"({"schemaVersion":2,"manifests":[]})");
  ASSERT_FALSE(shape);
  EXPECT_THAT(shape.error().message(), HasSubstr("has the fields of an index"));
  const auto other = manifest_media_type(kOciIndex, R"({"config":{},"layers":[]})");
  ASSERT_FALSE(other);
  EXPECT_THAT(other.error().message(), HasSubstr("has the fields of an image manifest"));
}

TEST(ManifestMediaType, RefusesWhatIsNoManifest) {
  EXPECT_THAT(manifest_media_type(kOciManifest, "<html>").error().message(),
              HasSubstr("not a JSON object"));
  EXPECT_THAT(manifest_media_type(kOciManifest, "[1,2]").error().message(),
              HasSubstr("not a JSON object"));
  EXPECT_THAT(manifest_media_type("application/json", R"({"hello":"world"})").error().message(),
              HasSubstr("unsupported manifest type"));
  EXPECT_THAT(
      manifest_media_type("application/json", R"({"mediaType":"text/html"})").error().message(),
      HasSubstr("unsupported manifest type \"text/html\""));
  const std::string huge = "{\"pad\":\"" + std::string(kMaxManifestBytes, 'x') + "\"}";
  EXPECT_THAT(manifest_media_type(kOciManifest, huge).error().message(),
              HasSubstr("over the 4 MiB limit"));
}

}  // namespace
}  // namespace keel::manager::registry
