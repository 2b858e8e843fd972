// Pins what the container's process is given by the config's `process` and `hostname`: its pid,
// host name, environment, working directory, ids, umask and rlimits, as seen from inside.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integration/fixtures/fixtures.h"

namespace keel::fixtures {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::string::size_type start = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    lines.push_back(text.substr(start, end - start));
    if (end == std::string::npos)
      break;
    start = end + 1;
  }
  return lines;
}

TEST(Process, IsPidOneInItsPidNamespace) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  const RunResult run = run_script(bundle, "echo $$");
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(run.out, "1\n") << run;
  leaks.expect_none();
}

TEST(Process, SeesConfiguredHostname) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.config["hostname"] = "keel-it-host";
  const RunResult run = run_script(bundle, "hostname");
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(run.out, "keel-it-host\n") << run;
  leaks.expect_none();
}

TEST(Process, SeesConfiguredEnvironment) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.config["process"]["env"] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                                     "KEEL_IT_GREETING=hello world", "KEEL_IT_EMPTY="};
  bundle.set_args({"env"});
  bundle.write();
  const RunResult run = run_runtime(bundle, {"run", bundle.id});
  EXPECT_EQ(run.exit_code, 0) << run;
  const auto env = lines_of(run.out);
  EXPECT_THAT(env, Contains("PATH=/usr/sbin:/usr/bin:/sbin:/bin")) << run;
  EXPECT_THAT(env, Contains("KEEL_IT_GREETING=hello world")) << run;
  EXPECT_THAT(env, Contains("KEEL_IT_EMPTY=")) << run;
  EXPECT_THAT(env, Not(Contains(HasSubstr("TERM=")))) << "spec's TERM was replaced" << run;
  leaks.expect_none();
}

TEST(Process, StartsInConfiguredCwd) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  std::filesystem::create_directories(bundle.host_path("/srv/work"));
  bundle.config["process"]["cwd"] = "/srv/work";
  const RunResult run = run_script(bundle, "pwd");
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(run.out, "/srv/work\n") << run;
  leaks.expect_none();
}

TEST(Process, RunsAsConfiguredUidGidAndAdditionalGids) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.config["process"]["user"] = {
      {"uid", kUserUid}, {"gid", kUserGid}, {"additionalGids", {kUsersGid, kNogroupGid}}};
  const RunResult run = run_script(bundle, "id");
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(run.out, "uid=1000(user) gid=1000(user) groups=100(users),65534(nogroup)\n") << run;
  leaks.expect_none();
}

TEST(Process, HasConfiguredUmask) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.config["process"]["user"]["umask"] = 027;  // JSON holds it in decimal: 23
  const RunResult run = run_script(bundle, "umask");
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(run.out, "0027\n") << run;
  leaks.expect_none();
}

TEST(Process, HasConfiguredNofileLimits) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  // Below this host's limits: raising a hard limit would need CAP_SYS_RESOURCE.
  bundle.config["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 256}, {"hard", 512}}};
  const RunResult run = run_script(bundle, "ulimit -Sn; ulimit -Hn");
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(run.out, "256\n512\n") << run;
  leaks.expect_none();
}

}  // namespace
}  // namespace keel::fixtures
