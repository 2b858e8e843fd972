// The image half of keeld without gRPC: import, load, save, list, inspect, tag, rmi, history and
// garbage collection over the content store, the images table and a LayerApplier (snapshots).
//
// Consistency: blobs are committed (fsynced, renamed) and layers unpacked before the one
// transaction that names the image, so a crash leaves at worst unreferenced blobs and snapshots,
// which GC removes; an image is never visible with a missing layer. Work in flight holds the
// service's lease lock shared; GC takes it exclusively, so it never sweeps a half-loaded image.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "manager/content/store.h"
#include "manager/images/image_store.h"
#include "manager/images/inflight_blobs.h"
#include "manager/images/layer_applier.h"
#include "manager/images/oci.h"
#include "manager/images/reference.h"
#include "manager/registry/credentials.h"
#include "manager/registry/platform.h"
#include "manager/registry/registry_client.h"
#include "manager/registry/registry_hosts.h"
#include "manager/store/database.h"

struct archive;

namespace keel::manager::images {

// One image as docker shows it: every name pointing at the same manifest, grouped.
struct Image {
  content::Digest id;                  // the config digest (docker's image id)
  std::vector<std::string> repo_tags;  // full references, sorted
  // "docker.io/library/busybox@sha256:<index or manifest>": what each name resolved to at its
  // registry
  std::vector<std::string> repo_digests;
  Descriptor target;            // the manifest
  std::int64_t size = 0;        // sum of the layers' uncompressed sizes
  std::int64_t created_ns = 0;  // the config's "created", Unix ns (0 if absent)
  std::int64_t updated_ns = 0;  // the newest name change
  std::string config_json;      // the config blob as stored
  ImageConfig config;
  std::vector<Descriptor> layers;  // from the manifest, base first
  std::map<std::string, std::string> labels;
};

struct ImportOptions {
  std::string ref;                   // optional name; empty leaves the image dangling
  std::vector<std::string> changes;  // docker import -c lines
  std::string message;               // the history entry's comment
  // docker commit: the tar is a layer on this image (ref or id), whose config, layers and
  // history the new image keeps; empty for an import.
  std::string base;
  std::string author;
  std::string created_by;  // the history entry's created_by; empty: "keel import"
};

// Where registries are reached and with which credentials: keeld's configuration, the same for
// every frontend (keelctl, the CRI's PullImage, the Docker API).
struct RegistrySettings {
  registry::RegistryHostsConfig hosts;  // insecure registries, certs.d
  std::string credentials_path;         // docker's config.json; empty: anonymous
  // docker.io is tried at each of these base URLs first, in order, then at docker.io itself.
  std::vector<std::string> mirrors;
  int max_concurrent_downloads = 3;  // layers downloading at once in one pull
  int max_concurrent_uploads = 5;    // layers uploading at once in one push
  // A transfer that moves no byte for this long fails (then is retried, resuming).
  std::chrono::seconds stall_timeout{60};
  registry::UploadChunking upload_chunking{};  // one PUT up to 16 MiB, else 8 MiB PATCHes
};

// docker pull: what to pull.
// A pull's outcome: the image, and what the reference resolved to at the registry (an index's
// digest for a multi-platform image, else the manifest's).
struct PulledImage {
  Image image;
  content::Digest digest;
};

struct PullOptions {
  std::string ref;              // "busybox", "localhost:5000/a:v1", "a@sha256:..."
  registry::Platform platform;  // picked from an index: this host's unless asked otherwise
};

// One line of docker's pull progress: a layer's short id (or the reference) and what happens.
struct PullProgress {
  std::string id;
  std::string status;  // "Pulling fs layer", "Downloading", "Download complete", "Pull complete",
                       // "Already exists"
  std::uint64_t current = 0;
  std::uint64_t total = 0;
};
// False cancels the pull (the client went away): it stops at the next chunk.
using PullProgressFn = std::function<bool(const PullProgress&)>;

// docker push: which local image, under which name, goes to the registry the name is on.
struct PushOptions {
  std::string ref;  // "localhost:5000/a:v1"; a missing tag is "latest", as docker's
};

// docker push's lines have pull's shape: a layer's short id and "Preparing", "Waiting",
// "Pushing" (current/total), "Pushed", "Layer already exists", "Mounted from <repository>".
using PushProgress = PullProgress;
using PushProgressFn = PullProgressFn;

// docker push's last line: "<tag>: digest: <digest> size: <size>".
struct PushResult {
  std::string tag;  // the tag pushed, or the manifest digest for a reference by digest
  content::Digest digest;
  std::uint64_t size = 0;  // of the manifest
};

struct LoadResult {
  std::vector<std::string> loaded;  // "Loaded image: busybox:latest" / "Loaded image ID: sha256:…"
  std::vector<Image> images;
};

struct RemoveOptions {
  bool force = false;     // remove an image in use, or all names of an image given by id
  bool no_prune = false;  // skip the garbage collection after removal
};

struct RemoveResult {
  std::vector<std::string> untagged;  // full names
  std::vector<std::string> deleted;   // image ids ("sha256:…")
  std::int64_t space_reclaimed = 0;
};

struct HistoryEntry {
  std::string id;  // the layer's diff_id for a layer entry, empty for an empty layer
  std::int64_t created_ns = 0;
  std::string created_by;
  std::string comment;
  std::int64_t size = 0;
  bool empty_layer = false;
};

// What outside the images table keeps content and snapshots alive: containers' snapshots and
// images, leases of work in flight elsewhere (a registry pull writing blobs).
struct GcRoots {
  std::set<content::Digest> content;
  std::set<content::Digest> snapshots;  // chain IDs
};

struct GcResult {
  std::vector<content::Digest> removed_blobs;
  std::vector<content::Digest> removed_snapshots;
  std::int64_t space_reclaimed = 0;  // bytes of removed blobs
};

class PullReporter;

class ImageService {
 public:
  // Whether a container uses the image (by id); rmi refuses such an image unless forced.
  using InUseFn = std::function<bool(const content::Digest& image_id)>;
  using GcRootsFn = std::function<Result<GcRoots>()>;

  // content, db and layers must outlive the service.
  [[nodiscard]] static Result<std::unique_ptr<ImageService>> open(store::Database& db,
                                                                  content::Store& content,
                                                                  LayerApplier& layers);
  void set_in_use(InUseFn fn) { in_use_ = std::move(fn); }
  void set_gc_roots(GcRootsFn fn) { gc_roots_ = std::move(fn); }
  void set_registry(RegistrySettings settings) { registry_ = std::move(settings); }

  // docker import: the tar (plain, gzip or zstd) becomes a one-layer image, read once: stored,
  // unpacked and hashed in one pass. With options.base, the layer goes on top of that image
  // (docker commit).
  [[nodiscard]] Result<Image> import_rootfs(const ReadFn& tar, const ImportOptions& options);
  // docker load: a docker-archive (docker save, including docker 25's OCI-layout flavour) or an
  // OCI-archive, itself plain or compressed, from a pipe or file.
  [[nodiscard]] Result<LoadResult> load(int archive_fd);
  // docker pull: the manifest (for this platform, from an index) and its config and layers
  // from the registry (docker.io: its mirrors first) into the content store, each verified
  // against its digest before it is committed; the layers downloaded side by side (at most
  // max-concurrent-downloads) and unpacked into snapshots as their bytes arrive, committed in
  // order; then the name, in one transaction. Blobs already stored are not downloaded again,
  // those a failed pull verified are kept, a download cut short is resumed by the next try, and
  // concurrent pulls of one blob share its download.
  [[nodiscard]] Result<PulledImage> pull(const PullOptions& options,
                                         const PullProgressFn& progress);
  // docker push: the image's config and layers (those the repository lacks: HEAD first; a
  // mount from another repository of the same registry the image is named in; else an upload,
  // up to max_concurrent_uploads at a time), then its manifest, bytes unchanged, so every digest
  // on the registry is the local one.
  [[nodiscard]] Result<PushResult> push(const PushOptions& options, const PushProgressFn& progress);
  // docker save: a docker-archive tar (manifest.json with Config, RepoTags and Layers, plus
  // repositories; plain layer tars) of the named images, written to out_fd.
  [[nodiscard]] Result<void> save(std::span<const std::string> refs, int out_fd);

  // Tagged images, and dangling ones too when all is set.
  [[nodiscard]] Result<std::vector<Image>> list(bool all);
  // By reference ("busybox"), id ("sha256:…" or hex), unique id prefix, or name@digest.
  // kNotFound when nothing matches; kInvalidArgument when a prefix matches several images.
  [[nodiscard]] Result<Image> get(std::string_view ref);
  [[nodiscard]] Result<Image> tag(std::string_view source, std::string_view target);
  [[nodiscard]] Result<RemoveResult> remove(std::span<const std::string> refs,
                                            const RemoveOptions& options);
  [[nodiscard]] Result<std::vector<HistoryEntry>> history(std::string_view ref);
  // Marks every image's manifest, config and layers (blobs and chain IDs) plus GcRoots, and
  // removes the rest of the content store and of the layer snapshots.
  [[nodiscard]] Result<GcResult> collect_garbage();

  ImageService(const ImageService&) = delete;
  ImageService& operator=(const ImageService&) = delete;
  ImageService(ImageService&&) = delete;
  ImageService& operator=(ImageService&&) = delete;
  ~ImageService() = default;

 private:
  ImageService(store::Database& db, content::Store& content, LayerApplier& layers,
               ImageStore images)
      : db_(db), content_(content), layers_(layers), images_(std::move(images)) {}

  struct Resolved;
  [[nodiscard]] Result<Resolved> resolve(std::string_view ref);
  [[nodiscard]] Result<Image> describe(const std::vector<ImageRecord>& records);
  [[nodiscard]] Result<Image> image_by_manifest(const content::Digest& manifest);
  // Where a reference's domain is pulled from: docker.io's mirrors first, then the registry.
  [[nodiscard]] std::vector<registry::RegistryEndpoint> endpoints_for(
      std::string_view domain) const;
  // One pull attempt against one endpoint.
  [[nodiscard]] Result<PulledImage> pull_from(const registry::RegistryEndpoint& endpoint,
                                              std::optional<registry::Credential> credential,
                                              const Reference& ref, const PullOptions& options,
                                              PullReporter& reporter);
  // load() under the shared lease; load() collects what a failure leaves behind.
  [[nodiscard]] Result<LoadResult> load_leased(int archive_fd);
  // Unpacks the manifest's layers not yet present, in order, from the content store.
  [[nodiscard]] Result<std::int64_t> unpack_layers(const Manifest& manifest,
                                                   const ImageConfig& config);
  // Names `target` (full references, or none: dangling) in one transaction; a name moved off
  // another image leaves that image dangling if it has no name left, as docker does. `index` is
  // the index the names resolved to at their registry, if any.
  [[nodiscard]] Result<void> name_image(const Descriptor& manifest, const content::Digest& config,
                                        std::int64_t size, const std::vector<std::string>& names,
                                        const std::optional<content::Digest>& index = std::nullopt);
  [[nodiscard]] Result<GcResult> collect_garbage_locked();
  [[nodiscard]] Result<std::int64_t> layer_uncompressed_size(const Descriptor& layer);
  [[nodiscard]] Result<void> write_layer_tar(::archive* out, const Descriptor& layer,
                                             const content::Digest& diff_id,
                                             const std::string& name);

  store::Database& db_;
  content::Store& content_;
  LayerApplier& layers_;
  ImageStore images_;
  InUseFn in_use_;
  GcRootsFn gc_roots_;
  RegistrySettings registry_;
  InflightBlobs inflight_;  // blobs being downloaded, shared by concurrent pulls
  // Shared: imports and loads in flight; exclusive: GC's mark and sweep.
  std::shared_mutex lease_;
};

// Content labels recording a layer blob's uncompressed form, so save and list need no decompress.
inline constexpr std::string_view kUncompressedLabel = "keel.io/uncompressed";
inline constexpr std::string_view kUncompressedSizeLabel = "keel.io/uncompressed-size";

}  // namespace keel::manager::images
