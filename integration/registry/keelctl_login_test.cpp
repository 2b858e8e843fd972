// Pins keelctl login/logout and credentialed pulls against registries that require auth: one
// with htpasswd Basic auth, one with bearer tokens from a test token server (signed JWTs, the
// registry's `auth: token`). Right password: "Login Succeeded", config.json 0600 holding the
// entry beside those already there, and pulls and pushes work; wrong password: one docker-style
// line and nothing written; no login: pulls and pushes are refused as unauthorized; logout forgets.
// No password, no Basic credential and no token ever reaches keeld's log.
#include <sys/stat.h>

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "integration/fixtures/fixtures.h"
#include "integration/registry/local_registry.h"
#include "integration/registry/temp_dir.h"
#include "integration/registry/token_server.h"
#include "manager/registry/credentials.h"

namespace keel::it {
namespace {

fixtures::RunOptions with_stdin(std::string data) {
  fixtures::RunOptions options;
  options.stdin_data = std::move(data);
  return options;
}

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const RegistryUser kUser{"keel-tester", "pa55-w0rd-never-logged"};

nlohmann::json read_config(const fixtures::Keeld& keeld) {
  return nlohmann::json::parse(fixtures::read_text(keeld.root() / "config.json"));
}

// An entry written by someone else, which a login must keep.
void seed_other_entry(const fixtures::Keeld& keeld) {
  std::ofstream(keeld.root() / "config.json")
      << R"({"auths":{"other.example:5000":{"auth":"b3RoZXI6b3RoZXI="}},"HttpHeaders":{"X-Keep":"1"}})";
}

// The whole flow against one registry that refuses anonymous pulls.
void login_pull_logout(const LocalRegistry& registry, const fixtures::Keeld& keeld,
                       const PushedImage& pushed) {
  const std::string ref = registry.host() + "/keel/private:v1";

  const auto anonymous = keeld.ctl({"pull", ref});
  EXPECT_NE(anonymous.exit_code, 0) << anonymous;
  ASSERT_EQ(anonymous.err_lines().size(), 1U) << anonymous;
  EXPECT_THAT(anonymous.err, HasSubstr("unauthorized")) << anonymous;

  seed_other_entry(keeld);
  const auto wrong = keeld.ctl({"login", "-u", kUser.name, "--password-stdin", registry.host()},
                               with_stdin("not-the-password\n"));
  EXPECT_EQ(wrong.exit_code, 1) << wrong;
  ASSERT_EQ(wrong.err_lines().size(), 1U) << wrong;
  EXPECT_THAT(wrong.err, StartsWith("Error response from daemon: ")) << wrong;
  EXPECT_THAT(wrong.err, HasSubstr("unauthorized: ")) << wrong;
  EXPECT_THAT(wrong.err, Not(HasSubstr("not-the-password"))) << wrong;
  EXPECT_FALSE(read_config(keeld)["auths"].contains(registry.host()));

  const auto right = keeld.ctl({"login", "-u", kUser.name, "--password-stdin", registry.host()},
                               with_stdin(kUser.password + "\n"));
  ASSERT_EQ(right.exit_code, 0) << right;
  EXPECT_EQ(right.out, "Login Succeeded\n") << right;
  struct stat st {};
  ASSERT_EQ(::stat((keeld.root() / "config.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600U);
  const auto config = read_config(keeld);
  EXPECT_EQ(config["auths"][registry.host()]["auth"],
            manager::registry::base64_encode(kUser.name + ":" + kUser.password));
  EXPECT_EQ(config["auths"]["other.example:5000"]["auth"], "b3RoZXI6b3RoZXI=");
  EXPECT_EQ(config["HttpHeaders"]["X-Keep"], "1");
  EXPECT_FALSE(std::filesystem::exists(keeld.root() / "config.json.tmp"));

  const auto pulled = keeld.ctl({"pull", ref});
  ASSERT_EQ(pulled.exit_code, 0) << pulled;
  EXPECT_THAT(pulled.out, HasSubstr("Digest: " + pushed.manifest_digest)) << pulled;
  EXPECT_EQ(keeld.ctl_ok({"images", "-q", "--no-trunc", ref}), pushed.config_digest + "\n");

  // Logged in, a push to another repository of the registry goes through: the layer is mounted
  // from the repository it came from (the token covers both), and a pull of what was pushed
  // gives back the same manifest.
  const std::string copy = registry.host() + "/keel/copied:v1";
  keeld.ctl_ok({"tag", ref, copy});
  const auto pushed_copy = keeld.ctl({"push", copy});
  ASSERT_EQ(pushed_copy.exit_code, 0) << pushed_copy;
  EXPECT_THAT(pushed_copy.out, HasSubstr(": Mounted from keel/private\n")) << pushed_copy;
  EXPECT_THAT(pushed_copy.out, HasSubstr("v1: digest: " + pushed.manifest_digest)) << pushed_copy;
  keeld.ctl_ok({"rmi", copy});
  const auto pulled_copy = keeld.ctl({"pull", copy});
  ASSERT_EQ(pulled_copy.exit_code, 0) << pulled_copy;
  EXPECT_THAT(pulled_copy.out, HasSubstr("Digest: " + pushed.manifest_digest)) << pulled_copy;

  EXPECT_EQ(keeld.ctl_ok({"logout", registry.host()}),
            "Removing login credentials for " + registry.host() + "\n");
  EXPECT_FALSE(read_config(keeld)["auths"].contains(registry.host()));
  EXPECT_TRUE(read_config(keeld)["auths"].contains("other.example:5000"));
  EXPECT_EQ(keeld.ctl_ok({"logout", registry.host()}),
            "Not logged in to " + registry.host() + "\n");

  // Logged out: the registry refuses again (the image is local, so pull a tag not yet here).
  const auto after = keeld.ctl({"pull", registry.host() + "/keel/private:v2"});
  EXPECT_NE(after.exit_code, 0) << after;
  EXPECT_THAT(after.err, HasSubstr("unauthorized")) << after;
  const auto push_after = keeld.ctl({"push", registry.host() + "/keel/copied:v1"});
  EXPECT_NE(push_after.exit_code, 0) << push_after;
  ASSERT_EQ(push_after.err_lines().size(), 1U) << push_after;
  EXPECT_THAT(push_after.err, HasSubstr("unauthorized")) << push_after;

  const std::string log = keeld.log();
  EXPECT_THAT(log, HasSubstr("login to " + registry.host()));  // the log is really captured
  EXPECT_THAT(log, Not(HasSubstr(kUser.password)));
  EXPECT_THAT(log, Not(HasSubstr("not-the-password")));
  EXPECT_THAT(log,
              Not(HasSubstr(manager::registry::base64_encode(kUser.name + ":" + kUser.password))));
  EXPECT_THAT(log, Not(HasSubstr("Bearer ")));
  EXPECT_THAT(log, Not(HasSubstr("eyJ")));  // any JWT: its header is base64url of {"
}

TEST(KeelctlLogin, BasicAuthRegistry) {
  KEEL_SKIP_UNLESS_ROOT();
  LocalRegistry registry({.htpasswd = kUser, .token = {}, .tls = {}, .push_as = {}, .port = {}});
  const PushedImage pushed = registry.push("keel/private", "v1", {{"etc/motd", "basic\n"}});
  (void)registry.push("keel/private", "v2", {{"etc/motd", "basic 2\n"}});
  fixtures::Keeld keeld;
  ASSERT_NO_FATAL_FAILURE(keeld.start());
  login_pull_logout(registry, keeld, pushed);
}

TEST(KeelctlLogin, TokenAuthRegistry) {
  KEEL_SKIP_UNLESS_ROOT();
  const TempDir certs;
  TokenServer tokens({.issuer = "keel-test-issuer",
                      .service = "keel-test-registry",
                      .username = kUser.name,
                      .password = kUser.password,
                      .signing = make_signing_certificate(certs.path())});
  LocalRegistry registry(
      {.htpasswd = {},
       .token = RegistryTokenAuth{tokens.realm(), tokens.options().service, tokens.options().issuer,
                                  tokens.options().signing.cert},
       .tls = {},
       .push_as = kUser,
       .port = {}});
  const PushedImage pushed = registry.push("keel/private", "v1", {{"etc/motd", "token\n"}});
  (void)registry.push("keel/private", "v2", {{"etc/motd", "token 2\n"}});
  const int granted_to_skopeo = tokens.granted();
  ASSERT_GT(granted_to_skopeo, 0);
  fixtures::Keeld keeld;
  ASSERT_NO_FATAL_FAILURE(keeld.start());
  login_pull_logout(registry, keeld, pushed);
  EXPECT_GT(tokens.granted(), granted_to_skopeo);  // keeld's login and pull asked for tokens
  EXPECT_GT(tokens.refused(), 0);                  // and the wrong password was refused there
}

TEST(KeelctlLogin, NeedsAPasswordWithoutATerminal) {
  KEEL_SKIP_UNLESS_ROOT();
  fixtures::Keeld keeld;
  ASSERT_NO_FATAL_FAILURE(keeld.start());
  const auto r = keeld.ctl({"login", "-u", "someone", "127.0.0.1:1"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("non TTY")) << r;
  const auto both = keeld.ctl({"login", "-u", "a", "-p", "b", "--password-stdin", "127.0.0.1:1"});
  EXPECT_THAT(both.err, HasSubstr("mutually exclusive")) << both;
  EXPECT_FALSE(std::filesystem::exists(keeld.root() / "config.json"));
}

}  // namespace
}  // namespace keel::it
