// Pins the compiled-filter cache under <root>/@seccomp-cache (runtime/security/seccomp_cache.cpp):
// a second container with the same profile loads the stored program and is still denied, exec'd
// processes load it too, and `list` does not take the cache for a container.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integration/fixtures/fixtures.h"

namespace keel::fixtures {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kMkdirProbe = "mkdir /tmp/x; echo mkdir=$?";

nlohmann::json mkdir_denied(int errno_ret) {
  return {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"syscalls",
       {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", errno_ret}}}}};
}

std::vector<std::filesystem::path> cache_entries(const Bundle& bundle) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(bundle.root / "@seccomp-cache", ec))
    out.push_back(entry.path());
  return out;
}

// Runs one container under the mkdir-denying profile (EXDEV); the cache entries it left.
std::vector<std::filesystem::path> fill_cache_with_exdev_profile(Bundle& bundle) {
  bundle.config["linux"]["seccomp"] = mkdir_denied(EXDEV);
  const RunResult run = run_script(bundle, kMkdirProbe);
  EXPECT_EQ(run.exit_code, 0) << run;
  return cache_entries(bundle);
}

std::string read_bytes(const std::filesystem::path& path) {
  std::string out;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return out;
  char buf[4096];
  ssize_t n = 0;
  while ((n = ::read(fd, buf, sizeof buf)) > 0)
    out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

// Rewrites the entry in place, mode 0600 like the runtime's.
void write_bytes(const std::filesystem::path& path, const std::string& data) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  ASSERT_GE(fd, 0) << path;
  EXPECT_EQ(::write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
  ::close(fd);
}

ino_t inode_of(const std::filesystem::path& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

TEST(SeccompCache, SecondRunLoadsTheCachedFilterAndStillDenies) {
  KEEL_SKIP_UNLESS_ROOT();
  if (!is_keel())
    GTEST_SKIP() << "keel's own cache";
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.config["linux"]["seccomp"] = mkdir_denied(EXDEV);

  const RunResult first = run_script(bundle, kMkdirProbe);
  EXPECT_EQ(first.exit_code, 0) << first;
  EXPECT_THAT(first.out, HasSubstr("mkdir=1")) << first;
  EXPECT_THAT(first.err, HasSubstr("Invalid cross-device link")) << first;
  const auto entries = cache_entries(bundle);
  ASSERT_EQ(entries.size(), 1u) << "one compiled program stored";
  EXPECT_EQ(std::filesystem::status(entries[0]).permissions(),
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  const ino_t stored = inode_of(entries[0]);

  const RunResult second = run_script(bundle, kMkdirProbe);
  EXPECT_EQ(second.exit_code, 0) << second;
  EXPECT_THAT(second.out, HasSubstr("mkdir=1")) << second;
  EXPECT_THAT(second.err, HasSubstr("Invalid cross-device link")) << second;
  EXPECT_EQ(cache_entries(bundle), entries);
  EXPECT_EQ(inode_of(entries[0]), stored) << "a hit must not compile and store again";
  EXPECT_FALSE(std::filesystem::exists(bundle.host_path("/tmp/x")));

  const RunResult list = run_runtime(bundle, {"list", "--quiet"});
  EXPECT_EQ(list.exit_code, 0) << list;
  EXPECT_THAT(list.out, Not(HasSubstr("seccomp-cache"))) << list;
  leaks.expect_none();
}

// The cache sits where no container id can name it: `state` and `delete --force` of its name
// (with or without the '@') neither see it as a container nor remove it.
TEST(SeccompCache, NoContainerIdNamesTheCache) {
  KEEL_SKIP_UNLESS_ROOT();
  if (!is_keel())
    GTEST_SKIP() << "keel's own cache";
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  const auto entries = fill_cache_with_exdev_profile(bundle);
  ASSERT_EQ(entries.size(), 1U);
  for (const std::string name : {"seccomp-cache", "@seccomp-cache"}) {
    const RunResult state = run_runtime(bundle, {"state", name});
    EXPECT_NE(state.exit_code, 0) << state;
    EXPECT_THAT(state.err, Not(HasSubstr("being created"))) << state;
    expect_error_line(state, name);
    const RunResult del = run_runtime(bundle, {"delete", "--force", name});
    EXPECT_EQ(cache_entries(bundle), entries) << del;
  }
  leaks.expect_none();
}

// The init takes the program from the cache, not from the profile: an entry holding another
// profile's program under this profile's key is what the container gets. The key inside the file
// is what makes an entry trusted, so this forgery needs root; it shows which program runs.
TEST(SeccompCache, InitLoadsTheStoredProgram) {
  KEEL_SKIP_UNLESS_ROOT();
  if (!is_keel())
    GTEST_SKIP() << "keel's own cache";
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  const auto exdev_entries = fill_cache_with_exdev_profile(bundle);
  ASSERT_EQ(exdev_entries.size(), 1u);
  const std::filesystem::path exdev_entry = exdev_entries[0];

  bundle.config["linux"]["seccomp"] = mkdir_denied(EMLINK);
  const RunResult emlink = run_script(bundle, kMkdirProbe);
  EXPECT_THAT(emlink.err, HasSubstr("Too many links")) << emlink;
  std::filesystem::path emlink_entry;
  for (const auto& e : cache_entries(bundle))
    if (e != exdev_entry)
      emlink_entry = e;
  ASSERT_FALSE(emlink_entry.empty());

  // The EMLINK program with the EXDEV key: bytes 8..72 of an entry hold the key.
  std::string forged = read_bytes(emlink_entry);
  const std::string exdev_key = exdev_entry.stem().string();
  ASSERT_EQ(exdev_key.size(), 64u);
  forged.replace(8, 64, exdev_key);
  ASSERT_NO_FATAL_FAILURE(write_bytes(exdev_entry, forged));

  bundle.config["linux"]["seccomp"] = mkdir_denied(EXDEV);
  const RunResult cached = run_script(bundle, kMkdirProbe);
  EXPECT_THAT(cached.out, HasSubstr("mkdir=1")) << cached;
  EXPECT_THAT(cached.err, HasSubstr("Too many links")) << cached;

  // A damaged entry is not trusted: compiled again from the profile, and replaced.
  forged[forged.size() - 1] = static_cast<char>(forged.back() ^ 1);
  ASSERT_NO_FATAL_FAILURE(write_bytes(exdev_entry, forged));
  const RunResult recompiled = run_script(bundle, kMkdirProbe);
  EXPECT_THAT(recompiled.out, HasSubstr("mkdir=1")) << recompiled;
  EXPECT_THAT(recompiled.err, HasSubstr("Invalid cross-device link")) << recompiled;
  EXPECT_NE(read_bytes(exdev_entry), forged);
  leaks.expect_none();
}

// `exec` prepares the same program in its parent: from the cache the init filled.
TEST(SeccompCache, ExecdProcessIsDeniedWithTheCachedFilter) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.config["linux"]["seccomp"] = mkdir_denied(EXDEV);
  ASSERT_NO_FATAL_FAILURE(run_detached(bundle, until_released()));
  const RunResult exec = run_runtime(bundle, {"exec", bundle.id, "sh", "-c", kMkdirProbe});
  EXPECT_EQ(exec.exit_code, 0) << exec;
  EXPECT_THAT(exec.out, HasSubstr("mkdir=1")) << exec;
  EXPECT_THAT(exec.err, HasSubstr("Invalid cross-device link")) << exec;
  if (is_keel()) {
    EXPECT_EQ(cache_entries(bundle).size(), 1u);
  }
  release(bundle);
  force_delete(bundle);
  leaks.expect_none();
}

}  // namespace
}  // namespace keel::fixtures
