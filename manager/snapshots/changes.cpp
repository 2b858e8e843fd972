// Upper-vs-lowers comparison for `diff`.
#include "manager/snapshots/changes.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "common/unique_fd.h"
#include "manager/snapshots/tree_walk.h"

namespace keel::manager::snapshots {
namespace {

// Whether `path` is visible in the lowers alone: the topmost lower that has it, or hides it
// (whiteout, or an opaque or whited-out ancestor), decides.
bool in_lowers(const std::vector<std::string>& lowers, const std::string& path) {
  for (const auto& lower : lowers) {
    struct stat st {};
    if (::lstat((lower + "/" + path).c_str(), &st) == 0)
      return !is_whiteout(st);
    for (auto p = std::filesystem::path(path).parent_path(); !p.empty(); p = p.parent_path()) {
      const std::string ancestor = lower + "/" + p.string();
      if (::lstat(ancestor.c_str(), &st) != 0)
        continue;
      if (is_whiteout(st))
        return false;
      UniqueFd dir(::open(ancestor.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (dir.valid() && is_opaque_dir(dir.get()))
        return false;
    }
  }
  return false;
}

// Names under `path` visible in the lowers (for what an opaque upper dir hides).
std::vector<std::string> lower_children(const std::vector<std::string>& lowers,
                                        const std::string& path) {
  std::vector<std::string> out;
  for (const auto& lower : lowers) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(lower + "/" + path, ec)) {
      const std::string child = path + "/" + e.path().filename().string();
      if (std::find(out.begin(), out.end(), child) == out.end() && in_lowers(lowers, child))
        out.push_back(child);
    }
  }
  return out;
}

}  // namespace

char change_letter(ChangeKind kind) noexcept {
  switch (kind) {
    case ChangeKind::kAdded:
      return 'A';
    case ChangeKind::kChanged:
      return 'C';
    case ChangeKind::kDeleted:
      return 'D';
  }
  return '?';
}

Result<std::vector<Change>> changes(const std::string& upper,
                                    const std::vector<std::string>& lowers) {
  UniqueFd root(::open(upper.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid())
    return Error::sys("open upper dir \"" + upper + "\"");
  std::vector<Change> out;
  auto r = walk_tree(root.get(), [&](const WalkEntry& e) -> Result<bool> {
    const bool below = in_lowers(lowers, e.path);
    if (is_whiteout(e.st)) {
      if (below)
        out.push_back({ChangeKind::kDeleted, "/" + e.path});
      return false;
    }
    out.push_back({below ? ChangeKind::kChanged : ChangeKind::kAdded, "/" + e.path});
    if (S_ISDIR(e.st.st_mode) && below) {
      UniqueFd dir(
          ::openat(e.parent_fd, e.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (dir.valid() && is_opaque_dir(dir.get())) {
        for (const auto& hidden : lower_children(lowers, e.path)) {
          struct stat st {};
          // Present in upper too: the walk reports it (as A, since the lowers' copy is hidden).
          if (::fstatat(root.get(), hidden.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
            out.push_back({ChangeKind::kDeleted, "/" + hidden});
        }
      }
    }
    return true;
  });
  if (!r)
    return std::move(r).error().context("diff \"" + upper + "\"");
  std::sort(out.begin(), out.end(),
            [](const Change& a, const Change& b) { return a.path < b.path; });
  return out;
}

}  // namespace keel::manager::snapshots
