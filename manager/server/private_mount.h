// Makes a directory keeld mounts things under (containers' rootfs below its root, network
// namespaces below its state dir) a private mount, as dockerd does with its overlay2 home.
//
// Why: on a host whose / is shared (systemd makes it so), a mount made below a shared mount is
// copied into every namespace that is its peer or slave: every service started with a private
// /tmp or a protected /home holds one. Each container's rootfs mount then costs as many mounts
// as the host has such namespaces, and every later mount and unmount walks them all. Below a
// private mount, keeld's mounts stay in keeld's namespace and are still seen from the host's.
#pragma once

#include <string>

#include "common/error.h"

namespace keel::manager::server {

class PrivateMount {
 public:
  // Binds `dir` onto itself unless it is a mount point already, then makes it and everything
  // under it private.
  [[nodiscard]] static Result<PrivateMount> make(const std::string& dir);

  PrivateMount() = default;
  PrivateMount(PrivateMount&& other) noexcept;
  PrivateMount& operator=(PrivateMount&& other) noexcept;
  PrivateMount(const PrivateMount&) = delete;
  PrivateMount& operator=(const PrivateMount&) = delete;
  // Undoes the bind once nothing is mounted below it any more (no container's rootfs, no
  // network namespace): with containers still running their mounts stay where the host sees
  // them, and the next keeld takes the bind over.
  ~PrivateMount();

  // Whether anything is mounted strictly below `dir` in this mount namespace.
  [[nodiscard]] static bool has_mounts_below(const std::string& dir);

 private:
  explicit PrivateMount(std::string dir) : dir_(std::move(dir)) {}
  void reset() noexcept;

  std::string dir_;  // the bind to undo; empty when not ours
};

}  // namespace keel::manager::server
