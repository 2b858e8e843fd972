// ImageService::pull: a registry image into the content store and the snapshots. The manifest
// and config come first (small, verified, stored); then up to max-concurrent-downloads layer
// workers fetch and unpack layers side by side (layer_fetch.cpp), and the staged snapshots are
// committed in order, each on its parent, before the image is named. For docker.io, the
// configured mirrors are tried first, then docker.io itself.
#include <condition_variable>
#include <thread>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "manager/images/image_service.h"
#include "manager/images/layer_fetch.h"
#include "manager/images/media_types.h"
#include "manager/registry/credentials.h"
#include "manager/registry/registry_client.h"

namespace keel::manager::images {
namespace {

// A small blob (a manifest) that must hash to `digest`, stored unless present.
Result<void> store_verified(content::Store& content, std::string_view bytes,
                            const content::Digest& digest) {
  if (content.exists(digest))
    return {};
  auto stored = content.write_blob(bytes, digest);
  if (!stored)
    return std::move(stored).error();
  return {};
}

// "http://127.0.0.1:5001" → "127.0.0.1:5001", the name certs.d and credentials know it by.
std::string host_of_url(std::string_view url) {
  if (const auto scheme = url.find("://"); scheme != std::string_view::npos)
    url.remove_prefix(scheme + 3);
  return std::string(url.substr(0, url.find('/')));
}

// A counting semaphore over a mutex: std::counting_semaphore needs its bound at compile time.
class Slots {
 public:
  explicit Slots(int n) : free_(n) {}
  void acquire() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return free_ > 0; });
    --free_;
  }
  void release() {
    {
      const std::lock_guard lock(mu_);
      ++free_;
    }
    cv_.notify_one();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int free_;
};

// The manifest to pull: `top` itself, or from an index the entry for `platform` (this host's when
// empty), fetched. Each is stored once its digest is verified.
Result<registry::FetchedManifest> platform_manifest(registry::RegistryClient& client,
                                                    content::Store& content,
                                                    const registry::FetchedManifest& top,
                                                    const Reference& ref,
                                                    const registry::Platform& platform) {
  KEEL_TRY(store_verified(content, top.bytes, top.digest));
  if (media_type::is_manifest(top.media_type))
    return top;
  if (!media_type::is_index(top.media_type))
    return Error::of(
        Errc::kInvalidArgument,
        "pull " + ref.str() + ": unsupported manifest type \"" + top.media_type + "\"");
  const auto index = nlohmann::json::parse(top.bytes, nullptr, false);
  if (index.is_discarded())
    return Error::of(Errc::kInvalidArgument, "pull " + ref.str() + ": index is not JSON");
  auto entry = registry::select_platform(index, platform);
  if (!entry)
    return std::move(entry).error().context("pull " + ref.str());
  auto chosen = client.get_manifest(ref.path, entry->value("digest", ""));
  if (!chosen)
    return std::move(chosen).error().context("pull " + ref.str());
  KEEL_TRY(store_verified(content, chosen->bytes, chosen->digest));
  return chosen;
}

Descriptor descriptor_of(const registry::FetchedManifest& manifest) {
  Descriptor d;
  d.media_type = manifest.media_type;
  d.digest = manifest.digest;
  d.size = static_cast<std::int64_t>(manifest.bytes.size());
  return d;
}

// A manifest whose layers the config does not describe one for one, or of a type keel cannot
// unpack, is refused before anything is downloaded.
Result<void> check_layers(const Manifest& manifest, const ImageConfig& config,
                          const Reference& ref) {
  if (manifest.layers.size() != config.diff_ids.size())
    return Error::of(Errc::kInvalidArgument,
                     "pull " + ref.str() + ": " + std::to_string(manifest.layers.size()) +
                         " layers but " + std::to_string(config.diff_ids.size()) +
                         " diff_ids in the config");
  for (const auto& layer : manifest.layers) {
    if (!media_type::is_layer(layer.media_type))
      return Error::of(Errc::kInvalidArgument,
                       "pull " + ref.str() + ": layer " + layer.digest.str() +
                           " has unsupported media type \"" + layer.media_type + "\"");
  }
  return {};
}

}  // namespace

std::vector<registry::RegistryEndpoint> ImageService::endpoints_for(std::string_view domain) const {
  std::vector<registry::RegistryEndpoint> out;
  if (domain == "docker.io") {
    for (const auto& mirror : registry_.mirrors) {
      registry::RegistryEndpoint e =
          registry::resolve_endpoint(host_of_url(mirror), registry_.hosts);
      e.domain = host_of_url(mirror);
      e.base_url = mirror;
      out.push_back(std::move(e));
    }
  }
  out.push_back(registry::resolve_endpoint(domain, registry_.hosts));
  return out;
}

Result<PulledImage> ImageService::pull(const PullOptions& options, const PullProgressFn& progress) {
  auto ref = parse_reference(options.ref);
  if (!ref)
    return ref.error();
  std::optional<registry::CredentialStore> creds;
  if (!registry_.credentials_path.empty()) {
    auto loaded = registry::CredentialStore::load(registry_.credentials_path);
    if (!loaded)
      return loaded.error();
    creds = std::move(*loaded);
  }
  const auto endpoints = endpoints_for(ref->domain);
  std::string tried;
  for (const auto& endpoint : endpoints) {
    std::optional<registry::Credential> credential;
    if (creds)
      credential = creds->find(endpoint.domain);
    PullReporter reporter(progress);
    auto image = pull_from(endpoint, std::move(credential), *ref, options, reporter);
    if (image || endpoints.size() == 1 || is_cancelled(image.error()))
      return image;
    // A mirror that fails is skipped; the error, if all fail, says what each one answered.
    spdlog::warn("pull {}: {}: {}", ref->str(), endpoint.base_url, image.error().message());
    tried += (tried.empty() ? "" : "; ") + endpoint.base_url + ": " + image.error().message();
  }
  return Error::of(Errc::kUnavailable, "pull " + ref->str() + ": every endpoint failed: " + tried);
}

Result<PulledImage> ImageService::pull_from(const registry::RegistryEndpoint& endpoint,
                                            std::optional<registry::Credential> credential,
                                            const Reference& ref, const PullOptions& options,
                                            PullReporter& reporter) {
  registry::RegistryClient client(endpoint, credential);
  client.set_stall_timeout(registry_.stall_timeout);
  const std::string wanted = ref.digest ? ref.digest->str() : ref.tag;
  auto top = client.get_manifest(ref.path, wanted);
  if (!top)
    return std::move(top).error().context("pull " + ref.str());

  std::shared_lock lease(lease_);
  auto resolved = platform_manifest(client, content_, *top, ref, options.platform);
  if (!resolved)
    return std::move(resolved).error();
  const registry::FetchedManifest chosen = std::move(*resolved);
  auto manifest = parse_manifest(chosen.bytes);
  if (!manifest)
    return std::move(manifest).error().context("pull " + ref.str());

  PullContext context{.content = content_,
                      .layers = layers_,
                      .inflight = inflight_,
                      .client = client,
                      .repository = ref.path,
                      .reporter = reporter};
  // The config: small, verified before it is stored, then read back whole.
  if (auto fetched = fetch_blob(context, manifest->config, false); !fetched)
    return std::move(fetched).error().context("pull " + ref.str() + ": config");
  auto config_bytes = content_.read_blob(manifest->config.digest);
  if (!config_bytes)
    return std::move(config_bytes).error().context("pull " + ref.str());
  auto config = parse_image_config(*config_bytes);
  if (!config)
    return std::move(config).error().context("pull " + ref.str());
  KEEL_TRY(check_layers(*manifest, *config, ref));
  const auto chains = chain_ids(config->diff_ids);

  // Layers side by side, at most max-concurrent-downloads at once; each result in its slot.
  const size_t n = manifest->layers.size();
  std::vector<Result<std::unique_ptr<StagedLayer>>> staged;
  staged.reserve(n);
  for (size_t i = 0; i < n; ++i)
    staged.emplace_back(std::unique_ptr<StagedLayer>());
  std::vector<bool> has_snapshot(n);
  std::vector<bool> fetched(n);
  {
    Slots slots(std::max(1, registry_.max_concurrent_downloads));
    std::vector<std::thread> workers;
    for (size_t i = 0; i < n; ++i) {
      const Descriptor& layer = manifest->layers[i];
      const std::string id = layer.digest.short_id();
      has_snapshot[i] = layers_.has(chains[i]);
      if (has_snapshot[i] && content_.exists(layer.digest)) {
        (void)reporter.report({id, "Already exists", 0, 0});
        continue;
      }
      (void)reporter.report({id, "Pulling fs layer", 0, static_cast<std::uint64_t>(layer.size)});
      fetched[i] = true;
      workers.emplace_back([&, i] {
        slots.acquire();
        if (!reporter.stopped())
          staged[i] = fetch_blob(context, manifest->layers[i], !has_snapshot[i]);
        else
          staged[i] = pull_cancelled();
        if (!staged[i])
          reporter.stop();  // the pull has failed: the others stop at their next chunk
        slots.release();
      });
    }
    for (auto& worker : workers)
      worker.join();
  }
  // The first real failure, not the cancellations it caused in the other workers.
  const Error* failure = nullptr;
  for (const auto& result : staged) {
    if (!result && (failure == nullptr || is_cancelled(*failure)))
      failure = &result.error();
  }
  if (failure != nullptr)
    return Error(*failure).context("pull " + ref.str());

  // In order: each snapshot's parent is committed by the time it is.
  std::int64_t size = 0;
  for (size_t i = 0; i < n; ++i) {
    const Descriptor& layer = manifest->layers[i];
    if (staged[i].value()) {
      const std::optional<content::Digest> parent =
          i == 0 ? std::nullopt : std::optional(chains[i - 1]);
      auto applied = layers_.commit(**staged[i], parent, config->diff_ids[i]);
      if (!applied)
        return std::move(applied).error().context("pull " + ref.str() + ": layer " +
                                                  layer.digest.str());
      KEEL_TRY(content_.set_labels(
          layer.digest,
          {{std::string(kUncompressedLabel), applied->diff_id.str()},
           {std::string(kUncompressedSizeLabel), std::to_string(applied->uncompressed_size)}}));
      staged[i].value().reset();
      (void)reporter.report({layer.digest.short_id(), "Pull complete", 0, 0});
    } else if (fetched[i]) {
      (void)reporter.report({layer.digest.short_id(), "Pull complete", 0, 0});  // blob only
    }
    auto layer_size = layer_uncompressed_size(layer);
    if (!layer_size)
      return std::move(layer_size).error().context("pull " + ref.str());
    size += *layer_size;
  }
  // A reference by digest names no tag: docker leaves such an image untagged, known by digest.
  std::vector<std::string> names;
  if (!ref.tag.empty())
    names.push_back(ref.str());
  // An index stays the names' repo digest, as the registry knows them.
  const auto index = top->digest != chosen.digest ? std::optional(top->digest) : std::nullopt;
  KEEL_TRY(name_image(descriptor_of(chosen), manifest->config.digest, size, names, index));
  lease.unlock();
  auto image = get(ref.tag.empty() ? manifest->config.digest.str() : ref.str());
  if (!image)
    return std::move(image).error();
  return PulledImage{std::move(*image), top->digest};
}

}  // namespace keel::manager::images
