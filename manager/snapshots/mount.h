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

// Makes a writable overlay among `mounts` volatile: the kernel then skips every sync of its upper
// (fsync in the container, and the sync of the whole upper filesystem at unmount, which waits for
// an ext4 journal commit). Only for an upper that is thrown away after one use (a --rm
// container): after a host crash its contents may be incomplete. The kernel leaves a marker in
// the work directory and refuses a later mount while it is there; a previous use's marker is
// removed here, so mounting again after keeld or the host restarted still works. Binds and
// read-only overlays are left as they are.
[[nodiscard]] Result<void> make_volatile(std::vector<Mount>& mounts);

}  // namespace keel::manager::snapshots
