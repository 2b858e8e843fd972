// Pins runtime/security/seccomp.cpp: each filter is loaded in a forked child and judged by what its
// syscalls return there.
#include "runtime/security/seccomp.h"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/runtime/security/forked_child.h"

namespace keel::runtime::security {
namespace {

using test_support::Report;
using test_support::run_in_child;

// errno of a failed call, 0 on success: what each probe reports.
int64_t err_of(long rc) {
  return rc < 0 ? errno : 0;
}

oci::SyscallRule rule(std::vector<std::string> names, std::string action,
                      std::optional<uint32_t> errno_ret = std::nullopt,
                      std::vector<oci::SeccompArg> args = {}) {
  return oci::SyscallRule{std::move(names), std::move(action), errno_ret, std::move(args)};
}

oci::Seccomp allow_except(std::vector<oci::SyscallRule> rules) {
  oci::Seccomp profile;
  profile.default_action = "SCMP_ACT_ALLOW";
  profile.syscalls = std::move(rules);
  return profile;
}

std::string compile_error(const oci::Seccomp& profile) {
  auto filter = compile_seccomp(profile);
  return filter ? std::string("compiled") : filter.error().message();
}

int64_t seccomp_mode_from_status() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.starts_with("Seccomp:"))
      return std::strtol(line.c_str() + 8, nullptr, 10);
  return -1;
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "keel-sec-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data()) != nullptr ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(Seccomp, ErrnoRuleFailsMkdirWithConfiguredErrno) {
  auto filter =
      compile_seccomp(allow_except({rule({"mkdir", "mkdirat"}, "SCMP_ACT_ERRNO", EXDEV)}));
  ASSERT_TRUE(filter) << filter.error().message();
  TempDir dir;
  const std::string target = dir.path() + "/denied";

  auto child = run_in_child([&](Report& r) {
    if (auto fd = load_seccomp(*filter); !fd)
      return r.fail(fd.error().message());
    r.values[0] = err_of(::mkdir(target.c_str(), 0700));
    r.values[1] = ::getpid();
    r.values[2] = seccomp_mode_from_status();
  });
  ASSERT_TRUE(child.reported && child.exited_ok());
  ASSERT_EQ(child.error(), "");
  EXPECT_EQ(child[0], EXDEV);
  EXPECT_EQ(child[1], child.pid);
  EXPECT_EQ(child[2], 2);  // SECCOMP_MODE_FILTER
  EXPECT_FALSE(std::filesystem::exists(target));
}

TEST(Seccomp, ErrnoRuleWithoutErrnoRetReturnsEperm) {
  auto filter = compile_seccomp(allow_except({rule({"mkdir", "mkdirat"}, "SCMP_ACT_ERRNO")}));
  ASSERT_TRUE(filter) << filter.error().message();
  auto child = run_in_child([&](Report& r) {
    if (auto fd = load_seccomp(*filter); !fd)
      return r.fail(fd.error().message());
    r.values[0] = err_of(::mkdir("/nonexistent-keel-dir/x", 0700));  // ENOENT if not filtered
  });
  ASSERT_TRUE(child.reported && child.exited_ok());
  ASSERT_EQ(child.error(), "");
  EXPECT_EQ(child[0], EPERM);
}

TEST(Seccomp, DefaultErrnoDeniesWhatTheAllowListLeavesOut) {
  oci::Seccomp profile;
  profile.default_action = "SCMP_ACT_ERRNO";
  profile.default_errno_ret = ENOTSUP;
  // Memory syscalls too: the probe frees the load's result, and sanitizer builds map shadow memory.
  profile.syscalls = {rule(
      {"write", "exit_group", "getpid", "brk", "mmap", "munmap", "mprotect", "madvise", "futex"},
      "SCMP_ACT_ALLOW")};
  auto filter = compile_seccomp(profile);
  ASSERT_TRUE(filter) << filter.error().message();

  auto child = run_in_child([&](Report& r) {
    if (auto fd = load_seccomp(*filter); !fd)
      return r.fail(fd.error().message());
    r.values[0] = ::getpid();
    r.values[1] = err_of(::syscall(SYS_getppid));
  });
  ASSERT_TRUE(child.reported && child.exited_ok());
  ASSERT_EQ(child.error(), "");
  EXPECT_EQ(child[0], child.pid);
  EXPECT_EQ(child[1], ENOTSUP);
}

struct OpCase {
  const char* op;
  uint64_t value;
  uint64_t value_two;
  std::array<long, 3> probes;
  std::array<bool, 3> denied;
};

class SeccompArgOp : public ::testing::TestWithParam<OpCase> {};

// umask(2) takes any value and always succeeds, so only the filter can make it fail.
TEST_P(SeccompArgOp, DeniesExactlyTheMatchingValues) {
  const OpCase& c = GetParam();
  auto filter = compile_seccomp(
      allow_except({rule({"umask"}, "SCMP_ACT_ERRNO", EXDEV, {{0, c.value, c.value_two, c.op}})}));
  ASSERT_TRUE(filter) << filter.error().message();

  auto child = run_in_child([&](Report& r) {
    if (auto fd = load_seccomp(*filter); !fd)
      return r.fail(fd.error().message());
    for (size_t i = 0; i < c.probes.size(); ++i)
      r.values[i] = err_of(::syscall(SYS_umask, c.probes[i]));
  });
  ASSERT_TRUE(child.reported && child.exited_ok());
  ASSERT_EQ(child.error(), "");
  for (size_t i = 0; i < c.probes.size(); ++i)
    EXPECT_EQ(child[i], c.denied[i] ? EXDEV : 0) << c.op << " probe " << c.probes[i];
}

INSTANTIATE_TEST_SUITE_P(
    EveryOp, SeccompArgOp,
    ::testing::Values(
        OpCase{"SCMP_CMP_EQ", 0x10, 0, {0x0f, 0x10, 0x11}, {false, true, false}},
        OpCase{"SCMP_CMP_NE", 0x10, 0, {0x0f, 0x10, 0x11}, {true, false, true}},
        OpCase{"SCMP_CMP_LT", 0x10, 0, {0x0f, 0x10, 0x11}, {true, false, false}},
        OpCase{"SCMP_CMP_LE", 0x10, 0, {0x0f, 0x10, 0x11}, {true, true, false}},
        OpCase{"SCMP_CMP_GT", 0x10, 0, {0x0f, 0x10, 0x11}, {false, false, true}},
        OpCase{"SCMP_CMP_GE", 0x10, 0, {0x0f, 0x10, 0x11}, {false, true, true}},
        // (arg & 0x30) == 0x10
        OpCase{"SCMP_CMP_MASKED_EQ", 0x30, 0x10, {0x14, 0x34, 0x10}, {true, false, true}}),
    [](const auto& param_info) { return std::string(param_info.param.op).substr(9); });

TEST(Seccomp, ArgsOnOneIndexMatchAny) {
  auto filter = compile_seccomp(allow_except({rule(
      {"umask"}, "SCMP_ACT_ERRNO", EXDEV, {{0, 1, 0, "SCMP_CMP_EQ"}, {0, 2, 0, "SCMP_CMP_EQ"}})}));
  ASSERT_TRUE(filter) << filter.error().message();
  auto child = run_in_child([&](Report& r) {
    if (auto fd = load_seccomp(*filter); !fd)
      return r.fail(fd.error().message());
    for (long v = 1; v <= 3; ++v)
      r.values[v - 1] = err_of(::syscall(SYS_umask, v));
  });
  ASSERT_TRUE(child.reported && child.exited_ok());
  ASSERT_EQ(child.error(), "");
  EXPECT_EQ(child[0], EXDEV);
  EXPECT_EQ(child[1], EXDEV);
  EXPECT_EQ(child[2], 0);
}

TEST(Seccomp, ArgsOnDistinctIndexesMatchAll) {
  auto filter = compile_seccomp(
      allow_except({rule({"getpriority"}, "SCMP_ACT_ERRNO", EXDEV,
                         {{0, PRIO_PROCESS, 0, "SCMP_CMP_EQ"}, {1, 4242, 0, "SCMP_CMP_EQ"}})}));
  ASSERT_TRUE(filter) << filter.error().message();
  auto child = run_in_child([&](Report& r) {
    if (auto fd = load_seccomp(*filter); !fd)
      return r.fail(fd.error().message());
    r.values[0] = err_of(::syscall(SYS_getpriority, PRIO_PROCESS, 0));
    r.values[1] = err_of(::syscall(SYS_getpriority, PRIO_PROCESS, 4242));
    r.values[2] = err_of(::syscall(SYS_getpriority, PRIO_PGRP, 4242));
  });
  ASSERT_TRUE(child.reported && child.exited_ok());
  ASSERT_EQ(child.error(), "");
  EXPECT_EQ(child[0], 0);
  EXPECT_EQ(child[1], EXDEV);
  EXPECT_NE(child[2], EXDEV);
}

TEST(Seccomp, NotifyRuleYieldsListenerFd) {
  auto filter = compile_seccomp(allow_except({rule({"getppid"}, "SCMP_ACT_NOTIFY")}));
  ASSERT_TRUE(filter) << filter.error().message();
  EXPECT_TRUE(filter->uses_notify());
  EXPECT_NE(filter->load_flags() & SECCOMP_FILTER_FLAG_NEW_LISTENER, 0u);

  auto child = run_in_child([&](Report& r) {
    auto fd = load_seccomp(*filter);
    if (!fd)
      return r.fail(fd.error().message());
    r.values[0] = fd->valid();
    uint64_t id = 0;  // a listener knows no id 0: ENOENT; any other fd: ENOTTY
    r.values[1] = err_of(::ioctl(fd->get(), SECCOMP_IOCTL_NOTIF_ID_VALID, &id));
    fd->reset();
    // With the listener gone, a notifying syscall fails instead of waiting for an agent.
    r.values[2] = err_of(::syscall(SYS_getppid));
  });
  ASSERT_TRUE(child.reported && child.exited_ok());
  ASSERT_EQ(child.error(), "");
  EXPECT_EQ(child[0], 1);
  EXPECT_EQ(child[1], ENOENT);
  EXPECT_EQ(child[2], ENOSYS);
}

TEST(Seccomp, KillProcessRuleKillsWithSigsys) {
  auto filter = compile_seccomp(allow_except({rule({"getppid"}, "SCMP_ACT_KILL_PROCESS")}));
  ASSERT_TRUE(filter) << filter.error().message();
  auto child = run_in_child([&](Report& r) {
    if (auto fd = load_seccomp(*filter); !fd)
      return r.fail(fd.error().message());
    (void)::syscall(SYS_getppid);
  });
  EXPECT_FALSE(child.reported);
  ASSERT_TRUE(WIFSIGNALED(child.wait_status));
  EXPECT_EQ(WTERMSIG(child.wait_status), SIGSYS);
}

TEST(Seccomp, FilterWithoutNotifyYieldsNoFd) {
  auto filter = compile_seccomp(allow_except({rule({"mkdir"}, "SCMP_ACT_ERRNO")}));
  ASSERT_TRUE(filter) << filter.error().message();
  EXPECT_FALSE(filter->uses_notify());
  auto child = run_in_child([&](Report& r) {
    auto fd = load_seccomp(*filter);
    if (!fd)
      return r.fail(fd.error().message());
    r.values[0] = fd->valid();
  });
  ASSERT_TRUE(child.reported && child.exited_ok());
  ASSERT_EQ(child.error(), "");
  EXPECT_EQ(child[0], 0);
}

TEST(Seccomp, UnknownSyscallNamesAreSkipped) {
  auto filter = compile_seccomp(
      allow_except({rule({"no_such_syscall", "mkdir", "mkdirat"}, "SCMP_ACT_ERRNO", EXDEV)}));
  ASSERT_TRUE(filter) << filter.error().message();
  EXPECT_EQ(filter->ignored_syscalls(), std::vector<std::string>{"no_such_syscall"});
  auto child = run_in_child([&](Report& r) {
    if (auto fd = load_seccomp(*filter); !fd)
      return r.fail(fd.error().message());
    r.values[0] = err_of(::mkdir("/nonexistent-keel-dir/x", 0700));
  });
  ASSERT_TRUE(child.reported && child.exited_ok());
  ASSERT_EQ(child.error(), "");
  EXPECT_EQ(child[0], EXDEV);
}

TEST(Seccomp, RuleRepeatingTheDefaultActionIsSkipped) {
  oci::Seccomp profile;
  profile.default_action = "SCMP_ACT_ERRNO";
  profile.syscalls = {rule({"getppid"}, "SCMP_ACT_ERRNO", EPERM),
                      rule({"getpid"}, "SCMP_ACT_ALLOW")};
  EXPECT_EQ(compile_error(profile), "compiled");
}

TEST(Seccomp, ExtraArchitecturesAndTheirSyscallsCompileAndLoad) {
  auto profile = allow_except({rule({"socketcall", "mkdir", "mkdirat"}, "SCMP_ACT_ERRNO", EXDEV)});
  profile.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  auto filter = compile_seccomp(profile);
  ASSERT_TRUE(filter) << filter.error().message();
  auto child = run_in_child([&](Report& r) {
    if (auto fd = load_seccomp(*filter); !fd)
      return r.fail(fd.error().message());
    r.values[0] = err_of(::mkdir("/nonexistent-keel-dir/x", 0700));
  });
  ASSERT_TRUE(child.reported && child.exited_ok());
  ASSERT_EQ(child.error(), "");
  EXPECT_EQ(child[0], EXDEV);
}

TEST(Seccomp, LogAndSpecAllowFlagsReachTheLoad) {
  auto profile = allow_except({rule({"mkdir", "mkdirat"}, "SCMP_ACT_ERRNO", EXDEV)});
  profile.flags = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                   "SECCOMP_FILTER_FLAG_TSYNC"};
  auto filter = compile_seccomp(profile);
  ASSERT_TRUE(filter) << filter.error().message();
  EXPECT_EQ(filter->load_flags(),
            SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW | SECCOMP_FILTER_FLAG_TSYNC);
  auto child = run_in_child([&](Report& r) {
    if (auto fd = load_seccomp(*filter); !fd)
      return r.fail(fd.error().message());
    r.values[0] = err_of(::mkdir("/nonexistent-keel-dir/x", 0700));
  });
  ASSERT_TRUE(child.reported && child.exited_ok());
  ASSERT_EQ(child.error(), "");
  EXPECT_EQ(child[0], EXDEV);
}

// The flag is set through libseccomp, whose headers say at build time whether it knows it.
TEST(Seccomp, WaitKillableRecvNeedsLibseccompSupport) {
  auto profile = allow_except({});
  profile.flags = {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
  auto filter = compile_seccomp(profile);
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
  ASSERT_TRUE(filter) << filter.error().message();
  EXPECT_NE(filter->load_flags() & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, 0U);
#else
  ASSERT_FALSE(filter);
  EXPECT_EQ(filter.error().kind(), Errc::kFailedPrecondition);
  EXPECT_EQ(filter.error().message(),
            "seccomp: flag \"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\" needs libseccomp 2.6 or "
            "later");
#endif
}

TEST(SeccompErrors, NameTheFieldAndTheValue) {
  auto profile = allow_except({});
  profile.default_action = "SCMP_ACT_FOO";
  EXPECT_EQ(compile_error(profile), "seccomp: defaultAction: unknown action \"SCMP_ACT_FOO\"");

  EXPECT_EQ(compile_error(allow_except({rule({"mkdir"}, "SCMP_ACT_FOO")})),
            "seccomp: syscall \"mkdir\": unknown action \"SCMP_ACT_FOO\"");
  EXPECT_EQ(compile_error(allow_except(
                {rule({"umask"}, "SCMP_ACT_ERRNO", std::nullopt, {{0, 1, 0, "SCMP_CMP_FOO"}})})),
            "seccomp: syscall \"umask\": unknown operator \"SCMP_CMP_FOO\"");
  EXPECT_EQ(compile_error(allow_except(
                {rule({"umask"}, "SCMP_ACT_ERRNO", std::nullopt, {{6, 1, 0, "SCMP_CMP_EQ"}})})),
            "seccomp: syscall \"umask\": argument index 6 is out of range (0-5)");
  EXPECT_EQ(compile_error(allow_except({rule({"mkdir"}, "SCMP_ACT_KILL", EXDEV)})),
            "seccomp: syscall \"mkdir\": errnoRet needs SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not "
            "\"SCMP_ACT_KILL\"");
  EXPECT_EQ(compile_error(allow_except({rule({"mkdir"}, "SCMP_ACT_ERRNO", 70000)})),
            "seccomp: syscall \"mkdir\": errnoRet 70000 is out of range (0-65535)");
  EXPECT_EQ(compile_error(allow_except({rule({""}, "SCMP_ACT_ERRNO")})),
            "seccomp: syscall \"\": empty syscall name");

  profile = allow_except({});
  profile.default_errno_ret = EXDEV;
  EXPECT_EQ(compile_error(profile),
            "seccomp: defaultAction: errnoRet needs SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not "
            "\"SCMP_ACT_ALLOW\"");
  profile = allow_except({});
  profile.default_action = "SCMP_ACT_NOTIFY";
  EXPECT_EQ(compile_error(profile),
            "seccomp: defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
  profile = allow_except({});
  profile.architectures = {"SCMP_ARCH_PDP11"};
  EXPECT_EQ(compile_error(profile), "seccomp: unknown architecture \"SCMP_ARCH_PDP11\"");
  profile = allow_except({});
  profile.flags = {"SECCOMP_FILTER_FLAG_FOO"};
  EXPECT_EQ(compile_error(profile), "seccomp: unknown flag \"SECCOMP_FILTER_FLAG_FOO\"");
}

TEST(SeccompErrors, EveryActionNameIsKnown) {
  for (const char* action :
       {"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
        "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY"}) {
    EXPECT_EQ(compile_error(allow_except({rule({"mkdir"}, action)})), "compiled") << action;
  }
  EXPECT_EQ(compile_error(allow_except({rule({"mkdir"}, "SCMP_ACT_TRACE", 7)})), "compiled");
}

}  // namespace
}  // namespace keel::runtime::security
