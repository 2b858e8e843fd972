// docker cp's path rules, apart from the transfer itself (copy_transfer.h).
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace keel::ctl {

// docker's splitCpArg: "ctr:/path" -> {"ctr", "/path"}; absolute or "./x:y" paths and args
// without a colon are local ({"", arg}).
[[nodiscard]] std::pair<std::string, std::string> split_cp_arg(const std::string& arg);

// Where an archive entry goes. Entries of a copied path start with its base name ("dir/a/b");
// the first component becomes new_base, or is dropped when new_base is empty (copying a
// directory's contents, "SRC/."). nullopt for the dropped top entry itself and for entries
// that would leave the destination ("..", absolute after cleaning).
[[nodiscard]] std::optional<std::string> rename_entry(const std::string& entry,
                                                      const std::string& new_base);

// The last component and the rest of a path, trailing slashes ignored: "a/b/" -> "b" and "a";
// "b" -> "b" and "."; "/b" -> "b" and "/".
[[nodiscard]] std::string base_name(std::string path);
[[nodiscard]] std::string dir_name(std::string path);

// "dir/." copies dir's contents: the path without the suffix, and true.
[[nodiscard]] std::pair<std::string, bool> content_only(const std::string& path);

}  // namespace keel::ctl
