// Reads a layer blob (gzip, zstd or plain tar, detected from its first bytes) as tar entries while
// hashing, in the same single pass, both the bytes as stored (the blob digest a manifest names)
// and the uncompressed tar (the diff_id an image config names).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "common/error.h"
#include "manager/content/digest.h"

struct archive;
struct archive_entry;

namespace keel::manager::snapshots {

// Fills the buffer with the next bytes of the blob; returns 0 at its end.
using ReadFn = std::function<Result<std::size_t>(std::span<std::byte>)>;

// A ReadFn over a borrowed fd (a file, pipe or socket); EINTR is retried.
[[nodiscard]] ReadFn read_from_fd(int fd);

struct LayerDigests {
  content::Digest compressed_digest;  // of the blob bytes as read (what a manifest names)
  content::Digest diff_id;            // of the uncompressed tar stream (what a config names)
  std::uint64_t compressed_size = 0;
  std::uint64_t uncompressed_size = 0;
};

class LayerStream {
 public:
  // Opens the blob; fails if its compression or tar header cannot be recognised.
  [[nodiscard]] static Result<std::unique_ptr<LayerStream>> open(ReadFn read);
  ~LayerStream();
  LayerStream(const LayerStream&) = delete;
  LayerStream& operator=(const LayerStream&) = delete;
  LayerStream(LayerStream&&) = delete;
  LayerStream& operator=(LayerStream&&) = delete;

  // The next entry, or nullptr after the last one. The entry lives until the next call.
  [[nodiscard]] Result<archive_entry*> next();
  // The tar reader, for the entry's data (archive_read_data_block).
  [[nodiscard]] archive* tar() const noexcept { return tar_; }
  // An error for a failed libarchive call on the tar reader, keeping an error the blob's ReadFn
  // returned (an I/O error) in preference to libarchive's generic text.
  [[nodiscard]] Error tar_error(std::string what);
  // After the last entry: reads the rest of the blob (tar padding, compression trailer) so both
  // digests cover every byte, and returns them.
  [[nodiscard]] Result<LayerDigests> finish();

 private:
  struct Callbacks;
  explicit LayerStream(ReadFn read);
  [[nodiscard]] Result<void> open_archives();

  // The next source bytes, hashed as the blob's: the bytes peeked at open first.
  [[nodiscard]] Result<std::span<const std::byte>> next_source();

  ReadFn read_;
  // gzip goes through igzip (gzip_inflater.h); zstd and plain through libarchive's filters.
  std::unique_ptr<class GzipInflater> gzip_;
  std::size_t peeked_ = 0;   // bytes read at open to detect the compression, not yet handed on
  archive* blob_ = nullptr;  // decompression only (libarchive's "raw" format)
  archive* tar_ = nullptr;   // tar parsing over blob_'s output
  struct Hashes;
  std::unique_ptr<Hashes> hashes_;
  std::unique_ptr<std::byte[]> in_buf_;
  std::unique_ptr<std::byte[]> out_buf_;
  bool blob_eof_ = false;
  bool source_eof_ = false;
  std::optional<Error> source_error_;
};

}  // namespace keel::manager::snapshots
