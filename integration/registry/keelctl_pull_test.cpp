// Pins `keelctl pull` end to end: keeld pulls from a private docker-registry on 127.0.0.1, the
// layer lands verified in the content store and unpacked, the image runs, a second pull
// downloads nothing, and a pull that cannot succeed is one line and leaves no partial blob.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integration/fixtures/fixtures.h"
#include "integration/registry/local_registry.h"

namespace keel::it {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::set<std::string> ingest_files(const fixtures::Keeld& keeld) {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(keeld.root(), ec)) {
    const std::string path = e.path().string();
    if (path.find("ingest") != std::string::npos && e.is_regular_file())
      out.insert(path);
  }
  return out;
}

TEST(KeelctlPull, PullsVerifiesUnpacksAndRuns) {
  KEEL_SKIP_UNLESS_ROOT();
  LocalRegistry registry;
  const PushedImage pushed =
      registry.push_directory("library/busybox", "1", fixtures::busybox_template());
  fixtures::Keeld keeld;
  ASSERT_NO_FATAL_FAILURE(keeld.start());
  const std::string ref = registry.host() + "/library/busybox:1";

  const auto first = keeld.ctl({"pull", ref});
  ASSERT_EQ(first.exit_code, 0) << first;
  const std::string layer_id = pushed.layer_digest.substr(7, 12);
  EXPECT_THAT(first.out, HasSubstr(layer_id + ": Pulling fs layer\n")) << first;
  EXPECT_THAT(first.out, HasSubstr(layer_id + ": Pull complete\n")) << first;
  EXPECT_THAT(first.out, HasSubstr("Digest: " + pushed.manifest_digest + "\n")) << first;
  EXPECT_THAT(first.out, HasSubstr("Status: Downloaded newer image for " + ref)) << first;

  // The layer blob in the content store is the one pushed, byte for byte.
  const auto blob = keeld.root() / "content" / "blobs" / "sha256" / pushed.layer_digest.substr(7);
  if (std::filesystem::exists(blob)) {
    EXPECT_EQ(fixtures::read_text(blob).size(), pushed.layer.size());
  }
  const std::string id = keeld.ctl_ok({"images", "-q", "--no-trunc", ref});
  EXPECT_EQ(id, pushed.config_digest + "\n");

  const auto run = keeld.ctl({"run", "--rm", ref, "echo", "pulled and running"});
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(run.out, "pulled and running\n") << run;

  const auto again = keeld.ctl({"pull", ref});
  ASSERT_EQ(again.exit_code, 0) << again;
  EXPECT_THAT(again.out, HasSubstr(layer_id + ": Already exists\n")) << again;
  EXPECT_THAT(again.out, HasSubstr("Status: Image is up to date for " + ref)) << again;

  const auto quiet = keeld.ctl({"pull", "-q", ref});
  EXPECT_EQ(quiet.exit_code, 0) << quiet;
  EXPECT_EQ(quiet.out, ref + "\n") << quiet;
}

TEST(KeelctlPull, ByDigestLeavesTheImageUntaggedButKnown) {
  KEEL_SKIP_UNLESS_ROOT();
  LocalRegistry registry;
  const PushedImage pushed = registry.push("keel/small", "v1", {{"etc/motd", "hi\n"}});
  fixtures::Keeld keeld;
  ASSERT_NO_FATAL_FAILURE(keeld.start());
  const auto pulled =
      keeld.ctl({"pull", registry.host() + "/keel/small@" + pushed.manifest_digest});
  ASSERT_EQ(pulled.exit_code, 0) << pulled;
  EXPECT_THAT(keeld.ctl_ok({"images", "-a", "-q", "--no-trunc"}), HasSubstr(pushed.config_digest));
}

TEST(KeelctlPull, UnknownTagIsOneLineAndLeavesNothingBehind) {
  KEEL_SKIP_UNLESS_ROOT();
  LocalRegistry registry;
  (void)registry.push("keel/small", "v1", {{"etc/motd", "hi\n"}});  // the repository exists
  fixtures::Keeld keeld;
  ASSERT_NO_FATAL_FAILURE(keeld.start());
  const auto before = ingest_files(keeld);
  const auto missing = keeld.ctl({"pull", registry.host() + "/keel/small:nope"});
  EXPECT_EQ(missing.exit_code, 1) << missing;
  ASSERT_EQ(missing.err_lines().size(), 1U) << missing;
  EXPECT_THAT(missing.err, HasSubstr("manifest unknown")) << missing;
  EXPECT_EQ(ingest_files(keeld), before);
  EXPECT_EQ(keeld.ctl_ok({"images", "-a", "-q"}), "");
}

TEST(KeelctlPull, UnreachableRegistryNamesIt) {
  KEEL_SKIP_UNLESS_ROOT();
  fixtures::Keeld keeld;
  ASSERT_NO_FATAL_FAILURE(keeld.start());
  const auto r = keeld.ctl({"pull", "127.0.0.1:1/keel/none:v1"});
  EXPECT_NE(r.exit_code, 0) << r;
  ASSERT_EQ(r.err_lines().size(), 1U) << r;
  EXPECT_THAT(r.err, HasSubstr("http://127.0.0.1:1/v2/keel/none/manifests/v1")) << r;
  EXPECT_THAT(r.err, Not(HasSubstr("Authorization"))) << r;
}

}  // namespace
}  // namespace keel::it
