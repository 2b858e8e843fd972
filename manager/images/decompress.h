// A layer blob's uncompressed tar bytes (gzip, zstd or already plain, detected from the first
// bytes), pulled through libarchive's filters: for `save`, which writes plain layer tars.
#pragma once

#include <memory>

#include "common/error.h"
#include "manager/images/layer_applier.h"

struct archive;

namespace keel::manager::images {

enum class Compression { kNone, kGzip, kZstd };

// From a blob's first bytes (at least 4): gzip 1f 8b, zstd 28 b5 2f fd, anything else plain.
[[nodiscard]] Compression detect_compression(std::span<const std::byte> head);

class Decompressor {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Decompressor>> open(ReadFn read);
  ~Decompressor();
  Decompressor(const Decompressor&) = delete;
  Decompressor& operator=(const Decompressor&) = delete;
  Decompressor(Decompressor&&) = delete;
  Decompressor& operator=(Decompressor&&) = delete;

  // Next uncompressed bytes; 0 at the end.
  [[nodiscard]] Result<std::size_t> read(std::span<std::byte> out);

 private:
  explicit Decompressor(ReadFn read);
  static long on_read(archive*, void* self, const void** buf);  // NOLINT(google-runtime-int)

  ReadFn read_;
  archive* ar_ = nullptr;
  std::unique_ptr<std::byte[]> buf_;
  std::optional<Error> source_error_;
  bool empty_ = false;  // a zero-byte blob has no raw entry to read
};

}  // namespace keel::manager::images
