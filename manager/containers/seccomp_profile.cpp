// The syscall lists of docker's default profile. Kept as tables so a review can diff them
// against moby's default.json; the logic is only "include this group when...".
#include "manager/containers/seccomp_profile.h"

#include <sys/utsname.h>

#include <algorithm>
#include <initializer_list>
#include <string_view>

namespace keel::manager::containers {
namespace {

constexpr std::uint32_t kEperm = 1;
constexpr std::uint32_t kEnosys = 38;
// CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET: clone may not make
// namespaces without CAP_SYS_ADMIN.
constexpr std::uint64_t kCloneNamespaceFlags = 0x7E020000;

// Allowed for every container.
constexpr std::string_view kAlwaysAllowed[] = {
    "accept",
    "accept4",
    "access",
    "adjtimex",
    "alarm",
    "bind",
    "brk",
    "capget",
    "capset",
    "chdir",
    "chmod",
    "chown",
    "chown32",
    "clock_adjtime",
    "clock_adjtime64",
    "clock_getres",
    "clock_getres_time64",
    "clock_gettime",
    "clock_gettime64",
    "clock_nanosleep",
    "clock_nanosleep_time64",
    "close",
    "close_range",
    "connect",
    "copy_file_range",
    "creat",
    "dup",
    "dup2",
    "dup3",
    "epoll_create",
    "epoll_create1",
    "epoll_ctl",
    "epoll_ctl_old",
    "epoll_pwait",
    "epoll_pwait2",
    "epoll_wait",
    "epoll_wait_old",
    "eventfd",
    "eventfd2",
    "execve",
    "execveat",
    "exit",
    "exit_group",
    "faccessat",
    "faccessat2",
    "fadvise64",
    "fadvise64_64",
    "fallocate",
    "fanotify_mark",
    "fchdir",
    "fchmod",
    "fchmodat",
    "fchown",
    "fchown32",
    "fchownat",
    "fcntl",
    "fcntl64",
    "fdatasync",
    "fgetxattr",
    "flistxattr",
    "flock",
    "fork",
    "fremovexattr",
    "fsetxattr",
    "fstat",
    "fstat64",
    "fstatat64",
    "fstatfs",
    "fstatfs64",
    "fsync",
    "ftruncate",
    "ftruncate64",
    "futex",
    "futex_time64",
    "futex_waitv",
    "futimesat",
    "getcpu",
    "getcwd",
    "getdents",
    "getdents64",
    "getegid",
    "getegid32",
    "geteuid",
    "geteuid32",
    "getgid",
    "getgid32",
    "getgroups",
    "getgroups32",
    "getitimer",
    "getpeername",
    "getpgid",
    "getpgrp",
    "getpid",
    "getppid",
    "getpriority",
    "getrandom",
    "getresgid",
    "getresgid32",
    "getresuid",
    "getresuid32",
    "getrlimit",
    "get_robust_list",
    "getrusage",
    "getsid",
    "getsockname",
    "getsockopt",
    "get_thread_area",
    "gettid",
    "gettimeofday",
    "getuid",
    "getuid32",
    "getxattr",
    "inotify_add_watch",
    "inotify_init",
    "inotify_init1",
    "inotify_rm_watch",
    "io_cancel",
    "ioctl",
    "io_destroy",
    "io_getevents",
    "io_pgetevents",
    "io_pgetevents_time64",
    "ioprio_get",
    "ioprio_set",
    "io_setup",
    "io_submit",
    "io_uring_enter",
    "io_uring_register",
    "io_uring_setup",
    "ipc",
    "kill",
    "landlock_add_rule",
    "landlock_create_ruleset",
    "landlock_restrict_self",
    "lchown",
    "lchown32",
    "lgetxattr",
    "link",
    "linkat",
    "listen",
    "listxattr",
    "llistxattr",
    "_llseek",
    "lremovexattr",
    "lseek",
    "lsetxattr",
    "lstat",
    "lstat64",
    "madvise",
    "membarrier",
    "memfd_create",
    "memfd_secret",
    "mincore",
    "mkdir",
    "mkdirat",
    "mknod",
    "mknodat",
    "mlock",
    "mlock2",
    "mlockall",
    "mmap",
    "mmap2",
    "mprotect",
    "mq_getsetattr",
    "mq_notify",
    "mq_open",
    "mq_timedreceive",
    "mq_timedreceive_time64",
    "mq_timedsend",
    "mq_timedsend_time64",
    "mq_unlink",
    "mremap",
    "msgctl",
    "msgget",
    "msgrcv",
    "msgsnd",
    "msync",
    "munlock",
    "munlockall",
    "munmap",
    "name_to_handle_at",
    "nanosleep",
    "newfstatat",
    "_newselect",
    "open",
    "openat",
    "openat2",
    "pause",
    "pidfd_open",
    "pidfd_send_signal",
    "pipe",
    "pipe2",
    "pkey_alloc",
    "pkey_free",
    "pkey_mprotect",
    "poll",
    "ppoll",
    "ppoll_time64",
    "prctl",
    "pread64",
    "preadv",
    "preadv2",
    "prlimit64",
    "process_mrelease",
    "pselect6",
    "pselect6_time64",
    "pwrite64",
    "pwritev",
    "pwritev2",
    "read",
    "readahead",
    "readlink",
    "readlinkat",
    "readv",
    "recv",
    "recvfrom",
    "recvmmsg",
    "recvmmsg_time64",
    "recvmsg",
    "remap_file_pages",
    "removexattr",
    "rename",
    "renameat",
    "renameat2",
    "restart_syscall",
    "rmdir",
    "rseq",
    "rt_sigaction",
    "rt_sigpending",
    "rt_sigprocmask",
    "rt_sigqueueinfo",
    "rt_sigreturn",
    "rt_sigsuspend",
    "rt_sigtimedwait",
    "rt_sigtimedwait_time64",
    "rt_tgsigqueueinfo",
    "sched_getaffinity",
    "sched_getattr",
    "sched_getparam",
    "sched_get_priority_max",
    "sched_get_priority_min",
    "sched_getscheduler",
    "sched_rr_get_interval",
    "sched_rr_get_interval_time64",
    "sched_setaffinity",
    "sched_setattr",
    "sched_setparam",
    "sched_setscheduler",
    "sched_yield",
    "seccomp",
    "select",
    "semctl",
    "semget",
    "semop",
    "semtimedop",
    "semtimedop_time64",
    "send",
    "sendfile",
    "sendfile64",
    "sendmmsg",
    "sendmsg",
    "sendto",
    "setfsgid",
    "setfsgid32",
    "setfsuid",
    "setfsuid32",
    "setgid",
    "setgid32",
    "setgroups",
    "setgroups32",
    "setitimer",
    "setpgid",
    "setpriority",
    "setregid",
    "setregid32",
    "setresgid",
    "setresgid32",
    "setresuid",
    "setresuid32",
    "setreuid",
    "setreuid32",
    "setrlimit",
    "set_robust_list",
    "setsid",
    "setsockopt",
    "set_thread_area",
    "set_tid_address",
    "setuid",
    "setuid32",
    "setxattr",
    "shmat",
    "shmctl",
    "shmdt",
    "shmget",
    "shutdown",
    "sigaltstack",
    "signalfd",
    "signalfd4",
    "sigprocmask",
    "sigreturn",
    "socketcall",
    "socketpair",
    "splice",
    "stat",
    "stat64",
    "statfs",
    "statfs64",
    "statx",
    "symlink",
    "symlinkat",
    "sync",
    "sync_file_range",
    "syncfs",
    "sysinfo",
    "tee",
    "tgkill",
    "time",
    "timer_create",
    "timer_delete",
    "timer_getoverrun",
    "timer_gettime",
    "timer_gettime64",
    "timer_settime",
    "timer_settime64",
    "timerfd_create",
    "timerfd_gettime",
    "timerfd_gettime64",
    "timerfd_settime",
    "timerfd_settime64",
    "times",
    "tkill",
    "truncate",
    "truncate64",
    "ugetrlimit",
    "umask",
    "uname",
    "unlink",
    "unlinkat",
    "utime",
    "utimensat",
    "utimensat_time64",
    "utimes",
    "vfork",
    "vmsplice",
    "wait4",
    "waitid",
    "waitpid",
    "write",
    "writev",
    // docker allows these from kernel 4.8 on, where ptrace can no longer bypass seccomp.
    "process_vm_readv",
    "process_vm_writev",
    "ptrace",
};

struct CapGroup {
  std::string_view capability;
  std::initializer_list<std::string_view> names;
};

// Allowed only to a container holding the capability.
const CapGroup kCapGroups[] = {
    {"CAP_SYS_ADMIN",
     {"bpf",           "clone",         "clone3",      "fanotify_init",   "fsconfig",
      "fsmount",       "fsopen",        "fspick",      "lookup_dcookie",  "mount",
      "mount_setattr", "move_mount",    "open_tree",   "perf_event_open", "quotactl",
      "quotactl_fd",   "setdomainname", "sethostname", "setns",           "syslog",
      "umount",        "umount2",       "unshare"}},
    {"CAP_SYS_BOOT", {"reboot"}},
    {"CAP_SYS_CHROOT", {"chroot"}},
    {"CAP_SYS_MODULE", {"delete_module", "init_module", "finit_module"}},
    {"CAP_SYS_PACCT", {"acct"}},
    {"CAP_SYS_PTRACE",
     {"kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace"}},
    {"CAP_SYS_RAWIO", {"iopl", "ioperm"}},
    {"CAP_SYS_TIME", {"settimeofday", "stime", "clock_settime", "clock_settime64"}},
    {"CAP_SYS_TTY_CONFIG", {"vhangup"}},
    {"CAP_SYS_NICE", {"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"}},
    {"CAP_SYSLOG", {"syslog"}},
    {"CAP_BPF", {"bpf"}},
    {"CAP_PERFMON", {"perf_event_open"}},
    {"CAP_DAC_READ_SEARCH", {"open_by_handle_at"}},
};

struct ArchGroup {
  std::initializer_list<std::string_view> arches;  // uname machine names
  std::initializer_list<std::string_view> names;
};

const ArchGroup kArchGroups[] = {
    {{"x86_64"}, {"arch_prctl", "modify_ldt"}},
    {{"i386", "i686"}, {"modify_ldt"}},
    {{"aarch64", "armv7l"},
     {"arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint", "cacheflush",
      "set_tls"}},
    {{"ppc64le"}, {"sync_file_range2", "swapcontext"}},
    {{"s390x"}, {"s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"}},
    {{"riscv64"}, {"riscv_flush_icache"}},
};

// personality(2) personas docker allows: PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32,
// and 0xffffffff (the query).
constexpr std::uint64_t kPersonalities[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};

std::vector<std::string> architectures_of(const std::string& arch) {
  if (arch == "x86_64")
    return {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  if (arch == "aarch64")
    return {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"};
  if (arch == "s390x")
    return {"SCMP_ARCH_S390X", "SCMP_ARCH_S390"};
  if (arch == "riscv64")
    return {"SCMP_ARCH_RISCV64"};
  if (arch == "ppc64le")
    return {"SCMP_ARCH_PPC64LE"};
  return {};
}

std::string host_arch() {
  utsname u{};
  if (::uname(&u) != 0)
    return "x86_64";
  return u.machine;
}

oci::SyscallRule allow(std::vector<std::string> names) {
  oci::SyscallRule r;
  r.names = std::move(names);
  r.action = "SCMP_ACT_ALLOW";
  return r;
}

oci::SyscallRule allow_with_arg(std::string name, std::uint32_t index, std::uint64_t value,
                                std::uint64_t value_two, std::string op) {
  oci::SyscallRule r = allow({std::move(name)});
  r.args.push_back(oci::SeccompArg{index, value, value_two, std::move(op)});
  return r;
}

}  // namespace

oci::Seccomp default_seccomp_profile(const std::vector<std::string>& capabilities,
                                     const std::string& arch_in) {
  const std::string arch = arch_in.empty() ? host_arch() : arch_in;
  auto has = [&](std::string_view cap) {
    return std::find(capabilities.begin(), capabilities.end(), cap) != capabilities.end();
  };
  oci::Seccomp s;
  s.default_action = "SCMP_ACT_ERRNO";
  s.default_errno_ret = kEperm;
  s.architectures = architectures_of(arch);

  s.syscalls.push_back(allow({std::begin(kAlwaysAllowed), std::end(kAlwaysAllowed)}));
  // AF_VSOCK (40) sockets reach the hypervisor: every other family is fine.
  s.syscalls.push_back(allow_with_arg("socket", 0, 40, 0, "SCMP_CMP_NE"));
  for (std::uint64_t persona : kPersonalities)
    s.syscalls.push_back(allow_with_arg("personality", 0, persona, 0, "SCMP_CMP_EQ"));
  for (const ArchGroup& g : kArchGroups) {
    if (std::find(g.arches.begin(), g.arches.end(), arch) != g.arches.end())
      s.syscalls.push_back(allow({g.names.begin(), g.names.end()}));
  }
  for (const CapGroup& g : kCapGroups) {
    if (has(g.capability))
      s.syscalls.push_back(allow({g.names.begin(), g.names.end()}));
  }
  if (!has("CAP_SYS_ADMIN")) {
    // clone without namespace flags; s390 passes the flags second.
    const std::uint32_t flags_index = arch == "s390x" ? 1 : 0;
    s.syscalls.push_back(
        allow_with_arg("clone", flags_index, kCloneNamespaceFlags, 0, "SCMP_CMP_MASKED_EQ"));
    // clone3's flags sit in a struct seccomp cannot read: ENOSYS makes libc fall back to clone.
    oci::SyscallRule clone3;
    clone3.names = {"clone3"};
    clone3.action = "SCMP_ACT_ERRNO";
    clone3.errno_ret = kEnosys;
    s.syscalls.push_back(std::move(clone3));
  }
  return s;
}

}  // namespace keel::manager::containers
