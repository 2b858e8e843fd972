// Pins how keeld reaches a registry over TLS: a registry on 127.0.0.1 whose certificate comes
// from a test CA is refused while the CA is unknown (the error names the certificate, and keeld
// does not fall back to plain HTTP for it), and accepted once certs.d/<host:port>/ca.crt holds
// the CA, also from a --config-dir away from the root. A plain-HTTP registry on loopback is
// still reached: TLS is tried first and plain HTTP only because no TLS server answered.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integration/fixtures/fixtures.h"
#include "integration/registry/local_registry.h"
#include "integration/registry/temp_dir.h"
#include "integration/registry/test_certificates.h"
#include "manager/registry/registry_client.h"

namespace keel::it {
namespace {

fixtures::RunOptions with_stdin(std::string data) {
  fixtures::RunOptions options;
  options.stdin_data = std::move(data);
  return options;
}

using ::testing::HasSubstr;
using ::testing::Not;

TEST(KeelctlRegistryTls, UnknownCaIsRefusedCertsDCaIsTrusted) {
  KEEL_SKIP_UNLESS_ROOT();
  const TempDir certs;
  const TestCa ca = make_test_ca(certs.path());
  LocalRegistry registry({.htpasswd = {},
                          .token = {},
                          .tls = std::make_pair(ca.server_cert, ca.server_key),
                          .push_as = {},
                          .port = {}});
  const PushedImage pushed = registry.push("keel/tls", "v1", {{"etc/motd", "over tls\n"}});
  fixtures::Keeld keeld;
  ASSERT_NO_FATAL_FAILURE(keeld.start());
  const std::string ref = registry.host() + "/keel/tls:v1";

  const auto refused = keeld.ctl({"pull", ref});
  EXPECT_EQ(refused.exit_code, 1) << refused;
  ASSERT_EQ(refused.err_lines().size(), 1U) << refused;
  EXPECT_THAT(refused.err, HasSubstr("certificate")) << refused;
  EXPECT_THAT(refused.err, HasSubstr("https://" + registry.host())) << refused;
  EXPECT_THAT(refused.err, Not(HasSubstr("http://"))) << refused;

  const auto dir = keeld.root() / "certs.d" / registry.host();
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(ca.ca_cert, dir / "ca.crt");
  const auto accepted = keeld.ctl({"pull", ref});
  ASSERT_EQ(accepted.exit_code, 0) << accepted;
  EXPECT_THAT(accepted.out, HasSubstr("Digest: " + pushed.manifest_digest)) << accepted;
}

TEST(KeelctlRegistryTls, ConfigDirHoldsCertsDAndLogins) {
  KEEL_SKIP_UNLESS_ROOT();
  const TempDir certs;
  const TempDir config;
  const TestCa ca = make_test_ca(certs.path());
  LocalRegistry registry({.htpasswd = RegistryUser{"tls-user", "tls-pa55"},
                          .token = {},
                          .tls = std::make_pair(ca.server_cert, ca.server_key),
                          .push_as = {},
                          .port = {}});
  (void)registry.push("keel/tls", "v1", {{"etc/motd", "over tls\n"}});
  std::filesystem::create_directories(config.path() / "certs.d" / registry.host());
  std::filesystem::copy_file(ca.ca_cert, config.path() / "certs.d" / registry.host() / "ca.crt");
  fixtures::KeeldOptions options;
  options.extra_args = {"--config-dir", config.path().string()};
  fixtures::Keeld keeld(options);
  ASSERT_NO_FATAL_FAILURE(keeld.start());

  const auto login = keeld.ctl({"login", "-u", "tls-user", "--password-stdin", registry.host()},
                               with_stdin("tls-pa55"));
  ASSERT_EQ(login.exit_code, 0) << login;
  EXPECT_TRUE(std::filesystem::exists(config.path() / "config.json"));
  EXPECT_FALSE(std::filesystem::exists(keeld.root() / "config.json"));
  const auto pulled = keeld.ctl({"pull", registry.host() + "/keel/tls:v1"});
  EXPECT_EQ(pulled.exit_code, 0) << pulled;
}

TEST(KeelctlRegistryTls, PlainHttpLoopbackIsReachedAfterTryingTls) {
  KEEL_SKIP_UNLESS_ROOT();
  LocalRegistry registry;
  (void)registry.push("keel/plain", "v1", {{"etc/motd", "plain\n"}});
  manager::registry::RegistryClient client(manager::registry::resolve_endpoint(registry.host(), {}),
                                           std::nullopt);
  EXPECT_EQ(client.endpoint().base_url, "https://" + registry.host());
  auto manifest = client.get_manifest("keel/plain", "v1");
  ASSERT_TRUE(manifest) << manifest.error().message();
  EXPECT_EQ(client.endpoint().base_url, "http://" + registry.host());
  // A registry that is not loopback and not listed as insecure never gets plain HTTP.
  EXPECT_TRUE(
      manager::registry::resolve_endpoint("registry.example:5000", {}).plain_http_url.empty());
}

}  // namespace
}  // namespace keel::it
