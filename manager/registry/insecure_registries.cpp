// CIDR matching over inet_pton's bytes: a network is its address bytes under a prefix mask.
#include "manager/registry/insecure_registries.h"

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <optional>

namespace keel::manager::registry {
namespace {

struct Address {
  int family = 0;
  std::array<unsigned char, 16> bytes{};
  [[nodiscard]] int bits() const { return family == AF_INET ? 32 : 128; }
};

std::optional<Address> parse_address(std::string_view text) {
  const std::string s(text);
  Address a;
  if (::inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
    a.family = AF_INET;
    return a;
  }
  if (::inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
    a.family = AF_INET6;
    return a;
  }
  return std::nullopt;
}

struct Network {
  Address base;
  int prefix = 0;
};

std::optional<Network> parse_cidr(std::string_view entry) {
  const auto slash = entry.find('/');
  if (slash == std::string_view::npos)
    return std::nullopt;
  auto base = parse_address(entry.substr(0, slash));
  if (!base)
    return std::nullopt;
  const std::string_view len = entry.substr(slash + 1);
  int prefix = -1;
  const auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), prefix);
  if (ec != std::errc() || end != len.data() + len.size() || prefix < 0 || prefix > base->bits())
    return std::nullopt;
  return Network{*base, prefix};
}

bool contains(const Network& net, const Address& a) {
  if (net.base.family != a.family)
    return false;
  int left = net.prefix;
  for (size_t i = 0; left > 0; ++i, left -= 8) {
    const int take = left >= 8 ? 8 : left;
    const auto mask = static_cast<unsigned char>(0xff << (8 - take));
    if ((net.base.bytes[i] & mask) != (a.bytes[i] & mask))
      return false;
  }
  return true;
}

// "host:port" → "host"; "[::1]:5000" → "::1"; a bare IPv6 address stays whole.
std::string_view host_of(std::string_view domain) {
  if (domain.starts_with('[')) {
    const auto close = domain.find(']');
    return close == std::string_view::npos ? domain : domain.substr(1, close - 1);
  }
  const auto colon = domain.rfind(':');
  if (colon != std::string_view::npos && domain.find(':') == colon)
    return domain.substr(0, colon);
  return domain;
}

bool valid_host_and_port(std::string_view entry) {
  if (entry.empty() || entry.find("://") != std::string_view::npos ||
      entry.find('/') != std::string_view::npos)
    return false;
  for (const char c : entry) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || c == '_';
    if (!ok)
      return false;
  }
  return true;
}

}  // namespace

Result<void> check_insecure_entry(std::string_view entry) {
  if (entry.find('/') != std::string_view::npos && entry.find("://") == std::string_view::npos) {
    if (parse_cidr(entry))
      return {};
    return Error::of(Errc::kInvalidArgument, "\"" + std::string(entry) + "\" is not a valid CIDR");
  }
  if (!valid_host_and_port(entry))
    return Error::of(Errc::kInvalidArgument,
                     "\"" + std::string(entry) + "\" is neither host[:port] nor a CIDR");
  return {};
}

bool is_listed_insecure(std::string_view domain, const std::vector<std::string>& entries) {
  const auto address = parse_address(host_of(domain));
  for (const auto& entry : entries) {
    if (entry == domain)
      return true;
    if (!address)
      continue;
    if (const auto net = parse_cidr(entry); net && contains(*net, *address))
      return true;
  }
  return false;
}

}  // namespace keel::manager::registry
