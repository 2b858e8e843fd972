#include "manager/network/etc_files.h"

#include <arpa/inet.h>
#include <fcntl.h>

#include <algorithm>
#include <sstream>
#include <utility>

#include "common/fs.h"
#include "common/unique_fd.h"

namespace keel::manager::network {
namespace {

bool is_loopback_nameserver(const std::string& address) {
  return address.starts_with("127.") || address == "::1" || address == "0:0:0:0:0:0:0:1";
}

bool is_ip_address(const std::string& text) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, text.c_str(), buf) == 1 ||
         ::inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

bool has_space(std::string_view text) {
  return text.find_first_of(" \t\r\n") != std::string_view::npos;
}

Error invalid(const std::string& flag, const std::string& value, const std::string& why) {
  return Error::of(Errc::kInvalidArgument,
                   "invalid argument \"" + value + "\" for \"" + flag + "\" flag: " + why);
}

// The lines `key value...` for each of `values` (one line for search and options, as resolvers
// read only the last of those).
std::string lines_of(const std::string& key, const std::vector<std::string>& values,
                     bool one_line) {
  std::string out;
  if (one_line) {
    out = key;
    for (const auto& value : values)
      out += " " + value;
    return out + "\n";
  }
  for (const auto& value : values)
    out += key + " " + value + "\n";
  return out;
}

}  // namespace

Result<void> validate_dns_overrides(const DnsOverrides& dns) {
  for (const auto& server : dns.servers)
    if (!is_ip_address(server))
      return invalid("--dns", server, "not an IP address");
  for (const auto& domain : dns.search)
    if (domain.empty() || domain.size() > 255 || has_space(domain))
      return invalid("--dns-search", domain, "not a domain name");
  for (const auto& option : dns.options)
    if (option.empty() || has_space(option))
      return invalid("--dns-option", option, "not a resolver option");
  return {};
}

std::string apply_dns_overrides(std::string_view resolv_conf, const DnsOverrides& dns) {
  // "." is docker's way to drop the host's search domains.
  const bool no_search = dns.search.size() == 1 && dns.search[0] == ".";
  std::istringstream lines{std::string(resolv_conf)};
  std::string out;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string key;
    fields >> key;
    if ((key == "nameserver" && !dns.servers.empty()) || (key == "search" && !dns.search.empty()) ||
        (key == "options" && !dns.options.empty()))
      continue;
    out += line + "\n";
  }
  std::string head = lines_of("nameserver", dns.servers, false);
  if (!dns.search.empty() && !no_search)
    head += lines_of("search", dns.search, true);
  if (!dns.options.empty())
    head += lines_of("options", dns.options, true);
  return head + out;
}

Result<HostEntry> parse_extra_host(std::string_view text) {
  const auto colon = text.find(':');
  const std::string value(text);
  if (colon == std::string_view::npos)
    return invalid("--add-host", value, "not in the form NAME:IP");
  std::string name(text.substr(0, colon));
  std::string address(text.substr(colon + 1));
  // docker also takes the address in brackets ("[::1]").
  if (address.size() > 2 && address.front() == '[' && address.back() == ']')
    address = address.substr(1, address.size() - 2);
  if (name.empty() || has_space(name))
    return invalid("--add-host", value, "not in the form NAME:IP");
  if (address != kHostGateway && !is_ip_address(address))
    return invalid("--add-host", value, "invalid IP address \"" + address + "\"");
  return HostEntry{.address = std::move(address), .names = {std::move(name)}};
}

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

std::string network_resolv_conf(std::string_view host_resolv_conf,
                                const std::vector<std::string>& dns_servers) {
  std::string out;
  std::vector<std::string> listed;
  for (const auto& server : dns_servers) {
    if (std::find(listed.begin(), listed.end(), server) != listed.end())
      continue;
    listed.push_back(server);
    out += "nameserver " + server + "\n";
  }
  std::istringstream lines{std::string(host_resolv_conf)};
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string key;
    fields >> key;
    if (key != "nameserver")
      out += line + "\n";
  }
  return out;
}

std::string resolv_conf_for(std::string_view host_resolv_conf,
                            const std::vector<std::string>& network_dns, const DnsOverrides& dns) {
  if (network_dns.empty())
    return apply_dns_overrides(container_resolv_conf(host_resolv_conf), dns);
  std::vector<std::string> servers = network_dns;
  servers.insert(servers.end(), dns.servers.begin(), dns.servers.end());
  DnsOverrides rest = dns;
  rest.servers.clear();
  // The nameservers first, as the files keeld writes always begin.
  return network_resolv_conf(apply_dns_overrides(host_resolv_conf, rest), servers);
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

Result<void> rewrite_etc_files(const std::string& dir, const std::vector<HostEntry>& entries,
                               const std::string& resolv_conf) {
  for (const auto& [name, text] :
       {std::pair{"/hosts", hosts_file(entries)}, std::pair{"/resolv.conf", resolv_conf}}) {
    const std::string path = dir + name;
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
    if (fd.get() < 0)
      return Error::sys("opening " + path);
    if (auto written = fs::write_all(fd.get(), text); !written)
      return std::move(written).error().context("writing " + path);
  }
  return {};
}

}  // namespace keel::manager::network
