// docker cp's path rules, apart from the transfer itself.
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

}  // namespace keel::ctl
