// File helpers: every fd is O_CLOEXEC, every failure names the path.
#include "common/fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <system_error>

namespace keel::fs {

Result<UniqueFd> open(const std::string& path, int flags, mode_t mode) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0)
    return Error::sys("open \"" + path + "\"");
  return UniqueFd(fd);
}

Result<std::string> read_fd(int fd) {
  std::string out;
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return Error::sys("read");
    }
    if (n == 0)
      break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Result<std::string> read_file(const std::string& path) {
  auto fd = open(path, O_RDONLY);
  if (!fd)
    return std::move(fd).error();
  auto data = read_fd(fd->get());
  if (!data)
    return std::move(data).error().context("read \"" + path + "\"");
  return data;
}

Result<void> write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return Error::sys("write");
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Result<void> write_file(const std::string& path, std::string_view data) {
  auto fd = open(path, O_WRONLY);
  if (!fd)
    return std::move(fd).error();
  if (auto r = write_all(fd->get(), data); !r)
    return std::move(r).error().context("write \"" + path + "\"");
  return {};
}

Result<void> write_file_atomic(const std::string& path, std::string_view data, mode_t mode) {
  const std::string tmp = path + ".tmp";
  {
    auto fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (!fd)
      return std::move(fd).error();
    if (auto r = write_all(fd->get(), data); !r) {
      ::unlink(tmp.c_str());
      return std::move(r).error().context("write \"" + tmp + "\"");
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Error e = Error::sys("rename \"" + tmp + "\" to \"" + path + "\"");
    ::unlink(tmp.c_str());
    return e;
  }
  return {};
}

Result<void> mkdir_all(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) == 0 || errno == EEXIST)
    return {};
  if (errno != ENOENT)
    return Error::sys("mkdir \"" + path + "\"");
  const auto slash = path.find_last_of('/');
  if (slash != std::string::npos && slash != 0) {
    if (auto r = mkdir_all(path.substr(0, slash), mode); !r)
      return r;
  }
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST)
    return Error::sys("mkdir \"" + path + "\"");
  return {};
}

Result<void> remove_all(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec)
    return Error::sys("remove \"" + path + "\"", ec.value());
  return {};
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

}  // namespace keel::fs
