// Two libarchive readers in a chain: blob_ undoes the compression ("raw" format: one entry, the
// whole decompressed stream) and tar_ parses what blob_ yields. Each stage's read callback hashes
// the bytes it hands on, so the blob digest and the diff_id come out of the single read pass.
#include "manager/snapshots/layer_stream.h"

#include <unistd.h>

#include <cerrno>
#include <utility>

#include "common/archive_handle.h"
#include "manager/snapshots/gzip_inflater.h"

namespace keel::manager::snapshots {
namespace {

// Large enough that a fast disk or decompressor is not throttled by per-call overhead.
constexpr std::size_t kBufSize = 256 * 1024;

}  // namespace

struct LayerStream::Hashes {
  content::Digester compressed;
  content::Digester uncompressed;
  std::uint64_t compressed_size = 0;
  std::uint64_t uncompressed_size = 0;
};

Result<std::span<const std::byte>> LayerStream::next_source() {
  if (peeked_ > 0)
    return std::span<const std::byte>(in_buf_.get(), std::exchange(peeked_, 0));
  if (source_eof_)
    return std::span<const std::byte>();
  auto n = read_(std::span(in_buf_.get(), kBufSize));
  if (!n) {
    source_error_ = n.error();
    return std::move(n).error();
  }
  if (*n == 0) {
    source_eof_ = true;
    return std::span<const std::byte>();
  }
  hashes_->compressed.update(std::span(in_buf_.get(), *n));
  hashes_->compressed_size += *n;
  return std::span<const std::byte>(in_buf_.get(), *n);
}

struct LayerStream::Callbacks {
  static la_ssize_t read_blob(archive* a, void* data, const void** out) {
    auto* self = static_cast<LayerStream*>(data);
    auto next = self->next_source();
    if (!next) {
      const int errnum = next.error().errnum() != 0 ? next.error().errnum() : EIO;
      archive_set_error(a, errnum, "%s", next.error().what().c_str());
      return -1;
    }
    *out = next->data();
    return static_cast<la_ssize_t>(next->size());
  }

  // The tar reader's input from igzip: inflate what is fed, feed when it runs dry.
  static la_ssize_t inflate_gzip(archive* a, LayerStream* self) {
    for (;;) {
      auto n = self->gzip_->inflate(std::span(self->out_buf_.get(), kBufSize));
      if (!n) {
        archive_set_error(a, EINVAL, "%s", n.error().what().c_str());
        return -1;
      }
      if (*n > 0)
        return static_cast<la_ssize_t>(*n);
      if (!self->gzip_->needs_input())
        continue;
      auto next = self->next_source();
      if (!next) {
        const int errnum = next.error().errnum() != 0 ? next.error().errnum() : EIO;
        archive_set_error(a, errnum, "%s", next.error().what().c_str());
        return -1;
      }
      if (next->empty()) {
        if (self->gzip_->finished())
          return 0;
        archive_set_error(a, EINVAL, "decompress: gzip: the stream ends early");
        return -1;
      }
      self->gzip_->feed(*next);
    }
  }

  static la_ssize_t read_tar(archive* a, void* data, const void** out) {
    auto* self = static_cast<LayerStream*>(data);
    if (self->blob_eof_)
      return 0;
    if (self->gzip_) {
      const la_ssize_t n = inflate_gzip(a, self);
      if (n <= 0) {
        self->blob_eof_ = n == 0;
        return n;
      }
      const auto size = static_cast<std::size_t>(n);
      self->hashes_->uncompressed.update(std::span(self->out_buf_.get(), size));
      self->hashes_->uncompressed_size += size;
      *out = self->out_buf_.get();
      return n;
    }
    const la_ssize_t n = archive_read_data(self->blob_, self->out_buf_.get(), kBufSize);
    if (n < 0) {
      const char* msg = archive_error_string(self->blob_);
      archive_set_error(a, archive_errno(self->blob_), "decompress: %s",
                        msg != nullptr ? msg : "unknown error");
      return -1;
    }
    if (n == 0) {
      self->blob_eof_ = true;
      return 0;
    }
    const auto size = static_cast<std::size_t>(n);
    self->hashes_->uncompressed.update(std::span(self->out_buf_.get(), size));
    self->hashes_->uncompressed_size += size;
    *out = self->out_buf_.get();
    return n;
  }
};

ReadFn read_from_fd(int fd) {
  return [fd](std::span<std::byte> buf) -> Result<std::size_t> {
    for (;;) {
      const ssize_t n = ::read(fd, buf.data(), buf.size());
      if (n >= 0)
        return static_cast<std::size_t>(n);
      if (errno != EINTR)
        return Error::sys("read layer");
    }
  };
}

LayerStream::LayerStream(ReadFn read)
    : read_(std::move(read)),
      hashes_(std::make_unique<Hashes>()),
      in_buf_(std::make_unique<std::byte[]>(kBufSize)),
      out_buf_(std::make_unique<std::byte[]>(kBufSize)) {}

// The header keeps archive.h out (snapshotter.h includes it): handles adopt the readers here,
// tar_ freed first since it reads through blob_.
LayerStream::~LayerStream() {
  const ArchiveReader blob(blob_);
  const ArchiveReader tar(tar_);
}

Result<std::unique_ptr<LayerStream>> LayerStream::open(ReadFn read) {
  std::unique_ptr<LayerStream> stream(new LayerStream(std::move(read)));
  KEEL_TRY(stream->open_archives());
  return stream;
}

Error LayerStream::tar_error(std::string what) {
  if (source_error_)
    return Error(*source_error_).context(std::move(what));
  const char* msg = archive_error_string(tar_);
  // A malformed stream is the caller's input, whatever code libarchive attached to it.
  return Error::of(Errc::kInvalidArgument,
                   std::move(what) + ": " + (msg != nullptr ? msg : "unknown error"));
}

Result<void> LayerStream::open_archives() {
  tar_ = archive_read_new();
  if (tar_ == nullptr)
    return Error::sys("archive_read_new", ENOMEM);
  // The first bytes say the compression; they are handed on before any later read.
  auto head = next_source();
  if (!head)
    return Error(head.error()).context("open layer");
  peeked_ = head->size();
  if (peeked_ >= 2 && in_buf_[0] == std::byte{0x1f} && in_buf_[1] == std::byte{0x8b}) {
    gzip_ = std::make_unique<GzipInflater>();
    if (archive_read_support_format_tar(tar_) != ARCHIVE_OK ||
        archive_read_open(tar_, this, nullptr, &Callbacks::read_tar, nullptr) != ARCHIVE_OK)
      return tar_error("open layer tar");
    return {};
  }
  blob_ = archive_read_new();
  if (blob_ == nullptr)
    return Error::sys("archive_read_new", ENOMEM);
  // Only what image layers use: gzip, zstd, or none (no filter bids, raw passes the bytes on).
  if (archive_read_support_filter_gzip(blob_) < ARCHIVE_WARN ||
      archive_read_support_filter_zstd(blob_) < ARCHIVE_WARN ||
      archive_read_support_format_raw(blob_) != ARCHIVE_OK)
    return Error::of(Errc::kInternal, "libarchive lacks gzip or zstd support");
  if (archive_read_open(blob_, this, nullptr, &Callbacks::read_blob, nullptr) != ARCHIVE_OK) {
    if (source_error_)
      return Error(*source_error_).context("open layer");
    const char* msg = archive_error_string(blob_);
    return Error::of(Errc::kInvalidArgument,
                     std::string("open layer: ") + (msg != nullptr ? msg : "unknown error"));
  }
  archive_entry* raw = nullptr;
  if (archive_read_next_header(blob_, &raw) != ARCHIVE_OK) {
    if (source_error_)
      return Error(*source_error_).context("open layer");
    return Error::of(Errc::kInvalidArgument, "open layer: empty or unreadable stream");
  }
  // ustar, pax and GNU tar; no filters here: blob_ has already decompressed.
  if (archive_read_support_format_tar(tar_) != ARCHIVE_OK ||
      archive_read_open(tar_, this, nullptr, &Callbacks::read_tar, nullptr) != ARCHIVE_OK)
    return tar_error("open layer tar");
  return {};
}

Result<archive_entry*> LayerStream::next() {
  archive_entry* entry = nullptr;
  const int r = archive_read_next_header(tar_, &entry);
  if (r == ARCHIVE_EOF)
    return static_cast<archive_entry*>(nullptr);
  // ARCHIVE_WARN: a name libarchive could not convert to the locale; the raw bytes are kept.
  if (r < ARCHIVE_WARN)
    return tar_error("read tar header");
  return entry;
}

Result<LayerDigests> LayerStream::finish() {
  const void* ignored = nullptr;
  while (!blob_eof_) {
    if (Callbacks::read_tar(tar_, this, &ignored) < 0)
      return tar_error("read layer tail");
  }
  while (!source_eof_ || peeked_ > 0) {
    if (auto next = next_source(); !next)
      return std::move(next).error().context("read layer tail");
  }
  LayerDigests out;
  out.compressed_digest = hashes_->compressed.finish();
  out.diff_id = hashes_->uncompressed.finish();
  out.compressed_size = hashes_->compressed_size;
  out.uncompressed_size = hashes_->uncompressed_size;
  return out;
}

}  // namespace keel::manager::snapshots
