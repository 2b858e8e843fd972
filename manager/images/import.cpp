// docker import: a rootfs tar becomes a one-layer image in a single pass over its bytes.
#include <sys/utsname.h>

#include <array>
#include <chrono>
#include <cstring>
#include <mutex>
#include <optional>
#include <shared_mutex>

#include "manager/images/changes.h"
#include "manager/images/decompress.h"
#include "manager/images/image_service.h"
#include "manager/images/media_types.h"

namespace keel::manager::images {
namespace {

// GOARCH names, as image configs use them.
std::string host_architecture() {
#if defined(__x86_64__)
  return "amd64";
#elif defined(__aarch64__)
  return "arm64";
#elif defined(__arm__)
  return "arm";
#elif defined(__s390x__)
  return "s390x";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return "ppc64le";
#elif defined(__riscv) && __riscv_xlen == 64
  return "riscv64";
#else
  struct utsname u {};
  ::uname(&u);
  return u.machine;
#endif
}

std::string_view layer_media_type(Compression c) {
  switch (c) {
    case Compression::kGzip:
      return media_type::kOciLayerGzip;
    case Compression::kZstd:
      return media_type::kOciLayerZstd;
    case Compression::kNone:
      break;
  }
  return media_type::kOciLayer;
}

}  // namespace

Result<Image> ImageService::import_rootfs(const ReadFn& tar, const ImportOptions& options) {
  // Everything that can be refused without reading the tar is refused first.
  std::vector<std::string> names;
  if (!options.ref.empty()) {
    auto ref = parse_reference(options.ref);
    if (!ref)
      return std::move(ref).error();
    if (ref->digest)
      return Error::of(Errc::kInvalidArgument, "import: the name cannot contain a digest");
    names.push_back(ref->str());
  }
  ImageConfig config;
  Manifest manifest;
  std::optional<content::Digest> parent_chain;
  std::int64_t base_size = 0;
  std::shared_lock lease(lease_);
  if (!options.base.empty()) {
    // The base's config and layers carry over; its top layer is the new layer's parent.
    auto base = get(options.base);
    if (!base)
      return std::move(base).error().context("commit");
    config = base->config;
    manifest.layers = base->layers;
    base_size = base->size;
    if (!config.diff_ids.empty())
      parent_chain = chain_ids(config.diff_ids).back();
  }
  for (const auto& change : options.changes)
    KEEL_TRY(apply_change(change, config.config));

  auto writer = content_.writer();
  if (!writer)
    return std::move(writer).error();
  std::array<std::byte, 4> head{};
  size_t head_len = 0;
  // The tee: every byte the unpacker reads also goes to the layer blob.
  ReadFn tee = [&](std::span<std::byte> buf) -> Result<std::size_t> {
    auto n = tar(buf);
    if (!n || *n == 0)
      return n;
    const size_t take = std::min(head.size() - head_len, *n);
    std::memcpy(head.data() + head_len, buf.data(), take);
    head_len += take;
    KEEL_TRY(writer->write(buf.first(*n)));
    return n;
  };
  auto applied = layers_.apply(parent_chain, tee, std::nullopt);
  if (!applied)
    return std::move(applied).error().context("import");
  // Whatever the unpacker left unread past the tar's end still belongs to the blob.
  std::vector<std::byte> rest(1 << 16);
  for (;;) {
    auto n = tee(rest);
    if (!n)
      return std::move(n).error().context("import");
    if (*n == 0)
      break;
  }
  auto blob = writer->commit(
      std::nullopt, std::nullopt,
      {{std::string(kUncompressedLabel), applied->diff_id.str()},
       {std::string(kUncompressedSizeLabel), std::to_string(applied->uncompressed_size)}});
  if (!blob)
    return std::move(blob).error().context("import");

  const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  config.created = format_rfc3339(now);
  if (config.architecture.empty())
    config.architecture = host_architecture();
  if (config.os.empty())
    config.os = "linux";
  if (!options.author.empty())
    config.author = options.author;
  config.diff_ids.push_back(applied->diff_id);
  std::string comment = options.message;
  if (comment.empty() && options.base.empty())
    comment = "Imported from tarball";
  config.history.push_back(
      HistoryItem{config.created, options.created_by.empty() ? "keel import" : options.created_by,
                  options.author, comment, false});
  const std::string config_json = to_json(config);
  auto config_info = content_.write_blob(config_json);
  if (!config_info)
    return std::move(config_info).error().context("import: write config");

  manifest.media_type = std::string(media_type::kOciManifest);
  manifest.config = {std::string(media_type::kOciConfig),
                     config_info->digest,
                     static_cast<std::int64_t>(config_json.size()),
                     {},
                     std::nullopt};
  manifest.layers.push_back(
      {std::string(layer_media_type(detect_compression(std::span(head).first(head_len)))),
       blob->digest,
       static_cast<std::int64_t>(blob->size),
       {},
       std::nullopt});
  const std::string manifest_json = to_json(manifest);
  auto manifest_info = content_.write_blob(manifest_json);
  if (!manifest_info)
    return std::move(manifest_info).error().context("import: write manifest");

  const Descriptor target{std::string(media_type::kOciManifest),
                          manifest_info->digest,
                          static_cast<std::int64_t>(manifest_json.size()),
                          {},
                          std::nullopt};
  KEEL_TRY(name_image(target, config_info->digest,
                      base_size + static_cast<std::int64_t>(applied->uncompressed_size), names));
  return image_by_manifest(target.digest);
}

}  // namespace keel::manager::images
