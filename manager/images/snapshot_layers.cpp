#include "manager/images/snapshot_layers.h"

namespace keel::manager::images {

bool SnapshotLayers::has(const content::Digest& chain_id) {
  auto info = snapshotter_.stat(chain_id.str());
  return info && info->kind == snapshots::Kind::kCommitted;
}

Result<AppliedLayer> SnapshotLayers::apply(const std::optional<content::Digest>& parent_chain_id,
                                           const ReadFn& read,
                                           const std::optional<content::Digest>& expected_diff_id) {
  snapshots::ApplyOptions options;
  options.parent = parent_chain_id ? parent_chain_id->str() : std::string{};
  options.expected_diff_id = expected_diff_id;
  auto applied = snapshotter_.apply_layer(read, options);
  if (!applied)
    return std::move(applied).error();
  auto chain = content::Digest::parse(applied->snapshot.name);
  if (!chain)
    return std::move(chain).error().context("layer snapshot name");
  AppliedLayer out{.diff_id = applied->digests.diff_id,
                   .chain_id = *chain,
                   .blob_digest = applied->digests.compressed_digest,
                   .uncompressed_size = applied->digests.uncompressed_size,
                   .blob_size = applied->digests.compressed_size};
  // An existing layer is not read again; its diff_id is the one asked for.
  if (applied->already_existed && expected_diff_id)
    out.diff_id = *expected_diff_id;
  return out;
}

namespace {

class StagedSnapshot final : public StagedLayer {
 public:
  explicit StagedSnapshot(std::unique_ptr<snapshots::StagedLayer> tree) : tree_(std::move(tree)) {
    const auto& d = tree_->digests();
    unpacked_ = AppliedLayer{.diff_id = d.diff_id,
                             .chain_id = {},
                             .blob_digest = d.compressed_digest,
                             .uncompressed_size = d.uncompressed_size,
                             .blob_size = d.compressed_size};
  }
  [[nodiscard]] const AppliedLayer& unpacked() const override { return unpacked_; }
  [[nodiscard]] snapshots::StagedLayer& tree() { return *tree_; }

 private:
  std::unique_ptr<snapshots::StagedLayer> tree_;
  AppliedLayer unpacked_;
};

}  // namespace

Result<std::unique_ptr<StagedLayer>> SnapshotLayers::stage(const ReadFn& read) {
  auto tree = snapshotter_.stage_layer(read);
  if (!tree)
    return std::move(tree).error();
  return std::unique_ptr<StagedLayer>(new StagedSnapshot(std::move(*tree)));
}

Result<AppliedLayer> SnapshotLayers::commit(
    StagedLayer& staged, const std::optional<content::Digest>& parent_chain_id,
    const std::optional<content::Digest>& expected_diff_id) {
  auto* snapshot = dynamic_cast<StagedSnapshot*>(&staged);
  if (snapshot == nullptr)
    return Error::of(Errc::kInternal, "commit layer: not staged by this snapshotter");
  snapshots::ApplyOptions options;
  options.parent = parent_chain_id ? parent_chain_id->str() : std::string{};
  options.expected_diff_id = expected_diff_id;
  auto applied = snapshotter_.commit_staged(snapshot->tree(), options);
  if (!applied)
    return std::move(applied).error();
  auto chain = content::Digest::parse(applied->snapshot.name);
  if (!chain)
    return std::move(chain).error().context("layer snapshot name");
  AppliedLayer out = staged.unpacked();
  out.chain_id = *chain;
  return out;
}

Result<std::vector<content::Digest>> SnapshotLayers::list() {
  auto all = snapshotter_.list();
  if (!all)
    return std::move(all).error();
  std::vector<content::Digest> chains;
  for (const auto& info : *all) {
    if (info.kind != snapshots::Kind::kCommitted)
      continue;
    if (auto digest = content::Digest::parse(info.name))
      chains.push_back(*digest);
  }
  return chains;
}

Result<void> SnapshotLayers::remove(const content::Digest& chain_id) {
  return snapshotter_.remove(chain_id.str());
}

}  // namespace keel::manager::images
