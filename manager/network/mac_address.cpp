#include "manager/network/mac_address.h"

#include <cctype>

namespace keel::manager::network {

Result<std::string> parse_mac_address(std::string_view text) {
  const auto bad = [&] {
    return Error::of(Errc::kInvalidArgument, std::string(text) + " is not a valid mac address");
  };
  // "xx:xx:xx:xx:xx:xx": 17 characters, a separator after every second digit.
  if (text.size() != 17)
    return bad();
  const char sep = text[2];
  if (sep != ':' && sep != '-')
    return bad();
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i % 3 == 2) {
      if (c != sep)
        return bad();
      out += ':';
    } else {
      if (std::isxdigit(static_cast<unsigned char>(c)) == 0)
        return bad();
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  // The low bit of the first byte marks a group address.
  if ((std::stoi(out.substr(0, 2), nullptr, 16) & 1) != 0)
    return Error::of(Errc::kInvalidArgument,
                     std::string(text) + " is not a valid mac address: it is a multicast address");
  return out;
}

}  // namespace keel::manager::network
