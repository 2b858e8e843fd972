// SHA-256 (FIPS 180-4) of a string, as lowercase hex. The shim names its socket with the digest of
// "<containerd address>/<namespace>/<id>" (as containerd's shims do); the runtime keys its seccomp
// cache with it.
#pragma once

#include <string>
#include <string_view>

namespace keel {

[[nodiscard]] std::string sha256_hex(std::string_view data);

}  // namespace keel
