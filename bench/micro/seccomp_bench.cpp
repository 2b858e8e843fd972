// Seccomp set-up cost for a Docker-default-like profile: compiling it with libseccomp against
// loading a cached BPF export, which is what the container's init pays on each path.
#include <stdlib.h>
#include <time.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

#include "runtime/security/seccomp.h"
#include "runtime/security/seccomp_cache.h"

namespace {

using keel::oci::Seccomp;
using keel::oci::SyscallRule;
namespace security = keel::runtime::security;

// The allow list of Docker's default profile (moby profiles/seccomp/default.json), ~380 names, some
// unknown to a given libseccomp: the compile skips those, as runc does.
constexpr std::string_view kAllowed =
    "accept accept4 access adjtimex alarm bind brk cachestat capget capset chdir chmod chown "
    "chown32 clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime "
    "clock_gettime64 clock_nanosleep clock_nanosleep_time64 close close_range connect "
    "copy_file_range creat dup dup2 dup3 epoll_create epoll_create1 epoll_ctl epoll_ctl_old "
    "epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old eventfd eventfd2 execve execveat "
    "exit exit_group faccessat faccessat2 fadvise64 fadvise64_64 fallocate fanotify_mark "
    "fchdir fchmod fchmodat fchmodat2 fchown fchown32 fchownat fcntl fcntl64 fdatasync "
    "fgetxattr flistxattr flock fork fremovexattr fsetxattr fstat fstat64 fstatat64 fstatfs "
    "fstatfs64 fsync ftruncate ftruncate64 futex futex_requeue futex_time64 futex_wait "
    "futex_waitv futex_wake futimesat getcpu getcwd getdents getdents64 getegid getegid32 "
    "geteuid geteuid32 getgid getgid32 getgroups getgroups32 getitimer getpeername getpgid "
    "getpgrp getpid getppid getpriority getrandom getresgid getresgid32 getresuid "
    "getresuid32 getrlimit get_robust_list getrusage getsid getsockname getsockopt "
    "get_thread_area gettid gettimeofday getuid getuid32 getxattr inotify_add_watch "
    "inotify_init inotify_init1 inotify_rm_watch io_cancel ioctl io_destroy io_getevents "
    "io_pgetevents io_pgetevents_time64 ioprio_get ioprio_set io_setup io_submit ipc kill "
    "landlock_add_rule landlock_create_ruleset landlock_restrict_self lchown lchown32 "
    "lgetxattr link linkat listen listxattr llistxattr _llseek lremovexattr lseek lsetxattr "
    "lstat lstat64 madvise map_shadow_stack membarrier memfd_create memfd_secret mincore "
    "mkdir mkdirat mknod mknodat mlock mlock2 mlockall mmap mmap2 mprotect mq_getsetattr "
    "mq_notify mq_open mq_timedreceive mq_timedreceive_time64 mq_timedsend "
    "mq_timedsend_time64 mq_unlink mremap msgctl msgget msgrcv msgsnd msync munlock "
    "munlockall munmap name_to_handle_at nanosleep newfstatat _newselect open openat openat2 "
    "pause pidfd_open pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll "
    "ppoll ppoll_time64 prctl pread64 preadv preadv2 prlimit64 process_mrelease pselect6 "
    "pselect6_time64 pwrite64 pwritev pwritev2 read readahead readlink readlinkat readv recv "
    "recvfrom recvmmsg recvmmsg_time64 recvmsg remap_file_pages removexattr rename renameat "
    "renameat2 restart_syscall rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask "
    "rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 "
    "rt_tgsigqueueinfo sched_getaffinity sched_getattr sched_getparam sched_get_priority_max "
    "sched_get_priority_min sched_getscheduler sched_rr_get_interval "
    "sched_rr_get_interval_time64 sched_setaffinity sched_setattr sched_setparam "
    "sched_setscheduler sched_yield seccomp select semctl semget semop semtimedop "
    "semtimedop_time64 send sendfile sendfile64 sendmmsg sendmsg sendto setfsgid setfsgid32 "
    "setfsuid setfsuid32 setgid setgid32 setgroups setgroups32 setitimer setpgid setpriority "
    "setregid setregid32 setresgid setresgid32 setresuid setresuid32 setreuid setreuid32 "
    "setrlimit set_robust_list setsid setsockopt set_thread_area set_tid_address setuid "
    "setuid32 setxattr shmat shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4 "
    "sigprocmask sigreturn socketcall socketpair splice stat stat64 statfs statfs64 statx "
    "symlink symlinkat sync sync_file_range syncfs sysinfo tee tgkill time timer_create "
    "timer_delete timer_getoverrun timer_gettime timer_gettime64 timer_settime "
    "timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime "
    "timerfd_settime64 times tkill truncate truncate64 ugetrlimit umask uname unlink "
    "unlinkat utime utimensat utimensat_time64 utimes vfork vmsplice wait4 waitid waitpid "
    "write writev arch_prctl modify_ldt clone3 chroot bpf perf_event_open fanotify_init "
    "lookup_dcookie mount mount_setattr move_mount open_tree fsconfig fsmount fsopen fspick "
    "umount2 unshare setns syslog process_vm_readv process_vm_writev ptrace kcmp pidfd_getfd "
    "quotactl quotactl_fd setdomainname sethostname socket";

Seccomp docker_like_profile() {
  Seccomp profile;
  profile.default_action = "SCMP_ACT_ERRNO";
  profile.default_errno_ret = 1;  // EPERM
  profile.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  // Docker splits its list by capability and adds arg rules; one big allow rule plus the arg-rule
  // shapes (personality values, clone flags mask) keeps the size and the comparisons.
  std::vector<std::string> names;
  for (size_t pos = 0; pos < kAllowed.size();) {
    const size_t end = std::min(kAllowed.find(' ', pos), kAllowed.size());
    names.emplace_back(kAllowed.substr(pos, end - pos));
    pos = end + 1;
  }
  profile.syscalls.push_back(SyscallRule{std::move(names), "SCMP_ACT_ALLOW", std::nullopt, {}});
  for (uint64_t persona : {0x0ull, 0x0008ull, 0x20000ull, 0x20008ull, 0xffffffffull}) {
    profile.syscalls.push_back(SyscallRule{
        {"personality"}, "SCMP_ACT_ALLOW", std::nullopt, {{0, persona, 0, "SCMP_CMP_EQ"}}});
  }
  // clone without namespace flags: (flags & 0x7e020000) == 0.
  profile.syscalls.push_back(SyscallRule{
      {"clone"}, "SCMP_ACT_ALLOW", std::nullopt, {{0, 0x7e020000, 0, "SCMP_CMP_MASKED_EQ"}}});
  return profile;
}

// What the runtime would store in its cache: load flags and the BPF program.
keel::Result<std::pair<unsigned, std::string>> compile_and_export(const Seccomp& profile) {
  auto filter = security::compile_seccomp(profile);
  if (!filter)
    return std::move(filter).error();
  auto bpf = security::export_bpf(*filter);
  if (!bpf)
    return std::move(bpf).error();
  return std::pair{filter->load_flags(), std::move(*bpf)};
}

// Each load runs in a fresh thread: filters stack per thread and never come off, so the benchmark
// thread itself must stay unfiltered. The time reported is that thread's CPU time (user + the
// kernel's checking and JIT in seccomp(2)), so neither thread start-up nor other load on a shared
// machine counts.
template <class F>
double thread_cpu_seconds(F&& fn) {
  double seconds = 0;
  std::thread t([&] {
    timespec begin{};
    timespec end{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &begin);
    fn();
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &end);
    seconds = static_cast<double>(end.tv_sec - begin.tv_sec) +
              static_cast<double>(end.tv_nsec - begin.tv_nsec) * 1e-9;
  });
  t.join();
  return seconds;
}

void BM_Compile(benchmark::State& state) {
  const Seccomp profile = docker_like_profile();
  size_t ignored = 0;
  for (auto _ : state) {
    auto filter = security::compile_seccomp(profile);
    if (!filter) {
      state.SkipWithError(filter.error().message().c_str());
      return;
    }
    ignored = filter->ignored_syscalls().size();
  }
  state.counters["ignored_names"] = static_cast<double>(ignored);
}
BENCHMARK(BM_Compile)->Unit(benchmark::kMicrosecond);

// Compile plus BPF generation: what filling the cache costs once per profile.
void BM_CompileAndExport(benchmark::State& state) {
  const Seccomp profile = docker_like_profile();
  size_t bytes = 0;
  for (auto _ : state) {
    auto bpf = compile_and_export(profile);
    if (!bpf) {
      state.SkipWithError(bpf.error().message().c_str());
      return;
    }
    bytes = bpf->second.size();
  }
  state.counters["bpf_insns"] = static_cast<double>(bytes) / 8;
}
BENCHMARK(BM_CompileAndExport)->Unit(benchmark::kMicrosecond);

// No cache: the init compiles and loads through libseccomp.
void BM_CompileAndLoadInThread(benchmark::State& state) {
  const Seccomp profile = docker_like_profile();
  for (auto _ : state) {
    state.SetIterationTime(thread_cpu_seconds([&] {
      auto filter = security::compile_seccomp(profile);
      if (filter)
        benchmark::DoNotOptimize(security::load_seccomp(*filter).has_value());
    }));
  }
}
BENCHMARK(BM_CompileAndLoadInThread)->UseManualTime()->Unit(benchmark::kMicrosecond);

// Compiled before clone, loaded in the init: libseccomp still generates the BPF at load.
void BM_LoadSeccompInThread(benchmark::State& state) {
  auto filter = security::compile_seccomp(docker_like_profile());
  if (!filter) {
    state.SkipWithError(filter.error().message().c_str());
    return;
  }
  for (auto _ : state) {
    state.SetIterationTime(thread_cpu_seconds(
        [&] { benchmark::DoNotOptimize(security::load_seccomp(*filter).has_value()); }));
  }
}
BENCHMARK(BM_LoadSeccompInThread)->UseManualTime()->Unit(benchmark::kMicrosecond);

// Cache hit: the BPF bytes straight into seccomp(2).
void BM_LoadCachedBpfInThread(benchmark::State& state) {
  auto cached = compile_and_export(docker_like_profile());
  if (!cached) {
    state.SkipWithError(cached.error().message().c_str());
    return;
  }
  // Named, not a structured binding: clang 14 (clang-tidy) cannot capture bindings in a lambda.
  const auto& flags = cached->first;
  const auto& bpf = cached->second;
  for (auto _ : state) {
    state.SetIterationTime(thread_cpu_seconds(
        [&] { benchmark::DoNotOptimize(security::load_bpf(bpf, flags).has_value()); }));
  }
  state.counters["bpf_insns"] = static_cast<double>(bpf.size()) / 8;
}
BENCHMARK(BM_LoadCachedBpfInThread)->UseManualTime()->Unit(benchmark::kMicrosecond);

// Cache hit in the parent: key (profile JSON + sha256), read the entry, check its key and digest.
void BM_PrepareFromCache(benchmark::State& state) {
  char dir[] = "/tmp/keel-seccomp-bench-XXXXXX";
  if (::mkdtemp(dir) == nullptr) {
    state.SkipWithError("mkdtemp");
    return;
  }
  const std::string cache = std::string(dir) + "/@seccomp-cache";
  const Seccomp profile = docker_like_profile();
  if (auto filled = security::prepare_seccomp(profile, cache); !filled) {
    state.SkipWithError(filled.error().message().c_str());
    return;
  }
  for (auto _ : state)
    benchmark::DoNotOptimize(security::prepare_seccomp(profile, cache).has_value());
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}
BENCHMARK(BM_PrepareFromCache)->Unit(benchmark::kMicrosecond);

}  // namespace
