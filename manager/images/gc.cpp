// Garbage collection: mark from the images table and the caller's roots, sweep content and
// layer snapshots. Runs under the exclusive lease lock, so no import or load is mid-flight.
#include <mutex>

#include <spdlog/spdlog.h>

#include "manager/images/image_service.h"
#include "manager/images/media_types.h"

namespace keel::manager::images {

Result<GcResult> ImageService::collect_garbage() {
  std::unique_lock lock(lease_);
  return collect_garbage_locked();
}

Result<GcResult> ImageService::collect_garbage_locked() {
  GcRoots marked;
  if (gc_roots_) {
    auto roots = gc_roots_();
    if (!roots)
      return std::move(roots).error().context("gc roots");
    marked = std::move(*roots);
  }
  auto rows = images_.list();
  if (!rows)
    return std::move(rows).error();
  // Any image whose documents cannot be read stops the sweep: deleting on a partial mark could
  // take layers an image still needs.
  for (const auto& r : *rows) {
    if (marked.content.contains(r.target.digest))
      continue;
    marked.content.insert(r.target.digest);
    if (r.index_digest)
      marked.content.insert(*r.index_digest);
    auto manifest_json = content_.read_blob(r.target.digest);
    if (!manifest_json)
      return std::move(manifest_json).error().context("gc: image " + r.name);
    auto manifest = parse_manifest(*manifest_json);
    if (!manifest)
      return std::move(manifest).error().context("gc: image " + r.name);
    marked.content.insert(manifest->config.digest);
    for (const auto& l : manifest->layers)
      marked.content.insert(l.digest);
    auto config_json = content_.read_blob(manifest->config.digest);
    if (!config_json)
      return std::move(config_json).error().context("gc: image " + r.name);
    auto config = parse_image_config(*config_json);
    if (!config)
      return std::move(config).error().context("gc: image " + r.name);
    for (auto& chain : chain_ids(config->diff_ids))
      marked.snapshots.insert(std::move(chain));
  }

  GcResult result;
  auto blobs = content_.list();
  if (!blobs)
    return std::move(blobs).error();
  for (const auto& info : *blobs) {
    if (marked.content.contains(info.digest))
      continue;
    if (auto r = content_.remove(info.digest); !r && r.error().kind() != Errc::kNotFound)
      return std::move(r).error().context("gc");
    result.removed_blobs.push_back(info.digest);
    result.space_reclaimed += static_cast<std::int64_t>(info.size);
  }
  auto snapshots = layers_.list();
  if (!snapshots)
    return std::move(snapshots).error();
  // A layer cannot go while a layer above it (or a container's snapshot) sits on it, so sweep
  // in rounds: each round removes the current tops; a layer still refused at the end is held by
  // something outside the images (a container) and stays.
  std::vector<content::Digest> pending;
  for (const auto& chain : *snapshots)
    if (!marked.snapshots.contains(chain))
      pending.push_back(chain);
  for (bool progress = true; progress && !pending.empty();) {
    progress = false;
    std::vector<content::Digest> held;
    for (const auto& chain : pending) {
      if (auto removed = layers_.remove(chain); removed) {
        result.removed_snapshots.push_back(chain);
        progress = true;
      } else if (removed.error().kind() == Errc::kFailedPrecondition) {
        held.push_back(chain);
      } else if (removed.error().kind() != Errc::kNotFound) {
        return std::move(removed).error().context("gc");
      }
    }
    pending = std::move(held);
  }
  if (!result.removed_blobs.empty() || !result.removed_snapshots.empty())
    spdlog::info("gc: removed {} blob(s) ({} bytes) and {} snapshot(s)",
                 result.removed_blobs.size(), result.space_reclaimed,
                 result.removed_snapshots.size());
  return result;
}

}  // namespace keel::manager::images
