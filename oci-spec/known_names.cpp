// Name lists from the runtime-spec (config-linux.md, config.md) and the kernel headers, shared by
// validate() and the features document.
#include <algorithm>

#include "oci-spec/features.h"

namespace keel::oci {

const std::vector<std::string>& known_capabilities() {
  static const std::vector<std::string> kNames = {
      "CAP_CHOWN",
      "CAP_DAC_OVERRIDE",
      "CAP_DAC_READ_SEARCH",
      "CAP_FOWNER",
      "CAP_FSETID",
      "CAP_KILL",
      "CAP_SETGID",
      "CAP_SETUID",
      "CAP_SETPCAP",
      "CAP_LINUX_IMMUTABLE",
      "CAP_NET_BIND_SERVICE",
      "CAP_NET_BROADCAST",
      "CAP_NET_ADMIN",
      "CAP_NET_RAW",
      "CAP_IPC_LOCK",
      "CAP_IPC_OWNER",
      "CAP_SYS_MODULE",
      "CAP_SYS_RAWIO",
      "CAP_SYS_CHROOT",
      "CAP_SYS_PTRACE",
      "CAP_SYS_PACCT",
      "CAP_SYS_ADMIN",
      "CAP_SYS_BOOT",
      "CAP_SYS_NICE",
      "CAP_SYS_RESOURCE",
      "CAP_SYS_TIME",
      "CAP_SYS_TTY_CONFIG",
      "CAP_MKNOD",
      "CAP_LEASE",
      "CAP_AUDIT_WRITE",
      "CAP_AUDIT_CONTROL",
      "CAP_SETFCAP",
      "CAP_MAC_OVERRIDE",
      "CAP_MAC_ADMIN",
      "CAP_SYSLOG",
      "CAP_WAKE_ALARM",
      "CAP_BLOCK_SUSPEND",
      "CAP_AUDIT_READ",
      "CAP_PERFMON",
      "CAP_BPF",
      "CAP_CHECKPOINT_RESTORE",
  };
  return kNames;
}

bool is_known_capability(std::string_view name) {
  const auto& names = known_capabilities();
  return std::find(names.begin(), names.end(), name) != names.end();
}

const std::vector<std::string>& known_rlimits() {
  static const std::vector<std::string> kNames = {
      "RLIMIT_CPU",      "RLIMIT_FSIZE", "RLIMIT_DATA",   "RLIMIT_STACK",
      "RLIMIT_CORE",     "RLIMIT_RSS",   "RLIMIT_NPROC",  "RLIMIT_NOFILE",
      "RLIMIT_MEMLOCK",  "RLIMIT_AS",    "RLIMIT_LOCKS",  "RLIMIT_SIGPENDING",
      "RLIMIT_MSGQUEUE", "RLIMIT_NICE",  "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
  };
  return kNames;
}

const std::vector<std::string>& known_namespaces() {
  static const std::vector<std::string> kNames = {"pid", "network", "mount",  "ipc",
                                                  "uts", "user",    "cgroup", "time"};
  return kNames;
}

const std::vector<std::string>& known_seccomp_actions() {
  static const std::vector<std::string> kNames = {
      "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
      "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
      "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY",
  };
  return kNames;
}

const std::vector<std::string>& known_seccomp_operators() {
  static const std::vector<std::string> kNames = {
      "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",        "SCMP_CMP_EQ",
      "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
  };
  return kNames;
}

// The spec's list (libseccomp 2.5) plus the architectures libseccomp 2.6 added: whether one
// works is the seccomp library's call at apply time, not the parser's.
const std::vector<std::string>& known_seccomp_archs() {
  static const std::vector<std::string> kNames = {
      "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
      "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
      "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
      "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
      "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",     "SCMP_ARCH_LOONGARCH64",
      "SCMP_ARCH_M68K",    "SCMP_ARCH_SH",       "SCMP_ARCH_SHEB",
  };
  return kNames;
}

const std::vector<std::string>& known_seccomp_flags() {
  static const std::vector<std::string> kNames = {
      "SECCOMP_FILTER_FLAG_TSYNC",
      "SECCOMP_FILTER_FLAG_LOG",
      "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
      "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
  };
  return kNames;
}

const std::vector<std::string>& known_mount_options() {
  static const std::vector<std::string> kNames = {
      "async",
      "atime",
      "bind",
      "defaults",
      "dev",
      "diratime",
      "dirsync",
      "exec",
      "iversion",
      "lazytime",
      "loud",
      "mand",
      "noatime",
      "nodev",
      "nodiratime",
      "noexec",
      "noiversion",
      "nolazytime",
      "nomand",
      "norelatime",
      "nostrictatime",
      "nosuid",
      "nosymfollow",
      "private",
      "ratime",
      "rbind",
      "rdev",
      "rdiratime",
      "relatime",
      "remount",
      "rexec",
      "rnoatime",
      "rnodev",
      "rnodiratime",
      "rnoexec",
      "rnorelatime",
      "rnostrictatime",
      "rnosuid",
      "rnosymfollow",
      "ro",
      "rprivate",
      "rrelatime",
      "rro",
      "rrw",
      "rshared",
      "rslave",
      "rstrictatime",
      "rsuid",
      "rsymfollow",
      "runbindable",
      "rw",
      "shared",
      "silent",
      "slave",
      "strictatime",
      "suid",
      "symfollow",
      "sync",
      "tmpcopyup",
      "unbindable",
      "idmap",
      "ridmap",
  };
  return kNames;
}

const std::vector<std::string>& known_hooks() {
  static const std::vector<std::string> kNames = {
      "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"};
  return kNames;
}

}  // namespace keel::oci
