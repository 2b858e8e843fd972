// Pins keeld's pull against registries that misbehave: a blob whose stored bytes are not its
// digest is refused with nothing committed, a registry killed mid-layer fails the pull and the
// next pull resumes from the bytes already downloaded (as after keeld itself is killed), and a
// registry that accepts connections but never answers fails in the stall timeout with a line
// that says so.
#include <stdlib.h>

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integration/fixtures/fixtures.h"
#include "integration/registry/local_registry.h"
#include "integration/registry/tcp_proxy.h"

namespace keel::it {
namespace {

using ::testing::HasSubstr;

std::string random_bytes(std::size_t size) {
  std::ifstream in("/dev/urandom", std::ios::binary);
  std::string out(size, '\0');
  in.read(out.data(), static_cast<std::streamsize>(size));
  return out;
}

std::uint64_t file_size_or_zero(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : size;
}

// KEELD_REGISTRY_STALL_TIMEOUT for the keeld started while this lives (keeld inherits it).
class StallTimeout {
 public:
  explicit StallTimeout(int seconds) {
    ::setenv("KEELD_REGISTRY_STALL_TIMEOUT", std::to_string(seconds).c_str(), 1);
  }
  ~StallTimeout() { ::unsetenv("KEELD_REGISTRY_STALL_TIMEOUT"); }
  StallTimeout(const StallTimeout&) = delete;
  StallTimeout& operator=(const StallTimeout&) = delete;
};

TEST(PullFaults, CorruptBlobIsRefusedByDigestWithNothingCommittedAndTheNextPullWorks) {
  KEEL_SKIP_UNLESS_ROOT();
  LocalRegistry registry;
  const PushedImage pushed = registry.push("keel/corrupt", "v1", {{"etc/motd", "original\n"}});
  const auto data = registry.blob_data_path(pushed.layer_digest);
  ASSERT_TRUE(std::filesystem::exists(data)) << data;
  std::string bytes = pushed.layer;
  bytes[bytes.size() / 2] ^= 0x5a;  // same size, other bytes: only the digest can tell
  std::ofstream(data, std::ios::binary | std::ios::trunc) << bytes;

  fixtures::Keeld keeld;
  ASSERT_NO_FATAL_FAILURE(keeld.start());
  const std::string ref = registry.host() + "/keel/corrupt:v1";
  const auto before = keeld.store_files();
  const auto refused = keeld.ctl({"pull", ref});
  EXPECT_EQ(refused.exit_code, 1) << refused;
  ASSERT_EQ(refused.err_lines().size(), 1U) << refused;
  EXPECT_THAT(refused.err, HasSubstr(pushed.layer_digest)) << refused;
  EXPECT_THAT(refused.err, HasSubstr("digest mismatch")) << refused;
  const auto after = keeld.store_files();
  EXPECT_FALSE(after.blobs.contains(pushed.layer_digest.substr(7)));
  EXPECT_TRUE(after.ingest.empty()) << *after.ingest.begin();
  EXPECT_EQ(fixtures::added_names(before.snapshots, after.snapshots), std::set<std::string>{});
  EXPECT_EQ(keeld.ctl_ok({"images", "-a", "-q"}), "");

  std::ofstream(data, std::ios::binary | std::ios::trunc) << pushed.layer;  // repaired
  const auto pulled = keeld.ctl({"pull", ref});
  ASSERT_EQ(pulled.exit_code, 0) << pulled;
  EXPECT_EQ(keeld.ctl_ok({"images", "-q", "--no-trunc", ref}), pushed.config_digest + "\n");
  EXPECT_TRUE(keeld.store_files().blobs.contains(pushed.layer_digest.substr(7)));
}

TEST(PullFaults, RegistryKilledMidLayerFailsAndTheNextPullResumes) {
  KEEL_SKIP_UNLESS_ROOT();
  constexpr std::size_t kLayer = 64U << 20;
  LocalRegistry registry;
  const PushedImage pushed = registry.push("keel/big", "v1", {{"big.bin", random_bytes(kLayer)}});
  // 16 MiB/s: the 64 MiB layer takes about 4 s, time enough to kill the registry half-way.
  TcpProxy proxy(registry.host(), TcpProxy::Mode::kForward, 16U << 20);
  const StallTimeout stall(3);
  fixtures::Keeld keeld;
  ASSERT_NO_FATAL_FAILURE(keeld.start());
  const std::string ref = proxy.host() + "/keel/big:v1";
  const auto ingest = keeld.root() / "content" / "ingest" / pushed.layer_digest.substr(7);

  auto first = fixtures::start_command(
      {fixtures::keelctl_path().string(), "--address", keeld.socket().string(), "pull", ref});
  ASSERT_TRUE(fixtures::wait_until([&] { return file_size_or_zero(ingest) >= (16U << 20); },
                                   std::chrono::seconds(30)))
      << "the download never got going";
  registry.kill();
  const auto failed = first.wait(std::chrono::seconds(60));
  EXPECT_NE(failed.exit_code, 0) << failed;
  EXPECT_THAT(failed.err, HasSubstr(pushed.layer_digest)) << failed;
  const std::uint64_t kept = file_size_or_zero(ingest);
  EXPECT_GE(kept, 16U << 20) << "the bytes already downloaded were not kept";
  EXPECT_LT(kept, pushed.layer.size());
  EXPECT_EQ(keeld.ctl_ok({"images", "-a", "-q"}), "");

  registry.restart();
  proxy.set_rate(0);
  const auto second = keeld.ctl({"pull", ref});
  ASSERT_EQ(second.exit_code, 0) << second;
  EXPECT_EQ(keeld.ctl_ok({"images", "-q", "--no-trunc", ref}), pushed.config_digest + "\n");
  // The second pull asked only for the rest: one ranged GET, for fewer bytes than the layer.
  const auto gets = registry.blob_gets(pushed.layer_digest);
  ASSERT_FALSE(gets.empty()) << registry.access_log();
  EXPECT_EQ(gets.back().first, 206) << registry.access_log();
  EXPECT_LE(gets.back().second, pushed.layer.size() - kept) << registry.access_log();
  EXPECT_THAT(keeld.log(), HasSubstr("resuming the download at byte"));
  EXPECT_FALSE(std::filesystem::exists(ingest));
}

TEST(PullFaults, KeeldKilledMidLayerResumesAfterItsRestart) {
  KEEL_SKIP_UNLESS_ROOT();
  constexpr std::size_t kLayer = 32U << 20;
  LocalRegistry registry;
  const PushedImage pushed = registry.push("keel/big", "v2", {{"big.bin", random_bytes(kLayer)}});
  TcpProxy proxy(registry.host(), TcpProxy::Mode::kForward, 8U << 20);
  fixtures::Keeld keeld;
  ASSERT_NO_FATAL_FAILURE(keeld.start());
  const std::string ref = proxy.host() + "/keel/big:v2";
  const auto ingest = keeld.root() / "content" / "ingest" / pushed.layer_digest.substr(7);

  auto first = fixtures::start_command(
      {fixtures::keelctl_path().string(), "--address", keeld.socket().string(), "pull", ref});
  ASSERT_TRUE(fixtures::wait_until([&] { return file_size_or_zero(ingest) >= (8U << 20); },
                                   std::chrono::seconds(30)))
      << "the download never got going";
  keeld.kill();  // a crash mid-layer
  (void)first.wait(std::chrono::seconds(30));
  const std::uint64_t kept = file_size_or_zero(ingest);
  ASSERT_GE(kept, 8U << 20);

  ASSERT_NO_FATAL_FAILURE(keeld.start());  // the same root: the partial ingest survives the open
  EXPECT_EQ(file_size_or_zero(ingest), kept);
  proxy.set_rate(0);
  const auto second = keeld.ctl({"pull", ref});
  ASSERT_EQ(second.exit_code, 0) << second;
  EXPECT_EQ(keeld.ctl_ok({"images", "-q", "--no-trunc", ref}), pushed.config_digest + "\n");
  const auto gets = registry.blob_gets(pushed.layer_digest);
  ASSERT_FALSE(gets.empty()) << registry.access_log();
  EXPECT_EQ(gets.back().first, 206) << registry.access_log();
  EXPECT_LE(gets.back().second, pushed.layer.size() - kept) << registry.access_log();
}

TEST(PullFaults, RegistryThatNeverAnswersTimesOutWithAClearLine) {
  KEEL_SKIP_UNLESS_ROOT();
  TcpProxy hanging("127.0.0.1:1", TcpProxy::Mode::kHang);
  const StallTimeout stall(1);
  fixtures::Keeld keeld;
  ASSERT_NO_FATAL_FAILURE(keeld.start());
  const auto start = std::chrono::steady_clock::now();
  const auto r = keeld.ctl({"pull", hanging.host() + "/keel/none:v1"});
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_NE(r.exit_code, 0) << r;
  ASSERT_EQ(r.err_lines().size(), 1U) << r;
  EXPECT_THAT(r.err, HasSubstr(hanging.host())) << r;
  EXPECT_THAT(r.err, HasSubstr("stopped answering")) << r;
  EXPECT_LT(took, std::chrono::seconds(30));
  // keeld keeps serving.
  EXPECT_EQ(keeld.ctl_ok({"images", "-a", "-q"}), "");
}

}  // namespace
}  // namespace keel::it
