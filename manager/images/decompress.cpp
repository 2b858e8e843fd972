// libarchive's "raw" format reads a single stream through whatever filter its magic names.
#include "manager/images/decompress.h"

#include "common/archive_handle.h"

namespace keel::manager::images {
namespace {

constexpr size_t kBufSize = 1 << 16;

}  // namespace

Compression detect_compression(std::span<const std::byte> head) {
  auto at = [&](size_t i) { return i < head.size() ? static_cast<unsigned char>(head[i]) : 0u; };
  if (at(0) == 0x1f && at(1) == 0x8b)
    return Compression::kGzip;
  if (at(0) == 0x28 && at(1) == 0xb5 && at(2) == 0x2f && at(3) == 0xfd)
    return Compression::kZstd;
  return Compression::kNone;
}

Decompressor::Decompressor(ReadFn read)
    : read_(std::move(read)), buf_(std::make_unique<std::byte[]>(kBufSize)) {}

// The header keeps archive.h out (it is widely included): the handle adopts ar_ here.
Decompressor::~Decompressor() {
  const ArchiveReader reader(ar_);
}

long Decompressor::on_read(archive*, void* self, const void** buf) {  // NOLINT
  auto* d = static_cast<Decompressor*>(self);
  *buf = d->buf_.get();
  auto n = d->read_(std::span(d->buf_.get(), kBufSize));
  if (!n) {
    d->source_error_ = std::move(n).error();
    return -1;
  }
  return static_cast<long>(*n);  // NOLINT
}

Result<std::unique_ptr<Decompressor>> Decompressor::open(ReadFn read) {
  std::unique_ptr<Decompressor> d(new Decompressor(std::move(read)));
  d->ar_ = archive_read_new();
  if (d->ar_ == nullptr)
    return Error::of(Errc::kInternal, "decompress: out of memory");
  archive_read_support_filter_gzip(d->ar_);
  archive_read_support_filter_zstd(d->ar_);
  archive_read_support_format_raw(d->ar_);
  if (archive_read_open(d->ar_, d.get(), nullptr, &Decompressor::on_read, nullptr) != ARCHIVE_OK) {
    if (d->source_error_)
      return std::move(*d->source_error_);
    return Error::of(Errc::kInvalidArgument,
                     std::string("decompress layer: ") + archive_error_string(d->ar_));
  }
  archive_entry* entry = nullptr;
  const int rc = archive_read_next_header(d->ar_, &entry);
  if (rc == ARCHIVE_EOF) {
    d->empty_ = true;
    return d;
  }
  if (rc != ARCHIVE_OK) {
    if (d->source_error_)
      return std::move(*d->source_error_);
    return Error::of(Errc::kInvalidArgument,
                     std::string("decompress layer: ") + archive_error_string(d->ar_));
  }
  return d;
}

Result<std::size_t> Decompressor::read(std::span<std::byte> out) {
  if (empty_)
    return std::size_t{0};
  const la_ssize_t n = archive_read_data(ar_, out.data(), out.size());
  if (n < 0) {
    if (source_error_)
      return *source_error_;
    return Error::of(Errc::kInvalidArgument,
                     std::string("decompress layer: ") + archive_error_string(ar_));
  }
  return static_cast<std::size_t>(n);
}

}  // namespace keel::manager::images
