// Logging set-up shared by every binary: spdlog with runc-compatible line formats, so callers that
// read a runtime's log file (containerd's shim, conmon) understand Keel's.
#pragma once

#include <string>

#include <spdlog/spdlog.h>

#include "common/error.h"

namespace keel::log {

enum class Format { kText, kJson };

struct Options {
  std::string path;  // empty: stderr
  Format format = Format::kText;
  bool debug = false;
};

// Text lines look like logrus's: time="..." level=error msg="..."
// JSON lines look like runc's: {"level":"error","msg":"...","time":"..."}
[[nodiscard]] Result<void> setup(const Options& options);
[[nodiscard]] Result<Format> parse_format(const std::string& name);

}  // namespace keel::log
