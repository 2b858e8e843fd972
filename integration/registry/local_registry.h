// A private instance of Debian's docker-registry (the CNCF distribution registry) on 127.0.0.1,
// with its storage in a temp dir, and images put there with skopeo: what the registry tests pull.
#pragma once

#include <cstdint>
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
  // A fixed loopback port (443: a stand-in for a public registry) instead of a free one.
  std::optional<int> port;
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

  // SIGTERM and wait; SIGKILL and reap (a registry dying mid-transfer); start again on the same
  // port and storage, waiting until /v2/ answers.
  void stop();
  void kill();
  void restart();

  // The file the registry keeps a blob's bytes in (distribution's filesystem driver layout), to
  // corrupt it in place and to repair it.
  [[nodiscard]] std::filesystem::path blob_data_path(const std::string& digest) const;
  // The access log (one combined-format line per request) of every run so far.
  [[nodiscard]] std::string access_log() const;
  // Successful GETs of the blob (200 whole, 206 a range), and the bytes each sent.
  [[nodiscard]] std::vector<std::pair<int, std::uint64_t>> blob_gets(
      const std::string& digest) const;
  // GETs of any manifest of `repository`.
  [[nodiscard]] int manifest_gets(const std::string& repository) const;

  // An OCI index under <repository>:<tag> with one single-layer image (`files`) per platform
  // ("linux/amd64", "linux/arm64"), each config naming its os and architecture. Returns the
  // images in the order of `platforms`.
  [[nodiscard]] std::vector<PushedImage> push_multi_platform(
      const std::string& repository, const std::string& tag,
      const std::vector<std::pair<std::string, std::string>>& files,
      const std::vector<std::string>& platforms);

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
  void start();
  void copy_layout(const std::filesystem::path& layout, const std::string& repository,
                   const std::string& tag, bool all);
  [[nodiscard]] PushedImage push_blobs(const std::string& repository, const std::string& tag,
                                       const std::vector<Blob>& layers);

  LocalRegistryOptions options_;
  std::filesystem::path dir_;
  std::string host_;
  std::optional<fixtures::RunningCommand> server_;
};

}  // namespace keel::it
