// Pins config-linux.md "User namespace mappings": the process sees the configured uid_map and is
// uid 0 inside while a mapped uid outside; and a rootless bundle run by an unprivileged user.
#include <sys/stat.h>
#include <unistd.h>

#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/fs.h"
#include "integration/fixtures/fixtures.h"

namespace keel::fixtures {
namespace {

using ::testing::HasSubstr;

constexpr uid_t kRootlessUid = 1000;  // an unprivileged host user

// chown -h of `dir` and everything below it.
void chown_tree(const std::filesystem::path& dir, uid_t uid, gid_t gid) {
  ASSERT_EQ(::lchown(dir.c_str(), uid, gid), 0) << dir;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir))
    ASSERT_EQ(::lchown(entry.path().c_str(), uid, gid), 0) << entry.path();
}

uid_t owner_of(const std::filesystem::path& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 ? st.st_uid : static_cast<uid_t>(-1);
}

// The fields of /proc/self/uid_map lines, without the kernel's column padding.
std::string squeeze(const std::string& text) {
  std::string out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string f, joined;
    while (fields >> f)
      joined += (joined.empty() ? "" : " ") + f;
    out += joined + "\n";
  }
  return out;
}

TEST(UserNamespace, ProcessSeesItsMappingAndIsRootInside) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  constexpr uid_t kHostBase = 100000;
  auto& linux = bundle.config["linux"];
  linux["namespaces"].push_back({{"type", "user"}});
  const nlohmann::json mapping = {{{"containerID", 0}, {"hostID", kHostBase}, {"size", 65536}}};
  linux["uidMappings"] = mapping;
  linux["gidMappings"] = mapping;
  // Container root owns its files: host uid 100000 is uid 0 inside. It reaches them through the
  // private temp dirs, which it may search but not read.
  ASSERT_NO_FATAL_FAILURE(chown_tree(bundle.rootfs, kHostBase, kHostBase));
  for (const auto& dir : {bundle.base(), bundle.dir})
    std::filesystem::permissions(dir, std::filesystem::perms::others_exec,
                                 std::filesystem::perm_options::add);
  const RunResult run =
      run_script(bundle, "cat /proc/self/uid_map /proc/self/gid_map; id -u; touch /tmp/made");
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(squeeze(run.out), "0 100000 65536\n0 100000 65536\n0\n") << run;
  EXPECT_EQ(owner_of(bundle.host_path("/tmp/made")), kHostBase)
      << "uid 0 inside must be uid 100000 outside";
  leaks.expect_none();
}

std::vector<std::string> as_rootless_user(std::vector<std::string> argv) {
  const std::string id = std::to_string(kRootlessUid);
  std::vector<std::string> out = {"/usr/bin/setpriv", "--reuid", id,
                                  "--regid",          id,        "--clear-groups"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

// The host lets unprivileged users make user namespaces (Debian's sysctl, AppArmor and
// max_user_namespaces can each forbid it): probed by doing it.
bool unprivileged_userns_allowed() {
  const RunResult probe = run_command(as_rootless_user({"/usr/bin/unshare", "--user", "true"}));
  return probe.exit_code == 0;
}

TEST(Rootless, UnprivilegedUserRunsARootlessBundle) {
  KEEL_SKIP_UNLESS_ROOT();
  if (!std::filesystem::exists("/usr/bin/setpriv") || !std::filesystem::exists("/usr/bin/unshare"))
    GTEST_SKIP() << "needs setpriv and unshare (util-linux) to act as an unprivileged user";
  if (!unprivileged_userns_allowed())
    GTEST_SKIP() << "this host forbids unprivileged user namespaces (unshare --user as uid "
                 << kRootlessUid << " fails)";
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  ASSERT_NO_FATAL_FAILURE(chown_tree(bundle.base(), kRootlessUid, kRootlessUid));
  // The rootless config as that user generates it: its own uid and gid mapped to 0.
  const auto spec_dir = bundle.base() / "spec";
  std::filesystem::create_directory(spec_dir);
  ASSERT_EQ(::chown(spec_dir.c_str(), kRootlessUid, kRootlessUid), 0);
  const RunResult spec = run_command(
      as_rootless_user({runtime_path().string(), "spec", "--rootless", "-b", spec_dir.string()}));
  ASSERT_EQ(spec.exit_code, 0) << spec;
  auto text = fs::read_file((spec_dir / "config.json").string());
  ASSERT_TRUE(text.has_value());
  bundle.config = nlohmann::json::parse(*text);
  bundle.config["root"]["readonly"] = false;
  bundle.config["process"]["terminal"] = false;
  bundle.set_args({"sh", "-c", "cat /proc/self/uid_map; id -u; touch /tmp/made"});
  bundle.write();

  RunOptions options;
  options.cwd = bundle.dir;
  const RunResult run = run_command(
      as_rootless_user({runtime_path().string(), "--root", bundle.root.string(), "run", bundle.id}),
      options);
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(squeeze(run.out), "0 1000 1\n0\n") << run;
  EXPECT_EQ(owner_of(bundle.host_path("/tmp/made")), kRootlessUid)
      << "uid 0 inside must be the unprivileged user outside";
  leaks.expect_none();
}

}  // namespace
}  // namespace keel::fixtures
