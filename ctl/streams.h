// Byte streams between a file (or stdin/stdout) and gRPC chunk streams.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "common/unique_fd.h"

namespace keel::ctl {

// Reads path ("-" is stdin) in chunks and hands each to write; false from write stops early.
// Throws CommandError naming the file when it cannot be read.
void read_chunks(const std::string& path, const std::function<bool(std::string_view)>& write);

// Writes chunks to path ("-" or "" is stdout) through a temp file renamed on finish(), so a
// failed save leaves no partial file. Writes to stdout follow output.h's rule.
class ChunkSink {
 public:
  explicit ChunkSink(std::string path);
  ~ChunkSink();
  ChunkSink(const ChunkSink&) = delete;
  ChunkSink& operator=(const ChunkSink&) = delete;
  ChunkSink(ChunkSink&&) = delete;
  ChunkSink& operator=(ChunkSink&&) = delete;

  void write(std::string_view data);
  void finish();

 private:
  std::string path_;
  bool to_stdout_ = false;
  // The partial file until finish() renames it into place; empty when writing to stdout.
  std::string temp_;
  UniqueFd file_;
};

}  // namespace keel::ctl
