// What `create` prepares before any state exists: the parsed config, absolute paths, the
// namespace plan, resolved capabilities and the seccomp program (compiled or cached). Bad input
// fails here, before a directory, cgroup or process is made.
#pragma once

#include <optional>
#include <string>

#include "common/error.h"
#include "oci-spec/runtime_config.h"
#include "runtime/lifecycle/lifecycle.h"
#include "runtime/process/namespaces.h"
#include "runtime/security/capabilities.h"
#include "runtime/security/seccomp.h"

namespace keel::runtime {

struct CreateContext {
  oci::RuntimeConfig config;
  std::string config_text;
  std::string bundle;  // absolute
  std::string rootfs;  // absolute
  NamespacePlan namespaces;
  std::optional<security::CapabilitySets> capabilities;
  std::optional<security::SeccompProgram> seccomp;
};

// seccomp_cache_dir: where compiled seccomp programs are kept (empty: compile every time).
[[nodiscard]] Result<CreateContext> prepare_create(const CreateOptions& options,
                                                   const std::string& seccomp_cache_dir);

}  // namespace keel::runtime
