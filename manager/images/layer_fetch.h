// The per-layer half of a pull, run by several workers at once: a layer's blob from the registry
// into the content store, decompressed and unpacked into a staged snapshot on the way in, or
// staged from the store when the blob is there already. Snapshots are committed afterwards, in
// order, by the pull itself (pull.cpp), since each needs its parent committed.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/error.h"
#include "manager/content/store.h"
#include "manager/images/image_service.h"
#include "manager/images/inflight_blobs.h"
#include "manager/images/layer_applier.h"
#include "manager/images/oci.h"
#include "manager/registry/credentials.h"
#include "manager/registry/registry_hosts.h"

namespace keel::manager::images {

// Progress lines from many workers, one at a time, to a client that may go away: once the
// client's callback says stop, or a worker fails, every worker stops at its next chunk.
class PullReporter {
 public:
  explicit PullReporter(const PullProgressFn& fn) : fn_(fn) {}
  // False once the pull is to stop.
  bool report(const PullProgress& line);
  void stop() { stopped_ = true; }
  [[nodiscard]] bool stopped() const { return stopped_; }

 private:
  const PullProgressFn& fn_;
  std::mutex mu_;
  std::atomic<bool> stopped_{false};
};

// What the workers of one pull share.
struct PullContext {
  content::Store& content;
  LayerApplier& layers;
  InflightBlobs& inflight;
  // The client that fetched the manifest: each download works on a sibling of it.
  const registry::RegistryClient& client;
  std::string repository;
  PullReporter& reporter;
};

// Makes sure `blob` is in the content store, downloading it (or waiting for the pull already
// downloading it) when it is not. With `unpack`, also returns the layer unpacked into a staged
// snapshot, from the same pass over the bytes when this call downloads them. The blob is
// committed only once its digest and size match; on a mismatch the ingest is removed and nothing
// is staged. On a broken download the ingest is kept for the next pull to resume.
[[nodiscard]] Result<std::unique_ptr<StagedLayer>> fetch_blob(PullContext& pull,
                                                              const Descriptor& blob, bool unpack);

}  // namespace keel::manager::images
