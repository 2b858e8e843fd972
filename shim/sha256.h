// SHA-256 (FIPS 180-4) of a string, as lowercase hex: the shim socket name is the digest of
// "<containerd address>/<namespace>/<id>", as containerd's own shims name theirs.
#pragma once

#include <string>
#include <string_view>

namespace keel::shim {

[[nodiscard]] std::string sha256_hex(std::string_view data);

}  // namespace keel::shim
