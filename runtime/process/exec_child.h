// The child of `keel exec`: joins every namespace of a running container, takes the process
// attributes, and execs. Like the container's init it is a direct clone of keel (no re-exec) and
// non-dumpable until execve.
#pragma once

#include <optional>
#include <vector>

#include "oci-spec/runtime_config.h"
#include "runtime/process/init_report.h"
#include "runtime/process/namespaces.h"
#include "runtime/process/sync_channel.h"
#include "runtime/security/capabilities.h"
#include "runtime/security/seccomp.h"

namespace keel::runtime {

struct ExecChildSpec {
  const oci::Process* process = nullptr;
  std::vector<JoinNamespace>* namespaces = nullptr;  // the user namespace first
  std::optional<security::CapabilitySets> capabilities;
  const security::SeccompProgram* seccomp = nullptr;
  int console_socket = -1;
  int preserve_fds = 0;
  std::vector<int> cgroup_join_fds;  // v1 `tasks` files the child writes itself into (join.h)
  bool setgroups_allowed = true;
  const oci::Personality* personality = nullptr;  // the container's linux.personality
  InitReport report;  // the container's state and agent socket for a notifying seccomp filter
};

[[noreturn]] void run_exec_child(ExecChildSpec& spec, SyncChannel& channel);

}  // namespace keel::runtime
