// Seccomp filters from config-linux.md "Seccomp", through libseccomp: compile a profile, load it
// into the calling process, and export/load the compiled BPF so the runtime can cache it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"
#include "oci-spec/runtime_config.h"

namespace keel::runtime::security {

// A compiled profile: owns a libseccomp filter context. The context is an opaque handle (libseccomp
// declares scmp_filter_ctx as void*), which keeps <seccomp.h> out of this header.
class SeccompFilter {
 public:
  SeccompFilter() = default;
  SeccompFilter(SeccompFilter&& other) noexcept;
  SeccompFilter& operator=(SeccompFilter&& other) noexcept;
  SeccompFilter(const SeccompFilter&) = delete;
  SeccompFilter& operator=(const SeccompFilter&) = delete;
  ~SeccompFilter();

  // True when a rule's action is SCMP_ACT_NOTIFY: loading yields a listener fd for the agent.
  [[nodiscard]] bool uses_notify() const noexcept { return uses_notify_; }
  // seccomp(2) SECCOMP_SET_MODE_FILTER flags that make load_bpf(export_bpf(f), f.load_flags())
  // equal to load_seccomp(f): the profile's TSYNC, LOG and SPEC_ALLOW, and NEW_LISTENER (with
  // TSYNC_ESRCH when TSYNC is set too) for a notifying filter.
  [[nodiscard]] unsigned load_flags() const noexcept { return load_flags_; }
  // Names neither this architecture nor libseccomp knows; skipped like runc does, for a debug log.
  [[nodiscard]] const std::vector<std::string>& ignored_syscalls() const noexcept {
    return ignored_syscalls_;
  }

 private:
  friend Result<SeccompFilter> compile_seccomp(const oci::Seccomp& profile);
  friend Result<UniqueFd> load_seccomp(SeccompFilter& filter);
  friend Result<std::string> export_bpf(const SeccompFilter& filter);

  void* ctx_ = nullptr;  // scmp_filter_ctx
  unsigned load_flags_ = 0;
  bool uses_notify_ = false;
  std::vector<std::string> ignored_syscalls_;
};

// Builds the filter: defaultAction (+defaultErrnoRet), architectures (SCMP_ARCH_*), flags
// (SECCOMP_FILTER_FLAG_*), then every syscalls[] rule. As in runc: unknown syscall names are
// skipped, a rule whose action equals the default is skipped, several args on one index become one
// rule per arg (any of them matches), args on distinct indexes form one rule (all must match), and
// no_new_privs is left to the caller (process.noNewPrivileges). SCMP_ACT_NOTIFY as the default
// action is refused: every syscall, the one that hands the fd over included, would wait for an
// agent that has no fd yet. Errors are one line: `seccomp: syscall "mkdir": unknown action "X"`.
[[nodiscard]] Result<SeccompFilter> compile_seccomp(const oci::Seccomp& profile);

// Loads the filter into the calling thread (all threads with TSYNC). Needs CAP_SYS_ADMIN or
// no_new_privs set before. Returns the listener fd when the filter uses SCMP_ACT_NOTIFY, else an
// invalid UniqueFd.
[[nodiscard]] Result<UniqueFd> load_seccomp(SeccompFilter& filter);

// The filter's BPF program (struct sock_filter[], native byte order), as the kernel would get it.
[[nodiscard]] Result<std::string> export_bpf(const SeccompFilter& filter);

// What the container's init loads: the exported program and how to load it. Prepared in the parent
// (compiled, or read from the cache in seccomp_cache.h), so the child does no libseccomp work.
struct SeccompProgram {
  std::string bpf;  // export_bpf()
  unsigned load_flags = 0;
  bool uses_notify = false;
};

// export_bpf() with the filter's load flags.
[[nodiscard]] Result<SeccompProgram> to_program(const SeccompFilter& filter);

// Loads a BPF program from export_bpf() with seccomp(SECCOMP_SET_MODE_FILTER, flags): no
// libseccomp work in the container's init. Returns the listener fd when flags has
// SECCOMP_FILTER_FLAG_NEW_LISTENER, else an invalid UniqueFd.
[[nodiscard]] Result<UniqueFd> load_bpf(std::string_view bpf, unsigned flags);

}  // namespace keel::runtime::security
