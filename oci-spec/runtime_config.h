// OCI runtime-spec 1.2 config.json (Linux parts) as plain structs, with parse, validate and write.
// Field names are the spec's JSON names in snake_case, so a reader can grep config.md for them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

// The member `RuntimeConfig::linux` is the spec's name; GNU dialects predefine `linux` as 1.
#if defined(linux)
#error "oci-spec/runtime_config.h needs -std=c++20, not gnu++20: `linux` is predefined as a macro"
#endif

namespace keel::oci {

// Unknown keys of one JSON object, kept for round trip: key -> the value's serialized JSON text.
using Extras = std::map<std::string, std::string>;

struct IdMapping {
  uint32_t container_id = 0;
  uint32_t host_id = 0;
  uint32_t size = 0;
  bool operator==(const IdMapping&) const = default;
};

struct ConsoleSize {
  uint32_t height = 0;
  uint32_t width = 0;
  bool operator==(const ConsoleSize&) const = default;
};

struct User {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::optional<uint32_t> umask;
  std::vector<uint32_t> additional_gids;
  std::optional<std::string> username;
  bool operator==(const User&) const = default;
};

// Each set is optional: absent means "not specified", which differs from an empty list.
struct Capabilities {
  std::optional<std::vector<std::string>> bounding;
  std::optional<std::vector<std::string>> effective;
  std::optional<std::vector<std::string>> inheritable;
  std::optional<std::vector<std::string>> permitted;
  std::optional<std::vector<std::string>> ambient;
  bool operator==(const Capabilities&) const = default;
};

struct Rlimit {
  std::string type;  // RLIMIT_*
  uint64_t hard = 0;
  uint64_t soft = 0;
  bool operator==(const Rlimit&) const = default;
};

struct IoPriority {
  std::string klass;  // JSON "class": IOPRIO_CLASS_RT, IOPRIO_CLASS_BE, IOPRIO_CLASS_IDLE
  int priority = 0;
  bool operator==(const IoPriority&) const = default;
};

struct Scheduler {
  std::string policy;  // SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_ISO, ...
  std::optional<int32_t> nice;
  std::optional<int32_t> priority;
  std::vector<std::string> flags;  // SCHED_FLAG_*
  std::optional<uint64_t> runtime;
  std::optional<uint64_t> deadline;
  std::optional<uint64_t> period;
  bool operator==(const Scheduler&) const = default;
};

struct ExecCpuAffinity {
  std::optional<std::string> initial;  // cpu list ("0-3,7"), before the process joins the cgroup
  std::optional<std::string> final;    // cpu list, after it joined
  bool operator==(const ExecCpuAffinity&) const = default;
};

struct Process {
  bool terminal = false;
  std::optional<ConsoleSize> console_size;
  User user;
  std::vector<std::string> args;
  std::optional<std::string> command_line;  // Windows only; kept for round trip
  std::vector<std::string> env;
  std::string cwd;
  std::optional<Capabilities> capabilities;
  std::vector<Rlimit> rlimits;
  bool no_new_privileges = false;
  std::optional<std::string> apparmor_profile;
  std::optional<int> oom_score_adj;
  std::optional<std::string> selinux_label;
  std::optional<IoPriority> io_priority;
  std::optional<Scheduler> scheduler;
  std::optional<ExecCpuAffinity> exec_cpu_affinity;
  Extras extra;
  bool operator==(const Process&) const = default;
};

struct Root {
  std::string path;
  bool readonly = false;
  bool operator==(const Root&) const = default;
};

struct Mount {
  std::string destination;
  std::optional<std::string> type;
  std::optional<std::string> source;
  std::vector<std::string> options;
  std::vector<IdMapping> uid_mappings;
  std::vector<IdMapping> gid_mappings;
  bool operator==(const Mount&) const = default;
};

struct Hook {
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::optional<int> timeout;  // seconds; > 0 when present
  bool operator==(const Hook&) const = default;
};

struct Hooks {
  std::vector<Hook> prestart;  // deprecated by the spec, still run by runc
  std::vector<Hook> create_runtime;
  std::vector<Hook> create_container;
  std::vector<Hook> start_container;
  std::vector<Hook> poststart;
  std::vector<Hook> poststop;
  bool operator==(const Hooks&) const = default;
};

struct Namespace {
  std::string type;  // pid network mount ipc uts user cgroup time
  std::optional<std::string> path;
  bool operator==(const Namespace&) const = default;
};

struct Device {
  std::string type;  // c b u p
  std::string path;
  int64_t major = 0;
  int64_t minor = 0;
  std::optional<uint32_t> file_mode;
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  bool operator==(const Device&) const = default;
};

struct TimeOffset {
  int64_t secs = 0;
  uint32_t nanosecs = 0;
  bool operator==(const TimeOffset&) const = default;
};

// linux.resources.devices[]: the device cgroup allow/deny list.
struct DeviceCgroup {
  bool allow = false;
  std::optional<std::string> type;    // a c b
  std::optional<std::string> access;  // some of "rwm"
  std::optional<int64_t> major;       // absent: any (-1 in cgroup terms)
  std::optional<int64_t> minor;
  bool operator==(const DeviceCgroup&) const = default;
};

struct Memory {
  std::optional<int64_t> limit;
  std::optional<int64_t> reservation;
  std::optional<int64_t> swap;
  std::optional<int64_t> kernel;
  std::optional<int64_t> kernel_tcp;
  std::optional<uint64_t> swappiness;
  std::optional<bool> disable_oom_killer;
  std::optional<bool> use_hierarchy;
  std::optional<bool> check_before_update;
  bool operator==(const Memory&) const = default;
};

struct Cpu {
  std::optional<uint64_t> shares;
  std::optional<int64_t> quota;
  std::optional<uint64_t> burst;
  std::optional<uint64_t> period;
  std::optional<int64_t> realtime_runtime;
  std::optional<uint64_t> realtime_period;
  std::optional<std::string> cpus;
  std::optional<std::string> mems;
  std::optional<int64_t> idle;
  bool operator==(const Cpu&) const = default;
};

struct Pids {
  int64_t limit = 0;
  bool operator==(const Pids&) const = default;
};

struct WeightDevice {
  int64_t major = 0;
  int64_t minor = 0;
  std::optional<uint16_t> weight;
  std::optional<uint16_t> leaf_weight;
  bool operator==(const WeightDevice&) const = default;
};

struct ThrottleDevice {
  int64_t major = 0;
  int64_t minor = 0;
  uint64_t rate = 0;
  bool operator==(const ThrottleDevice&) const = default;
};

struct BlockIo {
  std::optional<uint16_t> weight;
  std::optional<uint16_t> leaf_weight;
  std::vector<WeightDevice> weight_device;
  std::vector<ThrottleDevice> throttle_read_bps_device;
  std::vector<ThrottleDevice> throttle_write_bps_device;
  std::vector<ThrottleDevice> throttle_read_iops_device;
  std::vector<ThrottleDevice> throttle_write_iops_device;
  bool operator==(const BlockIo&) const = default;
};

struct HugepageLimit {
  std::string page_size;  // "2MB", "1GB", ...
  uint64_t limit = 0;
  bool operator==(const HugepageLimit&) const = default;
};

struct InterfacePriority {
  std::string name;
  uint32_t priority = 0;
  bool operator==(const InterfacePriority&) const = default;
};

struct Network {
  std::optional<uint32_t> class_id;  // JSON "classID"
  std::vector<InterfacePriority> priorities;
  bool operator==(const Network&) const = default;
};

struct Rdma {
  std::optional<uint32_t> hca_handles;
  std::optional<uint32_t> hca_objects;
  bool operator==(const Rdma&) const = default;
};

struct Resources {
  std::vector<DeviceCgroup> devices;
  std::optional<Memory> memory;
  std::optional<Cpu> cpu;
  std::optional<Pids> pids;
  std::optional<BlockIo> block_io;
  std::vector<HugepageLimit> hugepage_limits;
  std::optional<Network> network;
  std::map<std::string, Rdma> rdma;            // device name -> limits
  std::map<std::string, std::string> unified;  // cgroup v2 file -> value
  bool operator==(const Resources&) const = default;
};

struct IntelRdt {
  std::optional<std::string> clos_id;  // JSON "closID"
  std::optional<std::string> l3_cache_schema;
  std::optional<std::string> mem_bw_schema;
  std::optional<std::string> schemata;  // written after l3_cache_schema and mem_bw_schema
  std::optional<bool> enable_cmt;       // JSON "enableCMT"
  std::optional<bool> enable_mbm;       // JSON "enableMBM"
  bool operator==(const IntelRdt&) const = default;
};

struct SeccompArg {
  uint32_t index = 0;
  uint64_t value = 0;
  uint64_t value_two = 0;
  std::string op;  // SCMP_CMP_*
  bool operator==(const SeccompArg&) const = default;
};

struct SyscallRule {
  std::vector<std::string> names;
  std::string action;  // SCMP_ACT_*
  std::optional<uint32_t> errno_ret;
  std::vector<SeccompArg> args;
  bool operator==(const SyscallRule&) const = default;
};

struct Seccomp {
  std::string default_action;  // SCMP_ACT_*
  std::optional<uint32_t> default_errno_ret;
  std::vector<std::string> architectures;  // SCMP_ARCH_*
  std::vector<std::string> flags;          // SECCOMP_FILTER_FLAG_*
  std::optional<std::string> listener_path;
  std::optional<std::string> listener_metadata;
  std::vector<SyscallRule> syscalls;
  bool operator==(const Seccomp&) const = default;
};

struct Personality {
  std::string domain;  // LINUX, LINUX32
  std::vector<std::string> flags;
  bool operator==(const Personality&) const = default;
};

// linux.netDevices values: the interface name inside the container (absent: keep the host name).
struct NetDevice {
  std::optional<std::string> name;
  bool operator==(const NetDevice&) const = default;
};

struct Linux {
  std::vector<Namespace> namespaces;
  std::vector<IdMapping> uid_mappings;
  std::vector<IdMapping> gid_mappings;
  std::map<std::string, TimeOffset> time_offsets;  // "monotonic", "boottime"
  std::vector<Device> devices;
  std::map<std::string, NetDevice> net_devices;  // host interface name -> settings
  std::optional<std::string> cgroups_path;
  std::optional<Resources> resources;
  std::optional<IntelRdt> intel_rdt;
  std::map<std::string, std::string> sysctl;
  std::optional<Seccomp> seccomp;
  std::optional<std::string> rootfs_propagation;
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  std::optional<std::string> mount_label;
  std::optional<Personality> personality;
  Extras extra;
  bool operator==(const Linux&) const = default;
};

struct RuntimeConfig {
  std::string oci_version;
  std::optional<Process> process;
  std::optional<Root> root;
  std::optional<std::string> hostname;
  std::optional<std::string> domainname;
  std::vector<Mount> mounts;
  std::optional<Hooks> hooks;
  std::map<std::string, std::string> annotations;
  std::optional<Linux> linux;
  Extras extra;
  bool operator==(const RuntimeConfig&) const = default;
};

// The runtime-spec version Keel implements (and writes in default_config and state).
inline constexpr std::string_view kOciVersion = "1.2.0";

// Parses and validates config.json text. Errors are kInvalidArgument, one line:
// "config.json: <json path>: <rule>", e.g. "config.json: process.args: must be a non-empty array
// of strings", or "config.json: invalid JSON: <parser message>".
[[nodiscard]] Result<RuntimeConfig> parse_config(std::string_view json_text);

// Reads and parses <bundle_dir>/config.json. A missing file is kNotFound and names the path.
[[nodiscard]] Result<RuntimeConfig> load_config(const std::string& bundle_dir);

// The spec's MUSTs that a JSON schema cannot express; never stricter than runc (relative mount
// destinations and unknown but well-formed capability names pass). Same message form.
[[nodiscard]] Result<void> validate(const RuntimeConfig& config);

// Writes the spec's JSON names; absent optionals are omitted, Extras re-emitted. indent < 0:
// compact.
[[nodiscard]] std::string to_json(const RuntimeConfig& config, int indent = 2);
// linux.seccomp alone, compact, in a fixed key order: equal profiles give equal text (the key of
// the runtime's compiled-filter cache).
[[nodiscard]] std::string to_json(const Seccomp& seccomp);

// What runc 1.1's `runc spec` (rootless: `runc spec --rootless`) writes, with hostname "keel" and
// ociVersion kOciVersion. Like runc, it adds a cgroup namespace only on a cgroup v2 host. The
// rootless variant maps the calling user's euid/egid to root in a new user namespace.
[[nodiscard]] RuntimeConfig default_config(bool rootless);

}  // namespace keel::oci
