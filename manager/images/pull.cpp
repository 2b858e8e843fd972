// ImageService::pull: a registry image into the content store and the snapshots.
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "manager/images/image_service.h"
#include "manager/images/media_types.h"
#include "manager/registry/credentials.h"
#include "manager/registry/registry_client.h"

namespace keel::manager::images {
namespace {

Error cancelled() {
  return Error::of(Errc::kUnavailable, "pull cancelled");
}

// Reports one line; false when the pull is to stop.
bool report(const PullProgressFn& progress, PullProgress line) {
  return !progress || progress(line);
}

// A small blob (a manifest or config) that must hash to `digest`, stored unless present.
Result<void> store_verified(content::Store& content, std::string_view bytes,
                            const content::Digest& digest) {
  if (content.exists(digest))
    return {};
  auto stored = content.write_blob(bytes, digest);
  if (!stored)
    return std::move(stored).error();
  return {};
}

// Streams one layer into the content store; the writer commits only once the digest and size
// match what the manifest says.
Result<void> download_layer(registry::RegistryClient& client, content::Store& content,
                            const std::string& repository, const Descriptor& layer,
                            const PullProgressFn& progress) {
  auto writer = content.writer();
  if (!writer)
    return std::move(writer).error();
  const std::string id = layer.digest.short_id();
  const auto total = static_cast<std::uint64_t>(layer.size);
  std::uint64_t last_reported = 0;
  auto fetched = client.fetch_blob(
      repository, layer.digest, 0,
      [&](std::string_view chunk) -> Result<void> {
        KEEL_TRY(writer->write(chunk));
        // Every 512 KiB at most: progress is for people, not for every packet.
        if (writer->size() - last_reported >= (512U << 10)) {
          last_reported = writer->size();
          if (!report(progress, {id, "Downloading", writer->size(), total}))
            return cancelled();
        }
        return {};
      },
      [] {
        return Result<void>(
            Error::of(Errc::kInternal, "registry restarted a download that began at 0"));
      });
  if (!fetched) {
    writer->abort();
    return std::move(fetched).error().context("download layer " + layer.digest.str());
  }
  if (!report(progress, {id, "Verifying Checksum", writer->size(), total})) {
    writer->abort();
    return cancelled();
  }
  auto committed = writer->commit(layer.digest, total);
  if (!committed)
    return std::move(committed).error().context("layer " + layer.digest.str());
  (void)report(progress, {id, "Download complete", total, total});  // stored: nothing to undo
  return {};
}

}  // namespace

Result<Image> ImageService::pull(const PullOptions& options, const PullProgressFn& progress) {
  auto ref = parse_reference(options.ref);
  if (!ref)
    return ref.error();
  std::optional<registry::Credential> credential;
  if (!registry_.credentials_path.empty()) {
    auto creds = registry::CredentialStore::load(registry_.credentials_path);
    if (!creds)
      return creds.error();
    credential = creds->find(ref->domain);
  }
  registry::RegistryClient client(registry::resolve_endpoint(ref->domain, registry_.hosts),
                                  std::move(credential));
  const std::string wanted = ref->digest ? ref->digest->str() : ref->tag;
  auto top = client.get_manifest(ref->path, wanted);
  if (!top)
    return std::move(top).error().context("pull " + ref->str());

  std::shared_lock lease(lease_);
  KEEL_TRY(store_verified(content_, top->bytes, top->digest));
  registry::FetchedManifest chosen = *top;
  if (media_type::is_index(top->media_type)) {
    const auto index = nlohmann::json::parse(top->bytes, nullptr, false);
    if (index.is_discarded())
      return Error::of(Errc::kInvalidArgument, "pull " + ref->str() + ": index is not JSON");
    auto entry = registry::select_platform(index, options.platform);
    if (!entry)
      return std::move(entry).error().context("pull " + ref->str());
    auto platform_manifest = client.get_manifest(ref->path, entry->value("digest", ""));
    if (!platform_manifest)
      return std::move(platform_manifest).error().context("pull " + ref->str());
    chosen = std::move(*platform_manifest);
    KEEL_TRY(store_verified(content_, chosen.bytes, chosen.digest));
  } else if (!media_type::is_manifest(top->media_type)) {
    return Error::of(
        Errc::kInvalidArgument,
        "pull " + ref->str() + ": unsupported manifest type \"" + top->media_type + "\"");
  }
  auto manifest = parse_manifest(chosen.bytes);
  if (!manifest)
    return std::move(manifest).error().context("pull " + ref->str());

  // The config: small, read whole, verified before it is stored.
  std::string config_bytes;
  if (auto stored = content_.read_blob(manifest->config.digest); stored) {
    config_bytes = std::move(*stored);
  } else {
    auto fetched = client.fetch_blob(
        ref->path, manifest->config.digest, 0,
        [&](std::string_view chunk) -> Result<void> {
          config_bytes.append(chunk);
          return {};
        },
        [] { return Result<void>(); });
    if (!fetched)
      return std::move(fetched).error().context("pull " + ref->str() + ": config");
    KEEL_TRY(store_verified(content_, config_bytes, manifest->config.digest));
  }
  auto config = parse_image_config(config_bytes);
  if (!config)
    return std::move(config).error().context("pull " + ref->str());

  for (const auto& layer : manifest->layers) {
    if (content_.exists(layer.digest)) {
      if (!report(progress, {layer.digest.short_id(), "Already exists", 0, 0}))
        return cancelled();
      continue;
    }
    if (progress)
      progress(
          {layer.digest.short_id(), "Pulling fs layer", 0, static_cast<std::uint64_t>(layer.size)});
    KEEL_TRY(download_layer(client, content_, ref->path, layer, progress));
  }
  auto size = unpack_layers(*manifest, *config);
  if (!size)
    return std::move(size).error().context("pull " + ref->str());
  for (const auto& layer : manifest->layers)
    (void)report(progress, {layer.digest.short_id(), "Pull complete", 0, 0});  // nothing to stop
  Descriptor target;
  target.media_type = chosen.media_type;
  target.digest = chosen.digest;
  target.size = static_cast<std::int64_t>(chosen.bytes.size());
  // A reference by digest names no tag: docker leaves such an image untagged, known by digest.
  std::vector<std::string> names;
  if (!ref->tag.empty())
    names.push_back(ref->str());
  KEEL_TRY(name_image(target, manifest->config.digest, *size, names));
  lease.unlock();
  if (!ref->tag.empty())
    return get(ref->str());
  return get(manifest->config.digest.str());
}

}  // namespace keel::manager::images
