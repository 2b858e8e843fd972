// Image names as docker shows them: "docker.io/library/busybox:latest" is "busybox:latest".
#pragma once

#include <string>
#include <utility>

namespace keel::ctl {

// The familiar form of a full name ("docker.io/library/x" -> "x", "docker.io/u/x" -> "u/x").
[[nodiscard]] std::string familiar_name(const std::string& full);

// Splits a full reference into repository and tag ("<none>" when absent); a digest reference
// gives the digest as second.
[[nodiscard]] std::pair<std::string, std::string> split_repository_tag(const std::string& full);

}  // namespace keel::ctl
