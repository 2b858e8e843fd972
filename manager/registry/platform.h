// Platforms as image indexes and Docker manifest lists name them (image-spec image-index.md
// "platform"), and the choice of one manifest from an index the way docker makes it: the
// requested os/architecture, the variant when one is asked for (arm64 defaults to v8, arm to
// v7, as containerd's platform matcher normalises them), else the first match.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace keel::manager::registry {

struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;  // empty: any

  // "linux/arm64/v8"
  [[nodiscard]] std::string str() const;
  friend bool operator==(const Platform&, const Platform&) = default;
};

// "linux/amd64", "linux/arm/v7", "arm64" (os defaults to linux). kInvalidArgument otherwise.
[[nodiscard]] Result<Platform> parse_platform(std::string_view text);
// This host's, in GOARCH spelling (x86_64 → amd64, aarch64 → arm64/v8).
[[nodiscard]] Platform host_platform();

// The index entry (a descriptor object of `manifests`) for `wanted`; kNotFound listing the
// platforms the index has when none matches.
[[nodiscard]] Result<nlohmann::json> select_platform(const nlohmann::json& index,
                                                     const Platform& wanted);

}  // namespace keel::manager::registry
