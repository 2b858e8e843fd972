// Container output as a CRI log file (the format kubelet reads): one record per line,
// `<RFC3339Nano UTC time> <stdout|stderr> <F|P> <message>\n`, written by the shim itself so the
// logs never depend on the manager being alive.
//
// The rule: a line ended by '\n' is one F record whose message is the line without the '\n'
// (and without a '\r' just before it, as a terminal's ONLCR adds). A line longer than
// kMaxLineBytes goes out as P records of exactly kMaxLineBytes, then an F record with the rest.
// Bytes without a newline wait for one; when the stream ends (EOF, process exit, CloseIO of the
// shim's side) they go out as one P record, so a reader joining P records with the next F gets
// the output back byte for byte. The time is when the record's last byte was read.
//
// The manager asks for it with the annotation shimapi::kLogPathAnnotation in the bundle's
// config.json (an absolute path); it applies to the container's init process, not to exec
// processes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/unique_fd.h"
#include "shimapi/annotations.h"

namespace keel::shim::io {

// The log path the bundle's config.json asks for; empty when it asks for none.
[[nodiscard]] Result<std::string> cri_log_path_of_bundle(const std::string& bundle);

// Go's time.RFC3339Nano in UTC: trailing zeros of the fraction dropped, no fraction at all
// when it is zero ("2026-11-23T09:01:43.12Z", "2026-11-23T09:01:43Z").
[[nodiscard]] std::string rfc3339_nano(std::int64_t unix_ns);

// Splits one stream's output into records; pure, so the rule above is tested without files.
class CriLineFormatter {
 public:
  static constexpr std::size_t kMaxLineBytes = 16 * 1024;

  explicit CriLineFormatter(std::string stream, std::size_t max_line_bytes = kMaxLineBytes);

  // Appends to `out` the records `chunk` completes; keeps an unterminated tail for later.
  void feed(std::string_view chunk, std::string_view timestamp, std::string& out);
  // Appends the unterminated tail, if any, as a P record.
  void flush(std::string_view timestamp, std::string& out);
  [[nodiscard]] std::size_t pending_bytes() const { return pending_.size(); }

 private:
  void record(char tag, std::string_view message, std::string_view timestamp, std::string& out);

  std::string stream_;
  std::size_t max_line_bytes_;
  std::string pending_;
};

// The open log file, shared by a process's stdout and stderr. A regular file: writes never wait
// for a reader. A failed write (ENOSPC, EIO) drops those records and later ones are still tried.
class CriLogFile {
 public:
  // O_APPEND, so records of both streams never overwrite each other; mode 0640 when created.
  [[nodiscard]] static Result<std::shared_ptr<CriLogFile>> open(const std::string& path);
  void append(std::string_view records);
  [[nodiscard]] std::size_t dropped_bytes() const { return dropped_; }

 private:
  explicit CriLogFile(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
  std::size_t dropped_ = 0;
};

// One stream (stdout or stderr) into a CriLogFile, stamped with the wall clock.
class CriLogStream {
 public:
  CriLogStream(std::shared_ptr<CriLogFile> file, std::string stream)
      : file_(std::move(file)), formatter_(std::move(stream)) {}
  void write(std::string_view chunk);
  void flush();

 private:
  std::shared_ptr<CriLogFile> file_;
  CriLineFormatter formatter_;
  std::string out_;
};

}  // namespace keel::shim::io
