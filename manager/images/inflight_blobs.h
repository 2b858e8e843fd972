// Blobs being downloaded right now, by digest: when several pulls need the same blob at once,
// the first downloads it and the others wait for its result, watching its progress, so each
// blob crosses the network once however many clients ask for it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "common/error.h"
#include "manager/content/digest.h"

namespace keel::manager::images {

class InflightBlobs {
 public:
  class Download {
   public:
    // Bytes of the blob in the content store's ingest so far, for waiters' progress lines.
    std::atomic<std::uint64_t> current{0};

    // Blocks until the owner finishes, calling `tick` with the progress every `interval`; a
    // false from tick stops waiting (the waiter's own client went away) with a cancellation.
    [[nodiscard]] Result<void> wait(const std::function<bool(std::uint64_t current)>& tick,
                                    std::chrono::milliseconds interval);

   private:
    friend class InflightBlobs;
    std::mutex mu_;
    std::condition_variable cv_;
    std::optional<Result<void>> result_;
  };

  struct Claim {
    std::shared_ptr<Download> download;
    bool owner = false;  // true: the caller downloads and must call finish()
  };

  // The caller becomes the owner of a new download, or gets the one in flight to wait on.
  [[nodiscard]] Claim claim(const content::Digest& digest);
  // The owner's result, for every waiter; the digest is free to be claimed again.
  void finish(const content::Digest& digest, const std::shared_ptr<Download>& download,
              Result<void> result);

 private:
  std::mutex mu_;
  std::map<content::Digest, std::shared_ptr<Download>> downloads_;
};

// A cancellation error (ECANCELED): a waiter whose owner was cancelled claims the blob itself.
[[nodiscard]] Error pull_cancelled();
[[nodiscard]] bool is_cancelled(const Error& error);

}  // namespace keel::manager::images
