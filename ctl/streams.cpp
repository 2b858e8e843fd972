#include "ctl/streams.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "common/fs.h"
#include "ctl/client.h"
#include "ctl/output.h"

namespace keel::ctl {
namespace {

[[noreturn]] void fail(const std::string& what, int errnum = errno) {
  throw CommandError(what + ": " + ::strerrordesc_np(errnum));
}

}  // namespace

void read_chunks(const std::string& path, const std::function<bool(std::string_view)>& write) {
  // Owns the file's fd, so a throwing write (or read) cannot leak it; stdin stays open.
  UniqueFd file;
  if (path != "-") {
    file.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!file.valid())
      fail("open " + path);
  }
  const int fd = file.valid() ? file.get() : STDIN_FILENO;
  std::vector<char> buffer(1 << 20);
  while (true) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      fail("read " + path);
    if (n == 0 || !write(std::string_view(buffer.data(), static_cast<std::size_t>(n))))
      break;
  }
}

ChunkSink::ChunkSink(std::string path) : path_(std::move(path)) {
  if (path_.empty() || path_ == "-") {
    if (::isatty(STDOUT_FILENO))
      throw CommandError("cowardly refusing to save to a terminal. Use the -o flag or redirect");
    to_stdout_ = true;
    return;
  }
  temp_ = path_ + ".keelctl-partial";
  file_.reset(::open(temp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!file_.valid()) {
    temp_.clear();
    fail("open " + path_);
  }
}

ChunkSink::~ChunkSink() {
  // Not finished: the partial file goes. A destructor has no one to tell, and our own temp file
  // can only fail to unlink when it is gone already.
  if (!temp_.empty())
    ::unlink(temp_.c_str());
}

void ChunkSink::write(std::string_view data) {
  if (to_stdout_) {
    write_output(STDOUT_FILENO, data);
    return;
  }
  if (auto written = fs::write_all(file_.get(), data); !written)
    fail("write " + path_, written.error().errnum());
}

void ChunkSink::finish() {
  if (to_stdout_ || temp_.empty())
    return;
  if (::fsync(file_.get()) != 0)
    fail("fsync " + path_);
  file_.reset();
  if (::rename(temp_.c_str(), path_.c_str()) != 0)
    fail("rename " + path_);  // the destructor removes the temp file
  temp_.clear();
}

}  // namespace keel::ctl
