#include "ctl/streams.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "ctl/client.h"

namespace keel::ctl {
namespace {

[[noreturn]] void fail(const std::string& what) {
  throw CommandError(what + ": " + std::strerror(errno));
}

}  // namespace

void read_chunks(const std::string& path, const std::function<bool(std::string_view)>& write) {
  const bool from_stdin = path == "-";
  const int fd = from_stdin ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    fail("open " + path);
  std::vector<char> buffer(1 << 20);
  while (true) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      const int saved = errno;
      if (!from_stdin)
        ::close(fd);
      errno = saved;
      fail("read " + path);
    }
    if (n == 0 || !write(std::string_view(buffer.data(), static_cast<std::size_t>(n))))
      break;
  }
  if (!from_stdin)
    ::close(fd);
}

ChunkSink::ChunkSink(std::string path) : path_(std::move(path)) {
  if (path_.empty() || path_ == "-") {
    if (::isatty(STDOUT_FILENO))
      throw CommandError("cowardly refusing to save to a terminal. Use the -o flag or redirect");
    fd_ = STDOUT_FILENO;
    return;
  }
  temp_ = path_ + ".keelctl-partial";
  fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0)
    fail("open " + path_);
}

ChunkSink::~ChunkSink() {
  if (!temp_.empty() && fd_ >= 0) {
    ::close(fd_);
    ::unlink(temp_.c_str());
  }
}

void ChunkSink::write(std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      fail("write " + (temp_.empty() ? std::string("stdout") : path_));
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

void ChunkSink::finish() {
  if (temp_.empty())
    return;
  if (::fsync(fd_) != 0)
    fail("fsync " + path_);
  ::close(fd_);
  fd_ = -1;
  if (::rename(temp_.c_str(), path_.c_str()) != 0) {
    const int saved = errno;
    ::unlink(temp_.c_str());
    errno = saved;
    fail("rename " + path_);
  }
  temp_.clear();
}

}  // namespace keel::ctl
