// The image service's LayerApplier over the overlay snapshotter: each layer becomes the committed
// snapshot named by its chain ID.
#pragma once

#include "manager/images/layer_applier.h"
#include "manager/snapshots/snapshotter.h"

namespace keel::manager::images {

class SnapshotLayers final : public LayerApplier {
 public:
  // snapshotter must outlive this.
  explicit SnapshotLayers(snapshots::Snapshotter& snapshotter) : snapshotter_(snapshotter) {}

  [[nodiscard]] bool has(const content::Digest& chain_id) override;
  [[nodiscard]] Result<AppliedLayer> apply(
      const std::optional<content::Digest>& parent_chain_id, const ReadFn& read,
      const std::optional<content::Digest>& expected_diff_id) override;
  [[nodiscard]] Result<std::unique_ptr<StagedLayer>> stage(const ReadFn& read) override;
  [[nodiscard]] Result<AppliedLayer> commit(
      StagedLayer& staged, const std::optional<content::Digest>& parent_chain_id,
      const std::optional<content::Digest>& expected_diff_id) override;
  // Committed snapshots named by a chain ID; containers' active snapshots are not layers.
  [[nodiscard]] Result<std::vector<content::Digest>> list() override;
  [[nodiscard]] Result<void> remove(const content::Digest& chain_id) override;

 private:
  snapshots::Snapshotter& snapshotter_;
};

}  // namespace keel::manager::images
