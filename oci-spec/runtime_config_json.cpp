// to_json(RuntimeConfig): the spec's JSON names in the order of the spec's Go types, so `keel spec`
// reads like `runc spec`. Absent optionals and empty lists are omitted (Go's omitempty); unknown
// keys kept in Extras are re-emitted at the end of their object.
#include <nlohmann/json.hpp>

#include "oci-spec/runtime_config.h"

namespace keel::oci {
namespace {

using Out = nlohmann::ordered_json;

template <class T>
void put(Out& o, const char* key, const std::optional<T>& value) {
  if (value)
    o[key] = *value;
}

template <class T>
void put(Out& o, const char* key, const std::vector<T>& values) {
  if (!values.empty())
    o[key] = values;
}

void put(Out& o, const char* key, const std::map<std::string, std::string>& values) {
  if (values.empty())
    return;
  Out& map = o[key] = Out::object();
  for (const auto& [k, v] : values)
    map.emplace(k, v);
}

// Extras hold JSON text taken from a parsed document; text that is not JSON (only possible if
// code filled Extras by hand) is left out rather than thrown out of to_json.
void put_extras(Out& o, const Extras& extras) {
  for (const auto& [key, text] : extras) {
    Out value = Out::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!value.is_discarded())
      o[key] = std::move(value);
  }
}

template <class T, class Write>
void put_list(Out& o, const char* key, const std::vector<T>& items, Write&& write) {
  if (items.empty())
    return;
  Out& list = o[key] = Out::array();
  for (const T& item : items)
    list.push_back(write(item));
}

Out id_mapping(const IdMapping& m) {
  return Out{{"containerID", m.container_id}, {"hostID", m.host_id}, {"size", m.size}};
}

Out user_json(const User& user) {
  Out o{{"uid", user.uid}, {"gid", user.gid}};
  put(o, "umask", user.umask);
  put(o, "additionalGids", user.additional_gids);
  put(o, "username", user.username);
  return o;
}

Out capabilities_json(const Capabilities& caps) {
  Out o = Out::object();
  put(o, "bounding", caps.bounding);
  put(o, "effective", caps.effective);
  put(o, "inheritable", caps.inheritable);
  put(o, "permitted", caps.permitted);
  put(o, "ambient", caps.ambient);
  return o;
}

Out scheduler_json(const Scheduler& s) {
  Out o{{"policy", s.policy}};
  put(o, "nice", s.nice);
  put(o, "priority", s.priority);
  put(o, "flags", s.flags);
  put(o, "runtime", s.runtime);
  put(o, "deadline", s.deadline);
  put(o, "period", s.period);
  return o;
}

Out process_json(const Process& p) {
  Out o = Out::object();
  if (p.terminal)
    o["terminal"] = true;
  if (p.console_size)
    o["consoleSize"] = {{"height", p.console_size->height}, {"width", p.console_size->width}};
  o["user"] = user_json(p.user);
  put(o, "args", p.args);
  put(o, "commandLine", p.command_line);
  put(o, "env", p.env);
  o["cwd"] = p.cwd;
  if (p.capabilities)
    o["capabilities"] = capabilities_json(*p.capabilities);
  put_list(o, "rlimits", p.rlimits, [](const Rlimit& r) {
    return Out{{"type", r.type}, {"hard", r.hard}, {"soft", r.soft}};
  });
  if (p.no_new_privileges)
    o["noNewPrivileges"] = true;
  put(o, "apparmorProfile", p.apparmor_profile);
  put(o, "oomScoreAdj", p.oom_score_adj);
  if (p.scheduler)
    o["scheduler"] = scheduler_json(*p.scheduler);
  put(o, "selinuxLabel", p.selinux_label);
  if (p.io_priority)
    o["ioPriority"] = {{"class", p.io_priority->klass}, {"priority", p.io_priority->priority}};
  if (p.exec_cpu_affinity) {
    Out& affinity = o["execCPUAffinity"] = Out::object();
    put(affinity, "initial", p.exec_cpu_affinity->initial);
    put(affinity, "final", p.exec_cpu_affinity->final);
  }
  put_extras(o, p.extra);
  return o;
}

Out mount_json(const Mount& m) {
  Out o{{"destination", m.destination}};
  put(o, "type", m.type);
  put(o, "source", m.source);
  put(o, "options", m.options);
  put_list(o, "uidMappings", m.uid_mappings, id_mapping);
  put_list(o, "gidMappings", m.gid_mappings, id_mapping);
  return o;
}

Out hook_json(const Hook& h) {
  Out o{{"path", h.path}};
  put(o, "args", h.args);
  put(o, "env", h.env);
  put(o, "timeout", h.timeout);
  return o;
}

Out hooks_json(const Hooks& h) {
  Out o = Out::object();
  put_list(o, "prestart", h.prestart, hook_json);
  put_list(o, "createRuntime", h.create_runtime, hook_json);
  put_list(o, "createContainer", h.create_container, hook_json);
  put_list(o, "startContainer", h.start_container, hook_json);
  put_list(o, "poststart", h.poststart, hook_json);
  put_list(o, "poststop", h.poststop, hook_json);
  return o;
}

Out memory_json(const Memory& m) {
  Out o = Out::object();
  put(o, "limit", m.limit);
  put(o, "reservation", m.reservation);
  put(o, "swap", m.swap);
  put(o, "kernel", m.kernel);
  put(o, "kernelTCP", m.kernel_tcp);
  put(o, "swappiness", m.swappiness);
  put(o, "disableOOMKiller", m.disable_oom_killer);
  put(o, "useHierarchy", m.use_hierarchy);
  put(o, "checkBeforeUpdate", m.check_before_update);
  return o;
}

Out cpu_json(const Cpu& c) {
  Out o = Out::object();
  put(o, "shares", c.shares);
  put(o, "quota", c.quota);
  put(o, "burst", c.burst);
  put(o, "period", c.period);
  put(o, "realtimeRuntime", c.realtime_runtime);
  put(o, "realtimePeriod", c.realtime_period);
  put(o, "cpus", c.cpus);
  put(o, "mems", c.mems);
  put(o, "idle", c.idle);
  return o;
}

Out throttle_json(const ThrottleDevice& d) {
  return Out{{"major", d.major}, {"minor", d.minor}, {"rate", d.rate}};
}

Out block_io_json(const BlockIo& b) {
  Out o = Out::object();
  put(o, "weight", b.weight);
  put(o, "leafWeight", b.leaf_weight);
  put_list(o, "weightDevice", b.weight_device, [](const WeightDevice& d) {
    Out w{{"major", d.major}, {"minor", d.minor}};
    put(w, "weight", d.weight);
    put(w, "leafWeight", d.leaf_weight);
    return w;
  });
  put_list(o, "throttleReadBpsDevice", b.throttle_read_bps_device, throttle_json);
  put_list(o, "throttleWriteBpsDevice", b.throttle_write_bps_device, throttle_json);
  put_list(o, "throttleReadIOPSDevice", b.throttle_read_iops_device, throttle_json);
  put_list(o, "throttleWriteIOPSDevice", b.throttle_write_iops_device, throttle_json);
  return o;
}

Out network_json(const Network& n) {
  Out o = Out::object();
  put(o, "classID", n.class_id);
  put_list(o, "priorities", n.priorities, [](const InterfacePriority& p) {
    return Out{{"name", p.name}, {"priority", p.priority}};
  });
  return o;
}

Out resources_json(const Resources& r) {
  Out o = Out::object();
  put_list(o, "devices", r.devices, [](const DeviceCgroup& d) {
    Out rule{{"allow", d.allow}};
    put(rule, "type", d.type);
    put(rule, "major", d.major);
    put(rule, "minor", d.minor);
    put(rule, "access", d.access);
    return rule;
  });
  if (r.memory)
    o["memory"] = memory_json(*r.memory);
  if (r.cpu)
    o["cpu"] = cpu_json(*r.cpu);
  if (r.pids)
    o["pids"] = {{"limit", r.pids->limit}};
  if (r.block_io)
    o["blockIO"] = block_io_json(*r.block_io);
  put_list(o, "hugepageLimits", r.hugepage_limits, [](const HugepageLimit& h) {
    return Out{{"pageSize", h.page_size}, {"limit", h.limit}};
  });
  if (r.network)
    o["network"] = network_json(*r.network);
  if (!r.rdma.empty()) {
    Out& rdma = o["rdma"] = Out::object();
    for (const auto& [device, limits] : r.rdma) {
      Out& entry = rdma[device] = Out::object();
      put(entry, "hcaHandles", limits.hca_handles);
      put(entry, "hcaObjects", limits.hca_objects);
    }
  }
  put(o, "unified", r.unified);
  return o;
}

Out seccomp_json(const Seccomp& s) {
  Out o{{"defaultAction", s.default_action}};
  put(o, "defaultErrnoRet", s.default_errno_ret);
  put(o, "architectures", s.architectures);
  put(o, "flags", s.flags);
  put(o, "listenerPath", s.listener_path);
  put(o, "listenerMetadata", s.listener_metadata);
  put_list(o, "syscalls", s.syscalls, [](const SyscallRule& rule) {
    Out r{{"names", rule.names}, {"action", rule.action}};
    put(r, "errnoRet", rule.errno_ret);
    put_list(r, "args", rule.args, [](const SeccompArg& a) {
      Out arg{{"index", a.index}, {"value", a.value}};
      if (a.value_two != 0)
        arg["valueTwo"] = a.value_two;
      arg["op"] = a.op;
      return arg;
    });
    return r;
  });
  return o;
}

Out intel_rdt_json(const IntelRdt& rdt) {
  Out o = Out::object();
  put(o, "closID", rdt.clos_id);
  put(o, "l3CacheSchema", rdt.l3_cache_schema);
  put(o, "memBwSchema", rdt.mem_bw_schema);
  put(o, "schemata", rdt.schemata);
  put(o, "enableCMT", rdt.enable_cmt);
  put(o, "enableMBM", rdt.enable_mbm);
  return o;
}

Out linux_json(const Linux& l) {
  Out o = Out::object();
  put_list(o, "uidMappings", l.uid_mappings, id_mapping);
  put_list(o, "gidMappings", l.gid_mappings, id_mapping);
  put(o, "sysctl", l.sysctl);
  if (l.resources)
    o["resources"] = resources_json(*l.resources);
  put(o, "cgroupsPath", l.cgroups_path);
  put_list(o, "namespaces", l.namespaces, [](const Namespace& ns) {
    Out n{{"type", ns.type}};
    put(n, "path", ns.path);
    return n;
  });
  put_list(o, "devices", l.devices, [](const Device& d) {
    Out dev{{"path", d.path}, {"type", d.type}, {"major", d.major}, {"minor", d.minor}};
    put(dev, "fileMode", d.file_mode);
    put(dev, "uid", d.uid);
    put(dev, "gid", d.gid);
    return dev;
  });
  if (!l.net_devices.empty()) {
    Out& devices = o["netDevices"] = Out::object();
    for (const auto& [host_name, device] : l.net_devices) {
      Out& entry = devices[host_name] = Out::object();
      put(entry, "name", device.name);
    }
  }
  if (l.seccomp)
    o["seccomp"] = seccomp_json(*l.seccomp);
  put(o, "rootfsPropagation", l.rootfs_propagation);
  put(o, "maskedPaths", l.masked_paths);
  put(o, "readonlyPaths", l.readonly_paths);
  put(o, "mountLabel", l.mount_label);
  if (l.intel_rdt)
    o["intelRdt"] = intel_rdt_json(*l.intel_rdt);
  if (l.personality) {
    Out& personality = o["personality"] = {{"domain", l.personality->domain}};
    put(personality, "flags", l.personality->flags);
  }
  if (!l.time_offsets.empty()) {
    Out& offsets = o["timeOffsets"] = Out::object();
    for (const auto& [clock, offset] : l.time_offsets) {
      Out& entry = offsets[clock] = Out::object();
      if (offset.secs != 0)
        entry["secs"] = offset.secs;
      if (offset.nanosecs != 0)
        entry["nanosecs"] = offset.nanosecs;
    }
  }
  put_extras(o, l.extra);
  return o;
}

}  // namespace

std::string to_json(const Seccomp& seccomp) {
  return seccomp_json(seccomp).dump();
}

std::string to_json(const RuntimeConfig& config, int indent) {
  Out o{{"ociVersion", config.oci_version}};
  if (config.process)
    o["process"] = process_json(*config.process);
  if (config.root) {
    Out& root = o["root"] = {{"path", config.root->path}};
    if (config.root->readonly)
      root["readonly"] = true;
  }
  put(o, "hostname", config.hostname);
  put(o, "domainname", config.domainname);
  put_list(o, "mounts", config.mounts, mount_json);
  if (config.hooks)
    o["hooks"] = hooks_json(*config.hooks);
  put(o, "annotations", config.annotations);
  if (config.linux)
    o["linux"] = linux_json(*config.linux);
  put_extras(o, config.extra);
  return o.dump(indent < 0 ? -1 : indent);
}

}  // namespace keel::oci
