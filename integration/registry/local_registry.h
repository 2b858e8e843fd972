// A private instance of Debian's docker-registry (the CNCF distribution registry) on 127.0.0.1,
// with its storage in a temp dir, and images put there with skopeo: what the registry tests pull.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "integration/fixtures/process.h"

namespace keel::it {

// One image's parts as the test wrote them, to compare with what comes back.
struct PushedImage {
  std::string manifest;         // bytes
  std::string manifest_digest;  // "sha256:..."
  std::string config_digest;
  std::string layer;  // the first layer blob's bytes
  std::string layer_digest;
  std::vector<std::string> layer_digests;  // every layer blob, base first
};

enum class LayerCompression { kNone, kGzip, kZstd };

// One layer of an image the registry is given: a directory's tar, compressed or not.
struct LayerTree {
  std::filesystem::path dir;
  LayerCompression compression = LayerCompression::kNone;
};

struct RegistryUser {
  std::string name;
  std::string password;
};

// The registry's `auth: token` settings: tokens from `realm`, signed by the holder of a
// certificate in `rootcertbundle`.
struct RegistryTokenAuth {
  std::string realm;
  std::string service;
  std::string issuer;
  std::filesystem::path rootcertbundle;
};

// How the registry is served; the default is anonymous plain HTTP.
struct LocalRegistryOptions {
  // `auth: htpasswd` with this one user (a bcrypt line from `htpasswd -Bbn`).
  std::optional<RegistryUser> htpasswd;
  std::optional<RegistryTokenAuth> token;
  // `http: tls`: served over HTTPS with this certificate and key.
  std::optional<std::pair<std::filesystem::path, std::filesystem::path>> tls;
  // What skopeo pushes with when the registry needs credentials; defaults to the htpasswd user.
  std::optional<RegistryUser> push_as;
};

class LocalRegistry {
 public:
  // A layer blob as it goes into the OCI layout.
  struct Blob {
    std::string bytes;
    std::string media_type;
    std::string diff_id;  // of the uncompressed tar
  };

  // Starts the registry and waits until /v2/ answers (any status: with auth it is a 401);
  // throws std::runtime_error when it cannot.
  explicit LocalRegistry(LocalRegistryOptions options = {});
  ~LocalRegistry();
  LocalRegistry(const LocalRegistry&) = delete;
  LocalRegistry& operator=(const LocalRegistry&) = delete;

  // "127.0.0.1:PORT"
  [[nodiscard]] const std::string& host() const { return host_; }

  // Writes an OCI layout holding one image (one layer with `files`: path → content) and copies
  // it to <host>/<repository>:<tag> with skopeo, digests preserved.
  [[nodiscard]] PushedImage push(const std::string& repository, const std::string& tag,
                                 const std::vector<std::pair<std::string, std::string>>& files);
  // The same with the layer tar of a directory (the busybox rootfs, for images that run).
  [[nodiscard]] PushedImage push_directory(const std::string& repository, const std::string& tag,
                                           const std::filesystem::path& dir);
  // An image of several layers, each a directory's tar compressed as asked (media types
  // tar, tar+gzip, tar+zstd), copied to <host>/<repository>:<tag> with digests preserved.
  [[nodiscard]] PushedImage push_layers(const std::string& repository, const std::string& tag,
                                        const std::vector<LayerTree>& layers);

 private:
  [[nodiscard]] PushedImage push_blobs(const std::string& repository, const std::string& tag,
                                       const std::vector<Blob>& layers);

  LocalRegistryOptions options_;
  std::filesystem::path dir_;
  std::string host_;
  std::optional<fixtures::RunningCommand> server_;
};

}  // namespace keel::it
