// What a container changed: its upper dir compared with the lowers it was mounted on, as
// `docker diff` prints it (A added, C changed, D deleted).
#pragma once

#include <string>
#include <vector>

#include "common/error.h"

namespace keel::manager::snapshots {

enum class ChangeKind { kAdded, kChanged, kDeleted };
[[nodiscard]] char change_letter(ChangeKind kind) noexcept;  // 'A', 'C', 'D'

struct Change {
  ChangeKind kind = ChangeKind::kAdded;
  std::string path;  // absolute in the container: "/etc/passwd"
};

// Sorted by path. A directory present below and in the upper dir is C (overlay copied it up
// because something under it changed); a whiteout is D; an opaque directory that existed below
// also reports each lower entry it hides as D. `lowers` topmost first, as in lowerdir=.
[[nodiscard]] Result<std::vector<Change>> changes(const std::string& upper,
                                                  const std::vector<std::string>& lowers);

}  // namespace keel::manager::snapshots
