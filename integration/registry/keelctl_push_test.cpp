// Pins `keelctl push` end to end against private docker-registry instances on 127.0.0.1: an
// image of gzip, zstd and plain layers (one large enough for a chunked upload) goes through
// keeld to another registry with every digest unchanged, comes back into a fresh keeld and runs;
// a second push finds its layers there, a push to another repository mounts them; skopeo and
// podman read what keel pushed; and a push that cannot succeed is one line.
#include <cstring>
#include <fstream>
#include <random>
#include <stdexcept>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "integration/fixtures/fixtures.h"
#include "integration/registry/local_registry.h"
#include "integration/registry/temp_dir.h"
#include "manager/registry/registry_client.h"

namespace keel::it {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

// Bytes no compressor shrinks, the same on every run.
std::string noise(std::size_t size) {
  std::mt19937_64 generator(15);
  std::string out(size, '\0');
  for (std::size_t i = 0; i + 8 <= size; i += 8) {
    const std::uint64_t word = generator();
    std::memcpy(out.data() + i, &word, 8);
  }
  return out;
}

// busybox (gzip), a layer over 16 MiB (zstd: pushed in chunks), a small plain one.
PushedImage put_three_layer_image(LocalRegistry& registry, const TempDir& tmp,
                                  const std::string& repository) {
  const auto big = tmp.path() / "layer-big";
  write_file(big / "etc" / "keel" / "big", "big layer\n");
  write_file(big / "opt" / "noise.bin", noise(20U << 20));
  const auto small = tmp.path() / "layer-small";
  write_file(small / "etc" / "keel" / "message", "pushed by keel\n");
  return registry.push_layers(repository, "v1",
                              {{fixtures::busybox_template(), LayerCompression::kGzip},
                               {big, LayerCompression::kZstd},
                               {small, LayerCompression::kNone}});
}

// What the registry holds under repository:tag, as a client that did not push it reads it.
manager::registry::FetchedManifest fetch_manifest(const LocalRegistry& registry,
                                                  const std::string& repository,
                                                  const std::string& tag) {
  manager::registry::RegistryClient client(manager::registry::resolve_endpoint(registry.host(), {}),
                                           std::nullopt);
  auto manifest = client.get_manifest(repository, tag);
  if (!manifest)
    throw std::runtime_error(manifest.error().message());
  return *manifest;
}

std::vector<std::string> layer_digests_of(const std::string& manifest) {
  std::vector<std::string> out;
  const auto doc = nlohmann::json::parse(manifest);
  for (const auto& layer : doc["layers"])
    out.push_back(layer["digest"]);
  return out;
}

std::string short_id(const std::string& digest) {
  return digest.substr(7, 12);
}

TEST(KeelctlPush, TagAndPushToAnotherRegistryKeepsEveryDigestAndTheImageRunsAfterAPull) {
  KEEL_SKIP_UNLESS_ROOT();
  TempDir tmp;
  LocalRegistry source;
  LocalRegistry target;
  const PushedImage original = put_three_layer_image(source, tmp, "src/app");
  ASSERT_EQ(original.layer_digests.size(), 3U);
  const std::string from = source.host() + "/src/app:v1";
  const std::string to = target.host() + "/keel/app:v1";
  {
    fixtures::Keeld keeld;
    ASSERT_NO_FATAL_FAILURE(keeld.start());
    keeld.ctl_ok({"pull", "-q", from});
    keeld.ctl_ok({"tag", from, to});
    const auto pushed = keeld.ctl({"push", to});
    ASSERT_EQ(pushed.exit_code, 0) << pushed;
    EXPECT_THAT(pushed.out,
                HasSubstr("The push refers to repository [" + target.host() + "/keel/app]\n"));
    for (const auto& digest : original.layer_digests) {
      EXPECT_THAT(pushed.out, HasSubstr(short_id(digest) + ": Preparing\n")) << pushed;
      EXPECT_THAT(pushed.out, HasSubstr(short_id(digest) + ": Pushing\n")) << pushed;
      EXPECT_THAT(pushed.out, HasSubstr(short_id(digest) + ": Pushed\n")) << pushed;
    }
    EXPECT_THAT(pushed.out, HasSubstr("v1: digest: " + original.manifest_digest +
                                      " size: " + std::to_string(original.manifest.size()) + "\n"))
        << pushed;

    // The registry has the manifest byte for byte, so every digest in it is the original's.
    const auto stored = fetch_manifest(target, "keel/app", "v1");
    EXPECT_EQ(stored.bytes, original.manifest);
    EXPECT_EQ(stored.digest.str(), original.manifest_digest);
    EXPECT_EQ(layer_digests_of(stored.bytes), original.layer_digests);

    // Again: the registry has every layer now.
    const auto again = keeld.ctl({"push", to});
    ASSERT_EQ(again.exit_code, 0) << again;
    for (const auto& digest : original.layer_digests)
      EXPECT_THAT(again.out, HasSubstr(short_id(digest) + ": Layer already exists\n")) << again;
    EXPECT_THAT(again.out, Not(HasSubstr("Pushed"))) << again;

    const auto quiet = keeld.ctl({"push", "-q", to});
    EXPECT_EQ(quiet.exit_code, 0) << quiet;
    EXPECT_EQ(quiet.out, to + "\n") << quiet;

    keeld.ctl_ok({"rmi", from, to});
    EXPECT_EQ(keeld.ctl_ok({"images", "-a", "-q"}), "");
    keeld.expect_no_leaks();
  }

  // A keeld that never saw the image pulls it from where keel pushed it, and runs it.
  fixtures::Keeld fresh;
  ASSERT_NO_FATAL_FAILURE(fresh.start());
  const auto pulled = fresh.ctl({"pull", to});
  ASSERT_EQ(pulled.exit_code, 0) << pulled;
  EXPECT_THAT(pulled.out, HasSubstr("Digest: " + original.manifest_digest + "\n")) << pulled;
  EXPECT_EQ(fresh.ctl_ok({"images", "-q", "--no-trunc", to}), original.config_digest + "\n");
  const auto run = fresh.ctl({"run", "--rm", to, "cat", "/etc/keel/message", "/etc/keel/big"});
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(run.out, "pushed by keel\nbig layer\n") << run;
  fresh.expect_no_leaks();
}

TEST(KeelctlPush, AnotherRepositoryOfTheSameRegistryMountsTheLayers) {
  KEEL_SKIP_UNLESS_ROOT();
  LocalRegistry registry;
  const PushedImage original =
      registry.push_directory("library/busybox", "1", fixtures::busybox_template());
  fixtures::Keeld keeld;
  ASSERT_NO_FATAL_FAILURE(keeld.start());
  const std::string from = registry.host() + "/library/busybox:1";
  const std::string to = registry.host() + "/team/tools:1";
  keeld.ctl_ok({"pull", "-q", from});
  keeld.ctl_ok({"tag", from, to});
  const auto pushed = keeld.ctl({"push", to});
  ASSERT_EQ(pushed.exit_code, 0) << pushed;
  EXPECT_THAT(pushed.out,
              HasSubstr(short_id(original.layer_digest) + ": Mounted from library/busybox\n"))
      << pushed;
  EXPECT_THAT(pushed.out, Not(HasSubstr("Pushing"))) << pushed;
  EXPECT_EQ(fetch_manifest(registry, "team/tools", "1").bytes, original.manifest);
  keeld.expect_no_leaks();
}

// podman's own storage and state under `dir`, so the host's is never touched.
std::vector<std::string> podman(const std::filesystem::path& dir,
                                std::initializer_list<std::string> args) {
  std::vector<std::string> argv = {
      "/usr/bin/podman", "--root", (dir / "root").string(), "--runroot", (dir / "runroot").string(),
      "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "none",
      // crun refuses this host's hybrid cgroup layout; runc runs.
      "--runtime", "/usr/bin/runc"};
  argv.insert(argv.end(), args);
  return argv;
}

TEST(KeelctlPush, SkopeoCopiesBackAndPodmanPullsAndRunsWhatKeelPushed) {
  KEEL_SKIP_UNLESS_ROOT();
  TempDir tmp;
  LocalRegistry source;
  LocalRegistry target;
  const PushedImage original = put_three_layer_image(source, tmp, "src/app");
  const std::string to = target.host() + "/interop/app:v1";
  {
    fixtures::Keeld keeld;
    ASSERT_NO_FATAL_FAILURE(keeld.start());
    keeld.ctl_ok({"pull", "-q", source.host() + "/src/app:v1"});
    keeld.ctl_ok({"tag", source.host() + "/src/app:v1", to});
    keeld.ctl_ok({"push", "-q", to});
    keeld.expect_no_leaks();
  }

  const auto layout = tmp.path() / "copied";
  const auto copy = fixtures::run_command({"/usr/bin/skopeo", "copy", "--quiet",
                                           "--preserve-digests", "--src-tls-verify=false",
                                           "docker://" + to, "oci:" + layout.string() + ":v1"});
  ASSERT_EQ(copy.exit_code, 0) << copy;
  const auto index = nlohmann::json::parse(fixtures::read_text(layout / "index.json"));
  ASSERT_EQ(index["manifests"].size(), 1U);
  EXPECT_EQ(index["manifests"][0]["digest"], original.manifest_digest);
  for (const auto& digest : original.layer_digests)
    EXPECT_TRUE(std::filesystem::exists(layout / "blobs" / "sha256" / digest.substr(7))) << digest;

  fixtures::RunOptions slow;  // podman pulls and unpacks 20 MiB into vfs storage
  slow.timeout = std::chrono::seconds(120);
  const auto pulled = fixtures::run_command(
      podman(tmp.path(), {"pull", "--quiet", "--tls-verify=false", to}), slow);
  ASSERT_EQ(pulled.exit_code, 0) << pulled;
  const auto digest = fixtures::run_command(
      podman(tmp.path(), {"image", "inspect", "--format", "{{.Digest}}", to}));
  ASSERT_EQ(digest.exit_code, 0) << digest;
  EXPECT_EQ(digest.out, original.manifest_digest + "\n");
  // podman's default RLIMIT_NOFILE (1048576) is above this host's hard limit: ask for less.
  const auto ran = fixtures::run_command(
      podman(tmp.path(), {"run", "--rm", "--network", "none", "--ulimit", "nofile=1024:1024",
                          "--ulimit", "nproc=1024:1024", to, "cat", "/etc/keel/message"}),
      slow);
  EXPECT_EQ(ran.exit_code, 0) << ran;
  EXPECT_EQ(ran.out, "pushed by keel\n") << ran;
  (void)fixtures::run_command(podman(tmp.path(), {"rmi", "--all", "--force"}));
}

TEST(KeelctlPush, AnImageNotHereIsOneLine) {
  KEEL_SKIP_UNLESS_ROOT();
  fixtures::Keeld keeld;
  ASSERT_NO_FATAL_FAILURE(keeld.start());
  const auto r = keeld.ctl({"push", "127.0.0.1:5000/keel/absent:v1"});
  EXPECT_NE(r.exit_code, 0) << r;
  ASSERT_EQ(r.err_lines().size(), 1U) << r;
  EXPECT_THAT(r.err, HasSubstr("An image does not exist locally with the tag: "
                               "127.0.0.1:5000/keel/absent:v1"))
      << r;
  keeld.expect_no_leaks();
}

TEST(KeelctlPush, ARegistryNobodyAnswersIsOneLineNamingIt) {
  KEEL_SKIP_UNLESS_ROOT();
  LocalRegistry registry;
  (void)registry.push("keel/small", "v1", {{"etc/motd", "hi\n"}});
  fixtures::Keeld keeld;
  ASSERT_NO_FATAL_FAILURE(keeld.start());
  const std::string from = registry.host() + "/keel/small:v1";
  keeld.ctl_ok({"pull", "-q", from});
  keeld.ctl_ok({"tag", from, "127.0.0.1:1/keel/small:v1"});
  const auto r = keeld.ctl({"push", "127.0.0.1:1/keel/small:v1"});
  EXPECT_NE(r.exit_code, 0) << r;
  ASSERT_EQ(r.err_lines().size(), 1U) << r;
  EXPECT_THAT(r.err, HasSubstr("push 127.0.0.1:1/keel/small:v1")) << r;
  EXPECT_THAT(r.err, HasSubstr("http://127.0.0.1:1/v2/keel/small/blobs/")) << r;
  // keeld keeps serving.
  EXPECT_THAT(keeld.ctl_ok({"images", "-q", "--no-trunc", from}), HasSubstr("sha256:"));
  keeld.expect_no_leaks();
}

}  // namespace
}  // namespace keel::it
