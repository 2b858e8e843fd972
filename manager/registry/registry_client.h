// The OCI distribution API against one registry (distribution-spec spec.md): manifests by tag or
// digest, blobs by digest, and the token dance of auth: a 401 names a realm, the client fetches a
// bearer token for the repository's scope (with the user's credentials when it has them, else
// anonymously), caches it until it expires, and retries once. Basic auth is answered directly.
// One RegistryClient is one connection pool and not thread-safe: parallel downloads use one each.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "manager/content/digest.h"
#include "manager/registry/credentials.h"
#include "manager/registry/http_client.h"
#include "manager/registry/registry_hosts.h"

namespace keel::manager::registry {

struct FetchedManifest {
  std::string bytes;
  std::string media_type;
  content::Digest digest;  // of `bytes`, checked against the one asked for
};

enum class Access { kPull, kPush };

class RegistryClient {
 public:
  RegistryClient(RegistryEndpoint endpoint, std::optional<Credential> credential);

  // GET /v2/<repository>/manifests/<reference> accepting OCI index and manifest, Docker manifest
  // list and schema 2. A schema 1 manifest is refused by name; a manifest whose bytes do not
  // hash to the digest asked for (or to the Docker-Content-Digest header) is refused.
  [[nodiscard]] Result<FetchedManifest> get_manifest(std::string_view repository,
                                                     std::string_view reference);

  // HEAD /v2/<repository>/blobs/<digest>: its size, or nullopt when the registry lacks it.
  [[nodiscard]] Result<std::optional<std::uint64_t>> stat_blob(std::string_view repository,
                                                               const content::Digest& digest);

  // GET /v2/<repository>/blobs/<digest> from byte `offset` on (HTTP Range), each chunk to `sink`
  // as it arrives. `restart` is called before the first byte if the registry ignored the Range
  // and sends the whole blob: the caller drops what it had and starts over from 0.
  [[nodiscard]] Result<void> fetch_blob(std::string_view repository, const content::Digest& digest,
                                        std::uint64_t offset,
                                        const std::function<Result<void>(std::string_view)>& sink,
                                        const std::function<Result<void>()>& restart);

  // GET /v2/ with the credentials: what `login` checks before it stores them. Behind a bearer
  // realm the token server must issue a token for them.
  [[nodiscard]] Result<void> check_login();

  // GET /v2/<repository>/tags/list, following the Link header's next page to the end.
  // page_size asks for pages of at most that many tags (`?n=`); 0 leaves it to the registry.
  [[nodiscard]] Result<std::vector<std::string>> list_tags(std::string_view repository,
                                                           std::size_t page_size = 0);

  [[nodiscard]] const RegistryEndpoint& endpoint() const { return endpoint_; }

 private:
  struct CachedToken {
    std::string token;
    std::chrono::steady_clock::time_point expires;
  };

  // Sends `request`, answering one 401 with a token for `scope` (empty: the registry's own).
  // `request` is left as last sent (its URL on plain HTTP after a fallback), so an error built
  // from it names what was really asked.
  [[nodiscard]] Result<HttpResponse> send(HttpRequest& request, const std::string& scope);
  // One request to the registry itself. While the endpoint may still fall back to plain HTTP,
  // a first TLS attempt that finds no TLS server moves this client to plain HTTP for good; one
  // that succeeds settles TLS for good.
  [[nodiscard]] Result<HttpResponse> transmit(HttpRequest& request);
  [[nodiscard]] Result<std::string> authorization_for(const std::string& challenge_header,
                                                      const std::string& scope);
  [[nodiscard]] Result<std::string> fetch_token(const std::string& realm,
                                                const std::string& service,
                                                const std::string& scope);
  [[nodiscard]] static std::string scope_of(std::string_view repository, Access access);

  RegistryEndpoint endpoint_;
  std::optional<Credential> credential_;
  HttpClient http_;
  std::map<std::string, CachedToken> tokens_;              // by scope
  std::map<std::string, std::string> last_authorization_;  // by scope, sent first next time
};

// "registry returned 404 Not Found for GET ...": the distribution error's code and message when
// the body carries one ({"errors":[{"code":"MANIFEST_UNKNOWN","message":"..."}]}).
[[nodiscard]] Error registry_error(const HttpRequest& request, const HttpResponse& response);

}  // namespace keel::manager::registry
