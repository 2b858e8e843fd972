// Pins runtime/security/seccomp_cache.cpp: a hit gives the compiled program byte for byte, and an
// entry that is corrupt, truncated, holds another key or is writable by others is recompiled and
// replaced.
#include "runtime/security/seccomp_cache.h"

#include <linux/seccomp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <iterator>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "common/fs.h"
#include "tests/runtime/security/forked_child.h"

namespace keel::runtime::security {
namespace {

using test_support::Report;
using test_support::run_in_child;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "keel-sccache-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data()) != nullptr ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] std::string cache() const { return path_ + "/" + kSeccompCacheDir; }

 private:
  std::string path_;
};

oci::Seccomp mkdir_denied(uint32_t errno_ret) {
  oci::Seccomp profile;
  profile.default_action = "SCMP_ACT_ALLOW";
  profile.syscalls = {{{"mkdir", "mkdirat"}, "SCMP_ACT_ERRNO", errno_ret, {}}};
  return profile;
}

SeccompProgram compiled(const oci::Seccomp& profile) {
  auto filter = compile_seccomp(profile);
  EXPECT_TRUE(filter) << filter.error().message();
  auto program = to_program(*filter);
  EXPECT_TRUE(program) << program.error().message();
  return *program;
}

std::string read_all(const std::string& path) {
  auto data = fs::read_file(path);
  EXPECT_TRUE(data) << data.error().message();
  return data ? *data : std::string();
}

void write_all(const std::string& path, const std::string& data) {
  auto written = fs::write_file_atomic(path, data, 0600);
  EXPECT_TRUE(written) << written.error().message();
}

ino_t inode_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_mode & 07777 : 0;
}

void expect_same(const SeccompProgram& got, const SeccompProgram& want) {
  EXPECT_EQ(got.bpf, want.bpf);
  EXPECT_EQ(got.load_flags, want.load_flags);
  EXPECT_EQ(got.uses_notify, want.uses_notify);
}

TEST(SeccompCache, KeyFollowsTheProfile) {
  EXPECT_EQ(SeccompCache::key(mkdir_denied(EXDEV)), SeccompCache::key(mkdir_denied(EXDEV)));
  EXPECT_NE(SeccompCache::key(mkdir_denied(EXDEV)), SeccompCache::key(mkdir_denied(EMLINK)));
  EXPECT_EQ(SeccompCache::key(mkdir_denied(EXDEV)).size(), 64u);
}

// Each field of the profile reaches the key, and where one ends is never ambiguous.
TEST(SeccompCache, EveryFieldChangesTheKey) {
  oci::Seccomp base;
  base.default_action = "SCMP_ACT_ERRNO";
  base.default_errno_ret = 1;
  base.architectures = {"SCMP_ARCH_X86_64"};
  base.flags = {"SECCOMP_FILTER_FLAG_LOG"};
  base.listener_path = "/run/l.sock";
  base.listener_metadata = "m";
  base.syscalls = {{{"mkdir", "rmdir"}, "SCMP_ACT_ALLOW", 2, {{0, 1, 2, "SCMP_CMP_EQ"}}}};
  std::vector<oci::Seccomp> variants(16, base);
  variants[0].default_action = "SCMP_ACT_KILL";
  variants[1].default_errno_ret = std::nullopt;
  variants[2].architectures = {"SCMP_ARCH_X86"};
  variants[3].flags = {};
  variants[4].listener_path = std::nullopt;
  variants[5].listener_metadata = "n";
  variants[6].syscalls[0].names = {"mkdir"};
  variants[7].syscalls[0].names = {"mkdirr", "mdir"};  // the same letters, split elsewhere
  variants[8].syscalls[0].action = "SCMP_ACT_LOG";
  variants[9].syscalls[0].errno_ret = 3;
  variants[10].syscalls[0].args[0].index = 1;
  variants[11].syscalls[0].args[0].value = 7;
  variants[12].syscalls[0].args[0].value_two = 7;
  variants[13].syscalls[0].args[0].op = "SCMP_CMP_NE";
  variants[14].syscalls[0].args.clear();
  variants[15].syscalls.push_back(base.syscalls[0]);
  std::set<std::string> keys = {SeccompCache::key(base)};
  for (const auto& v : variants)
    keys.insert(SeccompCache::key(v));
  EXPECT_EQ(keys.size(), variants.size() + 1);
}

TEST(SeccompCache, MissStoresAndHitReturnsTheSameProgram) {
  TempDir tmp;
  const oci::Seccomp profile = mkdir_denied(EXDEV);
  const SeccompProgram fresh = compiled(profile);

  auto first = prepare_seccomp(profile, tmp.cache());
  ASSERT_TRUE(first) << first.error().message();
  expect_same(*first, fresh);
  const std::string entry = SeccompCache(tmp.cache()).path(SeccompCache::key(profile));
  EXPECT_EQ(mode_of(tmp.cache()), 0700u);
  EXPECT_EQ(mode_of(entry), 0600u);
  const ino_t stored = inode_of(entry);
  ASSERT_NE(stored, 0u);

  auto second = prepare_seccomp(profile, tmp.cache());
  ASSERT_TRUE(second) << second.error().message();
  expect_same(*second, fresh);
  EXPECT_EQ(inode_of(entry), stored) << "a hit must not rewrite the entry";
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(tmp.cache()), {}), 1)
      << "no temp file left behind";
}

// The first create under a new --root runs before the root exists: the entry is stored anyway,
// with the root made as the state store makes it, so the second container hits.
TEST(SeccompCache, FirstStoreUnderAMissingRootMakesIt) {
  TempDir tmp;
  const std::string root = tmp.cache() + "-root";
  const std::string cache_dir = root + "/" + kSeccompCacheDir;
  const oci::Seccomp profile = mkdir_denied(EXDEV);
  auto first = prepare_seccomp(profile, cache_dir);
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(mode_of(root), 0700u);
  EXPECT_EQ(mode_of(cache_dir), 0700u);
  EXPECT_TRUE(SeccompCache(cache_dir).find(SeccompCache::key(profile)));
  std::filesystem::remove_all(root);
}

TEST(SeccompCache, HitKeepsNotifyLoadFlags) {
  TempDir tmp;
  oci::Seccomp profile;
  profile.default_action = "SCMP_ACT_ALLOW";
  profile.syscalls = {{{"getppid"}, "SCMP_ACT_NOTIFY", std::nullopt, {}}};
  ASSERT_TRUE(prepare_seccomp(profile, tmp.cache()));
  auto hit = SeccompCache(tmp.cache()).find(SeccompCache::key(profile));
  ASSERT_TRUE(hit);
  EXPECT_TRUE(hit->uses_notify);
  EXPECT_NE(hit->load_flags & SECCOMP_FILTER_FLAG_NEW_LISTENER, 0u);
}

TEST(SeccompCache, CachedProgramDeniesTheSyscall) {
  TempDir tmp;
  const oci::Seccomp profile = mkdir_denied(EXDEV);
  ASSERT_TRUE(prepare_seccomp(profile, tmp.cache()));
  auto program = SeccompCache(tmp.cache()).find(SeccompCache::key(profile));
  ASSERT_TRUE(program);
  auto child = run_in_child([&](Report& r) {
    if (auto fd = load_bpf(program->bpf, program->load_flags); !fd)
      return r.fail(fd.error().message());
    r.values[0] = ::mkdir("/nonexistent-keel-dir/x", 0700) < 0 ? errno : 0;
    r.values[1] = ::getpid();
  });
  ASSERT_TRUE(child.reported);
  ASSERT_EQ(child.error(), "");
  EXPECT_EQ(child[0], EXDEV);
  EXPECT_EQ(child[1], child.pid);
}

// Each damage is recompiled to the right program and the entry replaced with a good one.
class DamagedEntry : public ::testing::TestWithParam<const char*> {};

TEST_P(DamagedEntry, IsIgnoredAndRewritten) {
  TempDir tmp;
  const oci::Seccomp profile = mkdir_denied(EXDEV);
  const SeccompProgram fresh = compiled(profile);
  const SeccompCache cache(tmp.cache());
  const std::string key = SeccompCache::key(profile);
  const std::string entry = cache.path(key);
  ASSERT_TRUE(prepare_seccomp(profile, tmp.cache()));
  std::string data = read_all(entry);
  ASSERT_GT(data.size(), 152u);

  const std::string damage = GetParam();
  if (damage == "flipped-bit") {
    data.back() = static_cast<char>(data.back() ^ 0x01);
    write_all(entry, data);
  } else if (damage == "truncated") {
    write_all(entry, data.substr(0, data.size() - 8));
  } else if (damage == "garbage") {
    write_all(entry, std::string(data.size(), 'x'));
  } else if (damage == "other-key") {
    // A valid entry of another profile under this key's name: only the key inside tells.
    const oci::Seccomp other = mkdir_denied(EMLINK);
    ASSERT_TRUE(prepare_seccomp(other, tmp.cache()));
    std::filesystem::rename(cache.path(SeccompCache::key(other)), entry);
  } else if (damage == "group-writable") {
    ASSERT_EQ(::chmod(entry.c_str(), 0620), 0);
  }
  EXPECT_FALSE(cache.find(key)) << damage;
  const ino_t damaged = inode_of(entry);

  auto again = prepare_seccomp(profile, tmp.cache());
  ASSERT_TRUE(again) << again.error().message();
  expect_same(*again, fresh);
  EXPECT_NE(inode_of(entry), damaged) << "the damaged entry is replaced";
  EXPECT_EQ(mode_of(entry), 0600u);
  auto hit = cache.find(key);
  ASSERT_TRUE(hit);
  expect_same(*hit, fresh);
}

INSTANTIATE_TEST_SUITE_P(Damage, DamagedEntry,
                         ::testing::Values("flipped-bit", "truncated", "garbage", "other-key",
                                           "group-writable"));

TEST(SeccompCache, UnwritableCacheStillCompiles) {
  TempDir tmp;
  const oci::Seccomp profile = mkdir_denied(EXDEV);
  // A file where the cache directory should be: mkdir fails, the program still comes.
  write_all(tmp.cache(), "not a directory");
  auto program = prepare_seccomp(profile, tmp.cache());
  ASSERT_TRUE(program) << program.error().message();
  expect_same(*program, compiled(profile));
}

TEST(SeccompCache, BadProfileFailsEvenWithACache) {
  TempDir tmp;
  oci::Seccomp profile = mkdir_denied(EXDEV);
  profile.syscalls[0].action = "SCMP_ACT_NOPE";
  auto program = prepare_seccomp(profile, tmp.cache());
  ASSERT_FALSE(program);
  EXPECT_FALSE(std::filesystem::exists(tmp.cache() + "/" + SeccompCache::key(profile) + ".bpf"));
}

}  // namespace
}  // namespace keel::runtime::security
