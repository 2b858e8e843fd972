// One blob being written into the content store: bytes go to an ingest file while their SHA-256
// is computed, and commit() verifies digest and size before the blob appears under its name.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/unique_fd.h"
#include "manager/content/digest.h"

namespace keel::manager::content {

class Store;
struct Info;

class Writer {
 public:
  Writer(Writer&& other) noexcept;
  Writer& operator=(Writer&&) = delete;
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  // Removes the ingest file unless committed, or resumable (Store::resume_writer): an abandoned
  // one-shot write leaves nothing behind, an interrupted download leaves what it fetched.
  ~Writer();

  [[nodiscard]] Result<void> write(std::span<const std::byte> data);
  [[nodiscard]] Result<void> write(std::string_view data) {
    return write(std::as_bytes(std::span(data.data(), data.size())));
  }
  [[nodiscard]] std::uint64_t size() const noexcept { return size_; }

  // Verifies what was written against the expected digest and size (each optional: an import
  // learns its digest only here), fsyncs, and renames the blob in. On a mismatch the ingest file
  // is deleted and the error says both values ("digest mismatch: expected sha256:..., got
  // sha256:..."); kInvalidArgument, since the data was wrong, not the store. If the blob already
  // exists the verified copy is dropped and the existing blob's info returned.
  [[nodiscard]] Result<Info> commit(const std::optional<Digest>& expected_digest,
                                    std::optional<std::uint64_t> expected_size,
                                    const std::map<std::string, std::string>& labels = {});
  // Deletes the ingest file now; later writes and commits fail.
  void abort() noexcept;

  [[nodiscard]] const std::string& ingest_path() const noexcept { return temp_path_; }
  // Bytes found in a resumed ingest when it was opened (0 for a new one).
  [[nodiscard]] std::uint64_t resumed_from() const noexcept { return resumed_from_; }

 private:
  friend class Store;
  Writer(Store& store, UniqueFd fd, std::string temp_path);
  // Hashes the bytes already in the file and positions at its end.
  [[nodiscard]] Result<void> resume();

  Store* store_;
  UniqueFd fd_;
  std::string temp_path_;  // empty once committed or aborted
  std::unique_ptr<Digester> digester_;
  std::uint64_t size_ = 0;
  std::uint64_t resumed_from_ = 0;
  bool keep_on_drop_ = false;  // resumable: the destructor leaves the partial file
};

}  // namespace keel::manager::content
