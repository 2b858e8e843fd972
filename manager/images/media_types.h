// Media types of the OCI image-spec (media-types.md) and Docker's image manifest v2 schema 2,
// which image archives and registries use interchangeably.
#pragma once

#include <string_view>

namespace keel::manager::images::media_type {

inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciLayer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kOciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view kOciLayerNondistributable =
    "application/vnd.oci.image.layer.nondistributable.v1.tar";
inline constexpr std::string_view kOciLayerNondistributableGzip =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
inline constexpr std::string_view kOciLayerNondistributableZstd =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";

inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kDockerLayer = "application/vnd.docker.image.rootfs.diff.tar";
inline constexpr std::string_view kDockerLayerGzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr std::string_view kDockerLayerZstd =
    "application/vnd.docker.image.rootfs.diff.tar.zstd";
inline constexpr std::string_view kDockerForeignLayerGzip =
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

[[nodiscard]] constexpr bool is_manifest(std::string_view t) {
  return t == kOciManifest || t == kDockerManifest;
}
[[nodiscard]] constexpr bool is_index(std::string_view t) {
  return t == kOciIndex || t == kDockerManifestList;
}
[[nodiscard]] constexpr bool is_config(std::string_view t) {
  return t == kOciConfig || t == kDockerConfig;
}
[[nodiscard]] constexpr bool is_layer(std::string_view t) {
  return t == kOciLayer || t == kOciLayerGzip || t == kOciLayerZstd ||
         t == kOciLayerNondistributable || t == kOciLayerNondistributableGzip ||
         t == kOciLayerNondistributableZstd || t == kDockerLayer || t == kDockerLayerGzip ||
         t == kDockerLayerZstd || t == kDockerForeignLayerGzip;
}

}  // namespace keel::manager::images::media_type
