// HTTP for talking to registries, over libcurl's easy interface: every HttpClient of the process
// draws on one cache of connections, TLS sessions and DNS answers (HTTP/2 where the registry
// offers it over TLS, libcurl's default), so requests reuse what earlier ones opened. A body can
// stream into a sink as it arrives, and a request's body can be read from a source as it is sent,
// so a layer is verified and unpacked, or uploaded, without being held in memory.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

typedef void CURL;  // NOLINT: libcurl's own spelling, kept out of every includer

namespace keel::manager::registry {

// docker's certs.d files for one registry; empty members are not used.
struct TlsFiles {
  std::string ca_file;      // ca.crt, trusted in addition to the system's CAs
  std::string client_cert;  // client.cert
  std::string client_key;   // client.key
  // A registry listed in insecure-registries: its certificate is not checked, as docker does.
  bool skip_verify = false;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // sent for PUT, POST, PATCH
  // Supplies the body instead of `body` (a layer read from disk as it is sent, never held in
  // memory): fills `buffer` with the bytes from `offset` on and returns how many, 0 only at the
  // end. Positional, so a request sent again after a 401 starts over from its first byte.
  std::function<Result<std::size_t>(std::uint64_t offset, std::span<char> buffer)> source;
  std::uint64_t source_size = 0;  // the body's length when `source` is set
  // Receives the body as it arrives (then HttpResponse::body stays empty); an error stops the
  // transfer and is what request() returns.
  std::function<Result<void>(std::string_view)> sink;
  // Called once, with status and headers, before the first chunk reaches `sink`.
  std::function<Result<void>(long status)> on_start;
  // A body gathered in HttpResponse::body that grows past this many bytes stops the transfer
  // with an error (0: no limit), so a registry cannot make us hold whatever it sends.
  std::size_t max_body = 0;
  std::optional<std::uint64_t> range_from;  // "Range: bytes=N-", for resuming a download
  const TlsFiles* tls = nullptr;
  bool follow_redirects = true;  // blobs redirect to storage (S3, a CDN)
  // No byte moving for this long (no answer at all, or a body that stops) fails the request.
  long stall_timeout_seconds = 60;  // NOLINT(google-runtime-int): curl's type
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // names lowercased; a repeated header: the last
  std::string body;
  std::string effective_url;  // after redirects

  [[nodiscard]] std::string header(const std::string& lower_name) const {
    const auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  HttpClient(HttpClient&&) noexcept = default;
  HttpClient& operator=(HttpClient&&) noexcept = default;

  // A transport failure (refused, reset, TLS) is an error naming the URL and curl's reason; any
  // HTTP status is a response. Never puts header values (tokens, passwords) in an error. Some
  // failures carry an errno: ECONNREFUSED (nobody listens), ECONNRESET (the connection broke,
  // the body was cut short) and ETIMEDOUT (the stall timeout), which a retry may cure (see
  // is_transient()); EPROTO (the TLS handshake failed, e.g. the server speaks plain HTTP), where
  // a loopback or insecure registry may be tried over plain HTTP. A certificate that does not
  // verify carries none: that is never a reason to drop TLS.
  [[nodiscard]] Result<HttpResponse> request(const HttpRequest& request);

 private:
  struct CurlDeleter {
    void operator()(CURL* curl) const noexcept;
  };
  std::unique_ptr<CURL, CurlDeleter> curl_;
};

// True for the transport errors of request() worth another try.
[[nodiscard]] bool is_transient(const Error& error);

}  // namespace keel::manager::registry
