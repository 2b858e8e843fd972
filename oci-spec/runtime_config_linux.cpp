// config.json parsing of the linux object (config-linux.md): namespaces, devices, resources,
// seccomp and the rest. Types only; the spec's rules are checked by validate().
#include "oci-spec/json_read.h"

namespace keel::oci::detail {
namespace {

void parse_namespace(Json& value, const JsonPath& path, Namespace& out) {
  read_object(value, path, nullptr, [&](std::string_view key, Json& v, const JsonPath& p) {
    if (key == "type")
      out.type = read_string(v, p);
    else if (key == "path")
      out.path = read_string(v, p);
    else
      return false;
    return true;
  });
}

void parse_time_offset(Json& value, const JsonPath& path, TimeOffset& out) {
  read_object(value, path, nullptr, [&](std::string_view key, Json& v, const JsonPath& p) {
    if (key == "secs")
      out.secs = read_int<int64_t>(v, p);
    else if (key == "nanosecs")
      out.nanosecs = read_int<uint32_t>(v, p);
    else
      return false;
    return true;
  });
}

void parse_device(Json& value, const JsonPath& path, Device& out) {
  read_object(value, path, nullptr, [&](std::string_view key, Json& v, const JsonPath& p) {
    if (key == "type")
      out.type = read_string(v, p);
    else if (key == "path")
      out.path = read_string(v, p);
    else if (key == "major")
      out.major = read_int<int64_t>(v, p);
    else if (key == "minor")
      out.minor = read_int<int64_t>(v, p);
    else if (key == "fileMode")
      out.file_mode = read_int<uint32_t>(v, p);
    else if (key == "uid")
      out.uid = read_int<uint32_t>(v, p);
    else if (key == "gid")
      out.gid = read_int<uint32_t>(v, p);
    else
      return false;
    return true;
  });
}

void parse_net_device(Json& value, const JsonPath& path, NetDevice& out) {
  read_object(value, path, nullptr, [&](std::string_view key, Json& v, const JsonPath& p) {
    if (key != "name")
      return false;
    out.name = read_string(v, p);
    return true;
  });
}

void parse_device_cgroup(Json& value, const JsonPath& path, DeviceCgroup& out) {
  read_object(value, path, nullptr, [&](std::string_view key, Json& v, const JsonPath& p) {
    if (key == "allow")
      out.allow = read_bool(v, p);
    else if (key == "type")
      out.type = read_string(v, p);
    else if (key == "access")
      out.access = read_string(v, p);
    else if (key == "major")
      out.major = read_int<int64_t>(v, p);
    else if (key == "minor")
      out.minor = read_int<int64_t>(v, p);
    else
      return false;
    return true;
  });
}

void parse_memory(Json& value, const JsonPath& path, Memory& out) {
  read_object(value, path, nullptr, [&](std::string_view key, Json& v, const JsonPath& p) {
    if (key == "limit")
      out.limit = read_int<int64_t>(v, p);
    else if (key == "reservation")
      out.reservation = read_int<int64_t>(v, p);
    else if (key == "swap")
      out.swap = read_int<int64_t>(v, p);
    else if (key == "kernel")
      out.kernel = read_int<int64_t>(v, p);
    else if (key == "kernelTCP")
      out.kernel_tcp = read_int<int64_t>(v, p);
    else if (key == "swappiness")
      out.swappiness = read_int<uint64_t>(v, p);
    else if (key == "disableOOMKiller")
      out.disable_oom_killer = read_bool(v, p);
    else if (key == "useHierarchy")
      out.use_hierarchy = read_bool(v, p);
    else if (key == "checkBeforeUpdate")
      out.check_before_update = read_bool(v, p);
    else
      return false;
    return true;
  });
}

void parse_cpu(Json& value, const JsonPath& path, Cpu& out) {
  read_object(value, path, nullptr, [&](std::string_view key, Json& v, const JsonPath& p) {
    if (key == "shares")
      out.shares = read_int<uint64_t>(v, p);
    else if (key == "quota")
      out.quota = read_int<int64_t>(v, p);
    else if (key == "burst")
      out.burst = read_int<uint64_t>(v, p);
    else if (key == "period")
      out.period = read_int<uint64_t>(v, p);
    else if (key == "realtimeRuntime")
      out.realtime_runtime = read_int<int64_t>(v, p);
    else if (key == "realtimePeriod")
      out.realtime_period = read_int<uint64_t>(v, p);
    else if (key == "cpus")
      out.cpus = read_string(v, p);
    else if (key == "mems")
      out.mems = read_string(v, p);
    else if (key == "idle")
      out.idle = read_int<int64_t>(v, p);
    else
      return false;
    return true;
  });
}

void parse_weight_device(Json& value, const JsonPath& path, WeightDevice& out) {
  read_object(value, path, nullptr, [&](std::string_view key, Json& v, const JsonPath& p) {
    if (key == "major")
      out.major = read_int<int64_t>(v, p);
    else if (key == "minor")
      out.minor = read_int<int64_t>(v, p);
    else if (key == "weight")
      out.weight = read_int<uint16_t>(v, p);
    else if (key == "leafWeight")
      out.leaf_weight = read_int<uint16_t>(v, p);
    else
      return false;
    return true;
  });
}

void parse_throttle_device(Json& value, const JsonPath& path, ThrottleDevice& out) {
  read_object(value, path, nullptr, [&](std::string_view key, Json& v, const JsonPath& p) {
    if (key == "major")
      out.major = read_int<int64_t>(v, p);
    else if (key == "minor")
      out.minor = read_int<int64_t>(v, p);
    else if (key == "rate")
      out.rate = read_int<uint64_t>(v, p);
    else
      return false;
    return true;
  });
}

void parse_block_io(Json& value, const JsonPath& path, BlockIo& out) {
  read_object(value, path, nullptr, [&](std::string_view key, Json& v, const JsonPath& p) {
    if (key == "weight")
      out.weight = read_int<uint16_t>(v, p);
    else if (key == "leafWeight")
      out.leaf_weight = read_int<uint16_t>(v, p);
    else if (key == "weightDevice")
      read_array(v, p, out.weight_device, parse_weight_device);
    else if (key == "throttleReadBpsDevice")
      read_array(v, p, out.throttle_read_bps_device, parse_throttle_device);
    else if (key == "throttleWriteBpsDevice")
      read_array(v, p, out.throttle_write_bps_device, parse_throttle_device);
    else if (key == "throttleReadIOPSDevice")
      read_array(v, p, out.throttle_read_iops_device, parse_throttle_device);
    else if (key == "throttleWriteIOPSDevice")
      read_array(v, p, out.throttle_write_iops_device, parse_throttle_device);
    else
      return false;
    return true;
  });
}

void parse_hugepage_limit(Json& value, const JsonPath& path, HugepageLimit& out) {
  read_object(value, path, nullptr, [&](std::string_view key, Json& v, const JsonPath& p) {
    if (key == "pageSize")
      out.page_size = read_string(v, p);
    else if (key == "limit")
      out.limit = read_int<uint64_t>(v, p);
    else
      return false;
    return true;
  });
}

void parse_interface_priority(Json& value, const JsonPath& path, InterfacePriority& out) {
  read_object(value, path, nullptr, [&](std::string_view key, Json& v, const JsonPath& p) {
    if (key == "name")
      out.name = read_string(v, p);
    else if (key == "priority")
      out.priority = read_int<uint32_t>(v, p);
    else
      return false;
    return true;
  });
}

void parse_network(Json& value, const JsonPath& path, Network& out) {
  read_object(value, path, nullptr, [&](std::string_view key, Json& v, const JsonPath& p) {
    if (key == "classID")
      out.class_id = read_int<uint32_t>(v, p);
    else if (key == "priorities")
      read_array(v, p, out.priorities, parse_interface_priority);
    else
      return false;
    return true;
  });
}

void parse_rdma(Json& value, const JsonPath& path, Rdma& out) {
  read_object(value, path, nullptr, [&](std::string_view key, Json& v, const JsonPath& p) {
    if (key == "hcaHandles")
      out.hca_handles = read_int<uint32_t>(v, p);
    else if (key == "hcaObjects")
      out.hca_objects = read_int<uint32_t>(v, p);
    else
      return false;
    return true;
  });
}

void parse_pids(Json& value, const JsonPath& path, Pids& out) {
  read_object(value, path, nullptr, [&](std::string_view key, Json& v, const JsonPath& p) {
    if (key != "limit")
      return false;
    out.limit = read_int<int64_t>(v, p);
    return true;
  });
}

// A JSON object whose values are objects of one kind (rdma, timeOffsets, netDevices).
template <class T, class ParseOne>
void read_object_map(Json& value, const JsonPath& path, std::map<std::string, T>& out,
                     ParseOne&& parse_one) {
  expect_object(value, path);
  out.clear();
  for (auto it = value.begin(); it != value.end(); ++it) {
    const JsonPath entry_path = path.map_key(it.key());
    parse_one(it.value(), entry_path, out[it.key()]);
  }
}

void parse_resources(Json& value, const JsonPath& path, Resources& out) {
  read_object(value, path, nullptr, [&](std::string_view key, Json& v, const JsonPath& p) {
    if (key == "devices")
      read_array(v, p, out.devices, parse_device_cgroup);
    else if (key == "memory")
      parse_memory(v, p, out.memory.emplace());
    else if (key == "cpu")
      parse_cpu(v, p, out.cpu.emplace());
    else if (key == "pids")
      parse_pids(v, p, out.pids.emplace());
    else if (key == "blockIO")
      parse_block_io(v, p, out.block_io.emplace());
    else if (key == "hugepageLimits")
      read_array(v, p, out.hugepage_limits, parse_hugepage_limit);
    else if (key == "network")
      parse_network(v, p, out.network.emplace());
    else if (key == "rdma")
      read_object_map(v, p, out.rdma, parse_rdma);
    else if (key == "unified")
      out.unified = read_string_map(v, p);
    else
      return false;
    return true;
  });
}

void parse_intel_rdt(Json& value, const JsonPath& path, IntelRdt& out) {
  read_object(value, path, nullptr, [&](std::string_view key, Json& v, const JsonPath& p) {
    if (key == "closID")
      out.clos_id = read_string(v, p);
    else if (key == "l3CacheSchema")
      out.l3_cache_schema = read_string(v, p);
    else if (key == "memBwSchema")
      out.mem_bw_schema = read_string(v, p);
    else if (key == "schemata")
      out.schemata = read_string(v, p);
    else if (key == "enableCMT")
      out.enable_cmt = read_bool(v, p);
    else if (key == "enableMBM")
      out.enable_mbm = read_bool(v, p);
    else
      return false;
    return true;
  });
}

void parse_seccomp_arg(Json& value, const JsonPath& path, SeccompArg& out) {
  read_object(value, path, nullptr, [&](std::string_view key, Json& v, const JsonPath& p) {
    if (key == "index")
      out.index = read_int<uint32_t>(v, p);
    else if (key == "value")
      out.value = read_int<uint64_t>(v, p);
    else if (key == "valueTwo")
      out.value_two = read_int<uint64_t>(v, p);
    else if (key == "op")
      out.op = read_string(v, p);
    else
      return false;
    return true;
  });
}

void parse_syscall_rule(Json& value, const JsonPath& path, SyscallRule& out) {
  read_object(value, path, nullptr, [&](std::string_view key, Json& v, const JsonPath& p) {
    if (key == "names")
      out.names = read_strings(v, p);
    else if (key == "action")
      out.action = read_string(v, p);
    else if (key == "errnoRet")
      out.errno_ret = read_int<uint32_t>(v, p);
    else if (key == "args")
      read_array(v, p, out.args, parse_seccomp_arg);
    else
      return false;
    return true;
  });
}

void parse_seccomp(Json& value, const JsonPath& path, Seccomp& out) {
  read_object(value, path, nullptr, [&](std::string_view key, Json& v, const JsonPath& p) {
    if (key == "defaultAction")
      out.default_action = read_string(v, p);
    else if (key == "defaultErrnoRet")
      out.default_errno_ret = read_int<uint32_t>(v, p);
    else if (key == "architectures")
      out.architectures = read_strings(v, p);
    else if (key == "flags")
      out.flags = read_strings(v, p);
    else if (key == "listenerPath")
      out.listener_path = read_string(v, p);
    else if (key == "listenerMetadata")
      out.listener_metadata = read_string(v, p);
    else if (key == "syscalls")
      read_array(v, p, out.syscalls, parse_syscall_rule);
    else
      return false;
    return true;
  });
}

void parse_personality(Json& value, const JsonPath& path, Personality& out) {
  read_object(value, path, nullptr, [&](std::string_view key, Json& v, const JsonPath& p) {
    if (key == "domain")
      out.domain = read_string(v, p);
    else if (key == "flags")
      out.flags = read_strings(v, p);
    else
      return false;
    return true;
  });
}

bool parse_linux_field(std::string_view key, Json& v, const JsonPath& p, Linux& out) {
  if (key == "namespaces")
    read_array(v, p, out.namespaces, parse_namespace);
  else if (key == "uidMappings")
    read_array(v, p, out.uid_mappings, parse_id_mapping);
  else if (key == "gidMappings")
    read_array(v, p, out.gid_mappings, parse_id_mapping);
  else if (key == "timeOffsets")
    read_object_map(v, p, out.time_offsets, parse_time_offset);
  else if (key == "devices")
    read_array(v, p, out.devices, parse_device);
  else if (key == "netDevices")
    read_object_map(v, p, out.net_devices, parse_net_device);
  else if (key == "cgroupsPath")
    out.cgroups_path = read_string(v, p);
  else if (key == "resources")
    parse_resources(v, p, out.resources.emplace());
  else if (key == "intelRdt")
    parse_intel_rdt(v, p, out.intel_rdt.emplace());
  else if (key == "sysctl")
    out.sysctl = read_string_map(v, p);
  else if (key == "seccomp")
    parse_seccomp(v, p, out.seccomp.emplace());
  else if (key == "rootfsPropagation")
    out.rootfs_propagation = read_string(v, p);
  else if (key == "maskedPaths")
    out.masked_paths = read_strings(v, p);
  else if (key == "readonlyPaths")
    out.readonly_paths = read_strings(v, p);
  else if (key == "mountLabel")
    out.mount_label = read_string(v, p);
  else if (key == "personality")
    parse_personality(v, p, out.personality.emplace());
  else
    return false;
  return true;
}

}  // namespace

void parse_linux(Json& value, const JsonPath& path, Linux& out) {
  read_object(value, path, &out.extra, [&](std::string_view key, Json& v, const JsonPath& p) {
    return parse_linux_field(key, v, p, out);
  });
}

}  // namespace keel::oci::detail
