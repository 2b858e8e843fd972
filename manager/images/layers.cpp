// Unpacking an image's layers from the content store, and layer sizes for list, history, save.
#include <unistd.h>

#include <array>

#include "manager/images/decompress.h"
#include "manager/images/image_service.h"
#include "manager/images/media_types.h"

namespace keel::manager::images {

Result<std::int64_t> ImageService::unpack_layers(const Manifest& manifest,
                                                 const ImageConfig& config) {
  if (manifest.layers.size() != config.diff_ids.size())
    return Error::of(Errc::kInvalidArgument,
                     "image has " + std::to_string(manifest.layers.size()) + " layers but " +
                         std::to_string(config.diff_ids.size()) + " diff_ids in its config");
  const auto chains = chain_ids(config.diff_ids);
  std::int64_t total = 0;
  for (size_t i = 0; i < manifest.layers.size(); ++i) {
    const Descriptor& layer = manifest.layers[i];
    if (!media_type::is_layer(layer.media_type))
      return Error::of(Errc::kInvalidArgument, "layer " + layer.digest.str() +
                                                   " has unsupported media type \"" +
                                                   layer.media_type + "\"");
    const std::optional<content::Digest> parent =
        i == 0 ? std::nullopt : std::optional(chains[i - 1]);
    if (!layers_.has(chains[i])) {
      auto fd = content_.open_blob(layer.digest);
      if (!fd)
        return std::move(fd).error().context("unpack layer " + std::to_string(i + 1));
      auto applied = layers_.apply(parent, fd_reader(fd->get()), config.diff_ids[i]);
      if (!applied)
        return std::move(applied).error().context("unpack layer " + layer.digest.str());
      if (applied->blob_digest != layer.digest) {
        // The blob was verified when stored; a difference now means it changed on disk.
        (void)layers_.remove(applied->chain_id);
        return Error::of(Errc::kInternal, "layer " + layer.digest.str() +
                                              " changed in the content store: read " +
                                              applied->blob_digest.str());
      }
      KEEL_TRY(content_.set_labels(
          layer.digest,
          {{std::string(kUncompressedLabel), applied->diff_id.str()},
           {std::string(kUncompressedSizeLabel), std::to_string(applied->uncompressed_size)}}));
    }
    auto size = layer_uncompressed_size(layer);
    if (!size)
      return std::move(size).error();
    total += *size;
  }
  return total;
}

Result<std::int64_t> ImageService::layer_uncompressed_size(const Descriptor& layer) {
  auto info = content_.info(layer.digest);
  if (!info)
    return std::move(info).error();
  if (auto it = info->labels.find(std::string(kUncompressedSizeLabel)); it != info->labels.end())
    return static_cast<std::int64_t>(std::stoll(it->second));
  auto fd = content_.open_blob(layer.digest);
  if (!fd)
    return std::move(fd).error();
  std::array<std::byte, 4> head{};
  auto reader = fd_reader(fd->get());
  auto n = reader(head);
  if (!n)
    return std::move(n).error();
  if (detect_compression(std::span(head).first(*n)) == Compression::kNone)
    return static_cast<std::int64_t>(info->size);
  // Compressed and never unpacked here (the label is written after unpack): count once.
  if (::lseek(fd->get(), 0, SEEK_SET) != 0)
    return Error::sys("seek layer " + layer.digest.str());
  auto d = Decompressor::open(fd_reader(fd->get()));
  if (!d)
    return std::move(d).error();
  content::Digester digester;
  std::vector<std::byte> buf(1 << 16);
  std::int64_t total = 0;
  for (;;) {
    auto got = (*d)->read(buf);
    if (!got)
      return std::move(got).error();
    if (*got == 0)
      break;
    digester.update(std::span(buf).first(*got));
    total += static_cast<std::int64_t>(*got);
  }
  KEEL_TRY(content_.set_labels(layer.digest,
                               {{std::string(kUncompressedLabel), digester.finish().str()},
                                {std::string(kUncompressedSizeLabel), std::to_string(total)}}));
  return total;
}

}  // namespace keel::manager::images
