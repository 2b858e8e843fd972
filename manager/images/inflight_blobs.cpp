// InflightBlobs: a map of shared downloads, each a result slot behind a condition variable.
#include "manager/images/inflight_blobs.h"

#include <cerrno>

namespace keel::manager::images {

Error pull_cancelled() {
  return Error::with_errno(Errc::kUnavailable, "pull cancelled", ECANCELED);
}

bool is_cancelled(const Error& error) {
  return error.errnum() == ECANCELED;
}

InflightBlobs::Claim InflightBlobs::claim(const content::Digest& digest) {
  const std::lock_guard lock(mu_);
  auto [it, inserted] = downloads_.try_emplace(digest);
  if (inserted)
    it->second = std::make_shared<Download>();
  return Claim{it->second, inserted};
}

void InflightBlobs::finish(const content::Digest& digest, const std::shared_ptr<Download>& download,
                           Result<void> result) {
  {
    const std::lock_guard lock(mu_);
    if (auto it = downloads_.find(digest); it != downloads_.end() && it->second == download)
      downloads_.erase(it);
  }
  {
    const std::lock_guard lock(download->mu_);
    download->result_ = std::move(result);
  }
  download->cv_.notify_all();
}

Result<void> InflightBlobs::Download::wait(const std::function<bool(std::uint64_t)>& tick,
                                           std::chrono::milliseconds interval) {
  std::unique_lock lock(mu_);
  while (!result_) {
    if (cv_.wait_for(lock, interval, [&] { return result_.has_value(); }))
      break;
    const std::uint64_t now = current.load();
    lock.unlock();
    const bool go_on = !tick || tick(now);
    lock.lock();
    if (!go_on)
      return pull_cancelled();
  }
  return *result_;
}

}  // namespace keel::manager::images
