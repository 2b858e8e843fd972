// TokenServer: Boost.Beast for HTTP, OpenSSL for the RS256 signature.
#include "integration/registry/token_server.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "manager/registry/credentials.h"

namespace keel::it {
namespace {

namespace http = boost::beast::http;

std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error("token server: cannot read " + path.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// JOSE's base64url: no padding, '-' and '_' for '+' and '/'.
std::string base64url(std::string_view data) {
  std::string out = manager::registry::base64_encode(data);
  while (!out.empty() && out.back() == '=')
    out.pop_back();
  for (char& c : out) {
    if (c == '+')
      c = '-';
    else if (c == '/')
      c = '_';
  }
  return out;
}

// The x5c header's form of the certificate: standard base64 of its DER.
std::string cert_der_base64(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
  if (!cert)
    throw std::runtime_error("token server: the signing certificate is not PEM");
  unsigned char* der = nullptr;
  const int len = i2d_X509(cert.get(), &der);
  if (len <= 0)
    throw std::runtime_error("token server: cannot encode the signing certificate");
  std::string out = manager::registry::base64_encode(
      std::string_view(reinterpret_cast<const char*>(der), static_cast<size_t>(len)));
  OPENSSL_free(der);
  return out;
}

std::string sign_rs256(const std::string& key_pem, std::string_view input) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())), BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  size_t len = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  if (!key || !ctx ||
      EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, data, input.size()) != 1)
    throw std::runtime_error("token server: cannot sign");
  std::string signature(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &len, data,
                     input.size()) != 1)
    throw std::runtime_error("token server: cannot sign");
  signature.resize(len);
  return signature;
}

std::string url_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

// Every value of `name` in the query ("scope" may repeat).
std::vector<std::string> query_values(std::string_view target, std::string_view name) {
  std::vector<std::string> out;
  const auto q = target.find('?');
  if (q == std::string_view::npos)
    return out;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name)
      out.push_back(url_decode(pair.substr(eq + 1)));
    if (amp == std::string_view::npos)
      break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

// "repository:keel/app:pull,push" → one access entry.
nlohmann::json access_of(const std::string& scope) {
  const auto first = scope.find(':');
  const auto last = scope.rfind(':');
  if (first == std::string::npos || last == first)
    return nullptr;
  nlohmann::json actions = nlohmann::json::array();
  std::string_view list(scope);
  list.remove_prefix(last + 1);
  while (!list.empty()) {
    const auto comma = list.find(',');
    actions.push_back(std::string(list.substr(0, comma)));
    if (comma == std::string_view::npos)
      break;
    list.remove_prefix(comma + 1);
  }
  return {{"type", scope.substr(0, first)},
          {"name", scope.substr(first + 1, last - first - 1)},
          {"actions", actions}};
}

}  // namespace

TokenServer::TokenServer(TokenServerOptions options) : options_(std::move(options)) {
  private_key_pem_ = read_all(options_.signing.key);
  cert_der_base64_ = cert_der_base64(read_all(options_.signing.cert));
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 16) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (listen_fd_ >= 0)
      ::close(listen_fd_);
    throw std::runtime_error("token server: cannot listen on 127.0.0.1");
  }
  port_ = ntohs(addr.sin_port);
  realm_ = "http://127.0.0.1:" + std::to_string(port_) + "/token";
  thread_ = std::thread([this] { serve(); });
}

TokenServer::~TokenServer() {
  stopping_ = true;
  // accept() has no timeout: one connection of our own wakes it to see stopping_.
  const int wake = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port_));
  if (wake >= 0) {
    (void)::connect(wake, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::close(wake);
  }
  thread_.join();
  ::close(listen_fd_);
}

void TokenServer::serve() {
  boost::asio::io_context io;
  while (true) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (stopping_) {
      if (fd >= 0)
        ::close(fd);
      return;
    }
    if (fd < 0)
      continue;
    boost::asio::ip::tcp::socket socket(io);
    boost::system::error_code ec;
    socket.assign(boost::asio::ip::tcp::v4(), fd, ec);
    if (ec) {
      ::close(fd);
      continue;
    }
    boost::beast::flat_buffer buffer;
    http::request<http::string_body> request;
    http::read(socket, buffer, request, ec);
    if (ec)
      continue;
    http::response<http::string_body> response;
    response.version(request.version());
    response.keep_alive(false);
    response.set(http::field::content_type, "application/json");

    const std::string target(request.target());
    std::string user;
    bool authenticated = false;
    bool refused = false;
    if (const auto header = request.find(http::field::authorization); header != request.end()) {
      const std::string value(header->value());
      auto decoded = value.starts_with("Basic ")
                         ? manager::registry::base64_decode(value.substr(6))
                         : Result<std::string>(Error::of(Errc::kInvalidArgument, "not Basic"));
      const auto colon = decoded ? decoded->find(':') : std::string::npos;
      if (colon != std::string::npos && decoded->substr(0, colon) == options_.username &&
          decoded->substr(colon + 1) == options_.password) {
        authenticated = true;
        user = options_.username;
      } else {
        refused = true;
      }
    }
    if (!target.starts_with("/token")) {
      response.result(http::status::not_found);
      response.body() = R"({"errors":[{"code":"NOT_FOUND","message":"no such path"}]})";
    } else if (refused) {
      ++refused_;
      response.result(http::status::unauthorized);
      response.body() =
          R"({"errors":[{"code":"UNAUTHORIZED","message":"incorrect username or password"}]})";
    } else {
      nlohmann::json access = nlohmann::json::array();
      if (authenticated) {
        for (const auto& scope : query_values(target, "scope")) {
          if (auto entry = access_of(scope); !entry.is_null())
            access.push_back(std::move(entry));
        }
        ++granted_;
      }
      const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
      static std::atomic<long> serial{0};
      const nlohmann::json header = {{"typ", "JWT"}, {"alg", "RS256"}, {"x5c", {cert_der_base64_}}};
      const nlohmann::json claims = {{"iss", options_.issuer},
                                     {"sub", user},
                                     {"aud", options_.service},
                                     {"exp", now + 300},
                                     {"nbf", now - 10},
                                     {"iat", now},
                                     {"jti", "keel-test-" + std::to_string(++serial)},
                                     {"access", access}};
      const std::string signing_input = base64url(header.dump()) + "." + base64url(claims.dump());
      const std::string token =
          signing_input + "." + base64url(sign_rs256(private_key_pem_, signing_input));
      response.result(http::status::ok);
      response.body() =
          nlohmann::json{{"token", token}, {"access_token", token}, {"expires_in", 300}}.dump();
    }
    response.prepare_payload();
    http::write(socket, response, ec);
    socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  }
}

}  // namespace keel::it
