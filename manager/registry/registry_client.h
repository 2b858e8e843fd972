// The OCI distribution API against one registry (distribution-spec spec.md): manifests by tag or
// digest, blobs by digest, and the token dance of auth: a 401 names a realm, the client fetches a
// bearer token for the repository's scope (with the user's credentials when it has them, else
// anonymously), caches it until it expires, and retries once. Basic auth is answered directly.
// Pushing (registry_push.cpp) is the same API's writes: blob uploads, cross-repository mounts
// and manifest PUTs, under a token for "pull,push".
// One RegistryClient is one connection pool and not thread-safe: parallel transfers use one each.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
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

// A blob to upload, read from wherever it is stored as the request goes out.
struct BlobSource {
  content::Digest digest;
  std::uint64_t size = 0;
  // Fills `buffer` with the blob's bytes from `offset` on; returns how many (0 only at the end).
  std::function<Result<std::size_t>(std::uint64_t offset, std::span<char> buffer)> read;
};

// How uploads are cut: a blob up to `monolithic_max` goes in one PUT; a larger one in PATCHes
// of `chunk_size`, so a broken connection costs one chunk's bytes, not the layer's.
struct UploadChunking {
  std::uint64_t monolithic_max = 16U << 20;
  std::uint64_t chunk_size = 8U << 20;
};

// Bytes of the blob the registry has acknowledged so far; false cancels the upload.
using UploadProgressFn = std::function<bool(std::uint64_t sent)>;

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

  // Applied to every request from now on (HttpRequest::stall_timeout_seconds).
  void set_stall_timeout(std::chrono::seconds timeout) { stall_timeout_ = timeout; }

  // HEAD /v2/<repository>/blobs/<digest> under the push token: whether an upload can be skipped.
  [[nodiscard]] Result<bool> blob_exists_for_push(std::string_view repository,
                                                  const content::Digest& digest);

  // POST /v2/<repository>/blobs/uploads/, with ?mount=<digest>&from=<mount_from> when
  // `mount_from` is set (a repository of the same registry that holds the blob). nullopt when
  // the registry mounted the blob (201); otherwise the upload session's URL to send it to (202:
  // a registry that cannot mount opens a session instead).
  [[nodiscard]] Result<std::optional<std::string>> start_upload(std::string_view repository,
                                                                const content::Digest& digest,
                                                                std::string_view mount_from);

  // Sends the blob into the session `start_upload` opened: one PUT ?digest= for a small blob,
  // PATCHes with Content-Range then the closing PUT for a large one. The registry checks the
  // digest; a mismatch is its error.
  [[nodiscard]] Result<void> upload_blob(std::string_view repository, std::string session_url,
                                         const BlobSource& blob, const UploadChunking& chunking,
                                         const UploadProgressFn& progress);

  // PUT /v2/<repository>/manifests/<reference> with the bytes as given and their media type as
  // Content-Type; the registry's Docker-Content-Digest must be the bytes' own digest.
  [[nodiscard]] Result<content::Digest> put_manifest(std::string_view repository,
                                                     std::string_view reference,
                                                     std::string_view media_type,
                                                     const std::string& bytes);

  // GET /v2/ with the credentials: what `login` checks before it stores them. Behind a bearer
  // realm the token server must issue a token for them.
  [[nodiscard]] Result<void> check_login();

  // GET /v2/<repository>/tags/list, following the Link header's next page to the end.
  // page_size asks for pages of at most that many tags (`?n=`); 0 leaves it to the registry.
  [[nodiscard]] Result<std::vector<std::string>> list_tags(std::string_view repository,
                                                           std::size_t page_size = 0);

  [[nodiscard]] const RegistryEndpoint& endpoint() const { return endpoint_; }

  // A client for another thread that starts where this one is: the transport it settled on
  // (TLS, or plain HTTP after a fallback), its credential and stall timeout, and the tokens and
  // authorizations it has earned, so that the blobs of a pull neither try TLS again nor ask for
  // tokens again. Its connections come from the process's shared cache.
  [[nodiscard]] RegistryClient sibling() const;

 private:
  struct CachedToken {
    std::string token;
    std::chrono::steady_clock::time_point expires;
  };

  // Sends `request`, answering one 401 with a token for `scope` (empty: the registry's own), and
  // trying again with backoff after a 429 or 5xx (waiting as Retry-After says) or a transport
  // failure that delivered nothing to the request's sink. A body cut short after some bytes
  // reached the sink is returned as the error: the caller resumes from where it got to.
  // `request` is left as last sent (its URL on plain HTTP after a fallback), so an error built
  // from it names what was really asked.
  [[nodiscard]] Result<HttpResponse> send(HttpRequest& request, const std::string& scope);
  // One try of send(): the token dance, over transmit().
  [[nodiscard]] Result<HttpResponse> send_once(HttpRequest& request, const std::string& scope);
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
  // An upload session's Location (absolute, or a path on this registry) as a full URL.
  [[nodiscard]] std::string absolute_url(const std::string& location) const;

  RegistryEndpoint endpoint_;
  std::optional<Credential> credential_;
  HttpClient http_;
  std::chrono::seconds stall_timeout_{60};
  std::map<std::string, CachedToken> tokens_;              // by scope
  std::map<std::string, std::string> last_authorization_;  // by scope, sent first next time
};

// "registry returned 404 Not Found for GET ...": the distribution error's code and message when
// the body carries one ({"errors":[{"code":"MANIFEST_UNKNOWN","message":"..."}]}).
[[nodiscard]] Error registry_error(const HttpRequest& request, const HttpResponse& response);

// docker push's wording for a refused write: the distribution error as "<code>: <message>"
// ("denied: requested access to the resource is denied", "unauthorized: authentication
// required"), lowercase code as docker prints it, after what was asked; the status when the
// body holds no distribution error.
[[nodiscard]] Error push_error(const HttpRequest& request, const HttpResponse& response);

}  // namespace keel::manager::registry
