// Certificates made at test time with the openssl CLI, never kept: a CA with a server certificate
// for 127.0.0.1 and localhost (a registry served over TLS), and a self-signed signing certificate
// (the token server's, which the registry trusts through its rootcertbundle).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace keel::it {

struct TestCa {
  std::filesystem::path ca_cert;  // PEM, what certs.d/<host:port>/ca.crt holds
  std::filesystem::path server_cert;
  std::filesystem::path server_key;
};

struct SigningCertificate {
  std::filesystem::path cert;  // PEM, self-signed: also the registry's rootcertbundle
  std::filesystem::path key;   // PEM RSA private key
};

// Writes into dir (created if missing); throws std::runtime_error when openssl fails. The
// server certificate also names `dns_names` (a registry that stands in for a public one).
[[nodiscard]] TestCa make_test_ca(const std::filesystem::path& dir,
                                  const std::vector<std::string>& dns_names = {});
[[nodiscard]] SigningCertificate make_signing_certificate(const std::filesystem::path& dir);

}  // namespace keel::it
