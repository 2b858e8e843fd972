// What the image service needs from a snapshotter: unpack a layer blob as the snapshot keyed by
// its chain ID, in the same pass that computes its digests, and list and remove snapshots for GC.
// Implemented over the overlay snapshotter by keeld's wiring; tests use a small fake.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "common/error.h"
#include "manager/content/digest.h"

namespace keel::manager::images {

// Fills the buffer with the next bytes; returns 0 at the end. The same type as snapshots::ReadFn.
using ReadFn = std::function<Result<std::size_t>(std::span<std::byte>)>;

// A ReadFn over a borrowed fd (file, pipe or socket); EINTR is retried.
[[nodiscard]] ReadFn fd_reader(int fd);

struct AppliedLayer {
  content::Digest diff_id;      // sha256 of the uncompressed tar
  content::Digest chain_id;     // the snapshot's key
  content::Digest blob_digest;  // sha256 of the bytes as read (compressed or not)
  std::uint64_t uncompressed_size = 0;
  std::uint64_t blob_size = 0;
};

// A layer unpacked but not yet committed (see LayerApplier::stage); dropping it discards the tree.
class StagedLayer {
 public:
  virtual ~StagedLayer() = default;
  // diff_id, blob digest and sizes as read; chain_id is known only at commit.
  [[nodiscard]] virtual const AppliedLayer& unpacked() const = 0;
};

class LayerApplier {
 public:
  virtual ~LayerApplier() = default;

  [[nodiscard]] virtual bool has(const content::Digest& chain_id) = 0;
  // Reads the whole blob (gzip, zstd or plain tar) once: decompresses, unpacks and hashes it.
  // The snapshot is keyed by ChainID(parent, diff_id) and appears atomically, only when the
  // unpack succeeded and, if expected_diff_id is given, the diff_id matched it. On any error
  // nothing is kept. A snapshot that already exists under that key is kept and reported.
  [[nodiscard]] virtual Result<AppliedLayer> apply(
      const std::optional<content::Digest>& parent_chain_id, const ReadFn& read,
      const std::optional<content::Digest>& expected_diff_id) = 0;
  // apply() in two steps, for a pull that unpacks layers as they download, side by side: stage
  // reads and unpacks the blob without needing its parent; commit checks the diff_id and makes
  // the snapshot on parent_chain_id, which must exist by then. Nothing is visible before commit.
  [[nodiscard]] virtual Result<std::unique_ptr<StagedLayer>> stage(const ReadFn& read) = 0;
  [[nodiscard]] virtual Result<AppliedLayer> commit(
      StagedLayer& staged, const std::optional<content::Digest>& parent_chain_id,
      const std::optional<content::Digest>& expected_diff_id) = 0;
  // Every layer snapshot by chain ID (for GC's sweep).
  [[nodiscard]] virtual Result<std::vector<content::Digest>> list() = 0;
  [[nodiscard]] virtual Result<void> remove(const content::Digest& chain_id) = 0;
};

}  // namespace keel::manager::images
