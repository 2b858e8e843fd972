// Ingest writes: hash while writing, verify, fsync, hand over to the store for the rename.
#include "manager/content/writer.h"

#include <unistd.h>

#include <array>
#include <utility>

#include "common/fs.h"
#include "manager/content/store.h"

namespace keel::manager::content {

Writer::Writer(Store& store, UniqueFd fd, std::string temp_path)
    : store_(&store),
      fd_(std::move(fd)),
      temp_path_(std::move(temp_path)),
      digester_(std::make_unique<Digester>()) {}

Writer::Writer(Writer&& other) noexcept
    : store_(other.store_),
      fd_(std::move(other.fd_)),
      temp_path_(std::exchange(other.temp_path_, {})),
      digester_(std::move(other.digester_)),
      size_(other.size_),
      resumed_from_(other.resumed_from_),
      keep_on_drop_(other.keep_on_drop_) {}

Writer::~Writer() {
  if (keep_on_drop_) {
    fd_.reset();  // closing also drops the flock that marked the ingest as busy
    return;
  }
  abort();
}

Result<void> Writer::resume() {
  std::array<char, 1 << 16> buf{};
  std::uint64_t offset = 0;
  for (;;) {
    const ssize_t n = ::pread(fd_.get(), buf.data(), buf.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return Error::sys("read \"" + temp_path_ + "\"");
    if (n == 0)
      break;
    digester_->update(std::string_view(buf.data(), static_cast<size_t>(n)));
    offset += static_cast<std::uint64_t>(n);
  }
  if (::lseek(fd_.get(), static_cast<off_t>(offset), SEEK_SET) < 0)
    return Error::sys("seek \"" + temp_path_ + "\"");
  size_ = offset;
  resumed_from_ = offset;
  keep_on_drop_ = true;
  return {};
}

void Writer::abort() noexcept {
  fd_.reset();
  if (!temp_path_.empty())
    ::unlink(temp_path_.c_str());
  temp_path_.clear();
}

Result<void> Writer::write(std::span<const std::byte> data) {
  if (temp_path_.empty())
    return Error::of(Errc::kFailedPrecondition, "write blob: writer already finished");
  const std::string_view bytes(reinterpret_cast<const char*>(data.data()), data.size());
  if (auto r = fs::write_all(fd_.get(), bytes); !r)
    return std::move(r).error().context("write \"" + temp_path_ + "\"");
  digester_->update(data);
  size_ += data.size();
  return {};
}

Result<Info> Writer::commit(const std::optional<Digest>& expected_digest,
                            std::optional<std::uint64_t> expected_size,
                            const std::map<std::string, std::string>& labels) {
  if (temp_path_.empty())
    return Error::of(Errc::kFailedPrecondition, "commit blob: writer already finished");
  // Whatever happens below, a failed commit leaves no ingest file.
  struct AbortUnlessDone {
    Writer* writer;
    ~AbortUnlessDone() {
      if (writer != nullptr)
        writer->abort();
    }
  } guard{this};

  const Digest actual = digester_->finish();
  if (expected_size && *expected_size != size_)
    return Error::of(Errc::kInvalidArgument,
                     "size mismatch for " +
                         (expected_digest ? expected_digest->str() : actual.str()) + ": expected " +
                         std::to_string(*expected_size) + " bytes, got " + std::to_string(size_));
  if (expected_digest && *expected_digest != actual)
    return Error::of(Errc::kInvalidArgument, "digest mismatch: expected " + expected_digest->str() +
                                                 ", got " + actual.str());
  // Bytes reach the disk before the name does: after a crash a blob under its digest is whole.
  if (::fsync(fd_.get()) != 0)
    return Error::sys("fsync \"" + temp_path_ + "\"");
  fd_.reset();
  auto info = store_->install(temp_path_, actual, labels);
  if (!info)
    return std::move(info).error();
  temp_path_.clear();  // renamed (or dropped as a duplicate) by install
  guard.writer = nullptr;
  return info;
}

}  // namespace keel::manager::content
