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
  std::string layer;  // the layer blob's bytes (an uncompressed tar)
  std::string layer_digest;
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

 private:
  [[nodiscard]] PushedImage push_layer(const std::string& repository, const std::string& tag,
                                       const std::string& layer);

  LocalRegistryOptions options_;
  std::filesystem::path dir_;
  std::string host_;
  std::optional<fixtures::RunningCommand> server_;
};

}  // namespace keel::it
