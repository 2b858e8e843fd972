// Lexical checks on tar entry names and hard link targets, before anything touches the disk.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace keel::manager::snapshots {

// Splits an entry name into its components relative to the layer root: "./a//b/" -> {"a","b"},
// "a/../b" -> {"b"}, "." -> {} (the root itself). Refuses (kInvalidArgument, naming the entry) an
// absolute name and any ".." that would climb above the root.
[[nodiscard]] Result<std::vector<std::string>> split_entry_path(std::string_view name);

// "a/b/c" from components; "." for the root.
[[nodiscard]] std::string join_path(const std::vector<std::string>& parts, std::size_t count);

}  // namespace keel::manager::snapshots
