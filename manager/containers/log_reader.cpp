// CRI log parsing, time parsing for --since, and the read/follow loop over the file.
#include "manager/containers/log_reader.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <ctime>
#include <deque>

#include "common/unique_fd.h"

namespace keel::manager::containers {
namespace {

constexpr std::int64_t kNsPerSecond = 1000000000;
constexpr int kFollowPollMs = 250;

Error invalid_time(std::string_view text) {
  return Error::of(Errc::kInvalidArgument, "invalid time \"" + std::string(text) + "\"");
}

// Reads exactly `digits` decimal digits at `pos`.
bool take_number(std::string_view s, std::size_t& pos, std::size_t digits, int& out) {
  if (pos + digits > s.size())
    return false;
  auto [ptr, ec] = std::from_chars(s.data() + pos, s.data() + pos + digits, out);
  if (ec != std::errc() || ptr != s.data() + pos + digits)
    return false;
  pos += digits;
  return true;
}

bool take(std::string_view s, std::size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c)
    return false;
  ++pos;
  return true;
}

// Go's time.ParseDuration for what `docker logs --since` is given: h, m, s, ms, us, ns.
std::optional<std::int64_t> parse_duration_ns(std::string_view s) {
  if (s.empty())
    return std::nullopt;
  std::int64_t total = 0;
  std::size_t pos = 0;
  while (pos < s.size()) {
    double value = 0;
    auto [ptr, ec] = std::from_chars(s.data() + pos, s.data() + s.size(), value);
    if (ec != std::errc())
      return std::nullopt;
    pos = static_cast<std::size_t>(ptr - s.data());
    std::size_t end = pos;
    while (end < s.size() && (std::isalpha(static_cast<unsigned char>(s[end])) != 0))
      ++end;
    const std::string_view unit = s.substr(pos, end - pos);
    pos = end;
    double scale = 0;
    if (unit == "h")
      scale = 3600.0 * kNsPerSecond;
    else if (unit == "m")
      scale = 60.0 * kNsPerSecond;
    else if (unit == "s")
      scale = kNsPerSecond;
    else if (unit == "ms")
      scale = 1e6;
    else if (unit == "us")
      scale = 1e3;
    else if (unit == "ns")
      scale = 1;
    else
      return std::nullopt;
    total += static_cast<std::int64_t>(value * scale);
  }
  return total;
}

}  // namespace

Result<std::int64_t> parse_rfc3339(std::string_view s) {
  std::tm tm{};
  std::size_t pos = 0;
  int year = 0;
  int month = 0;
  int day = 0;
  if (!take_number(s, pos, 4, year) || !take(s, pos, '-') || !take_number(s, pos, 2, month) ||
      !take(s, pos, '-') || !take_number(s, pos, 2, day))
    return invalid_time(s);
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  std::int64_t fraction_ns = 0;
  std::int64_t offset_s = 0;
  if (pos < s.size()) {
    if (!take(s, pos, 'T') || !take_number(s, pos, 2, tm.tm_hour) || !take(s, pos, ':') ||
        !take_number(s, pos, 2, tm.tm_min) || !take(s, pos, ':') ||
        !take_number(s, pos, 2, tm.tm_sec))
      return invalid_time(s);
    if (take(s, pos, '.')) {
      std::int64_t scale = kNsPerSecond;
      const std::size_t start = pos;
      while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos])) != 0) {
        scale /= 10;
        if (scale == 0)
          return invalid_time(s);
        fraction_ns += (s[pos] - '0') * scale;
        ++pos;
      }
      if (pos == start)
        return invalid_time(s);
    }
    if (take(s, pos, 'Z')) {
    } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
      const int sign = s[pos++] == '+' ? 1 : -1;
      int hours = 0;
      int minutes = 0;
      if (!take_number(s, pos, 2, hours) || !take(s, pos, ':') || !take_number(s, pos, 2, minutes))
        return invalid_time(s);
      offset_s = sign * (hours * 3600 + minutes * 60);
    } else {
      return invalid_time(s);
    }
  }
  if (pos != s.size() || month < 1 || month > 12 || day < 1 || day > 31 || tm.tm_hour > 23 ||
      tm.tm_min > 59 || tm.tm_sec > 60)
    return invalid_time(s);
  const std::int64_t seconds = static_cast<std::int64_t>(::timegm(&tm)) - offset_s;
  return seconds * kNsPerSecond + fraction_ns;
}

Result<std::int64_t> parse_log_time(std::string_view text, std::int64_t now_ns) {
  if (text.empty())
    return invalid_time(text);
  if (auto t = parse_rfc3339(text))
    return *t;
  if (auto d = parse_duration_ns(text); d && std::isalpha(static_cast<unsigned char>(text.back())))
    return now_ns - *d;
  // Unix seconds, "1700000000" or "1700000000.123456789".
  const std::size_t dot = text.find('.');
  std::int64_t seconds = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + std::min(dot, text.size()), seconds);
  if (ec != std::errc() || ptr != text.data() + std::min(dot, text.size()))
    return invalid_time(text);
  std::int64_t fraction_ns = 0;
  if (dot != std::string_view::npos) {
    std::int64_t scale = kNsPerSecond;
    for (char c : text.substr(dot + 1)) {
      scale /= 10;
      if (std::isdigit(static_cast<unsigned char>(c)) == 0 || scale == 0)
        return invalid_time(text);
      fraction_ns += (c - '0') * scale;
    }
  }
  return seconds * kNsPerSecond + fraction_ns;
}

std::optional<CriRecord> parse_cri_record(std::string_view line) {
  const std::size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos)
    return std::nullopt;
  const std::size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos)
    return std::nullopt;
  CriRecord r;
  r.timestamp = std::string(line.substr(0, sp1));
  auto time = parse_rfc3339(r.timestamp);
  if (!time)
    return std::nullopt;
  r.time_ns = *time;
  const std::string_view stream = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (stream == "stdout")
    r.stream = LogStream::kStdout;
  else if (stream == "stderr")
    r.stream = LogStream::kStderr;
  else
    return std::nullopt;
  const std::string_view rest = line.substr(sp2 + 1);
  if (rest.empty() || (rest[0] != 'F' && rest[0] != 'P') || (rest.size() > 1 && rest[1] != ' '))
    return std::nullopt;
  r.partial = rest[0] == 'P';
  if (rest.size() > 2)
    r.message = std::string(rest.substr(2));
  return r;
}

void CriLogParser::add(CriRecord record, std::vector<LogEntry>& out) {
  LogEntry& e = pending_[record.stream];
  e.stream = record.stream;
  e.time_ns = record.time_ns;
  e.timestamp = std::move(record.timestamp);
  e.line += record.message;
  if (record.partial)
    return;
  e.line += '\n';
  out.push_back(std::move(e));
  pending_.erase(record.stream);
}

void CriLogParser::feed(std::string_view data, std::vector<LogEntry>& out) {
  buffer_.append(data);
  std::size_t start = 0;
  for (std::size_t nl; (nl = buffer_.find('\n', start)) != std::string::npos; start = nl + 1) {
    if (auto r = parse_cri_record(std::string_view(buffer_).substr(start, nl - start)))
      add(std::move(*r), out);
  }
  buffer_.erase(0, start);
}

void CriLogParser::finish(std::vector<LogEntry>& out) {
  if (!buffer_.empty()) {
    if (auto r = parse_cri_record(buffer_))
      add(std::move(*r), out);
    buffer_.clear();
  }
  // A P record with nothing after it: the stream ended mid-line.
  for (auto stream : {LogStream::kStdout, LogStream::kStderr}) {
    if (auto it = pending_.find(stream); it != pending_.end())
      out.push_back(std::move(it->second));
  }
  pending_.clear();
}

std::string format_entry(const LogEntry& entry, bool timestamps) {
  return timestamps ? entry.timestamp + " " + entry.line : entry.line;
}

namespace {

// Filters and delivers entries; keeps the last N while the tail is being collected.
class Delivery {
 public:
  Delivery(const LogOptions& o, const std::function<bool(const LogEntry&)>& sink)
      : options_(o), sink_(sink) {}

  // false once the sink asked to stop or the --until time has passed.
  bool offer(std::vector<LogEntry>& entries) {
    for (auto& e : entries) {
      if ((e.stream == LogStream::kStdout ? !options_.show_stdout : !options_.show_stderr) ||
          e.time_ns < options_.since_ns)
        continue;
      if (options_.until_ns != 0 && e.time_ns > options_.until_ns)
        return false;
      if (collecting_tail_ && options_.tail) {
        tail_.push_back(std::move(e));
        if (tail_.size() > *options_.tail)
          tail_.pop_front();
      } else if (!sink_(e)) {
        return false;
      }
    }
    entries.clear();
    return true;
  }
  // The file as it was is read: deliver the tail, then deliver as entries come.
  bool end_tail() {
    collecting_tail_ = false;
    for (const auto& e : tail_) {
      if (!sink_(e))
        return false;
    }
    tail_.clear();
    return true;
  }

 private:
  const LogOptions& options_;
  const std::function<bool(const LogEntry&)>& sink_;
  bool collecting_tail_ = true;
  std::deque<LogEntry> tail_;
};

// Reads from `fd` at its offset to EOF into the parser; restarts at 0 if the file shrank.
Result<void> read_new(int fd, off_t& offset, CriLogParser& parser, std::vector<LogEntry>& out) {
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size < offset)
    offset = 0;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::pread(fd, buf, sizeof buf, offset);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return Error::sys("read log");
    if (n == 0)
      return {};
    offset += n;
    parser.feed(std::string_view(buf, static_cast<std::size_t>(n)), out);
  }
}

Result<UniqueFd> open_log(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd.valid())
    return Error::sys("open log \"" + path + "\"");
  return fd;
}

}  // namespace

Result<void> read_log(const std::string& path, const LogOptions& options,
                      const std::function<bool(const LogEntry&)>& sink,
                      const std::function<bool()>& still_running) {
  auto fd = open_log(path);
  if (!fd && !(options.follow && fd.error().kind() == Errc::kNotFound))
    return std::move(fd).error();
  CriLogParser parser;
  Delivery delivery(options, sink);
  std::vector<LogEntry> entries;
  off_t offset = 0;
  if (fd)
    KEEL_TRY(read_new(fd->get(), offset, parser, entries));
  const bool follow = options.follow && still_running && still_running();
  if (!follow)
    parser.finish(entries);
  if (!delivery.offer(entries) || !delivery.end_tail() || !follow)
    return {};

  // inotify wakes the loop on each append; the poll timeout re-checks still_running() and
  // retries opening a log the shim has not created yet.
  UniqueFd inotify(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (inotify.valid())
    (void)::inotify_add_watch(inotify.get(), path.c_str(), IN_MODIFY | IN_CLOSE_WRITE);
  for (bool running = true; running;) {
    running = still_running();
    if (!fd) {
      fd = open_log(path);
      if (fd && inotify.valid())
        (void)::inotify_add_watch(inotify.get(), path.c_str(), IN_MODIFY | IN_CLOSE_WRITE);
    }
    if (fd)
      KEEL_TRY(read_new(fd->get(), offset, parser, entries));
    if (!running)
      parser.finish(entries);  // the container is gone: a half line is all there will be
    if (!delivery.offer(entries))
      return {};
    if (!running)
      break;
    pollfd p{inotify.get(), POLLIN, 0};
    if (::poll(&p, inotify.valid() ? 1 : 0, kFollowPollMs) > 0) {
      char events[4096];
      while (::read(inotify.get(), events, sizeof events) > 0) {
      }
    }
  }
  return {};
}

}  // namespace keel::manager::containers
