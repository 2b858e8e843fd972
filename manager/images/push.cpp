// ImageService::push: a local image's blobs and manifest to the registry its name is on.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "common/unique_fd.h"
#include "manager/images/image_service.h"
#include "manager/images/media_types.h"
#include "manager/registry/credentials.h"
#include "manager/registry/registry_client.h"

namespace keel::manager::images {
namespace {

Error cancelled() {
  return Error::of(Errc::kUnavailable, "push cancelled");
}

// docker's daemon does not upload foreign (Windows base) or non-distributable layers: their
// manifests point at where they are published instead.
bool is_foreign(std::string_view layer_type) {
  return layer_type == media_type::kDockerForeignLayerGzip ||
         layer_type == media_type::kOciLayerNondistributable ||
         layer_type == media_type::kOciLayerNondistributableGzip ||
         layer_type == media_type::kOciLayerNondistributableZstd;
}

// A repository of the same registry that the image is also named in: the layers it holds can
// be mounted instead of sent again (docker picks its candidates the same way, from the names
// and repo digests it knows the image by). Empty when there is none.
std::string mount_source(const Image& image, const Reference& target) {
  for (const auto& names : {image.repo_tags, image.repo_digests}) {
    for (const auto& name : names) {
      auto ref = parse_reference(name);
      if (ref && ref->domain == target.domain && ref->path != target.path)
        return ref->path;
    }
  }
  return "";
}

// A committed blob as an upload's source: read at each offset as curl asks for it.
registry::BlobSource stored_blob(std::shared_ptr<UniqueFd> fd, const Descriptor& blob) {
  registry::BlobSource source;
  source.digest = blob.digest;
  source.size = static_cast<std::uint64_t>(blob.size);
  source.read = [fd = std::move(fd)](std::uint64_t offset,
                                     std::span<char> buffer) -> Result<std::size_t> {
    for (;;) {
      const ssize_t n =
          ::pread(fd->get(), buffer.data(), buffer.size(), static_cast<off_t>(offset));
      if (n >= 0)
        return static_cast<std::size_t>(n);
      if (errno != EINTR)
        return Error::sys("read blob");
    }
  };
  return source;
}

// One blob to send, and whether it has a progress line (docker shows none for the config).
struct Job {
  Descriptor blob;
  bool shown = true;
};

// The work shared by the upload threads: the queue, the first error, and the progress callback,
// which must see one line at a time (it writes to one gRPC stream).
class PushRun {
 public:
  PushRun(std::vector<Job> jobs, const PushProgressFn& progress)
      : jobs_(std::move(jobs)), progress_(progress) {}

  // False once the push is to stop (the client went away, or a blob failed).
  bool report(const Job& job, std::string status, std::uint64_t current = 0,
              std::uint64_t total = 0) {
    if (!job.shown)
      return !stopped_;
    std::lock_guard lock(mutex_);
    if (stopped_)
      return false;
    if (progress_ && !progress_({job.blob.digest.short_id(), std::move(status), current, total}))
      stopped_ = true;
    return !stopped_;
  }
  // The next blob to send, or nullptr when none is left or the push stops.
  const Job* next() {
    std::lock_guard lock(mutex_);
    if (stopped_ || next_ == jobs_.size())
      return nullptr;
    return &jobs_[next_++];
  }
  void fail(Error error) {
    std::lock_guard lock(mutex_);
    if (!error_)
      error_ = std::move(error);
    stopped_ = true;
  }
  // The first error; cancelled when the client stopped the push.
  [[nodiscard]] std::optional<Error> outcome() {
    std::lock_guard lock(mutex_);
    if (error_)
      return error_;
    if (stopped_)
      return cancelled();
    return std::nullopt;
  }
  [[nodiscard]] const std::vector<Job>& jobs() const { return jobs_; }

 private:
  std::mutex mutex_;
  std::vector<Job> jobs_;
  std::size_t next_ = 0;
  std::optional<Error> error_;
  std::atomic<bool> stopped_ = false;
  const PushProgressFn& progress_;
};

// HEAD, then a mount, then an upload: the first that leaves the registry with the blob.
Result<void> push_blob(registry::RegistryClient& client, content::Store& content,
                       const registry::UploadChunking& chunking, const Reference& target,
                       const std::string& mount_from, const Job& job, PushRun& run) {
  const Descriptor& blob = job.blob;
  auto exists = client.blob_exists_for_push(target.path, blob.digest);
  if (!exists)
    return std::move(exists).error();
  if (*exists)
    return run.report(job, "Layer already exists") ? Result<void>() : cancelled();
  auto session = client.start_upload(target.path, blob.digest, mount_from);
  if (!session)
    return std::move(session).error();
  if (!*session)
    return run.report(job, "Mounted from " + mount_from) ? Result<void>() : cancelled();
  auto fd = content.open_blob(blob.digest);
  if (!fd)
    return std::move(fd).error();
  const auto total = static_cast<std::uint64_t>(blob.size);
  if (!run.report(job, "Pushing", 0, total))
    return cancelled();
  KEEL_TRY(client.upload_blob(
      target.path, std::move(**session),
      stored_blob(std::make_shared<UniqueFd>(std::move(fd).value()), blob), chunking,
      [&](std::uint64_t sent) { return run.report(job, "Pushing", sent, total); }));
  return run.report(job, "Pushed") ? Result<void>() : cancelled();
}

}  // namespace

Result<PushResult> ImageService::push(const PushOptions& options, const PushProgressFn& progress) {
  auto target = parse_reference(options.ref);
  if (!target)
    return target.error();
  auto image = get(target->str());
  if (!image) {
    if (image.error().kind() != Errc::kNotFound)
      return std::move(image).error();
    return Error::of(Errc::kNotFound,
                     "An image does not exist locally with the tag: " + target->str());
  }
  std::shared_lock lease(lease_);  // GC keeps every blob of the image until the push ends
  auto manifest_bytes = content_.read_blob(image->target.digest);
  if (!manifest_bytes)
    return std::move(manifest_bytes).error().context("push " + target->str());
  auto manifest = parse_manifest(*manifest_bytes);
  if (!manifest)
    return std::move(manifest).error().context("push " + target->str());
  std::string manifest_type = image->target.media_type;
  if (manifest_type.empty())
    manifest_type =
        manifest->media_type.empty() ? std::string(media_type::kOciManifest) : manifest->media_type;

  // The config first (no line of its own, as docker), then each distinct layer.
  std::vector<Job> jobs{{manifest->config, false}};
  for (const auto& layer : manifest->layers) {
    if (is_foreign(layer.media_type)) {
      if (progress)
        progress({layer.digest.short_id(), "Skipped foreign layer", 0, 0});
      continue;
    }
    const bool seen = std::any_of(jobs.begin(), jobs.end(),
                                  [&](const Job& j) { return j.blob.digest == layer.digest; });
    if (!seen)
      jobs.push_back({layer, true});
  }
  for (const auto& job : jobs) {
    if (!content_.exists(job.blob.digest))
      return Error::of(Errc::kNotFound, "push " + target->str() + ": blob " +
                                            job.blob.digest.str() + " is not in the store");
  }

  std::optional<registry::Credential> credential;
  if (!registry_.credentials_path.empty()) {
    auto creds = registry::CredentialStore::load(registry_.credentials_path);
    if (!creds)
      return creds.error();
    credential = creds->find(target->domain);
  }
  const registry::RegistryEndpoint endpoint =
      registry::resolve_endpoint(target->domain, registry_.hosts);
  const std::string mount_from = mount_source(*image, *target);
  const std::size_t workers = std::min<std::size_t>(
      static_cast<std::size_t>(std::max(registry_.max_concurrent_uploads, 1)), jobs.size());

  PushRun run(std::move(jobs), progress);
  std::size_t shown = 0;
  for (const auto& job : run.jobs()) {
    if (!run.report(job, "Preparing"))
      return cancelled();
  }
  for (const auto& job : run.jobs()) {
    // Those beyond the first `workers` wait for a free upload slot.
    if (job.shown && shown++ >= workers && !run.report(job, "Waiting"))
      return cancelled();
  }
  {
    std::vector<std::jthread> threads;
    for (std::size_t i = 0; i < workers; ++i) {
      threads.emplace_back([&] {
        // One client each: a RegistryClient is one connection and its token cache.
        registry::RegistryClient client(endpoint, credential);
        while (const Job* job = run.next()) {
          auto pushed = push_blob(client, content_, registry_.upload_chunking, *target, mount_from,
                                  *job, run);
          if (!pushed)
            run.fail(std::move(pushed).error().context(job->blob.digest.str()));
        }
      });
    }
  }
  if (auto error = run.outcome())
    return std::move(*error).context("push " + target->str());

  registry::RegistryClient client(endpoint, credential);
  const std::string reference = target->tag.empty() ? image->target.digest.str() : target->tag;
  auto digest = client.put_manifest(target->path, reference, manifest_type, *manifest_bytes);
  if (!digest)
    return std::move(digest).error().context("push " + target->str());
  return PushResult{reference, *digest, manifest_bytes->size()};
}

}  // namespace keel::manager::images
