// Unix-domain stream sockets: the console socket of runc's protocol and every local control
// socket (shim, daemon) connect through here.
#pragma once

#include <string>

#include "common/error.h"
#include "common/unique_fd.h"

namespace keel {

// Connects a SOCK_STREAM | SOCK_CLOEXEC socket to the filesystem path `path`.
[[nodiscard]] Result<UniqueFd> connect_unix(const std::string& path);

}  // namespace keel
