// The overlayfs snapshotter, with containerd's semantics. A snapshot is a directory tree named by
// a key; an active snapshot (prepare) is writable, a view is read-only, and committing an active
// snapshot under a name makes it an immutable parent for others. Image layers are committed
// under their chain ID, unpacked once and shared by every image and container that uses them.
//
// On disk: <root>/snapshots/<id>/fs (the tree; the upper dir of an active snapshot) and
// <root>/snapshots/<id>/work (overlay's workdir, active only); <id> is a short number so that
// many lowers fit a mount. Metadata lives in the shared store::Database under component
// "snapshots". Every change creates its directory first and commits metadata last, so a crash
// leaves at worst a directory with no row, removed on the next open, never a row whose
// directory is missing.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/trash_bin.h"
#include "manager/content/digest.h"
#include "manager/snapshots/layer_stream.h"
#include "manager/snapshots/mount.h"
#include "manager/store/database.h"

namespace keel::manager::snapshots {

enum class Kind { kActive, kView, kCommitted };
[[nodiscard]] const char* kind_name(Kind kind) noexcept;  // "active", "view", "committed"

using Labels = std::map<std::string, std::string>;

struct Info {
  std::string name;  // the key (active, view) or the committed name
  Kind kind = Kind::kActive;
  std::string parent;  // committed name of the parent; empty for a base snapshot
  std::int64_t id = 0;
  std::int64_t created_unix_ns = 0;
  std::int64_t updated_unix_ns = 0;
  Labels labels;
};

struct Usage {
  std::int64_t size_bytes = 0;  // allocated blocks of this snapshot's own tree, not its parents'
  std::int64_t inodes = 0;
};

// chainID(L0) = diffID(L0); chainID(n) = sha256(chainID(n-1) + " " + diffID(n))
// (image-spec config.md "Layer ChainID").
[[nodiscard]] content::Digest chain_id(const content::Digest& parent_chain_id,
                                       const content::Digest& diff_id);
[[nodiscard]] std::vector<content::Digest> chain_ids(const std::vector<content::Digest>& diff_ids);

struct ApplyOptions {
  std::string parent;  // chain ID of the layers below ("" for the first layer)
  // When set, a blob whose digest or diff_id differs is refused and nothing is committed.
  std::optional<content::Digest> expected_blob_digest;
  std::optional<content::Digest> expected_diff_id;
  Labels labels;
};

struct ApplyResult {
  Info snapshot;         // the committed layer snapshot, named by its chain ID
  LayerDigests digests;  // as read (empty digests when the layer already existed)
  bool already_existed = false;
};

// A layer unpacked into a staging directory outside the snapshot namespace, not yet a snapshot.
// Unpacking needs nothing from the layers below (whiteouts and opaque markers are entries of
// their own; overlayfs meets the lower trees only at mount time), so a pull unpacks its layers
// side by side and commits them in order once each parent is committed. Dropping a staged layer
// without committing it removes its tree.
class StagedLayer {
 public:
  ~StagedLayer();
  StagedLayer(const StagedLayer&) = delete;
  StagedLayer& operator=(const StagedLayer&) = delete;
  StagedLayer(StagedLayer&&) = delete;
  StagedLayer& operator=(StagedLayer&&) = delete;

  [[nodiscard]] const LayerDigests& digests() const noexcept { return digests_; }

 private:
  friend class Snapshotter;
  StagedLayer(std::string staging, LayerDigests digests)
      : staging_(std::move(staging)), digests_(std::move(digests)) {}
  std::string staging_;  // empty once committed
  LayerDigests digests_;
};

class Snapshotter {
 public:
  // Migrates the "snapshots" tables, creates <root>/snapshots and removes directories there that
  // no metadata row names (staging dirs of an interrupted apply, orphans of a crash).
  [[nodiscard]] static Result<std::unique_ptr<Snapshotter>> open(store::Database& db,
                                                                 std::string root);

  // A writable snapshot on `parent` (a committed name, or "" for an empty tree). kAlreadyExists
  // if `key` is taken, kNotFound if the parent is unknown, kFailedPrecondition if it is not
  // committed. Returns its mounts.
  [[nodiscard]] Result<std::vector<Mount>> prepare(const std::string& key,
                                                   const std::string& parent,
                                                   const Labels& labels = {});
  // A read-only snapshot on `parent`; same errors as prepare.
  [[nodiscard]] Result<std::vector<Mount>> view(const std::string& key, const std::string& parent,
                                                const Labels& labels = {});
  // The mounts of an existing snapshot: overlay (upper + work on the parents' trees) for an
  // active one with parents, a bind otherwise; read-only for views and committed snapshots.
  [[nodiscard]] Result<std::vector<Mount>> mounts(const std::string& key);
  // Turns active snapshot `key` into committed snapshot `name` (same tree, no copy).
  [[nodiscard]] Result<void> commit(const std::string& name, const std::string& key,
                                    const Labels& labels = {});
  // Removes a snapshot and its tree; kFailedPrecondition while it has children.
  [[nodiscard]] Result<void> remove(const std::string& key);
  [[nodiscard]] Result<Info> stat(const std::string& key);
  [[nodiscard]] Result<std::vector<Info>> list();
  [[nodiscard]] Result<Usage> usage(const std::string& key);
  // Replaces the labels of a snapshot.
  [[nodiscard]] Result<void> set_labels(const std::string& key, const Labels& labels);

  // Unpacks one layer blob onto options.parent and commits it under its chain ID. The tree is
  // staged outside the snapshot namespace and enters it only with its metadata: a refused or
  // failed layer leaves no directory and no row. If the chain ID exists already (the caller may
  // check with stat first, to skip the download), the new tree is discarded.
  [[nodiscard]] Result<ApplyResult> apply_layer(const ReadFn& read, const ApplyOptions& options);
  // apply_layer in two steps: stage_layer reads and unpacks the blob (no parent needed, so
  // layers can be staged concurrently); commit_staged checks the digests against options, and
  // commits the tree on options.parent, which must be committed by then. A staged layer whose
  // chain ID exists already is dropped and the existing snapshot reported.
  [[nodiscard]] Result<std::unique_ptr<StagedLayer>> stage_layer(const ReadFn& read);
  [[nodiscard]] Result<ApplyResult> commit_staged(StagedLayer& staged, const ApplyOptions& options);

  // <root>/snapshots/<id>/fs of a snapshot, for diff and tests.
  [[nodiscard]] Result<std::string> tree_path(const std::string& key);
  [[nodiscard]] const std::string& root() const noexcept { return root_; }

  ~Snapshotter();
  Snapshotter(const Snapshotter&) = delete;
  Snapshotter& operator=(const Snapshotter&) = delete;
  Snapshotter(Snapshotter&&) = delete;
  Snapshotter& operator=(Snapshotter&&) = delete;

 private:
  struct Row {
    Info info;
    std::optional<std::int64_t> parent_id;
  };
  Snapshotter(store::Database& db, std::string root);
  [[nodiscard]] Result<std::vector<Mount>> create(const std::string& key, const std::string& parent,
                                                  Kind kind, const Labels& labels);
  [[nodiscard]] Result<Row> row(const std::string& key);
  [[nodiscard]] Result<std::vector<Mount>> mounts_of(const Row& r);
  [[nodiscard]] Result<void> remove_orphans();
  [[nodiscard]] Result<std::string> make_staging();
  [[nodiscard]] Result<std::int64_t> insert_and_place(const std::string& staging,
                                                      const std::string& name, Kind kind,
                                                      std::optional<std::int64_t> parent_id,
                                                      const Labels& labels);
  [[nodiscard]] std::string dir(std::int64_t id) const;

  store::Database& db_;
  std::string root_;       // as given
  std::string snapshots_;  // <root>/snapshots
  // <root>/trash: a removed snapshot's directory goes there, out of <root>/snapshots at once,
  // and is deleted in the background.
  std::unique_ptr<TrashBin> trash_;
};

}  // namespace keel::manager::snapshots
