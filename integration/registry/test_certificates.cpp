#include "integration/registry/test_certificates.h"

#include <stdexcept>
#include <string>
#include <vector>

#include "integration/fixtures/process.h"

namespace keel::it {
namespace {

void openssl(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"/usr/bin/openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto r = fixtures::run_command(argv, {});
  if (r.exit_code != 0)
    throw std::runtime_error("openssl " + args.front() + ": " + r.err);
}

}  // namespace

TestCa make_test_ca(const std::filesystem::path& dir, const std::vector<std::string>& dns_names) {
  std::filesystem::create_directories(dir);
  TestCa ca{dir / "ca.crt", dir / "server.crt", dir / "server.key"};
  const auto ca_key = dir / "ca.key";
  const auto csr = dir / "server.csr";
  openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
           "/CN=keel test CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
           "keyUsage=critical,keyCertSign,cRLSign", "-keyout", ca_key.string(), "-out",
           ca.ca_cert.string()});
  std::string names = "subjectAltName=IP:127.0.0.1,DNS:localhost";
  for (const auto& name : dns_names)
    names += ",DNS:" + name;
  openssl({"req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-addext", names,
           "-keyout", ca.server_key.string(), "-out", csr.string()});
  openssl({"x509", "-req", "-in", csr.string(), "-CA", ca.ca_cert.string(), "-CAkey",
           ca_key.string(), "-set_serial", "2", "-days", "2", "-copy_extensions", "copyall", "-out",
           ca.server_cert.string()});
  return ca;
}

SigningCertificate make_signing_certificate(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  SigningCertificate s{dir / "signing.crt", dir / "signing.key"};
  openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
           "/CN=keel test token issuer", "-keyout", s.key.string(), "-out", s.cert.string()});
  return s;
}

}  // namespace keel::it
