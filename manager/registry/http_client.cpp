// HttpClient over one reused curl easy handle, sharing the process's connection cache.
#include "manager/registry/http_client.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <mutex>

#include <curl/curl.h>

namespace keel::manager::registry {
namespace {

// curl_global_init is not thread-safe: once, before the first handle.
void global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// One cache of connections, TLS sessions and DNS answers for every HttpClient of the process:
// the layers of a pull download on clients of their own (one per worker), and the next pull,
// push or login reuses what the last one opened instead of a fresh TCP and TLS handshake each.
// libcurl reuses a connection only for a request whose TLS settings (CA, client certificate,
// verification) match the ones it was opened with.
class SharedConnections {
 public:
  SharedConnections() : share_(curl_share_init()) {
    if (share_ == nullptr)
      return;
    curl_share_setopt(share_, CURLSHOPT_LOCKFUNC, lock);
    curl_share_setopt(share_, CURLSHOPT_UNLOCKFUNC, unlock);
    curl_share_setopt(share_, CURLSHOPT_USERDATA, this);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  }
  // Lives as long as the process: handles may still be cleaned up from static destructors.
  ~SharedConnections() = default;
  SharedConnections(const SharedConnections&) = delete;
  SharedConnections& operator=(const SharedConnections&) = delete;

  // nullptr when libcurl could not make one: each handle then keeps its own cache.
  [[nodiscard]] CURLSH* get() const noexcept { return share_; }

  static SharedConnections& instance() {
    global_init_once();
    static auto* shared = new SharedConnections();  // NOLINT: never destroyed, see above
    return *shared;
  }

 private:
  static void lock(CURL* /*handle*/, curl_lock_data data, curl_lock_access /*access*/, void* self) {
    static_cast<SharedConnections*>(self)->mutex_for(data).lock();
  }
  static void unlock(CURL* /*handle*/, curl_lock_data data, void* self) {
    static_cast<SharedConnections*>(self)->mutex_for(data).unlock();
  }
  std::mutex& mutex_for(curl_lock_data data) {
    const auto i = static_cast<std::size_t>(data);
    return mutexes_[i < mutexes_.size() ? i : 0];
  }

  CURLSH* share_;
  std::array<std::mutex, CURL_LOCK_DATA_LAST> mutexes_;
};

struct Transfer {
  const HttpRequest* request = nullptr;
  HttpResponse* response = nullptr;
  std::optional<Error> callback_error;  // from the sink or the source: what request() returns
  std::size_t sent = 0;
  bool started = false;
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  // Only the final response's body is wanted: a redirect's or a 401's goes to the buffer.
  if (t->request->sink && t->response->status >= 200 && t->response->status < 300) {
    if (!t->started && t->request->on_start) {
      t->started = true;
      if (auto r = t->request->on_start(t->response->status); !r) {
        t->callback_error = std::move(r).error();
        return 0;
      }
    }
    auto r = t->request->sink(std::string_view(data, n));
    if (!r) {
      t->callback_error = std::move(r).error();
      return 0;  // aborts the transfer: CURLE_WRITE_ERROR
    }
    return n;
  }
  if (t->request->max_body != 0 && t->response->body.size() + n > t->request->max_body) {
    t->callback_error =
        Error::of(Errc::kInvalidArgument, t->request->url + ": the answer is larger than " +
                                              std::to_string(t->request->max_body) + " bytes");
    return 0;
  }
  t->response->body.append(data, n);
  return n;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {
    // A new response (after a redirect or 100-continue): forget the previous one's headers.
    t->response->headers.clear();
    t->response->body.clear();
    const auto space = line.find(' ');
    t->response->status =
        space == std::string_view::npos
            ? 0
            : std::strtol(std::string(line.substr(space + 1, 3)).c_str(), nullptr, 10);
    return n;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos)
    return n;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
    value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
    value.remove_suffix(1);
  t->response->headers[name] = std::string(value);
  return n;
}

size_t on_upload(char* buffer, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  if (t->request->source) {
    const std::uint64_t left = t->request->source_size - t->sent;
    const size_t want = static_cast<size_t>(std::min<std::uint64_t>(size * count, left));
    if (want == 0)
      return 0;
    auto n = t->request->source(t->sent, std::span<char>(buffer, want));
    if (!n) {
      t->callback_error = std::move(n).error();
      return CURL_READFUNC_ABORT;
    }
    if (*n == 0) {
      t->callback_error =
          Error::of(Errc::kInternal, "request body ended " + std::to_string(left) + " bytes early");
      return CURL_READFUNC_ABORT;
    }
    t->sent += *n;
    return *n;
  }
  const std::string& body = t->request->body;
  const size_t n = std::min(size * count, body.size() - t->sent);
  std::copy_n(body.data() + t->sent, n, buffer);
  t->sent += n;
  return n;
}

struct HeaderList {
  curl_slist* list = nullptr;
  ~HeaderList() { curl_slist_free_all(list); }
  bool add(const std::string& header) {
    curl_slist* next = curl_slist_append(list, header.c_str());
    if (next == nullptr)
      return false;
    list = next;
    return true;
  }
};

// The errno that says how a transfer failed, for is_transient; 0 for failures a retry won't cure
// (a bad URL, a TLS certificate that does not verify).
int transport_errno(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_CONNECT:
      return ECONNREFUSED;
    case CURLE_SSL_CONNECT_ERROR:
      return EPROTO;  // the handshake failed: the server may speak plain HTTP (RegistryClient)
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return ECONNRESET;
    default:
      return 0;
  }
}

}  // namespace

bool is_transient(const Error& error) {
  const int e = error.errnum();
  return error.kind() == Errc::kUnavailable &&
         (e == ECONNREFUSED || e == ECONNRESET || e == ETIMEDOUT);
}

void HttpClient::CurlDeleter::operator()(CURL* curl) const noexcept {
  curl_easy_cleanup(curl);
}

HttpClient::HttpClient() {
  global_init_once();
  curl_.reset(curl_easy_init());
}

HttpClient::~HttpClient() = default;

Result<HttpResponse> HttpClient::request(const HttpRequest& req) {
  if (!curl_)
    return Error::of(Errc::kInternal, "http: no curl handle");
  CURL* c = curl_.get();
  // Options set per request are reset; the connection cache and TLS sessions stay.
  curl_easy_reset(c);
  HttpResponse response;
  Transfer transfer{&req, &response, std::nullopt, 0};
  HeaderList headers;
  for (const auto& h : req.headers) {
    if (!headers.add(h))
      return Error::of(Errc::kInternal, "http: out of memory for headers");
  }
  // A body we send ourselves: no "Expect: 100-continue" round trip.
  if ((!req.body.empty() || req.source) && !headers.add("Expect:"))
    return Error::of(Errc::kInternal, "http: out of memory for headers");
  std::string range;
  if (req.range_from)
    range = std::to_string(*req.range_from) + "-";

  char reason[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, reason);
  curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.list);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, req.follow_redirects ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  // Redirects may go to storage on another host: credentials must not follow (the default, said
  // here so nobody turns it on), and only http(s) may be followed.
  curl_easy_setopt(c, CURLOPT_UNRESTRICTED_AUTH, 0L);
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (CURLSH* share = SharedConnections::instance().get(); share != nullptr)
    curl_easy_setopt(c, CURLOPT_SHARE, share);
  // A handshake that stalls (a TLS ClientHello nobody answers) is a registry that stopped
  // answering too: it waits no longer than a stalled body.
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, std::min(30L, req.stall_timeout_seconds));
  // A stalled transfer (under 1 byte/s for the stall timeout, waiting for an answer included)
  // fails instead of hanging a pull forever.
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, req.stall_timeout_seconds);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "keel/" KEEL_VERSION);
  if (!range.empty())
    curl_easy_setopt(c, CURLOPT_RANGE, range.c_str());
  if (req.tls != nullptr) {
    if (!req.tls->ca_file.empty())
      curl_easy_setopt(c, CURLOPT_CAINFO, req.tls->ca_file.c_str());
    if (!req.tls->client_cert.empty())
      curl_easy_setopt(c, CURLOPT_SSLCERT, req.tls->client_cert.c_str());
    if (!req.tls->client_key.empty())
      curl_easy_setopt(c, CURLOPT_SSLKEY, req.tls->client_key.c_str());
    if (req.tls->skip_verify) {
      curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
  }
  if (req.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (req.method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, on_upload);
    curl_easy_setopt(c, CURLOPT_READDATA, &transfer);
    const std::uint64_t length = req.source ? req.source_size : req.body.size();
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(length));
  }

  const CURLcode rc = curl_easy_perform(c);
  if (transfer.callback_error)
    return *transfer.callback_error;
  if (rc == CURLE_OPERATION_TIMEDOUT)
    return Error::with_errno(Errc::kUnavailable,
                             req.method + " " + req.url + ": no data for " +
                                 std::to_string(req.stall_timeout_seconds) +
                                 " s, the registry stopped answering",
                             ETIMEDOUT);
  if (rc != CURLE_OK) {
    // curl's own words ("SSL certificate problem: unable to get local issuer certificate") say
    // more than the code's; neither holds a header value.
    const std::string what = req.method + " " + req.url + ": " +
                             (reason[0] != '\0' ? std::string(reason) : curl_easy_strerror(rc));
    return Error::with_errno(Errc::kUnavailable, what, transport_errno(rc));
  }
  char* effective = nullptr;
  if (curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &effective) == CURLE_OK && effective != nullptr)
    response.effective_url = effective;
  long status = 0;
  if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK)
    response.status = status;
  return response;
}

}  // namespace keel::manager::registry
