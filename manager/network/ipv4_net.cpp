#include "manager/network/ipv4_net.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <sstream>

#include "common/fs.h"

namespace keel::manager::network {

Result<std::uint32_t> parse_ipv4(std::string_view text) {
  const std::string copy(text);
  in_addr parsed{};
  if (copy.empty() || ::inet_pton(AF_INET, copy.c_str(), &parsed) != 1)
    return Error::of(Errc::kInvalidArgument, "invalid IPv4 address: " + copy);
  return ntohl(parsed.s_addr);
}

std::string ipv4_to_string(std::uint32_t address) {
  in_addr out{htonl(address)};
  char text[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &out, text, sizeof text);
  return text;
}

std::string Ipv4Net::str() const {
  return ipv4_to_string(address) + "/" + std::to_string(prefix);
}

Result<Ipv4Net> parse_subnet(std::string_view text) {
  const std::string what(text);
  const auto slash = text.find('/');
  if (slash == std::string_view::npos)
    return Error::of(Errc::kInvalidArgument, "invalid CIDR address: " + what);
  auto address = parse_ipv4(text.substr(0, slash));
  int prefix = -1;
  const auto bits = text.substr(slash + 1);
  auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
  if (!address || ec != std::errc() || end != bits.data() + bits.size() || bits.empty() ||
      prefix < 0 || prefix > 32)
    return Error::of(Errc::kInvalidArgument, "invalid CIDR address: " + what);
  Ipv4Net net{.address = *address, .prefix = prefix};
  if ((*address & net.mask()) != *address)
    return Error::of(Errc::kInvalidArgument, "invalid subnet " + what +
                                                 ": it has host bits set; the network is " +
                                                 Ipv4Net{*address & net.mask(), prefix}.str());
  if (prefix > 30)
    return Error::of(Errc::kInvalidArgument,
                     "invalid subnet " + what + ": too small for a gateway and a container");
  return net;
}

std::vector<Ipv4Net> host_routes(std::string_view except_iface) {
  std::vector<Ipv4Net> routes;
  auto table = fs::read_file("/proc/net/route");
  if (!table)
    return routes;
  // Columns: Iface Destination Gateway Flags RefCnt Use Metric Mask ..., little-endian hex.
  std::istringstream lines(*table);
  std::string line;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string iface, destination, gateway, flags, refcnt, use, metric, mask;
    if (!(fields >> iface >> destination >> gateway >> flags >> refcnt >> use >> metric >> mask))
      continue;
    const auto dst = static_cast<std::uint32_t>(std::stoul(destination, nullptr, 16));
    const auto m = static_cast<std::uint32_t>(std::stoul(mask, nullptr, 16));
    if (m == 0)
      continue;  // the default route overlaps everything; it is not a conflict
    if (!except_iface.empty() && iface == except_iface)
      continue;
    const std::uint32_t host_mask = ntohl(m);
    routes.push_back(
        Ipv4Net{.address = ntohl(dst) & host_mask, .prefix = __builtin_popcount(host_mask)});
  }
  return routes;
}

}  // namespace keel::manager::network
