// Capability sets of the container process through libcap: bounding set drop before the identity
// change, then exact effective/permitted/inheritable sets and ambient raise after it.
#include "runtime/security/capabilities.h"

#include <sys/capability.h>
#include <sys/prctl.h>

#include <cctype>
#include <string_view>

#include "common/scope_guard.h"

namespace keel::runtime::security {
namespace {

constexpr int kMaskBits = 64;

constexpr uint64_t bit(int cap) {
  return uint64_t{1} << cap;
}

// Capabilities this kernel knows (cap_max_bits() probes it once, at libcap load), capped to the
// width of a mask.
int kernel_cap_count() {
  const int count = static_cast<int>(::cap_max_bits());
  return count < kMaskBits ? count : kMaskBits;
}

Result<uint64_t> optional_mask(const std::optional<std::vector<std::string>>& names) {
  if (!names)
    return uint64_t{0};
  return capability_mask(*names);
}

// First capability in `mask`, for a message about it.
int first_cap(uint64_t mask) {
  for (int cap = 0; cap < kMaskBits; ++cap)
    if ((mask & bit(cap)) != 0)
      return cap;
  return -1;
}

}  // namespace

std::string capability_name(int cap) {
  char* name = ::cap_to_name(static_cast<cap_value_t>(cap));
  if (name == nullptr)
    return "CAP_" + std::to_string(cap);
  std::string out(name);
  ::cap_free(name);
  if (out.starts_with("cap_")) {
    for (char& c : out)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  } else {
    out = "CAP_" + out;  // libcap names a capability it does not know by its number
  }
  return out;
}

Result<uint64_t> capability_mask(const std::vector<std::string>& names) {
  uint64_t mask = 0;
  for (const auto& name : names) {
    // The spec writes "CAP_CHOWN"; libcap would also take "chown" or "0", runc takes neither.
    cap_value_t cap = -1;
    if (!std::string_view(name).starts_with("CAP_") || ::cap_from_name(name.c_str(), &cap) != 0 ||
        cap < 0) {
      return Error::of(Errc::kInvalidArgument, "capabilities: unknown capability \"" + name + "\"");
    }
    if (cap >= kMaskBits) {
      return Error::of(Errc::kInvalidArgument,
                       "capabilities: capability \"" + name + "\" is beyond bit 63");
    }
    mask |= bit(cap);
  }
  return mask;
}

Result<CapabilitySets> resolve_capabilities(const oci::Capabilities& caps) {
  CapabilitySets sets;
  struct Entry {
    const std::optional<std::vector<std::string>>& names;
    uint64_t& mask;
  };
  for (const Entry& e :
       {Entry{caps.bounding, sets.bounding}, Entry{caps.effective, sets.effective},
        Entry{caps.permitted, sets.permitted}, Entry{caps.inheritable, sets.inheritable},
        Entry{caps.ambient, sets.ambient}}) {
    auto mask = optional_mask(e.names);
    if (!mask)
      return std::move(mask).error();
    e.mask = *mask;
  }
  // capset(2) requires effective ⊆ permitted; say which capability instead of a bare EPERM.
  if (const uint64_t extra = sets.effective & ~sets.permitted; extra != 0) {
    return Error::of(Errc::kInvalidArgument, "capabilities: effective \"" +
                                                 capability_name(first_cap(extra)) +
                                                 "\" is not in permitted");
  }
  return sets;
}

Result<void> prepare_capabilities(const CapabilitySets& sets) {
  const int count = kernel_cap_count();
  for (int cap = 0; cap < count; ++cap) {
    // No cap_get_bound() first: dropping an absent capability succeeds, and the start path
    // saves one prctl per capability.
    if ((sets.bounding & bit(cap)) != 0)
      continue;
    if (::cap_drop_bound(static_cast<cap_value_t>(cap)) != 0) {
      const int err = errno;
      return Error::sys("capabilities: drop \"" + capability_name(cap) + "\" from bounding set",
                        err);
    }
  }
  // Without it setresuid() to a non-zero uid empties the permitted set before apply can pick.
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
    return Error::sys("capabilities: set keep-caps");
  return {};
}

Result<void> prepare_capabilities(const oci::Capabilities& caps) {
  auto sets = resolve_capabilities(caps);
  if (!sets)
    return std::move(sets).error();
  return prepare_capabilities(*sets);
}

Result<void> apply_capabilities(const CapabilitySets& sets) {
  cap_t state = ::cap_init();  // all three sets clear
  if (state == nullptr)
    return Error::sys("capabilities: allocate state");
  ScopeGuard free_state([state] { ::cap_free(state); });

  struct Flag {
    cap_flag_t flag;
    uint64_t mask;
  };
  const int count = kernel_cap_count();
  for (const Flag& f : {Flag{CAP_EFFECTIVE, sets.effective}, Flag{CAP_PERMITTED, sets.permitted},
                        Flag{CAP_INHERITABLE, sets.inheritable}}) {
    for (int cap = 0; cap < count; ++cap) {
      cap_value_t value = cap;
      if ((f.mask & bit(cap)) != 0 && ::cap_set_flag(state, f.flag, 1, &value, CAP_SET) != 0) {
        const int err = errno;
        return Error::sys("capabilities: set \"" + capability_name(cap) + "\" in state", err);
      }
    }
  }
  if (::cap_set_proc(state) != 0)
    return Error::sys("capabilities: set effective, permitted and inheritable sets");

  // One prctl; libcap's cap_reset_ambient() first probes every capability with IS_SET.
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0)
    return Error::sys("capabilities: clear ambient set");
  const uint64_t ambient = sets.ambient & sets.permitted & sets.inheritable;
  for (int cap = 0; cap < count; ++cap) {
    if ((ambient & bit(cap)) != 0 &&
        ::cap_set_ambient(static_cast<cap_value_t>(cap), CAP_SET) != 0) {
      const int err = errno;
      return Error::sys("capabilities: raise ambient \"" + capability_name(cap) + "\"", err);
    }
  }
  if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0)
    return Error::sys("capabilities: clear keep-caps");
  return {};
}

Result<void> apply_capabilities(const oci::Capabilities& caps) {
  auto sets = resolve_capabilities(caps);
  if (!sets)
    return std::move(sets).error();
  return apply_capabilities(*sets);
}

}  // namespace keel::runtime::security
