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

// Writes every chunk a server stream sends into `sink`, then checks the call: a failed call
// leaves no partial file. Chunk is the stream's message (a `data` field). The sink is opened by
// the caller before the call, so a bad output path fails before keeld is asked anything.
template <class Chunk, class Reader, class Client>
void receive_chunks(Client& client, Reader& reader, ChunkSink& sink) {
  Chunk chunk;
  while (reader.Read(&chunk))
    sink.write(chunk.data());
  client.check(reader.Finish());
  sink.finish();
}

}  // namespace keel::ctl
