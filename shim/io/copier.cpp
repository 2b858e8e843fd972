// Copier: level-triggered epoll on src (EPOLLIN) and, only while data waits, dst (EPOLLOUT).
#include "shim/io/copier.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <array>

namespace keel::shim::io {
namespace {

void set_nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0)
    ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

}  // namespace

Copier::Copier(EventLoop& loop, UniqueFd src, UniqueFd dst, WhenFull when_full,
               std::function<void()> on_done, std::size_t cap)
    : loop_(loop),
      src_(std::move(src)),
      dst_(std::move(dst)),
      when_full_(when_full),
      on_done_(std::move(on_done)),
      cap_(cap) {
  set_nonblocking(src_.get());
  if (dst_.valid())
    set_nonblocking(dst_.get());
  update_interest();
}

Copier::~Copier() {
  if (src_watched_)
    loop_.remove(src_.get());
  if (dst_watched_)
    loop_.remove(dst_.get());
}

bool Copier::read_src() {
  // Not zeroed: read() writes what is used; zeroing 32 KiB per call cost time and resident stack.
  std::array<char, 32768> chunk;  // NOLINT(cppcoreguidelines-pro-type-member-init)
  for (;;) {
    const bool full = buf_.size() >= cap_;
    if (full && when_full_ == WhenFull::kPauseReading)
      return true;
    const ssize_t n = ::read(src_.get(), chunk.data(), chunk.size());
    if (n > 0) {
      const auto got = static_cast<std::size_t>(n);
      if (log_)
        log_->write(std::string_view(chunk.data(), got));
      if (dst_broken_ || !dst_.valid()) {
        dropped_ += got;
      } else if (full) {
        dropped_ += got;
      } else {
        buf_.append(chunk.data(), got);
        write_dst();
      }
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return true;
    return false;  // 0: EOF; EIO: pty slave closed; anything else: nothing more will come
  }
}

void Copier::write_dst() {
  while (!buf_.empty() && !dst_broken_ && dst_.valid()) {
    const ssize_t n = ::write(dst_.get(), buf_.data(), buf_.size());
    if (n > 0) {
      buf_.erase(0, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return;
    dst_broken_ = true;  // EPIPE and friends: the reader is gone for good
    dropped_ += buf_.size();
    buf_.clear();
  }
}

void Copier::update_interest() {
  if (done_)
    return;
  const bool want_src = !(when_full_ == WhenFull::kPauseReading && buf_.size() >= cap_);
  const bool want_dst = !buf_.empty() && !dst_broken_ && dst_.valid();
  if (want_src != src_watched_) {
    if (want_src)
      src_watched_ =
          static_cast<bool>(loop_.add(src_.get(), EPOLLIN, [this](std::uint32_t e) { on_src(e); }));
    else {
      loop_.remove(src_.get());
      src_watched_ = false;
    }
  }
  if (want_dst != dst_watched_) {
    if (want_dst)
      dst_watched_ = static_cast<bool>(
          loop_.add(dst_.get(), EPOLLOUT, [this](std::uint32_t e) { on_dst(e); }));
    else {
      loop_.remove(dst_.get());
      dst_watched_ = false;
    }
  }
}

void Copier::on_src(std::uint32_t /*events*/) {
  if (!read_src()) {
    end();
    return;
  }
  update_interest();
}

void Copier::on_dst(std::uint32_t events) {
  if ((events & EPOLLERR) != 0) {
    dst_broken_ = true;
    dropped_ += buf_.size();
    buf_.clear();
  }
  write_dst();
  update_interest();
}

void Copier::finish() {
  if (done_)
    return;
  // Whether the source reached EOF or not, the copier ends here (the process is gone): the read
  // only takes what is already in the pipe, and end() writes it out.
  (void)read_src();
  end();
}

void Copier::end() {
  if (done_)
    return;
  write_dst();  // best effort: what the fifo takes now; the rest cannot wait for a reader
  if (log_) {
    log_->flush();
    log_.reset();
  }
  if (src_watched_)
    loop_.remove(src_.get());
  if (dst_watched_)
    loop_.remove(dst_.get());
  src_watched_ = dst_watched_ = false;
  done_ = true;
  src_.reset();
  dst_.reset();
  if (on_done_) {
    auto callback = std::move(on_done_);
    callback();
  }
}

}  // namespace keel::shim::io
