// RegistryClient: the distribution API's reads and the token flow of its auth.
#include "manager/registry/registry_client.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <thread>

#include <curl/curl.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "manager/images/media_types.h"
#include "manager/registry/auth_challenge.h"
#include "manager/registry/manifest_document.h"

namespace keel::manager::registry {
namespace {

namespace mt = images::media_type;

constexpr std::string_view kDockerSchema1 = "application/vnd.docker.distribution.manifest.v1";

std::string accept_manifests() {
  return "Accept: " + std::string(mt::kOciIndex) + ", " + std::string(mt::kOciManifest) + ", " +
         std::string(mt::kDockerManifestList) + ", " + std::string(mt::kDockerManifest);
}

std::string url_escape(const std::string& s) {
  char* escaped = curl_easy_escape(nullptr, s.c_str(), static_cast<int>(s.size()));
  if (escaped == nullptr)
    return s;
  std::string out(escaped);
  curl_free(escaped);
  return out;
}

Errc kind_of(long status) {
  if (status == 404)
    return Errc::kNotFound;
  if (status == 401 || status == 403)
    return Errc::kPermissionDenied;
  if (status == 400 || status == 405 || status == 409)
    return Errc::kFailedPrecondition;
  return Errc::kUnavailable;
}

std::string media_type_of(const HttpResponse& response) {
  std::string type = response.header("content-type");
  if (const auto semi = type.find(';'); semi != std::string::npos)
    type.resize(semi);
  return type;
}

// Four tries over about 3.5 s of backoff (0.5, 1, 2 s) unless the registry asks for longer.
constexpr int kMaxAttempts = 4;
constexpr std::chrono::milliseconds kFirstBackoff{500};
// A Retry-After beyond this is a registry asking us to give up, which the last try's error says.
constexpr std::chrono::seconds kLongestRetryAfter{30};

// Retry-After in seconds (RFC 9110 also allows an HTTP date, which registries do not send).
std::optional<std::chrono::milliseconds> retry_after(const HttpResponse& response) {
  const std::string value = response.header("retry-after");
  if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos ||
      value.size() > 6)
    return std::nullopt;
  const std::chrono::seconds seconds(std::stol(value));
  return std::min<std::chrono::milliseconds>(seconds, kLongestRetryAfter);
}

// The first of a distribution error body's errors as docker prints it: the code in lower case
// with spaces ("MANIFEST_UNKNOWN" → "manifest unknown"), then the message. Token servers that
// answer {"details": "..."} (Docker Hub) get "unauthorized: <details>" for a 401. Empty when the
// body says nothing readable.
std::string distribution_error_text(long status, const std::string& body_text) {
  const auto body = nlohmann::json::parse(body_text, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return {};
  if (body.contains("errors") && body["errors"].is_array() && !body["errors"].empty() &&
      body["errors"][0].is_object()) {
    const auto& first = body["errors"][0];
    std::string code = first.value("code", std::string());
    std::transform(code.begin(), code.end(), code.begin(), [](unsigned char c) {
      return c == '_' ? ' ' : static_cast<char>(std::tolower(c));
    });
    return code + ": " + first.value("message", std::string());
  }
  if (const auto details = body.find("details"); details != body.end() && details->is_string())
    return (status == 401 ? "unauthorized: " : "") + details->get<std::string>();
  return {};
}

// What a 401 means when its body says nothing (a HEAD has no body): the registry's own words
// for it, which docker prints too.
constexpr std::string_view kUnauthorizedWithoutBody = "unauthorized: authentication required";

// RFC 5988's Link header as the distribution spec uses it for pages:
// `</v2/name/tags/list?n=100&last=x>; rel="next"` → "/v2/name/tags/list?n=100&last=x". Only a
// path on the same registry is followed; empty when there is no next page.
std::string next_page(const std::string& link) {
  if (link.find("rel=\"next\"") == std::string::npos || !link.starts_with('<'))
    return {};
  const auto close = link.find('>');
  if (close == std::string::npos)
    return {};
  std::string target = link.substr(1, close - 1);
  if (const auto scheme = target.find("://"); scheme != std::string::npos) {
    const auto path = target.find('/', scheme + 3);
    target = path == std::string::npos ? std::string() : target.substr(path);
  }
  return target.starts_with("/v2/") ? target : std::string();
}

}  // namespace

Error registry_error(const HttpRequest& request, const HttpResponse& response) {
  std::string what =
      request.method + " " + request.url + ": registry answered " + std::to_string(response.status);
  if (const std::string text = distribution_error_text(response.status, response.body);
      !text.empty())
    what += " " + text;
  else if (response.status == 401)
    what += " " + std::string(kUnauthorizedWithoutBody);
  return Error::of(kind_of(response.status), what);
}

Error push_error(const HttpRequest& request, const HttpResponse& response) {
  std::string what = request.method + " " + request.url + ": ";
  const auto body = nlohmann::json::parse(response.body, nullptr, false);
  if (!body.is_discarded() && body.is_object() && body.contains("errors") &&
      body["errors"].is_array() && !body["errors"].empty() && body["errors"][0].is_object()) {
    const auto& first = body["errors"][0];
    std::string code = first.value("code", std::string());
    std::transform(code.begin(), code.end(), code.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    what += code + ": " + first.value("message", std::string());
  } else if (response.status == 401) {
    what += kUnauthorizedWithoutBody;
  } else {
    what += "registry answered " + std::to_string(response.status);
  }
  return Error::of(kind_of(response.status), what);
}

RegistryClient::RegistryClient(RegistryEndpoint endpoint, std::optional<Credential> credential)
    : endpoint_(std::move(endpoint)), credential_(std::move(credential)) {}

RegistryClient RegistryClient::sibling() const {
  RegistryClient other(endpoint_, credential_);
  other.stall_timeout_ = stall_timeout_;
  other.tokens_ = tokens_;
  other.last_authorization_ = last_authorization_;
  return other;
}

std::string RegistryClient::scope_of(std::string_view repository, Access access) {
  return "repository:" + std::string(repository) +
         (access == Access::kPush ? ":pull,push" : ":pull");
}

Result<std::string> RegistryClient::fetch_token(const std::string& realm,
                                                const std::string& service,
                                                const std::string& scope) {
  HttpRequest req;
  req.url = realm;
  char sep = realm.find('?') == std::string::npos ? '?' : '&';
  if (!service.empty()) {
    req.url += sep + std::string("service=") + url_escape(service);
    sep = '&';
  }
  // Several scopes (a mount reads another repository) are several scope parameters.
  std::string_view scopes = scope;
  while (!scopes.empty()) {
    const auto space = scopes.find(' ');
    const std::string one(scopes.substr(0, space));
    if (!one.empty()) {
      req.url += sep + std::string("scope=") + url_escape(one);
      sep = '&';
    }
    scopes = space == std::string_view::npos ? std::string_view() : scopes.substr(space + 1);
  }
  req.tls = &endpoint_.tls;
  req.stall_timeout_seconds = static_cast<long>(stall_timeout_.count());  // NOLINT
  if (credential_ && !credential_->username.empty())
    req.headers.push_back("Authorization: Basic " +
                          base64_encode(credential_->username + ":" + credential_->password));
  auto response = http_.request(req);
  if (!response)
    return std::move(response).error().context("auth token");
  if (response->status != 200) {
    // The request's headers carry the password: only the status and the server's own words.
    std::string what = distribution_error_text(response->status, response->body);
    if (what.empty() && (response->status == 401 || response->status == 403))
      what = "unauthorized: incorrect username or password";
    return Error::of(kind_of(response->status), "auth token from " + realm + ": answered " +
                                                    std::to_string(response->status) +
                                                    (what.empty() ? "" : " " + what));
  }
  const auto body = nlohmann::json::parse(response->body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return Error::of(Errc::kUnavailable, "auth token from " + realm + ": not JSON");
  std::string token = body.value("token", std::string());
  if (token.empty())
    token = body.value("access_token", std::string());
  if (token.empty())
    return Error::of(Errc::kUnavailable, "auth token from " + realm + ": no token in the answer");
  // The token spec's default lifetime is 60 s; renew a little early.
  const int expires_in = body.value("expires_in", 60);
  tokens_[realm + "|" + service + "|" + scope] = CachedToken{
      token, std::chrono::steady_clock::now() + std::chrono::seconds(std::max(expires_in - 5, 1))};
  return token;
}

Result<std::string> RegistryClient::authorization_for(const std::string& challenge_header,
                                                      const std::string& scope) {
  auto challenges = parse_auth_challenges(challenge_header);
  if (!challenges)
    return challenges.error();
  for (const auto& c : *challenges) {
    if (c.scheme != "bearer")
      continue;
    const std::string realm = c.param("realm");
    if (realm.empty())
      return Error::of(Errc::kUnavailable, "registry auth: a bearer challenge without a realm");
    const std::string service = c.param("service");
    // The challenge's own scope (a push may need more) joins the one we asked for.
    const std::string wanted = c.param("scope").empty() ? scope : c.param("scope");
    const auto cached = tokens_.find(realm + "|" + service + "|" + wanted);
    if (cached != tokens_.end() && cached->second.expires > std::chrono::steady_clock::now())
      return "Bearer " + cached->second.token;
    auto token = fetch_token(realm, service, wanted);
    if (!token)
      return token.error();
    return "Bearer " + *token;
  }
  for (const auto& c : *challenges) {
    if (c.scheme != "basic")
      continue;
    if (!credential_ || credential_->username.empty())
      // docker's words; send() names the registry. Logging in is the way out.
      return Error::of(Errc::kPermissionDenied,
                       "unauthorized: authentication required (no login stored for it)");
    return "Basic " + base64_encode(credential_->username + ":" + credential_->password);
  }
  return Error::of(Errc::kPermissionDenied, "no supported auth scheme offered");
}

Result<HttpResponse> RegistryClient::send(HttpRequest& request, const std::string& scope) {
  // Counts what reached the caller's sink: once a body has begun, a retry from here would
  // deliver its first bytes twice. The wrapper points into this frame, so the caller's sink is
  // put back before returning.
  std::uint64_t delivered = 0;
  auto sink = std::move(request.sink);
  if (sink)
    request.sink = [&delivered, &sink](std::string_view chunk) {
      delivered += chunk.size();
      return sink(chunk);
    };
  const std::vector<std::string> headers = request.headers;
  auto result = [&]() -> Result<HttpResponse> {
    for (int attempt = 1;; ++attempt) {
      request.headers = headers;
      auto response = send_once(request, scope);
      const bool last = attempt == kMaxAttempts || delivered > 0;
      std::chrono::milliseconds wait = kFirstBackoff * (1 << (attempt - 1));
      if (!response) {
        if (last || !is_transient(response.error()))
          return response;
        spdlog::warn("{}; trying again in {} ms", response.error().message(), wait.count());
      } else if (response->status == 429 || response->status >= 500) {
        if (last)
          return response;
        if (const auto after = retry_after(*response))
          wait = *after;
        spdlog::warn("{} {}: registry answered {}; trying again in {} ms", request.method,
                     request.url, response->status, wait.count());
      } else {
        return response;
      }
      std::this_thread::sleep_for(wait);
    }
  }();
  request.sink = std::move(sink);
  return result;
}

Result<HttpResponse> RegistryClient::transmit(HttpRequest& request) {
  auto response = http_.request(request);
  if (endpoint_.plain_http_url.empty() || !request.url.starts_with(endpoint_.base_url))
    return response;
  if (response) {
    endpoint_.plain_http_url.clear();  // TLS it is: never downgrade this client later
    return response;
  }
  const int why = response.error().errnum();
  if (why != EPROTO && why != ECONNREFUSED)
    return response;  // a certificate that does not verify is an answer, not a reason for http
  request.url = endpoint_.plain_http_url + request.url.substr(endpoint_.base_url.size());
  endpoint_.base_url = std::move(endpoint_.plain_http_url);
  endpoint_.plain_http_url.clear();
  return http_.request(request);
}

Result<HttpResponse> RegistryClient::send_once(HttpRequest& request, const std::string& scope) {
  request.tls = &endpoint_.tls;
  request.stall_timeout_seconds = static_cast<long>(stall_timeout_.count());  // NOLINT
  const auto known = last_authorization_.find(scope);
  const size_t plain_headers = request.headers.size();
  if (known != last_authorization_.end())
    request.headers.push_back("Authorization: " + known->second);
  auto response = transmit(request);
  if (!response || response->status != 401)
    return response;
  auto authorization = authorization_for(response->header("www-authenticate"), scope);
  if (!authorization)
    return std::move(authorization).error().context(endpoint_.domain);
  last_authorization_[scope] = *authorization;
  request.headers.resize(plain_headers);
  request.headers.push_back("Authorization: " + *authorization);
  return transmit(request);
}

Result<FetchedManifest> RegistryClient::get_manifest(std::string_view repository,
                                                     std::string_view reference) {
  HttpRequest req;
  req.url = endpoint_.base_url + "/v2/" + std::string(repository) + "/manifests/" +
            std::string(reference);
  req.headers.push_back(accept_manifests());
  req.max_body = kMaxManifestBytes;
  auto response = send(req, scope_of(repository, Access::kPull));
  if (!response)
    return response.error();
  if (response->status != 200)
    return registry_error(req, *response);
  FetchedManifest m;
  m.media_type = media_type_of(*response);
  if (m.media_type.starts_with(kDockerSchema1))
    return Error::of(Errc::kFailedPrecondition,
                     std::string(repository) + ":" + std::string(reference) +
                         ": Docker manifest schema 1 is not supported (push the image again "
                         "with a current client)");
  m.bytes = std::move(response->body);
  auto type = manifest_media_type(m.media_type, m.bytes);
  if (!type)
    return std::move(type).error().context(std::string(repository) + ":" + std::string(reference));
  m.media_type = std::move(*type);
  m.digest = content::Digest::of(m.bytes);
  // Pinned by digest: the bytes must be those. By tag: the registry's header must agree.
  std::string expected;
  if (reference.starts_with("sha256:"))
    expected = std::string(reference);
  else
    expected = response->header("docker-content-digest");
  if (!expected.empty() && expected != m.digest.str())
    return Error::of(Errc::kFailedPrecondition, std::string(repository) + "@" + expected +
                                                    ": the manifest's bytes hash to " +
                                                    m.digest.str());
  return m;
}

Result<std::optional<std::uint64_t>> RegistryClient::stat_blob(std::string_view repository,
                                                               const content::Digest& digest) {
  HttpRequest req;
  req.method = "HEAD";
  req.url = endpoint_.base_url + "/v2/" + std::string(repository) + "/blobs/" + digest.str();
  auto response = send(req, scope_of(repository, Access::kPull));
  if (!response)
    return response.error();
  if (response->status == 404)
    return std::optional<std::uint64_t>();
  if (response->status != 200)
    return registry_error(req, *response);
  const std::string length = response->header("content-length");
  return std::optional<std::uint64_t>(length.empty() ? 0 : std::stoull(length));
}

Result<void> RegistryClient::fetch_blob(std::string_view repository, const content::Digest& digest,
                                        std::uint64_t offset,
                                        const std::function<Result<void>(std::string_view)>& sink,
                                        const std::function<Result<void>()>& restart) {
  HttpRequest req;
  req.url = endpoint_.base_url + "/v2/" + std::string(repository) + "/blobs/" + digest.str();
  if (offset > 0)
    req.range_from = offset;
  req.sink = sink;
  req.on_start = [&](long status) -> Result<void> {
    // A registry (or the storage it redirects to) that ignores Range answers 200, whole blob.
    if (offset > 0 && status == 200)
      return restart();
    return {};
  };
  auto response = send(req, scope_of(repository, Access::kPull));
  if (!response)
    return response.error();
  if (response->status != 200 && response->status != 206)
    return registry_error(req, *response);
  return {};
}

Result<std::vector<std::string>> RegistryClient::list_tags(std::string_view repository,
                                                           std::size_t page_size) {
  std::vector<std::string> tags;
  std::string next = "/v2/" + std::string(repository) + "/tags/list";
  if (page_size > 0)
    next += "?n=" + std::to_string(page_size);
  // A registry that pages forever is a broken one: a generous bound instead of a hang.
  for (int page = 0; !next.empty(); ++page) {
    if (page == 10000)
      return Error::of(Errc::kUnavailable,
                       "tags of " + std::string(repository) + ": more than 10000 pages");
    HttpRequest req;
    req.url = endpoint_.base_url + next;
    auto response = send(req, scope_of(repository, Access::kPull));
    if (!response)
      return response.error();
    if (response->status != 200)
      return registry_error(req, *response);
    const auto body = nlohmann::json::parse(response->body, nullptr, false);
    if (body.is_discarded() || !body.is_object())
      return Error::of(Errc::kUnavailable, req.url + ": the tag list is not JSON");
    if (const auto list = body.find("tags"); list != body.end() && list->is_array()) {
      for (const auto& tag : *list) {
        if (tag.is_string())
          tags.push_back(tag.get<std::string>());
      }
    }
    next = next_page(response->header("link"));
  }
  return tags;
}

Result<void> RegistryClient::check_login() {
  HttpRequest req;
  req.url = endpoint_.base_url + "/v2/";
  auto response = send(req, "");
  if (!response)
    return response.error();
  if (response->status == 200)
    return {};
  return registry_error(req, *response);
}

}  // namespace keel::manager::registry
