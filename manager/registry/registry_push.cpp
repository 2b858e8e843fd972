// RegistryClient's writes (distribution-spec spec.md "Push"): blob existence, cross-repository
// mounts, monolithic and chunked uploads, manifest PUTs.
#include <algorithm>

#include "manager/registry/registry_client.h"

namespace keel::manager::registry {
namespace {

// Upload sessions' URLs carry their own query (distribution's "_state"); ours joins it.
std::string with_query(const std::string& url, const std::string& query) {
  return url + (url.find('?') == std::string::npos ? '?' : '&') + query;
}

Error no_location(const HttpRequest& request) {
  return Error::of(Errc::kUnavailable,
                   request.method + " " + request.url + ": the registry gave no upload location");
}

}  // namespace

std::string RegistryClient::absolute_url(const std::string& location) const {
  if (location.starts_with("http://") || location.starts_with("https://"))
    return location;
  // A path on this registry ("/v2/<name>/blobs/uploads/<uuid>?_state=..."), as distribution
  // sends it behind a proxy it does not know the name of.
  return endpoint_.base_url + (location.starts_with('/') ? "" : "/") + location;
}

Result<bool> RegistryClient::blob_exists_for_push(std::string_view repository,
                                                  const content::Digest& digest) {
  HttpRequest req;
  req.method = "HEAD";
  req.url = endpoint_.base_url + "/v2/" + std::string(repository) + "/blobs/" + digest.str();
  auto response = send(req, scope_of(repository, Access::kPush));
  if (!response)
    return response.error();
  if (response->status == 200)
    return true;
  if (response->status == 404)
    return false;
  return push_error(req, *response);
}

Result<std::optional<std::string>> RegistryClient::start_upload(std::string_view repository,
                                                                const content::Digest& digest,
                                                                std::string_view mount_from) {
  HttpRequest req;
  req.method = "POST";
  req.url = endpoint_.base_url + "/v2/" + std::string(repository) + "/blobs/uploads/";
  req.follow_redirects = false;
  std::string scope = scope_of(repository, Access::kPush);
  if (!mount_from.empty()) {
    req.url += "?mount=" + digest.str() + "&from=" + std::string(mount_from);
    // The token must also let us read the repository the blob is mounted from.
    scope += " " + scope_of(mount_from, Access::kPull);
  }
  auto response = send(req, scope);
  if (!response)
    return response.error();
  if (response->status == 201 && !mount_from.empty())
    return std::optional<std::string>();
  if (response->status != 202)
    return push_error(req, *response);
  const std::string location = response->header("location");
  if (location.empty())
    return no_location(req);
  return std::optional<std::string>(absolute_url(location));
}

Result<void> RegistryClient::upload_blob(std::string_view repository, std::string session_url,
                                         const BlobSource& blob, const UploadChunking& chunking,
                                         const UploadProgressFn& progress) {
  const std::string scope = scope_of(repository, Access::kPush);
  // Progress counts bytes as curl takes them, so a large PUT or PATCH moves the bar too.
  std::uint64_t reported = 0;
  auto read_from = [&](std::uint64_t start) {
    return [&, start](std::uint64_t offset, std::span<char> buffer) -> Result<std::size_t> {
      auto n = blob.read(start + offset, buffer);
      if (!n)
        return n;
      const std::uint64_t done = start + offset + *n;
      // Every 512 KiB at most, and the last byte: progress is for people, not for each packet.
      if (progress && (done - reported >= (512U << 10) || done == blob.size)) {
        reported = done;
        if (!progress(done))
          return Error::of(Errc::kUnavailable, "push cancelled");
      }
      return n;
    };
  };
  const std::string digest_query = "digest=" + blob.digest.str();

  if (blob.size <= chunking.monolithic_max) {
    HttpRequest req;
    req.method = "PUT";
    req.url = with_query(session_url, digest_query);
    req.follow_redirects = false;
    req.headers = {"Content-Type: application/octet-stream"};
    req.source = read_from(0);
    req.source_size = blob.size;
    auto response = send(req, scope);
    if (!response)
      return response.error();
    if (response->status != 201)
      return push_error(req, *response);
    return {};
  }

  const std::uint64_t chunk = std::max<std::uint64_t>(chunking.chunk_size, 1);
  for (std::uint64_t start = 0; start < blob.size; start += chunk) {
    const std::uint64_t length = std::min(chunk, blob.size - start);
    HttpRequest req;
    req.method = "PATCH";
    req.url = session_url;
    req.follow_redirects = false;
    // distribution-spec: "Content-Range: <start>-<end>", inclusive, no unit.
    req.headers = {
        "Content-Type: application/octet-stream",
        "Content-Range: " + std::to_string(start) + "-" + std::to_string(start + length - 1)};
    req.source = read_from(start);
    req.source_size = length;
    auto response = send(req, scope);
    if (!response)
      return response.error();
    if (response->status != 202)
      return push_error(req, *response);
    // Each answer names where the session continues.
    const std::string location = response->header("location");
    if (location.empty())
      return no_location(req);
    session_url = absolute_url(location);
  }
  HttpRequest close;
  close.method = "PUT";
  close.url = with_query(session_url, digest_query);
  close.follow_redirects = false;
  auto response = send(close, scope);
  if (!response)
    return response.error();
  if (response->status != 201)
    return push_error(close, *response);
  return {};
}

Result<content::Digest> RegistryClient::put_manifest(std::string_view repository,
                                                     std::string_view reference,
                                                     std::string_view media_type,
                                                     const std::string& bytes) {
  HttpRequest req;
  req.method = "PUT";
  req.url = endpoint_.base_url + "/v2/" + std::string(repository) + "/manifests/" +
            std::string(reference);
  req.follow_redirects = false;
  req.headers = {"Content-Type: " + std::string(media_type)};
  req.body = bytes;
  auto response = send(req, scope_of(repository, Access::kPush));
  if (!response)
    return response.error();
  if (response->status != 201)
    return push_error(req, *response);
  const content::Digest digest = content::Digest::of(bytes);
  const std::string answered = response->header("docker-content-digest");
  if (!answered.empty() && answered != digest.str())
    return Error::of(Errc::kUnavailable, req.method + " " + req.url + ": the registry stored " +
                                             answered + " for a manifest of digest " +
                                             digest.str());
  return digest;
}

}  // namespace keel::manager::registry
