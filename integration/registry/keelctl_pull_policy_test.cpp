// Pins `run`/`create --pull missing|always|never` and `pull --all-tags` against a private
// docker-registry: a missing image is pulled with docker's "Unable to find image" line and the
// progress on stderr, stdout left to the container; never refuses with docker's "No such image";
// always fetches the registry's current image even when one is here; -a pulls every tag,
// following the tag list's pages.
#include <algorithm>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integration/fixtures/fixtures.h"
#include "integration/registry/local_registry.h"
#include "manager/registry/registry_client.h"

namespace keel::it {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(KeelctlPullPolicy, MissingImageIsPulledThenRun) {
  KEEL_SKIP_UNLESS_ROOT();
  LocalRegistry registry;
  const PushedImage pushed =
      registry.push_directory("library/busybox", "1", fixtures::busybox_template());
  fixtures::Keeld keeld;
  ASSERT_NO_FATAL_FAILURE(keeld.start());
  const std::string ref = registry.host() + "/library/busybox:1";

  const auto never = keeld.ctl({"run", "--rm", "--pull", "never", ref, "true"});
  EXPECT_EQ(never.exit_code, 125) << never;
  EXPECT_THAT(never.err, HasSubstr("No such image")) << never;
  EXPECT_THAT(never.err, Not(HasSubstr("Unable to find image"))) << never;
  EXPECT_EQ(keeld.ctl_ok({"images", "-q"}), "");

  const auto missing = keeld.ctl({"run", "--rm", ref, "echo", "pulled on demand"});
  ASSERT_EQ(missing.exit_code, 0) << missing;
  EXPECT_EQ(missing.out, "pulled on demand\n") << missing;
  EXPECT_THAT(missing.err, HasSubstr("Unable to find image '" + ref + "' locally\n")) << missing;
  EXPECT_THAT(missing.err, HasSubstr(pushed.layer_digest.substr(7, 12) + ": Pull complete"))
      << missing;
  EXPECT_THAT(missing.err, HasSubstr("Digest: " + pushed.manifest_digest)) << missing;
  EXPECT_THAT(missing.err, HasSubstr("Status: Downloaded newer image for " + ref)) << missing;

  // Present now: missing pulls nothing, never is content.
  const auto present = keeld.ctl({"run", "--rm", ref, "echo", "again"});
  EXPECT_EQ(present.exit_code, 0) << present;
  EXPECT_THAT(present.err, Not(HasSubstr("Unable to find image"))) << present;
  EXPECT_THAT(present.err, Not(HasSubstr("Pulling"))) << present;
  const auto created = keeld.ctl({"create", "--pull", "never", ref, "true"});
  EXPECT_EQ(created.exit_code, 0) << created;

  const auto bad = keeld.ctl({"create", "--pull", "sometimes", ref, "true"});
  EXPECT_EQ(bad.exit_code, 125) << bad;
  EXPECT_THAT(bad.err, HasSubstr("invalid pull option: 'sometimes'")) << bad;
}

TEST(KeelctlPullPolicy, AlwaysFetchesTheRegistrysCurrentImage) {
  KEEL_SKIP_UNLESS_ROOT();
  LocalRegistry registry;
  (void)registry.push("keel/moving", "v1", {{"etc/motd", "first\n"}});
  fixtures::Keeld keeld;
  ASSERT_NO_FATAL_FAILURE(keeld.start());
  const std::string ref = registry.host() + "/keel/moving:v1";
  keeld.ctl_ok({"pull", ref});
  const PushedImage moved = registry.push("keel/moving", "v1", {{"etc/motd", "second\n"}});

  const auto kept = keeld.ctl({"create", ref, "true"});
  ASSERT_EQ(kept.exit_code, 0) << kept;
  EXPECT_THAT(kept.err, Not(HasSubstr("Pulling"))) << kept;
  EXPECT_THAT(keeld.ctl_ok({"images", "-q", "--no-trunc", ref}),
              Not(HasSubstr(moved.config_digest)));

  const auto always = keeld.ctl({"create", "--pull", "always", ref, "true"});
  ASSERT_EQ(always.exit_code, 0) << always;
  EXPECT_THAT(always.err, HasSubstr("Digest: " + moved.manifest_digest)) << always;
  EXPECT_THAT(always.err, Not(HasSubstr("Unable to find image"))) << always;
  EXPECT_EQ(keeld.ctl_ok({"images", "-q", "--no-trunc", ref}), moved.config_digest + "\n");
  const std::string id = always.out.substr(0, always.out.find('\n'));
  EXPECT_THAT(keeld.ctl_ok({"inspect", "--format", "{{.Image}}", id}),
              HasSubstr(moved.config_digest));
}

TEST(KeelctlPullPolicy, AllTagsPullsEveryTag) {
  KEEL_SKIP_UNLESS_ROOT();
  LocalRegistry registry;
  std::vector<PushedImage> pushed;
  for (const std::string tag : {"a", "b", "c", "d", "e"})
    pushed.push_back(registry.push("keel/many", tag, {{"etc/motd", "tag " + tag + "\n"}}));

  // The registry pages the list when asked to: the client follows every Link.
  manager::registry::RegistryClient client(manager::registry::resolve_endpoint(registry.host(), {}),
                                           std::nullopt);
  auto paged = client.list_tags("keel/many", 2);
  ASSERT_TRUE(paged) << paged.error().message();
  std::sort(paged->begin(), paged->end());  // the registry's order is its storage's
  EXPECT_EQ(*paged, (std::vector<std::string>{"a", "b", "c", "d", "e"}));

  fixtures::Keeld keeld;
  ASSERT_NO_FATAL_FAILURE(keeld.start());
  const std::string repo = registry.host() + "/keel/many";
  const auto tagged = keeld.ctl({"pull", "-a", repo + ":a"});
  EXPECT_NE(tagged.exit_code, 0) << tagged;
  EXPECT_THAT(tagged.err, HasSubstr("tag can't be used with --all-tags/-a")) << tagged;

  const auto all = keeld.ctl({"pull", "--all-tags", repo});
  ASSERT_EQ(all.exit_code, 0) << all;
  for (const auto& image : pushed)
    EXPECT_THAT(all.out, HasSubstr("Digest: " + image.manifest_digest)) << all;
  EXPECT_THAT(all.out, HasSubstr("Status: Downloaded newer image for " + repo + "\n")) << all;
  for (const std::string tag : {"a", "b", "c", "d", "e"})
    EXPECT_NE(keeld.ctl_ok({"images", "-q", repo + ":" + tag}), "") << tag;

  const auto again = keeld.ctl({"pull", "-a", repo});
  ASSERT_EQ(again.exit_code, 0) << again;
  EXPECT_THAT(again.out, HasSubstr("Status: Image is up to date for " + repo + "\n")) << again;

  const auto unknown = keeld.ctl({"pull", "-a", registry.host() + "/keel/none"});
  EXPECT_NE(unknown.exit_code, 0) << unknown;
  EXPECT_THAT(unknown.err, HasSubstr("name unknown")) << unknown;
}

}  // namespace
}  // namespace keel::it
