// Image archives built by the tests themselves: layer tars entry by entry (including entries
// no honest tool writes), and docker-archive or OCI-archive tarballs around them.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace keel::it {

// "sha256:<hex>" of data.
[[nodiscard]] std::string digest_of(std::string_view data);
// The hex part of a "sha256:<hex>" digest.
[[nodiscard]] std::string hex_of(std::string_view digest);
// OCI chain ids of a list of diff ids, base first: chain[0] = diff[0],
// chain[n] = sha256(chain[n-1] + " " + diff[n]).
[[nodiscard]] std::vector<std::string> chain_ids(const std::vector<std::string>& diff_ids);

// A tar in memory (pax format), written exactly as told: paths and link targets are not
// cleaned, so a test can write "../x" or an absolute hardlink.
class TarBuilder {
 public:
  TarBuilder& file(const std::string& path, std::string_view content, mode_t mode = 0644);
  TarBuilder& dir(const std::string& path, mode_t mode = 0755);
  TarBuilder& symlink(const std::string& path, const std::string& target);
  TarBuilder& hardlink(const std::string& path, const std::string& target);
  // The finished archive; the builder can be used no further.
  [[nodiscard]] std::string finish();

 private:
  struct Entry {
    std::string path;
    std::string content;
    std::string link;
    mode_t type = 0;  // AE_IFREG, AE_IFDIR, AE_IFLNK; AE_IFREG with `hardlink` set for a hardlink
    mode_t mode = 0;
    bool hardlink = false;
  };
  std::vector<Entry> entries_;
};

// `tar -C dir -cf - .` through the host's tar: owners, modes and symlinks kept.
[[nodiscard]] std::string tar_directory(const std::filesystem::path& dir);

// What an image archive holds, for assertions.
struct BuiltImage {
  std::string archive;                // the tarball's bytes
  std::string config_json;            // the image config
  std::string config_digest;          // the image id
  std::vector<std::string> diff_ids;  // layer digests, base first
  std::string manifest_digest;        // OCI archives only
};

// The image config over the given layer tars (uncompressed): amd64/linux, diff ids, one history
// entry per layer; `config` becomes its "config" object.
[[nodiscard]] nlohmann::json image_config(const std::vector<std::string>& layers,
                                          const nlohmann::json& config = nlohmann::json::object());

// docker save's layout: manifest.json, <config hex>.json, <layer hex>.tar per layer.
[[nodiscard]] BuiltImage docker_archive(const std::vector<std::string>& layers,
                                        const std::string& repo_tag,
                                        const nlohmann::json& config = nlohmann::json::object());
// The same from explicit parts, for archives that lie: file names, config bytes and layer bytes
// are written as given. `layer_names` are the paths of the layers in the tar and manifest.json.
[[nodiscard]] std::string docker_archive_raw(const std::string& config_name,
                                             const std::string& config_bytes,
                                             const std::vector<std::string>& layer_names,
                                             const std::vector<std::string>& layer_bytes,
                                             const std::string& repo_tag);

// An OCI image layout (oci-layout, index.json naming `ref` in containerd's image name annotation,
// blobs/sha256/...) with uncompressed layers.
[[nodiscard]] BuiltImage oci_archive(const std::vector<std::string>& layers, const std::string& ref,
                                     const nlohmann::json& config = nlohmann::json::object());

// An OCI archive whose blobs lie: the bytes stored under a blob's name replaced by others.
struct BlobSwap {
  std::string digest;  // the name in blobs/sha256/
  std::string bytes;   // what is stored there instead
};
[[nodiscard]] BuiltImage oci_archive_with_swap(const std::vector<std::string>& layers,
                                               const std::string& ref, const BlobSwap& swap);

}  // namespace keel::it
