// CRI log records: the formatter, the RFC3339Nano clock and the append-only file.
#include "shim/io/cri_log.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/fs.h"

namespace keel::shim::io {

Result<std::string> cri_log_path_of_bundle(const std::string& bundle) {
  const std::string config_path = bundle + "/config.json";
  auto text = fs::read_file(config_path);
  if (!text)
    return std::move(text).error();
  // Only the annotations are kept: the rest of a config (docker's seccomp profile alone is ~300
  // strings) would be built into a tree just to be freed, in a process that lives as long as its
  // container and is started for each one.
  const nlohmann::json::parser_callback_t annotations_only =
      [](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        return depth != 1 || event != nlohmann::json::parse_event_t::key || parsed == "annotations";
      };
  nlohmann::json config;
  try {
    config = nlohmann::json::parse(*text, annotations_only);
  } catch (const nlohmann::json::exception& e) {
    return Error::of(Errc::kInvalidArgument, "parse \"" + config_path + "\": " + e.what());
  }
  const auto annotations = config.find("annotations");
  if (annotations == config.end() || !annotations->is_object())
    return std::string();
  const auto value = annotations->find(shimapi::kLogPathAnnotation);
  if (value == annotations->end())
    return std::string();
  if (!value->is_string() || value->get<std::string>().empty() ||
      value->get<std::string>()[0] != '/')
    return Error::of(
        Errc::kInvalidArgument,
        std::string("annotation ") + shimapi::kLogPathAnnotation + " must be an absolute path");
  return value->get<std::string>();
}

std::string rfc3339_nano(std::int64_t unix_ns) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ns / 1'000'000'000);
  auto nanos = static_cast<long>(unix_ns % 1'000'000'000);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  std::array<char, 64> buf{};
  std::size_t n = std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%S", &utc);
  std::string out(buf.data(), n);
  if (nanos != 0) {
    std::array<char, 16> frac{};
    std::snprintf(frac.data(), frac.size(), ".%09ld", nanos);
    std::string f(frac.data());
    while (f.back() == '0')
      f.pop_back();
    out += f;
  }
  out += 'Z';
  return out;
}

CriLineFormatter::CriLineFormatter(std::string stream, std::size_t max_line_bytes)
    : stream_(std::move(stream)), max_line_bytes_(max_line_bytes == 0 ? 1 : max_line_bytes) {}

void CriLineFormatter::record(char tag, std::string_view message, std::string_view timestamp,
                              std::string& out) {
  out.append(timestamp);
  out += ' ';
  out += stream_;
  out += ' ';
  out += tag;
  out += ' ';
  out.append(message);
  out += '\n';
}

void CriLineFormatter::feed(std::string_view chunk, std::string_view timestamp, std::string& out) {
  while (!chunk.empty()) {
    const std::size_t room = max_line_bytes_ - pending_.size();
    const std::size_t nl = chunk.find('\n');
    if (nl != std::string_view::npos && nl <= room) {
      pending_.append(chunk.substr(0, nl));
      std::string_view line = pending_;
      if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
      record('F', line, timestamp, out);
      pending_.clear();
      chunk.remove_prefix(nl + 1);
      continue;
    }
    // A full line with no newline right after it: out as P. One with a newline right after it
    // is still an F record, hence the check above first.
    if (room == 0) {
      record('P', pending_, timestamp, out);
      pending_.clear();
      continue;
    }
    const std::size_t take = std::min(room, chunk.size());
    pending_.append(chunk.substr(0, take));
    chunk.remove_prefix(take);
  }
}

void CriLineFormatter::flush(std::string_view timestamp, std::string& out) {
  if (pending_.empty())
    return;
  record('P', pending_, timestamp, out);
  pending_.clear();
}

Result<std::shared_ptr<CriLogFile>> CriLogFile::open(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
  if (!fd.valid())
    return Error::sys("open log \"" + path + "\"");
  return std::shared_ptr<CriLogFile>(new CriLogFile(std::move(fd)));
}

void CriLogFile::append(std::string_view records) {
  while (!records.empty()) {
    const ssize_t n = ::write(fd_.get(), records.data(), records.size());
    if (n > 0) {
      records.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    dropped_ += records.size();  // ENOSPC and friends: the container must go on regardless
    return;
  }
}

void CriLogStream::write(std::string_view chunk) {
  out_.clear();
  formatter_.feed(chunk, rfc3339_nano(unix_now_ns()), out_);
  if (!out_.empty())
    file_->append(out_);
}

void CriLogStream::flush() {
  out_.clear();
  formatter_.flush(rfc3339_nano(unix_now_ns()), out_);
  if (!out_.empty())
    file_->append(out_);
}

}  // namespace keel::shim::io
