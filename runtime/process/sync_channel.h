// The parent/child protocol of `keel create`: one fixed-size frame per step over a SEQPACKET
// socketpair, so a failure deep in the container's init reaches the user with its errno.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>

#include "common/error.h"
#include "common/unique_fd.h"

namespace keel::runtime {

enum class SyncMsg : std::uint8_t {
  kChildStarted = 1,  // child -> parent: namespaces exist, waiting for id maps and cgroup
  kGo,                // parent -> child: id maps written, cgroup joined
  kRuntimeHooks,      // child -> parent: mounts done, run prestart/createRuntime hooks now
  kHooksDone,         // parent -> child
  kReady,             // child -> parent: everything but exec is done
  kError,             // child -> parent: errnum and text describe what failed
};

struct SyncFrame {
  SyncMsg type;
  std::int32_t errnum;
  char text[488];
};

class SyncChannel {
 public:
  SyncChannel() = default;
  explicit SyncChannel(UniqueFd sock) : sock_(std::move(sock)) {}

  [[nodiscard]] static Result<std::pair<SyncChannel, SyncChannel>> make_pair();

  [[nodiscard]] Result<void> send(SyncMsg msg);
  // Receives one frame: kError becomes that Error; another type than `want` is a protocol error;
  // EOF means the peer died (the caller reaps it and reports how).
  [[nodiscard]] Result<void> expect(SyncMsg want);
  // Waits for the peer to close its end (it exec'd, its fds closing with CLOEXEC, or it died).
  [[nodiscard]] Result<void> expect_closed();
  // The child's last words before _exit(1). Never fails loudly: nobody is left to tell.
  void send_error(const Error& error) noexcept;

  [[nodiscard]] int fd() const noexcept { return sock_.get(); }
  void close() noexcept { sock_.reset(); }

 private:
  UniqueFd sock_;
};

[[nodiscard]] std::string_view sync_msg_name(SyncMsg msg) noexcept;

}  // namespace keel::runtime
