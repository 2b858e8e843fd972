// Pins how keeld's pull reaches registries: docker.io references go to the configured
// registry-mirrors first, a mirror that fails is skipped for the next, and the error lists every
// endpoint tried when all fail, and docker.io itself is the last resort; two clients pulling one
// image at once share each blob's download; an OCI index is resolved to this host's platform unless
// --platform asks otherwise.
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integration/fixtures/fixtures.h"
#include "integration/registry/local_registry.h"
#include "integration/registry/tcp_proxy.h"
#include "integration/registry/temp_dir.h"
#include "integration/registry/test_certificates.h"
#include "manager/registry/registry_client.h"

namespace keel::it {
namespace {

using ::testing::HasSubstr;

// A keeld configuration file in its own temp dir, removed with it.
class ConfigFile {
 public:
  explicit ConfigFile(const std::string& json) {
    char tmpl[] = "/tmp/keel-config-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr)
      throw std::runtime_error("mkdtemp for the config file");
    dir_ = tmpl;
    std::ofstream(path()) << json;
  }
  ~ConfigFile() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  ConfigFile(const ConfigFile&) = delete;
  ConfigFile& operator=(const ConfigFile&) = delete;
  [[nodiscard]] std::filesystem::path path() const { return dir_ / "keeld.json"; }

 private:
  std::filesystem::path dir_;
};

fixtures::KeeldOptions with_config(const ConfigFile& config) {
  fixtures::KeeldOptions options;
  options.extra_args = {"--config-file", config.path().string()};
  return options;
}

// Port 1 on loopback: nothing listens, connections are refused at once.
constexpr std::string_view kDeadMirror = "http://127.0.0.1:1";

TEST(PullMirrors, DockerIoPullIsServedByTheFirstMirrorThatAnswers) {
  KEEL_SKIP_UNLESS_ROOT();
  LocalRegistry mirror;
  const PushedImage pushed = mirror.push("library/mirrored", "1", {{"etc/motd", "mirrored\n"}});
  const ConfigFile config(R"({"registry-mirrors": [")" + std::string(kDeadMirror) +
                          R"(", "http://)" + mirror.host() + R"("]})");
  fixtures::Keeld keeld(with_config(config));
  ASSERT_NO_FATAL_FAILURE(keeld.start());

  const auto pulled = keeld.ctl({"pull", "mirrored:1"});
  ASSERT_EQ(pulled.exit_code, 0) << pulled << keeld.log();
  EXPECT_EQ(keeld.ctl_ok({"images", "-q", "--no-trunc", "mirrored:1"}),
            pushed.config_digest + "\n");
  EXPECT_EQ(mirror.blob_gets(pushed.layer_digest).size(), 1U) << mirror.access_log();
  // The dead mirror was tried first and skipped.
  EXPECT_THAT(keeld.log(), HasSubstr(std::string(kDeadMirror)));
}

TEST(PullMirrors, WhenEveryMirrorFailsTheErrorListsEachEndpointTried) {
  KEEL_SKIP_UNLESS_ROOT();
  LocalRegistry stopped_mirror;
  const std::string stopped = "http://" + stopped_mirror.host();
  stopped_mirror.stop();
  const ConfigFile config(R"({"registry-mirrors": [")" + std::string(kDeadMirror) + R"(", ")" +
                          stopped + R"("]})");
  fixtures::Keeld keeld(with_config(config));
  ASSERT_NO_FATAL_FAILURE(keeld.start());
  const auto r = keeld.ctl({"pull", "library/nowhere:1"});
  EXPECT_NE(r.exit_code, 0) << r;
  ASSERT_EQ(r.err_lines().size(), 1U) << r;
  EXPECT_THAT(r.err, HasSubstr(std::string(kDeadMirror) + ":")) << r;
  EXPECT_THAT(r.err, HasSubstr(stopped + ":")) << r;
  // Then docker.io itself, unreachable from a test machine, is the last one named.
  EXPECT_THAT(r.err, HasSubstr("registry-1.docker.io")) << r;
}

// Whether a server may listen on 127.0.0.1:port now.
bool loopback_port_is_free(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return false;
  const int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return free;
}

// docker.io itself, offline: keeld runs in a mount namespace of its own whose /etc/hosts sends
// registry-1.docker.io to 127.0.0.1, where a registry serves HTTPS on port 443 with a certificate
// for that name from a test CA, trusted through certs.d/docker.io/ca.crt. While the mirror
// answers it serves the pull and docker.io sees nothing; once it is stopped, the next pull falls
// back to docker.io.
TEST(PullMirrors, AStoppedMirrorFallsBackToDockerIoItself) {
  KEEL_SKIP_UNLESS_ROOT();
  if (!loopback_port_is_free(443))
    GTEST_SKIP() << "127.0.0.1:443 is taken; the stand-in for docker.io needs it";
  const TempDir certs;
  const TestCa ca = make_test_ca(certs.path(), {"registry-1.docker.io"});
  LocalRegistry hub({.htpasswd = {},
                     .token = {},
                     .tls = std::make_pair(ca.server_cert, ca.server_key),
                     .push_as = {},
                     .port = 443});
  const PushedImage from_hub = hub.push("library/fallback", "2", {{"etc/motd", "from hub\n"}});
  LocalRegistry mirror;
  const PushedImage from_mirror =
      mirror.push("library/fallback", "1", {{"etc/motd", "from mirror\n"}});

  const TempDir etc;
  std::ofstream(etc.path() / "hosts") << "127.0.0.1 localhost\n127.0.0.1 registry-1.docker.io\n";
  const ConfigFile config(R"({"registry-mirrors": ["http://)" + mirror.host() + R"("]})");
  fixtures::KeeldOptions options = with_config(config);
  options.launch_prefix = {"/usr/bin/unshare",
                           "--mount",
                           "--propagation",
                           "private",
                           "/bin/sh",
                           "-c",
                           "mount --bind \"$0\" /etc/hosts && exec \"$@\"",
                           (etc.path() / "hosts").string()};
  fixtures::Keeld keeld(options);
  std::filesystem::create_directories(keeld.root() / "certs.d" / "docker.io");
  std::filesystem::copy_file(ca.ca_cert, keeld.root() / "certs.d" / "docker.io" / "ca.crt");
  ASSERT_NO_FATAL_FAILURE(keeld.start());

  const auto mirrored = keeld.ctl({"pull", "fallback:1"});
  ASSERT_EQ(mirrored.exit_code, 0) << mirrored << keeld.log();
  EXPECT_EQ(keeld.ctl_ok({"images", "-q", "--no-trunc", "fallback:1"}),
            from_mirror.config_digest + "\n");
  EXPECT_EQ(hub.manifest_gets("library/fallback"), 0) << hub.access_log();

  mirror.stop();
  const auto fell_back = keeld.ctl({"pull", "fallback:2"});
  ASSERT_EQ(fell_back.exit_code, 0) << fell_back << keeld.log();
  EXPECT_THAT(fell_back.out, HasSubstr("Digest: " + from_hub.manifest_digest)) << fell_back;
  EXPECT_EQ(keeld.ctl_ok({"images", "-q", "--no-trunc", "fallback:2"}),
            from_hub.config_digest + "\n");
  EXPECT_EQ(hub.blob_gets(from_hub.layer_digest).size(), 1U) << hub.access_log();
  EXPECT_THAT(keeld.log(), HasSubstr(mirror.host()));  // the stopped mirror was tried first
  keeld.expect_no_leaks();
}

TEST(PullConfigFile, UnknownKeyStopsKeeldWithOneLineNamingIt) {
  KEEL_SKIP_UNLESS_ROOT();
  const ConfigFile config(R"({"max-concurrent-downloads": 2, "registry-mirorrs": []})");
  fixtures::Keeld keeld(with_config(config));
  const auto r = keeld.start_expecting_exit();
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(keeld.log(), HasSubstr("keeld: config file " + config.path().string() +
                                     ": unknown key \"registry-mirorrs\""));
}

TEST(PullSharing, TwoClientsPullingOneImageDownloadEachBlobOnce) {
  KEEL_SKIP_UNLESS_ROOT();
  LocalRegistry registry;
  std::string payload(8U << 20, '\0');
  for (std::size_t i = 0; i < payload.size(); ++i)
    payload[i] = static_cast<char>((i * 2654435761U) >> 13);
  const PushedImage pushed = registry.push("keel/shared", "v1", {{"payload.bin", payload}});
  // 4 MiB/s: the layer takes about two seconds, so both pulls are in flight together.
  TcpProxy proxy(registry.host(), TcpProxy::Mode::kForward, 4U << 20);
  fixtures::Keeld keeld;
  ASSERT_NO_FATAL_FAILURE(keeld.start());
  const std::string ref = proxy.host() + "/keel/shared:v1";
  const std::vector<std::string> argv = {fixtures::keelctl_path().string(), "--address",
                                         keeld.socket().string(), "pull", ref};
  auto a = fixtures::start_command(argv);
  auto b = fixtures::start_command(argv);
  const auto ra = a.wait(std::chrono::seconds(60));
  const auto rb = b.wait(std::chrono::seconds(60));
  ASSERT_EQ(ra.exit_code, 0) << ra;
  ASSERT_EQ(rb.exit_code, 0) << rb;
  EXPECT_EQ(registry.manifest_gets("keel/shared"), 2) << registry.access_log();
  EXPECT_EQ(registry.blob_gets(pushed.layer_digest).size(), 1U) << registry.access_log();
  EXPECT_EQ(registry.blob_gets(pushed.config_digest).size(), 1U) << registry.access_log();
  EXPECT_EQ(keeld.ctl_ok({"images", "-q", "--no-trunc", ref}), pushed.config_digest + "\n");
}

// Every request keeld makes to a registry goes over the few connections it has open there: two
// pulls of three-layer images, with their token-less /v2/ checks, manifests, configs and layers,
// open far fewer connections than they make requests.
TEST(PullConnections, PullsReuseTheConnectionsAlreadyOpen) {
  KEEL_SKIP_UNLESS_ROOT();
  LocalRegistry registry;
  (void)registry.push("keel/one", "1", {{"etc/one", "1\n"}});
  (void)registry.push("keel/two", "1", {{"etc/two", "2\n"}});
  TcpProxy proxy(registry.host(), TcpProxy::Mode::kForward);
  fixtures::Keeld keeld;
  ASSERT_NO_FATAL_FAILURE(keeld.start());
  ASSERT_EQ(keeld.ctl({"pull", proxy.host() + "/keel/one:1"}).exit_code, 0);
  ASSERT_EQ(keeld.ctl({"pull", proxy.host() + "/keel/two:1"}).exit_code, 0);
  // keeld's requests, by their user agent, in the registry's access log.
  std::istringstream log(registry.access_log());
  std::string keel_requests;
  int requests = 0;
  for (std::string line; std::getline(log, line);) {
    if (line.find("\"keel/") != std::string::npos) {
      keel_requests += line + "\n";
      ++requests;
    }
  }
  ASSERT_GE(requests, 6) << keel_requests;
  // TLS is tried once per pull before plain HTTP (loopback): a connection each.
  EXPECT_LE(proxy.accepted(), 4) << requests << " requests:\n" << keel_requests;
}

TEST(PullPlatform, IndexResolvesToThisHostOrToThePlatformAskedFor) {
  KEEL_SKIP_UNLESS_ROOT();
#if defined(__x86_64__)
  const std::string host = "linux/amd64";
  const std::string other = "linux/arm64";
#elif defined(__aarch64__)
  const std::string host = "linux/arm64";
  const std::string other = "linux/amd64";
#else
  GTEST_SKIP() << "this test knows amd64 and arm64 hosts";
#endif
  LocalRegistry registry;
  const auto images =
      registry.push_multi_platform("keel/multi", "v1", {{"etc/motd", "multi\n"}}, {host, other});
  fixtures::Keeld keeld;
  ASSERT_NO_FATAL_FAILURE(keeld.start());
  const std::string ref = registry.host() + "/keel/multi:v1";

  // The index is what the tag names at the registry: the pull's Digest line and the image's repo
  // digest are the index's, and the image is found by it.
  manager::registry::RegistryClient client(manager::registry::resolve_endpoint(registry.host(), {}),
                                           std::nullopt);
  const auto index = client.get_manifest("keel/multi", "v1");
  ASSERT_TRUE(index) << index.error().message();
  const std::string index_digest = index->digest.str();
  ASSERT_NE(index_digest, images[0].manifest_digest);

  const auto pulled = keeld.ctl({"pull", ref});
  ASSERT_EQ(pulled.exit_code, 0) << pulled;
  EXPECT_THAT(pulled.out, HasSubstr("Digest: " + index_digest + "\n")) << pulled;
  EXPECT_EQ(keeld.ctl_ok({"images", "-q", "--no-trunc", ref}), images[0].config_digest + "\n");
  EXPECT_EQ(keeld.ctl_ok({"images", "--digests", "--format", "{{.Digest}}", ref}),
            index_digest + "\n");
  const std::string by_digest = registry.host() + "/keel/multi@" + index_digest;
  EXPECT_EQ(keeld.ctl_ok({"images", "-q", "--no-trunc", by_digest}),
            images[0].config_digest + "\n");

  const auto picked = keeld.ctl({"pull", "--platform", other, ref});
  ASSERT_EQ(picked.exit_code, 0) << picked;
  EXPECT_EQ(keeld.ctl_ok({"images", "-q", "--no-trunc", ref}), images[1].config_digest + "\n");
  EXPECT_THAT(picked.out, HasSubstr("Digest: " + index_digest + "\n")) << picked;
  // The host's image, left dangling, is pruned; the index stays in the content store while the
  // other platform's image is named through it.
  EXPECT_EQ(keeld.ctl({"image", "prune", "-f"}).exit_code, 0);
  const auto blobs = keeld.store_files().blobs;
  EXPECT_FALSE(blobs.contains(images[0].manifest_digest.substr(7)));
  EXPECT_TRUE(blobs.contains(index_digest.substr(7)));

  const auto missing = keeld.ctl({"pull", "--platform", "linux/s390x", ref});
  EXPECT_NE(missing.exit_code, 0) << missing;
  ASSERT_EQ(missing.err_lines().size(), 1U) << missing;
  EXPECT_THAT(missing.err, HasSubstr(host)) << missing;
  EXPECT_THAT(missing.err, HasSubstr(other)) << missing;
}

}  // namespace
}  // namespace keel::it
