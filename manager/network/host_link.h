// Host network links keeld removes itself: a network's bridge once the network is removed (the
// bridge plugin makes it on the first ADD and never deletes it).
#pragma once

#include <string>

#include "common/error.h"

namespace keel::manager::network {

// Deletes the link named `name`; a link that does not exist is not an error.
[[nodiscard]] Result<void> delete_link(const std::string& name);
// Whether a link of that name exists (/sys/class/net/<name>).
[[nodiscard]] bool link_exists(const std::string& name);

}  // namespace keel::manager::network
