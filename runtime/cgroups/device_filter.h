// linux.resources.devices on cgroup v2: an eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE,
// generated here and attached to the container's cgroup with BPF_CGROUP_DEVICE through raw bpf(2).
// The rules mean what runc and crun make of them:
//   - the last rule that matches a request decides it;
//   - a rule for every device ("a", or no type, major and minor absent or -1, access "rwm")
//     overrides all rules before it, which are left out of the program; it also sets the verdict
//     for requests no later rule matches (deny when there is none);
//   - type "a" matches block and char devices, a major or minor of -1 (or absent) any number;
//   - an allow rule matches a request whose every access (r, w, m) it lists, a deny rule one that
//     asks for any access it lists: "deny w" refuses an O_RDWR open.
#pragma once

#include <linux/bpf.h>

#include <string>
#include <vector>

#include "common/error.h"
#include "oci-spec/runtime_config.h"

namespace keel::runtime::cgroups {

// The program for `rules`; kInvalidArgument for a bad type, access or number, with the rule's
// index: `linux.resources.devices[2]: type "x" is not a, b or c`.
[[nodiscard]] Result<std::vector<bpf_insn>> device_filter_program(
    const std::vector<oci::DeviceCgroup>& rules);

// Loads the program for `rules` and attaches it to the cgroup2 directory `cgroup_dir`, then
// detaches the device programs attached there before (from an earlier create or update), so there
// is no moment without a filter. Needs the capabilities bpf(2) asks for (root's).
[[nodiscard]] Result<void> apply_device_filter(const std::string& cgroup_dir,
                                               const std::vector<oci::DeviceCgroup>& rules);

}  // namespace keel::runtime::cgroups
