// Linux capabilities of the container process (config.md "process.capabilities"), through libcap.
// Owns the bounding, effective, permitted, inheritable and ambient sets and the keep-caps bit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "oci-spec/runtime_config.h"

namespace keel::runtime::security {

// One bit per capability number: CAP_CHOWN is bit 0, CAP_CHECKPOINT_RESTORE bit 40.
struct CapabilitySets {
  uint64_t bounding = 0;
  uint64_t effective = 0;
  uint64_t permitted = 0;
  uint64_t inheritable = 0;
  uint64_t ambient = 0;
  bool operator==(const CapabilitySets&) const = default;
};

// Names as the spec writes them ("CAP_CHOWN"). An unknown name is an error:
// `capabilities: unknown capability "CAP_FOO"`.
[[nodiscard]] Result<uint64_t> capability_mask(const std::vector<std::string>& names);

// Resolves every set once, so the container's init only moves bits. An absent set is empty, as
// runc reads it. Checks what the kernel would refuse later with a bare EPERM: an effective
// capability outside permitted.
[[nodiscard]] Result<CapabilitySets> resolve_capabilities(const oci::Capabilities& caps);

// Step 1, while still uid 0 with every capability: drops from the bounding set each capability
// not in `bounding` (needs CAP_SETPCAP, lost after the identity change) and sets PR_SET_KEEPCAPS so
// setresuid() to a non-zero uid keeps the permitted set. Capabilities the running kernel does not
// know are skipped.
[[nodiscard]] Result<void> prepare_capabilities(const CapabilitySets& sets);
[[nodiscard]] Result<void> prepare_capabilities(const oci::Capabilities& caps);

// Step 2, after setgroups/setresgid/setresuid: sets effective, permitted and inheritable to exactly
// the configured bits, raises the ambient ones and clears keep-caps. Like runc and crun, an ambient
// capability that is not both permitted and inheritable is left out rather than failing: the
// kernel cannot raise it.
[[nodiscard]] Result<void> apply_capabilities(const CapabilitySets& sets);
[[nodiscard]] Result<void> apply_capabilities(const oci::Capabilities& caps);

// "CAP_CHOWN" for 0; for error messages.
[[nodiscard]] std::string capability_name(int cap);

}  // namespace keel::runtime::security
