// A small token server for the registry's `auth: token` scheme (the distribution token spec): on
// GET /token?service=...&scope=repository:name:pull,push it checks the Basic credentials and
// answers {"token": <JWT>} signed RS256 with the test signing key, the certificate in the JWT's
// x5c header. Known user, right password: every scope asked for is granted. No credentials: a
// token granting nothing, as Docker Hub's anonymous tokens. A wrong password: 401.
// One blocking thread on 127.0.0.1, one request per connection, stopped by the destructor.
#pragma once

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>

#include "integration/registry/test_certificates.h"

namespace keel::it {

struct TokenServerOptions {
  std::string issuer = "keel-test-issuer";
  std::string service = "keel-test-registry";
  std::string username;
  std::string password;
  SigningCertificate signing;
};

class TokenServer {
 public:
  // Binds a free loopback port and starts serving; throws std::runtime_error when it cannot.
  explicit TokenServer(TokenServerOptions options);
  ~TokenServer();
  TokenServer(const TokenServer&) = delete;
  TokenServer& operator=(const TokenServer&) = delete;

  // "http://127.0.0.1:PORT/token", the registry's realm.
  [[nodiscard]] const std::string& realm() const { return realm_; }
  [[nodiscard]] const TokenServerOptions& options() const { return options_; }
  // Tokens issued to the known user so far.
  [[nodiscard]] int granted() const { return granted_.load(); }
  // Requests refused for a wrong user or password.
  [[nodiscard]] int refused() const { return refused_.load(); }

 private:
  void serve();

  TokenServerOptions options_;
  std::string private_key_pem_;
  std::string cert_der_base64_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::string realm_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> granted_{0};
  std::atomic<int> refused_{0};
  std::thread thread_;
};

}  // namespace keel::it
