// Pins what the container's process is allowed: a seccomp rule's errno for one syscall only, the
// exact capability sets in /proc/self/status, and linux.personality.
#include <sys/utsname.h>

#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integration/fixtures/fixtures.h"

namespace keel::fixtures {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(Seccomp, ErrnoRuleFailsTheChosenSyscallOnly) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.config["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"syscalls",
       {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", EXDEV}}}}};
  const RunResult run = run_script(bundle, "echo ok; mkdir /tmp/x; echo mkdir=$?; touch /tmp/y");
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.out, HasSubstr("ok\nmkdir=1\n")) << run;
  EXPECT_THAT(run.err, HasSubstr("Invalid cross-device link")) << run;
  EXPECT_FALSE(std::filesystem::exists(bundle.host_path("/tmp/x")));
  EXPECT_TRUE(std::filesystem::exists(bundle.host_path("/tmp/y"))) << "other syscalls failed too";
  leaks.expect_none();
}

// The Cap* lines of /proc/self/status as the container's process sees them.
std::string cap_lines(const RunResult& run) {
  std::string out;
  std::istringstream in(run.out);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("Cap"))
      out += line + "\n";
  }
  return out;
}

TEST(Capabilities, RootProcessHasExactlyTheConfiguredSets) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  const nlohmann::json allowed = {"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  bundle.config["process"]["noNewPrivileges"] = true;
  bundle.config["process"]["capabilities"] = {
      {"bounding",
       {"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_KILL", "CAP_SETUID", "CAP_NET_BIND_SERVICE"}},
      {"effective", allowed},
      {"permitted", allowed},
      {"inheritable", {"CAP_KILL"}},
      {"ambient", nlohmann::json::array()}};
  const RunResult run = run_script(bundle, "cat /proc/self/status");
  EXPECT_EQ(run.exit_code, 0) << run;
  // CHOWN 0, DAC_OVERRIDE 1, KILL 5, SETUID 7, NET_BIND_SERVICE 10.
  EXPECT_EQ(cap_lines(run),
            "CapInh:\t0000000000000020\n"
            "CapPrm:\t0000000000000421\n"
            "CapEff:\t0000000000000421\n"
            "CapBnd:\t00000000000004a3\n"
            "CapAmb:\t0000000000000000\n")
      << run;
  leaks.expect_none();
}

// A non-root process keeps after execve only what is ambient (capabilities(7)): permitted and
// effective become the ambient set, inheritable and bounding stay as configured.
TEST(Capabilities, UnprivilegedProcessKeepsItsAmbientSet) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  const nlohmann::json kept = {"CAP_KILL", "CAP_NET_BIND_SERVICE"};
  bundle.config["process"]["user"] = {{"uid", kUserUid}, {"gid", kUserGid}};
  bundle.config["process"]["capabilities"] = {
      {"bounding", {"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"}},
      {"effective", kept},
      {"permitted", kept},
      {"inheritable", kept},
      {"ambient", {"CAP_NET_BIND_SERVICE"}}};
  const RunResult run = run_script(bundle, "id -u; cat /proc/self/status");
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_TRUE(run.out.starts_with("1000\n")) << run;
  EXPECT_EQ(cap_lines(run),
            "CapInh:\t0000000000000420\n"
            "CapPrm:\t0000000000000400\n"
            "CapEff:\t0000000000000400\n"
            "CapBnd:\t0000000000000421\n"
            "CapAmb:\t0000000000000400\n")
      << run;
  leaks.expect_none();
}

TEST(Personality, Linux32MakesUnameReportA32BitMachine) {
  KEEL_SKIP_UNLESS_ROOT();
  utsname host{};
  if (::uname(&host) != 0 || std::string(host.machine) != "x86_64")
    GTEST_SKIP() << "LINUX32 reports i686 on x86_64 hosts only";
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.config["linux"]["personality"] = {{"domain", "LINUX32"}};
  const RunResult run = run_script(bundle, "uname -m");
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(run.out, "i686\n") << run;
  EXPECT_THAT(run.out, Not(HasSubstr("x86_64")));
  leaks.expect_none();
}

}  // namespace
}  // namespace keel::fixtures
