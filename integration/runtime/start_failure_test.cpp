// Pins what happens once `start` has released the init: every inherited fd is sealed before a
// seccomp filter is loaded (so an allow-list written before close_range(2) existed still runs),
// and a process that never ran makes `start` and `run` fail with the init's own line instead of
// reporting a started container.
#include <sys/stat.h>

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integration/fixtures/fixtures.h"

namespace keel::fixtures {
namespace {

using ::testing::HasSubstr;

// The syscalls a busybox shell and the runtime's last steps need, as an allow-list written
// before close_range(2) existed (Linux 5.9): everything else fails with EPERM.
nlohmann::json allow_list_without_close_range() {
  const std::vector<std::string> names = {"access",
                                          "arch_prctl",
                                          "brk",
                                          "capget",
                                          "capset",
                                          "chdir",
                                          "clock_gettime",
                                          "clone",
                                          "clone3",
                                          "close",
                                          "dup",
                                          "dup2",
                                          "dup3",
                                          "execve",
                                          "exit",
                                          "exit_group",
                                          "faccessat",
                                          "faccessat2",
                                          "fchdir",
                                          "fcntl",
                                          "fstat",
                                          "fstatfs",
                                          "futex",
                                          "getcwd",
                                          "getdents64",
                                          "getegid",
                                          "geteuid",
                                          "getgid",
                                          "getgroups",
                                          "getpgrp",
                                          "getpid",
                                          "getppid",
                                          "getrandom",
                                          "getresgid",
                                          "getresuid",
                                          "getrlimit",
                                          "gettid",
                                          "getuid",
                                          "ioctl",
                                          "kill",
                                          "lseek",
                                          "lstat",
                                          "madvise",
                                          "mmap",
                                          "mprotect",
                                          "munmap",
                                          "nanosleep",
                                          "newfstatat",
                                          "open",
                                          "openat",
                                          "pipe",
                                          "pipe2",
                                          "poll",
                                          "ppoll",
                                          "prctl",
                                          "pread64",
                                          "prlimit64",
                                          "read",
                                          "readlink",
                                          "readlinkat",
                                          "recvfrom",
                                          "recvmsg",
                                          "rseq",
                                          "rt_sigaction",
                                          "rt_sigprocmask",
                                          "rt_sigreturn",
                                          "sched_yield",
                                          "sendmsg",
                                          "sendto",
                                          "set_robust_list",
                                          "set_tid_address",
                                          "setgid",
                                          "setgroups",
                                          "setpgid",
                                          "setresgid",
                                          "setresuid",
                                          "setsid",
                                          "setuid",
                                          "sigaltstack",
                                          "stat",
                                          "statfs",
                                          "statx",
                                          "sysinfo",
                                          "tgkill",
                                          "umask",
                                          "uname",
                                          "vfork",
                                          "wait4",
                                          "waitid",
                                          "write",
                                          "writev"};
  return {{"defaultAction", "SCMP_ACT_ERRNO"},
          {"architectures", {"SCMP_ARCH_X86_64"}},
          {"syscalls", {{{"names", names}, {"action", "SCMP_ACT_ALLOW"}}}}};
}

void expect_allow_list_runs(bool no_new_privileges) {
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.config["process"]["noNewPrivileges"] = no_new_privileges;
  bundle.config["linux"]["seccomp"] = allow_list_without_close_range();
  // The shell's own fds: 0-2 and the one `ls` reads the directory with; nothing inherited.
  const RunResult run = run_script(bundle, "echo hello from the allow-list; ls /proc/self/fd");
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.out, HasSubstr("hello from the allow-list\n0\n1\n2\n3\n")) << run;
  EXPECT_EQ(run.out.find("\n4\n"), std::string::npos) << "an fd leaked into the container\n" << run;
  leaks.expect_none();
}

TEST(StartFailure, AllowListWithoutCloseRangeRuns) {
  KEEL_SKIP_UNLESS_ROOT();
  expect_allow_list_runs(false);
}

TEST(StartFailure, AllowListWithoutCloseRangeRunsWithNoNewPrivileges) {
  KEEL_SKIP_UNLESS_ROOT();
  expect_allow_list_runs(true);
}

// A file that passes the executable lookup (regular, mode 0755) but that execve refuses.
void add_unexecutable_program(const Bundle& bundle) {
  const auto path = bundle.host_path("/bin/not-a-program");
  std::ofstream(path) << "\x01\x02\x03 neither ELF nor a script\n";
  std::filesystem::permissions(path, std::filesystem::perms(0755));
}

// A bundle whose process is that file.
Bundle unexecutable_bundle() {
  auto bundle = busybox_bundle();
  add_unexecutable_program(bundle);
  bundle.set_args({"/bin/not-a-program"});
  bundle.write();
  return bundle;
}

TEST(StartFailure, StartFailsWhenTheProcessCannotBeExecuted) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = unexecutable_bundle();
  const RunResult create = run_runtime(bundle, {"create", bundle.id});
  ASSERT_EQ(create.exit_code, 0) << create;
  const RunResult start = run_runtime(bundle, {"start", bundle.id});
  EXPECT_NE(start.exit_code, 0) << start;
  EXPECT_THAT(start.err, HasSubstr("Exec format error")) << start;
  EXPECT_THAT(start.err, HasSubstr("not-a-program")) << start;
  if (is_keel()) {
    EXPECT_EQ(start.err_lines().size(), 1U) << start;
  }
  EXPECT_TRUE(wait_for_status(bundle, bundle.id, "stopped"));
  force_delete(bundle);
  leaks.expect_none();
}

TEST(StartFailure, RunFailsWhenTheProcessCannotBeExecuted) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = unexecutable_bundle();
  const RunResult run = run_runtime(bundle, {"run", "--detach", bundle.id});
  EXPECT_NE(run.exit_code, 0) << run;
  EXPECT_THAT(run.err, HasSubstr("Exec format error")) << run;
  EXPECT_FALSE(container_state(bundle, bundle.id).has_value()) << "a failed run leaves nothing";
  leaks.expect_none();
}

// With no_new_privs the filter is loaded last: one that forbids execve fails the start itself.
TEST(StartFailure, StartFailsWhenTheFilterForbidsExecve) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.config["process"]["noNewPrivileges"] = true;
  bundle.config["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"syscalls", {{{"names", {"execve"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", EACCES}}}}};
  bundle.set_args({"/bin/true"});
  bundle.write();
  const RunResult create = run_runtime(bundle, {"create", bundle.id});
  ASSERT_EQ(create.exit_code, 0) << create;
  const RunResult start = run_runtime(bundle, {"start", bundle.id});
  EXPECT_NE(start.exit_code, 0) << start;
  EXPECT_THAT(start.err, HasSubstr("Permission denied")) << start;
  force_delete(bundle);
  leaks.expect_none();
}

// exec's child reports the same way: its failed execve reaches `exec -d` as an error.
TEST(StartFailure, ExecFailsWhenTheProcessCannotBeExecuted) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  add_unexecutable_program(bundle);
  ASSERT_NO_FATAL_FAILURE(run_detached(bundle, until_released()));
  const RunResult exec = run_runtime(bundle, {"exec", "--detach", bundle.id, "/bin/not-a-program"});
  EXPECT_NE(exec.exit_code, 0) << exec;
  EXPECT_THAT(exec.err, HasSubstr("Exec format error")) << exec;
  release(bundle);
  force_delete(bundle);
  leaks.expect_none();
}

}  // namespace
}  // namespace keel::fixtures
