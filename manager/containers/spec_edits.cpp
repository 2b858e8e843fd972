#include "manager/containers/spec_edits.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "manager/containers/capabilities.h"

namespace keel::manager::containers {
namespace {

// CFS period of docker's --cpus: quota = milli-CPUs * period / 1000.
constexpr std::uint64_t kCpuPeriodUs = 100'000;

// oci-spec writes whole documents only: a part is cut out of a minimal one.
nlohmann::json document_of(const oci::RuntimeConfig& config) {
  return nlohmann::json::parse(oci::to_json(config, -1));
}

std::string key_of(const std::string& env) {
  return env.substr(0, env.find('='));
}

}  // namespace

std::optional<oci::Resources> resources_of(const ResourceUpdate& update) {
  oci::Resources resources;
  bool any = false;
  if (update.memory_bytes > 0) {
    resources.memory = oci::Memory{};
    resources.memory->limit = update.memory_bytes;
    any = true;
  }
  if (update.milli_cpus > 0) {
    resources.cpu = oci::Cpu{};
    resources.cpu->quota = update.milli_cpus * 100;
    resources.cpu->period = kCpuPeriodUs;
    any = true;
  }
  if (update.pids_limit != 0) {
    resources.pids = oci::Pids{.limit = update.pids_limit};
    any = true;
  }
  if (!any)
    return std::nullopt;
  return resources;
}

void apply_resources(oci::RuntimeConfig& config, const oci::Resources& update) {
  if (!config.linux)
    config.linux = oci::Linux{};
  if (!config.linux->resources)
    config.linux->resources = oci::Resources{};
  auto& resources = *config.linux->resources;
  if (update.memory && update.memory->limit) {
    if (!resources.memory)
      resources.memory = oci::Memory{};
    resources.memory->limit = update.memory->limit;
  }
  if (update.cpu) {
    if (!resources.cpu)
      resources.cpu = oci::Cpu{};
    if (update.cpu->quota)
      resources.cpu->quota = update.cpu->quota;
    if (update.cpu->period)
      resources.cpu->period = update.cpu->period;
  }
  if (update.pids)
    resources.pids = update.pids;
}

oci::Process exec_process(const oci::Process& base, const ExecRequest& request,
                          const std::optional<ResolvedUser>& user) {
  oci::Process process = base;
  process.args = request.cmd;
  process.terminal = request.tty;
  process.console_size.reset();
  for (const auto& kv : request.env) {
    auto same = std::find_if(process.env.begin(), process.env.end(),
                             [&](const std::string& e) { return key_of(e) == key_of(kv); });
    if (same != process.env.end())
      *same = kv;
    else
      process.env.push_back(kv);
  }
  if (!request.working_dir.empty())
    process.cwd = request.working_dir;
  if (user) {
    // The whole user is replaced: the container's umask and name belong to its own user.
    process.user = oci::User{};
    process.user.uid = user->uid;
    process.user.gid = user->gid;
    process.user.additional_gids.assign(user->additional_gids.begin(), user->additional_gids.end());
  }
  if (request.privileged) {
    // docker exec --privileged: every capability, whatever the container was given.
    const auto& all = all_capabilities();
    process.capabilities = oci::Capabilities{};
    process.capabilities->bounding = all;
    process.capabilities->effective = all;
    process.capabilities->permitted = all;
    process.capabilities->inheritable = all;
  }
  return process;
}

std::string process_json(const oci::Process& process) {
  oci::RuntimeConfig config;
  config.process = process;
  return document_of(config).at("process").dump();
}

std::string resources_json(const oci::Resources& resources) {
  oci::RuntimeConfig config;
  config.linux = oci::Linux{};
  config.linux->resources = resources;
  return document_of(config).at("linux").at("resources").dump();
}

}  // namespace keel::manager::containers
