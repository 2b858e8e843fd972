// Mount descriptions a snapshotter hands out, and the helper that performs them for keeld's own
// use (unpack checks, diff, commit, tests) with an RAII guard that undoes the mount.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/error.h"

namespace keel::manager::snapshots {

// As containerd's mount.Mount: what a runtime passes to mount(2), or what the new mount API
// is driven with. Options are overlay's ("lowerdir=a:b", "upperdir=", "workdir=") or bind's
// ("rbind", "ro"/"rw").
struct Mount {
  std::string type;    // "overlay" or "bind"
  std::string source;  // "overlay", or the directory bound
  std::vector<std::string> options;
};

// Unmounts (MNT_DETACH) at destruction unless released.
class MountGuard {
 public:
  MountGuard() = default;
  explicit MountGuard(std::string target) : target_(std::move(target)) {}
  MountGuard(MountGuard&& other) noexcept : target_(std::exchange(other.target_, {})) {}
  MountGuard& operator=(MountGuard&& other) noexcept;
  MountGuard(const MountGuard&) = delete;
  MountGuard& operator=(const MountGuard&) = delete;
  ~MountGuard() { reset(); }

  // Unmounts now; the error of umount2 is logged, never thrown.
  void reset() noexcept;
  // The mount now belongs to the caller.
  void release() noexcept { target_.clear(); }
  [[nodiscard]] const std::string& target() const noexcept { return target_; }

 private:
  std::string target_;
};

// Mounts `mounts` (one entry, as Snapshotter::mounts returns) on the existing directory `target`.
// Overlay goes through fsopen/fsconfig with one "lowerdir+" per layer, so a stack of hundreds of
// layers is not limited by mount(2)'s one-page option string.
[[nodiscard]] Result<MountGuard> mount_all(const std::vector<Mount>& mounts,
                                           const std::string& target);

}  // namespace keel::manager::snapshots
