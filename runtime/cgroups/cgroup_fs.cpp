// cgroupfs knob I/O, subtree walks, kill-until-empty and rmdir of a cgroup tree.
#include "runtime/cgroups/cgroup_fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/fs.h"
#include "common/unique_fd.h"

namespace keel::runtime::cgroups::detail {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  return s;
}

std::optional<uint64_t> parse_u64(std::string_view s) {
  s = trim(s);
  if (s == "max")
    return kMax;
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size())
    return std::nullopt;
  return v;
}

// A closed directory stream, for the walks below.
struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};
using DirPtr = std::unique_ptr<DIR, DirCloser>;

// Child directories of `dir` (cgroupfs fills d_type). A missing dir yields none.
Result<std::vector<std::string>> child_dirs(const std::string& dir) {
  DirPtr d(::opendir(dir.c_str()));
  if (!d) {
    if (errno == ENOENT)
      return std::vector<std::string>{};
    return Error::sys(fmt::format("open directory \"{}\"", dir));
  }
  std::vector<std::string> out;
  while (const dirent* e = ::readdir(d.get())) {
    const std::string_view name = e->d_name;
    if (name == "." || name == "..")
      continue;
    if (e->d_type == DT_DIR)
      out.push_back(join(dir, name));
  }
  return out;
}

void sleep_backoff(std::chrono::microseconds& delay) {
  std::this_thread::sleep_for(delay);
  delay = std::min<std::chrono::microseconds>(delay * 2, std::chrono::milliseconds(10));
}

}  // namespace

std::string join(std::string_view dir, std::string_view file) {
  std::string out(dir);
  if (out.empty() || out.back() != '/')
    out += '/';
  out += file;
  return out;
}

Result<void> write_knob(const std::string& dir, std::string_view file, std::string_view value) {
  return write_knob_lines(dir, file, {std::string(value)});
}

Result<void> write_knob_lines(const std::string& dir, std::string_view file,
                              const std::vector<std::string>& values) {
  const std::string path = join(dir, file);
  const int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0)
    return Error::sys(fmt::format("open \"{}\"", path));
  const UniqueFd owner(fd);
  for (const auto& value : values) {
    ssize_t n = 0;
    do {
      n = ::write(fd, value.data(), value.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0)
      return Error::sys(fmt::format("write \"{}\" to \"{}\"", value, path));
  }
  return {};
}

Result<std::string> read_knob(const std::string& dir, std::string_view file) {
  auto data = fs::read_file(join(dir, file));
  if (!data)
    return std::move(data).error();
  while (!data->empty() && data->back() == '\n')
    data->pop_back();
  return data;
}

Result<std::optional<uint64_t>> read_u64(const std::string& dir, std::string_view file) {
  auto text = read_knob(dir, file);
  if (!text) {
    if (text.error().errnum() == ENOENT)
      return std::optional<uint64_t>{};
    return std::move(text).error();
  }
  auto v = parse_u64(*text);
  if (!v)
    return Error::of(Errc::kInternal,
                     fmt::format("parse \"{}\": not a number: \"{}\"", join(dir, file), *text));
  return v;
}

std::map<std::string, uint64_t> parse_keyed(std::string_view text) {
  std::map<std::string, uint64_t> out;
  for (const auto& line : split(text, '\n')) {
    const auto space = line.find(' ');
    if (space == std::string::npos)
      continue;
    if (auto v = parse_u64(std::string_view(line).substr(space + 1)))
      out[line.substr(0, space)] = *v;
  }
  return out;
}

Result<std::map<std::string, uint64_t>> read_keyed(const std::string& dir, std::string_view file) {
  auto text = read_knob(dir, file);
  if (!text) {
    if (text.error().errnum() == ENOENT)
      return std::map<std::string, uint64_t>{};
    return std::move(text).error();
  }
  return parse_keyed(*text);
}

bool has_file(const std::string& dir, std::string_view file) {
  return ::access(join(dir, file).c_str(), F_OK) == 0;
}

std::vector<std::string> split(std::string_view text, char sep) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto pos = text.find(sep);
    const auto part = text.substr(0, pos);
    if (!part.empty())
      out.emplace_back(part);
    if (pos == std::string_view::npos)
      break;
    text.remove_prefix(pos + 1);
  }
  return out;
}

std::string parent_dir(std::string_view dir) {
  while (dir.size() > 1 && dir.back() == '/')
    dir.remove_suffix(1);
  const auto slash = dir.find_last_of('/');
  if (slash == std::string_view::npos)
    return ".";
  if (slash == 0)
    return "/";
  return std::string(dir.substr(0, slash));
}

Result<void> collect_procs(const std::string& dir, std::vector<pid_t>& out) {
  auto text = read_knob(dir, "cgroup.procs");
  if (!text) {
    if (text.error().errnum() == ENOENT)
      return {};  // removed meanwhile, or not a cgroup directory
    return std::move(text).error();
  }
  for (const auto& line : split(*text, '\n')) {
    pid_t pid = 0;
    const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), pid);
    if (ec == std::errc() && end == line.data() + line.size())
      out.push_back(pid);
  }
  auto children = child_dirs(dir);
  if (!children)
    return std::move(children).error();
  for (const auto& child : *children)
    KEEL_TRY(collect_procs(child, out));
  return {};
}

Result<std::vector<pid_t>> procs_recursive(const std::string& dir) {
  std::vector<pid_t> out;
  KEEL_TRY(collect_procs(dir, out));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<void> check_pid(pid_t pid) {
  if (pid <= 0)
    return Error::of(Errc::kInvalidArgument, fmt::format("add pid {} to a cgroup: not a pid", pid));
  return {};
}

Result<bool> wait_until(const std::function<Result<bool>()>& done,
                        std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::chrono::microseconds delay(50);
  for (;;) {
    auto r = done();
    if (!r)
      return std::move(r).error();
    if (*r)
      return true;
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    sleep_backoff(delay);
  }
}

Result<void> kill_and_wait_empty(const std::string& procs_dir, std::chrono::milliseconds timeout) {
  std::vector<pid_t> left;
  auto empty = wait_until(
      [&]() -> Result<bool> {
        auto pids = procs_recursive(procs_dir);
        if (!pids)
          return std::move(pids).error();
        left = std::move(*pids);
        for (const pid_t pid : left) {
          if (::kill(pid, SIGKILL) != 0 && errno != ESRCH)
            return Error::sys(fmt::format("kill {} in \"{}\"", pid, procs_dir));
        }
        return left.empty();
      },
      timeout);
  if (!empty)
    return std::move(empty).error();
  if (!*empty)
    return Error::of(Errc::kUnavailable,
                     fmt::format("processes still in \"{}\" after {} ms: {}", procs_dir,
                                 timeout.count(), fmt::join(left, " ")));
  return {};
}

Result<void> remove_cgroup_tree(const std::string& dir, std::chrono::milliseconds timeout) {
  // A container's cgroup rarely has children: one rmdir per hierarchy then does it, without an
  // open and a listing of each directory (delete removes one cgroup in each of ~10 hierarchies).
  if (::rmdir(dir.c_str()) == 0 || errno == ENOENT)
    return {};
  if (errno != EBUSY && errno != ENOTEMPTY)
    return Error::sys(fmt::format("remove cgroup \"{}\"", dir));
  auto children = child_dirs(dir);
  if (!children)
    return std::move(children).error();
  for (const auto& child : *children)
    KEEL_TRY(remove_cgroup_tree(child, timeout));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::chrono::microseconds delay(50);
  for (;;) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT)
      return {};
    if (errno != EBUSY || std::chrono::steady_clock::now() >= deadline)
      return Error::sys(fmt::format("remove cgroup \"{}\"", dir));
    sleep_backoff(delay);
  }
}

Result<void> make_cgroup_dir(const std::string& dir, bool& created) {
  created = false;
  if (::mkdir(dir.c_str(), 0755) == 0) {
    created = true;
    return {};
  }
  if (errno == EEXIST)
    return {};
  if (errno != ENOENT)
    return Error::sys(fmt::format("create cgroup \"{}\"", dir));
  if (auto r = fs::mkdir_all(parent_dir(dir)); !r)
    return std::move(r).error().context(fmt::format("create cgroup \"{}\"", dir));
  if (::mkdir(dir.c_str(), 0755) == 0) {
    created = true;
    return {};
  }
  if (errno == EEXIST)
    return {};
  return Error::sys(fmt::format("create cgroup \"{}\"", dir));
}

}  // namespace keel::runtime::cgroups::detail
