// The last stretch every container process walks, the init's and `keel exec`'s alike, in one
// order: rlimits → oomScoreAdj → no_new_privs → [fds sealed, seccomp] → capabilities → user →
// capabilities → cwd → executable; and, once released: [fds sealed, seccomp] → execve.
//
// Where the filter goes: without no_new_privs, loading it needs CAP_SYS_ADMIN, so it is loaded
// before the capabilities are dropped (runc and crun do the same); with no_new_privs it is
// loaded last, just before execve. Either way every inherited fd is marked close-on-exec
// *before* the filter is in place: a profile written before close_range(2) existed (an
// allow-list without it is common) must not be what decides whether fds leak or the container
// dies (CVE-2024-21626 is why nothing inherited may survive execve).
#pragma once

#include <array>
#include <optional>
#include <string>

#include "common/error.h"
#include "oci-spec/runtime_config.h"
#include "runtime/process/init_report.h"
#include "runtime/security/capabilities.h"
#include "runtime/security/seccomp.h"

namespace keel::runtime {

struct ProcessStart {
  const oci::Process* process = nullptr;
  const std::optional<security::CapabilitySets>* capabilities = nullptr;
  const security::SeccompProgram* seccomp = nullptr;  // null: no filter, or already loaded
  InitReport* report = nullptr;
  bool setgroups_allowed = true;
  int first_unpreserved_fd = 3;  // 3 + --preserve-fds
  bool filter_loaded = false;    // set once the filter is in place (fds sealed before it)
};

// The container's init and exec's child both carry these fields, under these names.
template <class ChildSpec>
[[nodiscard]] ProcessStart process_start_of(const oci::Process& process, ChildSpec& spec) {
  ProcessStart start;
  start.process = &process;
  start.capabilities = &spec.capabilities;
  start.seccomp = spec.seccomp;
  start.report = &spec.report;
  start.setgroups_allowed = spec.setgroups_allowed;
  start.first_unpreserved_fd = 3 + spec.preserve_fds;
  return start;
}

// `keel run` blocks the signals it forwards; the container's process starts with none blocked.
[[nodiscard]] Result<void> unblock_all_signals();

// Every disposition back to the default: an ignored signal stays ignored across execve, and a
// caller that creates in its own process (keel-shim ignores SIGPIPE) must not pass that on.
void reset_signal_dispositions();

// Puts fds[i] on fd i for each fds[i] >= 0, whatever the fds are (0..2 among them too).
[[nodiscard]] Result<void> place_stdio(const std::array<int, 3>& fds);

// Everything up to the executable's path; loads the filter early when no_new_privs is off.
[[nodiscard]] Result<std::string> set_up_process(ProcessStart& start);

// Marks every fd >= first close-on-exec (close_range, or fcntl on kernels before 5.11). Marking,
// not closing: the sync channel's and exec.fifo's EOF is how the parent learns of the execve,
// and the seccomp agent socket is needed until the filter's fd went through it.
[[nodiscard]] Result<void> seal_inherited_fds(int first);

// Seals the fds, loads a filter still pending, and execs. Returns only with what failed.
[[nodiscard]] Error exec_process(ProcessStart& start, const std::string& executable);

}  // namespace keel::runtime
