// Reads a container's CRI-format log (written by keel-shim, shim/io/cri_log.h) the way
// `docker logs` shows it: P records joined with the F record that ends the line, stdout and
// stderr apart, --tail, --since/--until, -t timestamps and -f follow until the container exits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace keel::manager::containers {

enum class LogStream { kStdout, kStderr };

// One record as the file holds it: `<time> <stdout|stderr> <F|P> <message>`.
struct CriRecord {
  std::int64_t time_ns = 0;
  std::string timestamp;  // the text as written
  LogStream stream = LogStream::kStdout;
  bool partial = false;  // P
  std::string message;
};

// One line as the container wrote it: the message of every P record before the F, plus '\n'.
// A line the container never ended (output stopped mid-line) has no '\n'.
struct LogEntry {
  std::int64_t time_ns = 0;  // of the record that ended it
  std::string timestamp;
  LogStream stream = LogStream::kStdout;
  std::string line;
};

// nullopt for a line that is not a CRI record (a torn write, another writer).
[[nodiscard]] std::optional<CriRecord> parse_cri_record(std::string_view line);
// RFC 3339 with an optional fraction of up to 9 digits and "Z" or "+hh:mm": ns since the epoch.
[[nodiscard]] Result<std::int64_t> parse_rfc3339(std::string_view text);
// docker's --since/--until: an RFC 3339 time, a date ("2006-01-02"), Unix seconds with an
// optional fraction ("1700000000.5"), or a duration before `now_ns` ("10m", "1h30m", "45s").
[[nodiscard]] Result<std::int64_t> parse_log_time(std::string_view text, std::int64_t now_ns);

// Joins records into entries, per stream, across any number of feeds (a file read in chunks).
class CriLogParser {
 public:
  // Appends to `out` the entries that `data` completes. Bytes after the last '\n' wait for
  // the next feed; lines that are not records are skipped.
  void feed(std::string_view data, std::vector<LogEntry>& out);
  // Ends the log: a line without '\n' and P records left waiting become entries.
  void finish(std::vector<LogEntry>& out);

 private:
  void add(CriRecord record, std::vector<LogEntry>& out);

  std::string buffer_;
  std::map<LogStream, LogEntry> pending_;  // P records so far, per stream
};

struct LogOptions {
  bool show_stdout = true;
  bool show_stderr = true;
  std::optional<std::size_t> tail;  // the last N lines; nullopt: all
  std::int64_t since_ns = 0;        // 0: from the start
  std::int64_t until_ns = 0;        // 0: no end
  bool follow = false;
};

// docker logs' text of an entry: with `timestamps`, "<RFC3339Nano> " before the line.
[[nodiscard]] std::string format_entry(const LogEntry& entry, bool timestamps);

// Calls `sink` for each entry the options select, in file order; `sink` returns false to stop
// (the client went away). With follow, keeps reading what the shim appends (inotify, and a poll
// every 250 ms) until `still_running` returns false, then drains what is left and returns. A
// missing file is an empty log while following, kNotFound otherwise.
[[nodiscard]] Result<void> read_log(const std::string& path, const LogOptions& options,
                                    const std::function<bool(const LogEntry&)>& sink,
                                    const std::function<bool()>& still_running = {});

}  // namespace keel::manager::containers
