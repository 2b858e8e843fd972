// docker save: a docker-archive that docker, podman and skopeo load. Layout as containers/image
// writes it: <config hex>.json, <diff_id hex>.tar (plain tar, so the file's digest is the
// diff_id), manifest.json [{Config, RepoTags, Layers}] and the legacy "repositories" map.
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>

#include <nlohmann/json.hpp>

#include "common/archive_handle.h"
#include "manager/images/decompress.h"
#include "manager/images/image_service.h"

namespace keel::manager::images {
namespace {

Error write_error(archive* a, const std::string& what) {
  const char* msg = archive_error_string(a);
  return Error::with_errno(Errc::kInternal,
                           "save: write " + what + ": " + (msg != nullptr ? msg : "unknown error"),
                           archive_errno(a) > 0 ? archive_errno(a) : 0);
}

Result<void> write_header(archive* a, const std::string& name, std::int64_t size) {
  ArchiveEntry entry(archive_entry_new());
  if (!entry)
    return Error::of(Errc::kInternal, "save: out of memory");
  archive_entry_set_pathname(entry.get(), name.c_str());
  archive_entry_set_filetype(entry.get(), AE_IFREG);
  archive_entry_set_perm(entry.get(), 0644);
  archive_entry_set_size(entry.get(), size);
  archive_entry_set_mtime(entry.get(), 0, 0);  // reproducible output: same images, same bytes
  if (archive_write_header(a, entry.get()) != ARCHIVE_OK)
    return write_error(a, name);
  return {};
}

Result<void> write_file(archive* a, const std::string& name, std::string_view data) {
  KEEL_TRY(write_header(a, name, static_cast<std::int64_t>(data.size())));
  if (!data.empty() && archive_write_data(a, data.data(), data.size()) < 0)
    return write_error(a, name);
  return {};
}

}  // namespace

Result<void> ImageService::write_layer_tar(archive* out, const Descriptor& layer,
                                           const content::Digest& diff_id,
                                           const std::string& name) {
  auto size = layer_uncompressed_size(layer);
  if (!size)
    return std::move(size).error();
  auto fd = content_.open_blob(layer.digest);
  if (!fd)
    return std::move(fd).error();
  auto d = Decompressor::open(fd_reader(fd->get()));
  if (!d)
    return std::move(d).error();
  KEEL_TRY(write_header(out, name, *size));
  content::Digester digester;
  std::vector<std::byte> buf(1 << 16);
  std::int64_t written = 0;
  for (;;) {
    auto n = (*d)->read(buf);
    if (!n)
      return std::move(n).error().context("save: layer " + layer.digest.str());
    if (*n == 0)
      break;
    written += static_cast<std::int64_t>(*n);
    if (written > *size)
      break;
    digester.update(std::span(buf).first(*n));
    if (archive_write_data(out, buf.data(), *n) < 0)
      return write_error(out, name);
  }
  // The header promised *size bytes and the loader will check the diff_id: refuse a layer
  // that does not deliver exactly that rather than write a broken archive.
  const content::Digest actual = digester.finish();
  if (written != *size || actual != diff_id)
    return Error::of(Errc::kInternal, "save: layer " + layer.digest.str() +
                                          " does not match its diff_id " + diff_id.str());
  return {};
}

Result<void> ImageService::save(std::span<const std::string> refs, int out_fd) {
  if (refs.empty())
    return Error::of(Errc::kInvalidArgument, "save: no image given");
  std::shared_lock lease(lease_);
  struct Entry {
    Image image;
    std::vector<std::string> tags;  // familiar names for RepoTags
  };
  std::vector<Entry> entries;
  for (const auto& ref : refs) {
    auto image = get(ref);
    if (!image)
      return std::move(image).error();
    std::vector<std::string> tags;
    auto parsed = parse_reference(ref);
    const bool by_name = !looks_like_id(ref) ||
                         (parsed && std::find(image->repo_tags.begin(), image->repo_tags.end(),
                                              parsed->str()) != image->repo_tags.end());
    if (by_name && parsed && !parsed->digest) {
      tags.push_back(parsed->familiar());
    } else if (!by_name) {
      for (const auto& t : image->repo_tags)
        tags.push_back(parse_reference(t)->familiar());
    }
    // Several refs to one image share one manifest.json entry.
    auto same = std::find_if(entries.begin(), entries.end(), [&](const Entry& e) {
      return e.image.target.digest == image->target.digest;
    });
    if (same != entries.end()) {
      for (auto& t : tags)
        if (std::find(same->tags.begin(), same->tags.end(), t) == same->tags.end())
          same->tags.push_back(std::move(t));
      continue;
    }
    entries.push_back({std::move(*image), std::move(tags)});
  }

  ArchiveWriter writer(archive_write_new());
  if (!writer)
    return Error::of(Errc::kInternal, "save: out of memory");
  archive_write_set_format_pax_restricted(writer.get());
  if (archive_write_open_fd(writer.get(), out_fd) != ARCHIVE_OK)
    return write_error(writer.get(), "archive");

  std::set<std::string> written;
  nlohmann::json manifest = nlohmann::json::array();
  nlohmann::json repositories = nlohmann::json::object();
  for (const auto& e : entries) {
    const std::string config_name = e.image.id.hex() + ".json";
    if (written.insert(config_name).second)
      KEEL_TRY(write_file(writer.get(), config_name, e.image.config_json));
    nlohmann::json layers = nlohmann::json::array();
    for (size_t i = 0; i < e.image.layers.size(); ++i) {
      const content::Digest& diff_id = e.image.config.diff_ids.at(i);
      const std::string name = diff_id.hex() + ".tar";
      if (written.insert(name).second)
        KEEL_TRY(write_layer_tar(writer.get(), e.image.layers[i], diff_id, name));
      layers.push_back(name);
    }
    manifest.push_back({{"Config", config_name}, {"RepoTags", e.tags}, {"Layers", layers}});
    for (const auto& t : e.tags) {
      auto ref = parse_reference(t);
      if (ref && !e.image.config.diff_ids.empty())
        repositories[ref->familiar_name()][ref->tag] = e.image.config.diff_ids.back().hex();
    }
  }
  KEEL_TRY(write_file(writer.get(), "manifest.json", manifest.dump()));
  KEEL_TRY(write_file(writer.get(), "repositories", repositories.dump()));
  if (archive_write_close(writer.get()) != ARCHIVE_OK)
    return write_error(writer.get(), "archive");
  return {};
}

}  // namespace keel::manager::images
