#include "manager/network/etc_files.h"

#include <sstream>

#include "common/fs.h"

namespace keel::manager::network {
namespace {

bool is_loopback_nameserver(const std::string& address) {
  return address.starts_with("127.") || address == "::1" || address == "0:0:0:0:0:0:0:1";
}

}  // namespace

std::string hosts_file(const std::vector<HostEntry>& entries) {
  std::string out =
      "127.0.0.1\tlocalhost\n"
      "::1\tlocalhost ip6-localhost ip6-loopback\n"
      "fe00::0\tip6-localnet\n"
      "ff00::0\tip6-mcastprefix\n"
      "ff02::1\tip6-allnodes\n"
      "ff02::2\tip6-allrouters\n";
  for (const auto& entry : entries) {
    out += entry.address;
    char sep = '\t';
    for (const auto& name : entry.names) {
      out += sep + name;
      sep = ' ';
    }
    out += '\n';
  }
  return out;
}

std::string container_resolv_conf(std::string_view host_resolv_conf) {
  std::istringstream lines{std::string(host_resolv_conf)};
  std::string out;
  bool has_nameserver = false;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string key, value;
    fields >> key >> value;
    if (key == "nameserver") {
      if (is_loopback_nameserver(value))
        continue;
      has_nameserver = true;
    }
    out += line + "\n";
  }
  if (!has_nameserver)
    out += "nameserver 8.8.8.8\nnameserver 8.8.4.4\n";
  return out;
}

std::string network_resolv_conf(std::string_view host_resolv_conf, const std::string& dns_server) {
  std::istringstream lines{std::string(host_resolv_conf)};
  std::string out = "nameserver " + dns_server + "\n";
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string key;
    fields >> key;
    if (key != "nameserver")
      out += line + "\n";
  }
  return out;
}

Result<void> write_etc_files(const std::string& dir, const std::string& hostname,
                             const std::vector<HostEntry>& entries,
                             const std::string& resolv_conf) {
  // 0644: the container's users, not only its root, read them.
  KEEL_TRY(fs::write_file_atomic(dir + "/hosts", hosts_file(entries), 0644));
  KEEL_TRY(fs::write_file_atomic(dir + "/hostname", hostname + "\n", 0644));
  KEEL_TRY(fs::write_file_atomic(dir + "/resolv.conf", resolv_conf, 0644));
  return {};
}

}  // namespace keel::manager::network
