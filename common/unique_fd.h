// Owning file descriptor: move-only, closes exactly once, keeps errno across close.
#pragma once

#include <utility>

namespace keel {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
  [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }
  // Closes the old fd without touching errno. close() is not retried on EINTR: Linux has
  // already released the descriptor, and a retry could close an fd another path just got.
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

}  // namespace keel
