// The container's init: the cloned child of `keel create`, from clone to execve. It never
// returns; every failure before kReady travels to the parent over the sync channel.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "oci-spec/runtime_config.h"
#include "runtime/process/init_report.h"
#include "runtime/process/namespaces.h"
#include "runtime/process/sync_channel.h"
#include "runtime/rootfs/rootfs.h"
#include "runtime/security/capabilities.h"
#include "runtime/security/seccomp.h"

namespace keel::runtime {

// Everything the init needs, prepared (parsed, resolved, compiled, opened) by the parent before
// clone, so the child only acts.
struct InitSpec {
  const oci::RuntimeConfig* config = nullptr;
  rootfs::RootfsOptions rootfs;
  const NamespacePlan* namespaces = nullptr;
  std::optional<security::CapabilitySets> capabilities;
  const security::SeccompProgram* seccomp = nullptr;  // null: no filter
  int state_dir_fd = -1;    // O_PATH fd of <root>/<id>, which holds exec.fifo
  int state_lock_fd = -1;   // the parent's flock'ed state dir: closed first, or start would wait
  int console_socket = -1;  // connected --console-socket, or -1
  int preserve_fds = 0;
  std::array<int, 3> stdio = {-1, -1, -1};  // placed on 0, 1, 2 first; -1 keeps the inherited one
  bool reset_signal_dispositions = false;
  std::vector<int> cgroup_join_fds;  // v1 `tasks` files the init writes itself into (join.h)
  std::string session_keyring;  // joined as a new session keyring unless empty (--no-new-keyring)
  InitReport report;  // state for createContainer/startContainer hooks and the seccomp agent
  bool sync_runtime_hooks = false;  // stop before pivot_root for prestart/createRuntime hooks
  bool setgroups_allowed = true;    // false in a user namespace created without CAP_SETGID
};

[[noreturn]] void run_container_init(InitSpec& spec, SyncChannel& channel);

}  // namespace keel::runtime
