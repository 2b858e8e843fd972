// IngestFollower: pread behind a writer, a condition variable in between.
#include "manager/images/ingest_follower.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "common/fs.h"

namespace keel::manager::images {

Result<std::unique_ptr<IngestFollower>> IngestFollower::open(const std::string& path,
                                                             std::uint64_t available) {
  auto fd = fs::open(path, O_RDONLY);
  if (!fd)
    return std::move(fd).error().context("follow download");
  return std::unique_ptr<IngestFollower>(new IngestFollower(std::move(fd).value(), available));
}

void IngestFollower::grew(std::uint64_t size) {
  {
    const std::lock_guard lock(mu_);
    available_ = size;
  }
  cv_.notify_one();
}

void IngestFollower::finished() {
  {
    const std::lock_guard lock(mu_);
    finished_ = true;
  }
  cv_.notify_one();
}

void IngestFollower::failed(Error error) {
  {
    const std::lock_guard lock(mu_);
    error_ = std::move(error);
  }
  cv_.notify_one();
}

ReadFn IngestFollower::reader() {
  return [this](std::span<std::byte> out) { return read(out); };
}

Result<std::size_t> IngestFollower::read(std::span<std::byte> out) {
  std::uint64_t available = 0;
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return error_ || finished_ || available_ > offset_; });
    if (error_)
      return *error_;
    available = available_;
  }
  if (available <= offset_)
    return std::size_t{0};  // finished, and everything read
  const auto want =
      static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), available - offset_));
  for (;;) {
    const ssize_t n = ::pread(fd_.get(), out.data(), want, static_cast<off_t>(offset_));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return Error::sys("read downloaded layer");
    if (n == 0)
      return Error::of(Errc::kInternal, "downloaded layer shrank while being read");
    offset_ += static_cast<std::uint64_t>(n);
    return static_cast<std::size_t>(n);
  }
}

}  // namespace keel::manager::images
