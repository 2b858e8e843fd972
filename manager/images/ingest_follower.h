// A reader that follows a blob's ingest file while a download appends to it: the unpacker reads
// each layer's bytes from the page cache right behind the network, so a layer is stored, hashed,
// decompressed and unpacked as it arrives, the download is never held up by a slower unpack, and
// no layer is buffered in memory. A resumed download is the same case: the bytes a previous try
// left in the file are there to read before the new ones arrive.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/error.h"
#include "common/unique_fd.h"
#include "manager/images/layer_applier.h"

namespace keel::manager::images {

class IngestFollower {
 public:
  // `path` is the ingest file, holding `available` bytes already.
  [[nodiscard]] static Result<std::unique_ptr<IngestFollower>> open(const std::string& path,
                                                                    std::uint64_t available);

  // The writer's side: the file now holds `size` bytes; then either finished() (no more bytes:
  // the reader sees the end) or failed() (the reader's next read returns the error).
  void grew(std::uint64_t size);
  void finished();
  void failed(Error error);

  // The reader's side: reads block until bytes are there or the writer is done.
  [[nodiscard]] ReadFn reader();

 private:
  IngestFollower(UniqueFd fd, std::uint64_t available)
      : fd_(std::move(fd)), available_(available) {}
  [[nodiscard]] Result<std::size_t> read(std::span<std::byte> out);

  UniqueFd fd_;
  std::uint64_t offset_ = 0;  // the reader's, touched by the reader thread only
  std::mutex mu_;
  std::condition_variable cv_;
  std::uint64_t available_;
  bool finished_ = false;
  std::optional<Error> error_;
};

}  // namespace keel::manager::images
