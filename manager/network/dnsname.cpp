#include "manager/network/dnsname.h"

#include <signal.h>
#include <sys/types.h>

#include <cctype>
#include <charconv>
#include <chrono>
#include <thread>

#include "common/fs.h"

namespace keel::manager::network {
namespace {

Error bad_alias(std::string_view alias, const std::string& why) {
  return Error::of(Errc::kInvalidArgument,
                   "invalid network alias \"" + std::string(alias) + "\": " + why);
}

// The pid in dnsmasq's pid file when that process is still a dnsmasq: a pid reused by another
// process since must not be signalled.
std::optional<pid_t> running_dnsmasq(const std::filesystem::path& pid_file) {
  auto text = fs::read_file(pid_file.string());
  if (!text)
    return std::nullopt;
  const std::string trimmed = text->substr(0, text->find_first_of(" \t\r\n"));
  pid_t pid = 0;
  const auto [end, ec] = std::from_chars(trimmed.data(), trimmed.data() + trimmed.size(), pid);
  if (ec != std::errc() || end != trimmed.data() + trimmed.size() || pid <= 1)
    return std::nullopt;
  auto comm = fs::read_file("/proc/" + std::to_string(pid) + "/comm");
  if (!comm || !comm->starts_with("dnsmasq"))
    return std::nullopt;
  return pid;
}

}  // namespace

std::filesystem::path dnsname_runtime_dir(const std::filesystem::path& state) {
  return state / "dnsname";
}

std::filesystem::path dnsname_network_dir(const std::filesystem::path& state,
                                          const std::string& network) {
  return dnsname_runtime_dir(state) / "containers" / "cni" / "dnsname" / network;
}

std::string cni_args(const std::string& container_name) {
  std::string args = "IgnoreUnknown=1";
  if (!container_name.empty())
    args += ";K8S_POD_NAME=" + container_name;
  return args;
}

nlohmann::json aliases_capability(const std::string& network,
                                  const std::vector<std::string>& aliases) {
  return {{network, aliases}};
}

Result<void> validate_alias(std::string_view alias) {
  if (alias.empty())
    return bad_alias(alias, "empty");
  if (alias.size() > 253)
    return bad_alias(alias, "longer than 253 characters");
  std::size_t label = 0;
  for (const char ch : alias) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '.') {
      if (label == 0)
        return bad_alias(alias, "empty label");
      label = 0;
      continue;
    }
    if (std::isalnum(c) == 0 && c != '-' && c != '_')
      return bad_alias(alias, "only letters, digits, '-', '_' and '.' are allowed");
    if (++label > 63)
      return bad_alias(alias, "a label is longer than 63 characters");
  }
  if (label == 0)
    return bad_alias(alias, "empty label");
  return {};
}

Result<void> remove_dns_server(const std::filesystem::path& network_dir) {
  if (auto pid = running_dnsmasq(network_dir / "pidfile")) {
    if (::kill(*pid, SIGTERM) != 0 && errno != ESRCH)
      return Error::sys("stopping dnsmasq " + std::to_string(*pid));
    // It is not keeld's child (it daemonized): wait for it by polling, briefly.
    for (int i = 0; i < 50 && ::kill(*pid, 0) == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return fs::remove_all(network_dir.string());
}

}  // namespace keel::manager::network
