// Registry credentials in docker's config.json (`auths`), so `docker login`'s file and keel's are
// interchangeable: {"auths": {"localhost:5000": {"auth": base64("user:password")}}}; Docker Hub
// is keyed "https://index.docker.io/v1/". Keys that keel does not use are kept on save.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace keel::manager::registry {

struct Credential {
  std::string username;
  std::string password;
  std::string identity_token;  // an OAuth refresh token some registries hand out instead
};

// The registry a login server or config.json key names, as docker reads them: scheme and path
// dropped ("https://localhost:5000/v2/" → "localhost:5000"), Docker Hub's names and the empty
// server → "docker.io".
[[nodiscard]] std::string registry_domain(std::string_view server);

// The `auths` key docker writes for a registry domain: Docker Hub's legacy URL for docker.io,
// the host[:port] itself for any other.
[[nodiscard]] std::string credential_key(std::string_view domain);

class CredentialStore {
 public:
  // A missing file is an empty store; a file that is not docker's JSON is an error naming it.
  [[nodiscard]] static Result<CredentialStore> load(std::string path);

  // Matches keys as docker does: scheme and path are ignored, so "https://localhost:5000/v2/"
  // and "localhost:5000" name one registry.
  [[nodiscard]] std::optional<Credential> find(std::string_view domain) const;
  void set(std::string_view domain, const Credential& credential);
  // False when there was nothing to remove.
  bool erase(std::string_view domain);
  // Written to a temp file beside the path, mode 0600, then renamed: never half a file, and
  // never readable by anyone but root.
  [[nodiscard]] Result<void> save() const;

  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  CredentialStore(std::string path, nlohmann::json doc)
      : path_(std::move(path)), doc_(std::move(doc)) {}
  [[nodiscard]] const nlohmann::json* entry(std::string_view domain, std::string* key) const;

  std::string path_;
  nlohmann::json doc_;
};

// Base64 as config.json's "auth" holds it (standard alphabet, padded).
[[nodiscard]] std::string base64_encode(std::string_view data);
[[nodiscard]] Result<std::string> base64_decode(std::string_view text);

}  // namespace keel::manager::registry
