// The content store: immutable blobs addressed by their sha256 digest under
//   <dir>/blobs/sha256/<hex>   committed blobs, read-only once renamed in
//   <dir>/ingest/<random>      one-shot writes (imports, manifests); removed on open
//   <dir>/ingest/<hex>         downloads of a known digest, kept across a failure or a restart so
//                              the next pull resumes them; removed on open after a day untouched
// A blob becomes visible only by rename after its size and digest were verified and its bytes
// fsynced, so a crash at any moment leaves either the whole blob or only an ingest file.
// Labels (free-form key/value, e.g. for GC references) live in the metadata database.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"
#include "manager/content/digest.h"
#include "manager/content/writer.h"
#include "manager/store/database.h"

namespace keel::manager::content {

using Labels = std::map<std::string, std::string>;

struct Info {
  Digest digest;
  std::uint64_t size = 0;
  std::int64_t created_at_ns = 0;  // Unix time the blob was committed
  Labels labels;
};

class Store {
 public:
  // Creates the directories, takes an exclusive lock on <dir>/lock (a second keeld on the same
  // root is refused instead of deleting the first one's ingests), removes stale ingest files
  // (one-shot ones, and resumable ones untouched for a day) and migrates the "content" tables. The
  // Database must outlive the Store.
  [[nodiscard]] static Result<std::unique_ptr<Store>> open(const std::string& dir,
                                                           store::Database& db);
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  Store(Store&&) = delete;
  Store& operator=(Store&&) = delete;
  ~Store() = default;

  // A new ingest; the Writer must not outlive the Store.
  [[nodiscard]] Result<Writer> writer();
  // The resumable ingest of a blob known by digest: opens <dir>/ingest/<hex> (created if absent)
  // with the bytes a previous, interrupted download left there, re-hashed so the writer goes on
  // from its size(). Dropping the writer keeps the file; abort() or a failed commit removes it.
  // kAlreadyExists while another writer holds the same ingest.
  [[nodiscard]] Result<Writer> resume_writer(const Digest& digest);
  // One-shot write of bytes held in memory (manifests, configs), verified like any other.
  [[nodiscard]] Result<Info> write_blob(std::string_view data,
                                        const std::optional<Digest>& expected = std::nullopt,
                                        const Labels& labels = {});

  [[nodiscard]] bool exists(const Digest& digest) const;
  // kNotFound names the digest when the blob is absent.
  [[nodiscard]] Result<Info> info(const Digest& digest);
  [[nodiscard]] Result<UniqueFd> open_blob(const Digest& digest) const;
  // Whole blob in memory, refused beyond max_size (JSON documents, never layers).
  [[nodiscard]] Result<std::string> read_blob(const Digest& digest,
                                              std::uint64_t max_size = 16u << 20) const;
  // Re-hashes the blob; a blob changed on disk is kInternal naming both digests.
  [[nodiscard]] Result<void> verify(const Digest& digest) const;
  // Every committed blob, sorted by digest.
  [[nodiscard]] Result<std::vector<Info>> list();
  // Removes the blob and its labels; kNotFound if absent. Open readers keep their bytes.
  [[nodiscard]] Result<void> remove(const Digest& digest);
  // Replaces the blob's labels (an empty map clears them).
  [[nodiscard]] Result<void> set_labels(const Digest& digest, const Labels& labels);

  [[nodiscard]] std::string blob_path(const Digest& digest) const;
  [[nodiscard]] const std::string& dir() const noexcept { return dir_; }

 private:
  friend class Writer;
  Store(std::string dir, store::Database& db, UniqueFd lock);
  [[nodiscard]] Result<void> remove_stale_ingests();
  [[nodiscard]] Result<Labels> labels_of(const Digest& digest);
  // Called by Writer::commit once the temp file holds verified, fsynced bytes.
  [[nodiscard]] Result<Info> install(const std::string& temp_path, const Digest& digest,
                                     const Labels& labels);

  std::string dir_;
  store::Database& db_;
  UniqueFd lock_;
  UniqueFd blobs_dir_;  // fsynced after each rename so the new name is durable
};

}  // namespace keel::manager::content
