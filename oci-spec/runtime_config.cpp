// config.json parsing: the document, process, root, mounts and hooks (config.md), and the public
// parse_config / load_config entry points. The linux object is parsed in runtime_config_linux.cpp.
#include "oci-spec/runtime_config.h"

#include <string>
#include <utility>

#include "common/fs.h"
#include "oci-spec/json_read.h"

namespace keel::oci {
namespace detail {
namespace {

void parse_console_size(Json& value, const JsonPath& path, ConsoleSize& out) {
  read_object(value, path, nullptr, [&](std::string_view key, Json& v, const JsonPath& p) {
    if (key == "height")
      out.height = read_int<uint32_t>(v, p);
    else if (key == "width")
      out.width = read_int<uint32_t>(v, p);
    else
      return false;
    return true;
  });
}

void parse_user(Json& value, const JsonPath& path, User& out) {
  read_object(value, path, nullptr, [&](std::string_view key, Json& v, const JsonPath& p) {
    if (key == "uid") {
      out.uid = read_int<uint32_t>(v, p);
    } else if (key == "gid") {
      out.gid = read_int<uint32_t>(v, p);
    } else if (key == "umask") {
      out.umask = read_int<uint32_t>(v, p);
    } else if (key == "additionalGids") {
      read_array(v, p, out.additional_gids, [](Json& item, const JsonPath& ip, uint32_t& gid) {
        gid = read_int<uint32_t>(item, ip);
      });
    } else if (key == "username") {
      out.username = read_string(v, p);
    } else {
      return false;
    }
    return true;
  });
}

void parse_capabilities(Json& value, const JsonPath& path, Capabilities& out) {
  read_object(value, path, nullptr, [&](std::string_view key, Json& v, const JsonPath& p) {
    if (key == "bounding")
      out.bounding = read_strings(v, p);
    else if (key == "effective")
      out.effective = read_strings(v, p);
    else if (key == "inheritable")
      out.inheritable = read_strings(v, p);
    else if (key == "permitted")
      out.permitted = read_strings(v, p);
    else if (key == "ambient")
      out.ambient = read_strings(v, p);
    else
      return false;
    return true;
  });
}

void parse_rlimit(Json& value, const JsonPath& path, Rlimit& out) {
  read_object(value, path, nullptr, [&](std::string_view key, Json& v, const JsonPath& p) {
    if (key == "type")
      out.type = read_string(v, p);
    else if (key == "hard")
      out.hard = read_int<uint64_t>(v, p);
    else if (key == "soft")
      out.soft = read_int<uint64_t>(v, p);
    else
      return false;
    return true;
  });
}

void parse_io_priority(Json& value, const JsonPath& path, IoPriority& out) {
  read_object(value, path, nullptr, [&](std::string_view key, Json& v, const JsonPath& p) {
    if (key == "class")
      out.klass = read_string(v, p);
    else if (key == "priority")
      out.priority = read_int<int>(v, p);
    else
      return false;
    return true;
  });
}

void parse_scheduler(Json& value, const JsonPath& path, Scheduler& out) {
  read_object(value, path, nullptr, [&](std::string_view key, Json& v, const JsonPath& p) {
    if (key == "policy")
      out.policy = read_string(v, p);
    else if (key == "nice")
      out.nice = read_int<int32_t>(v, p);
    else if (key == "priority")
      out.priority = read_int<int32_t>(v, p);
    else if (key == "flags")
      out.flags = read_strings(v, p);
    else if (key == "runtime")
      out.runtime = read_int<uint64_t>(v, p);
    else if (key == "deadline")
      out.deadline = read_int<uint64_t>(v, p);
    else if (key == "period")
      out.period = read_int<uint64_t>(v, p);
    else
      return false;
    return true;
  });
}

void parse_exec_cpu_affinity(Json& value, const JsonPath& path, ExecCpuAffinity& out) {
  read_object(value, path, nullptr, [&](std::string_view key, Json& v, const JsonPath& p) {
    if (key == "initial")
      out.initial = read_string(v, p);
    else if (key == "final")
      out.final = read_string(v, p);
    else
      return false;
    return true;
  });
}

// Fields handled here are the Linux and POSIX ones; commandLine (Windows) is kept for round trip.
bool parse_process_field(std::string_view key, Json& v, const JsonPath& p, Process& out) {
  if (key == "terminal") {
    out.terminal = read_bool(v, p);
  } else if (key == "consoleSize") {
    parse_console_size(v, p, out.console_size.emplace());
  } else if (key == "user") {
    parse_user(v, p, out.user);
  } else if (key == "args") {
    out.args = read_strings(v, p);
  } else if (key == "commandLine") {
    out.command_line = read_string(v, p);
  } else if (key == "env") {
    out.env = read_strings(v, p);
  } else if (key == "cwd") {
    out.cwd = read_string(v, p);
  } else if (key == "capabilities") {
    parse_capabilities(v, p, out.capabilities.emplace());
  } else if (key == "rlimits") {
    read_array(v, p, out.rlimits, parse_rlimit);
  } else if (key == "noNewPrivileges") {
    out.no_new_privileges = read_bool(v, p);
  } else if (key == "apparmorProfile") {
    out.apparmor_profile = read_string(v, p);
  } else if (key == "oomScoreAdj") {
    out.oom_score_adj = read_int<int>(v, p);
  } else if (key == "selinuxLabel") {
    out.selinux_label = read_string(v, p);
  } else if (key == "ioPriority") {
    parse_io_priority(v, p, out.io_priority.emplace());
  } else if (key == "scheduler") {
    parse_scheduler(v, p, out.scheduler.emplace());
  } else if (key == "execCPUAffinity") {
    parse_exec_cpu_affinity(v, p, out.exec_cpu_affinity.emplace());
  } else {
    return false;
  }
  return true;
}

void parse_process(Json& value, const JsonPath& path, Process& out) {
  read_object(value, path, &out.extra, [&](std::string_view key, Json& v, const JsonPath& p) {
    return parse_process_field(key, v, p, out);
  });
}

void parse_root(Json& value, const JsonPath& path, Root& out) {
  read_object(value, path, nullptr, [&](std::string_view key, Json& v, const JsonPath& p) {
    if (key == "path")
      out.path = read_string(v, p);
    else if (key == "readonly")
      out.readonly = read_bool(v, p);
    else
      return false;
    return true;
  });
}

void parse_mount(Json& value, const JsonPath& path, Mount& out) {
  read_object(value, path, nullptr, [&](std::string_view key, Json& v, const JsonPath& p) {
    if (key == "destination")
      out.destination = read_string(v, p);
    else if (key == "type")
      out.type = read_string(v, p);
    else if (key == "source")
      out.source = read_string(v, p);
    else if (key == "options")
      out.options = read_strings(v, p);
    else if (key == "uidMappings")
      read_array(v, p, out.uid_mappings, parse_id_mapping);
    else if (key == "gidMappings")
      read_array(v, p, out.gid_mappings, parse_id_mapping);
    else
      return false;
    return true;
  });
}

void parse_hook(Json& value, const JsonPath& path, Hook& out) {
  read_object(value, path, nullptr, [&](std::string_view key, Json& v, const JsonPath& p) {
    if (key == "path")
      out.path = read_string(v, p);
    else if (key == "args")
      out.args = read_strings(v, p);
    else if (key == "env")
      out.env = read_strings(v, p);
    else if (key == "timeout")
      out.timeout = read_int<int>(v, p);
    else
      return false;
    return true;
  });
}

void parse_hooks(Json& value, const JsonPath& path, Hooks& out) {
  read_object(value, path, nullptr, [&](std::string_view key, Json& v, const JsonPath& p) {
    if (key == "prestart")
      read_array(v, p, out.prestart, parse_hook);
    else if (key == "createRuntime")
      read_array(v, p, out.create_runtime, parse_hook);
    else if (key == "createContainer")
      read_array(v, p, out.create_container, parse_hook);
    else if (key == "startContainer")
      read_array(v, p, out.start_container, parse_hook);
    else if (key == "poststart")
      read_array(v, p, out.poststart, parse_hook);
    else if (key == "poststop")
      read_array(v, p, out.poststop, parse_hook);
    else
      return false;
    return true;
  });
}

bool parse_document_field(std::string_view key, Json& v, const JsonPath& p, RuntimeConfig& out) {
  if (key == "ociVersion")
    out.oci_version = read_string(v, p);
  else if (key == "process")
    parse_process(v, p, out.process.emplace());
  else if (key == "root")
    parse_root(v, p, out.root.emplace());
  else if (key == "hostname")
    out.hostname = read_string(v, p);
  else if (key == "domainname")
    out.domainname = read_string(v, p);
  else if (key == "mounts")
    read_array(v, p, out.mounts, parse_mount);
  else if (key == "hooks")
    parse_hooks(v, p, out.hooks.emplace());
  else if (key == "annotations")
    out.annotations = read_string_map(v, p);
  else if (key == "linux")
    parse_linux(v, p, out.linux.emplace());
  else
    return false;
  return true;
}

}  // namespace

void parse_id_mapping(Json& value, const JsonPath& path, IdMapping& out) {
  read_object(value, path, nullptr, [&](std::string_view key, Json& v, const JsonPath& p) {
    if (key == "containerID")
      out.container_id = read_int<uint32_t>(v, p);
    else if (key == "hostID")
      out.host_id = read_int<uint32_t>(v, p);
    else if (key == "size")
      out.size = read_int<uint32_t>(v, p);
    else
      return false;
    return true;
  });
}

}  // namespace detail

Result<RuntimeConfig> parse_config(std::string_view json_text) {
  using detail::Json;
  constexpr std::string_view kDocument = "config.json";
  Json doc;
  try {
    doc = Json::parse(json_text);
  } catch (const Json::exception& e) {
    return Error::of(Errc::kInvalidArgument,
                     std::string(kDocument) + ": invalid JSON: " + detail::parser_message(e));
  }
  RuntimeConfig config;
  try {
    const detail::JsonPath root;
    detail::read_object(doc, root, &config.extra,
                        [&](std::string_view key, Json& v, const detail::JsonPath& p) {
                          return detail::parse_document_field(key, v, p, config);
                        });
  } catch (const detail::PathError& e) {
    return detail::to_error(kDocument, e);
  }
  KEEL_TRY(validate(config));
  return config;
}

Result<RuntimeConfig> load_config(const std::string& bundle_dir) {
  const std::string path = bundle_dir + "/config.json";
  auto text = fs::read_file(path);
  if (!text)
    return std::move(text).error().context("load bundle config");
  return parse_config(*text);
}

}  // namespace keel::oci
