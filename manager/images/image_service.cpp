// ImageService: opening, lookups (reference, id, prefix), naming, tag, rmi and history.
#include "manager/images/image_service.h"

#include <algorithm>
#include <map>

#include "manager/store/transaction.h"

namespace keel::manager::images {

struct ImageService::Resolved {
  std::vector<ImageRecord> records;  // every row of the image (same manifest)
  std::optional<std::string> name;   // set when `ref` named one of those rows
};

Result<std::unique_ptr<ImageService>> ImageService::open(store::Database& db,
                                                         content::Store& content,
                                                         LayerApplier& layers) {
  auto images = ImageStore::open(db);
  if (!images)
    return std::move(images).error().context("open image store");
  return std::unique_ptr<ImageService>(
      new ImageService(db, content, layers, std::move(images).value()));
}

namespace {

Error no_such_image(std::string_view ref) {
  return Error::of(Errc::kNotFound, "no such image: " + std::string(ref));
}

std::vector<ImageRecord> rows_of(const std::vector<ImageRecord>& all,
                                 const content::Digest& manifest) {
  std::vector<ImageRecord> out;
  for (const auto& r : all)
    if (r.target.digest == manifest)
      out.push_back(r);
  return out;
}

}  // namespace

Result<ImageService::Resolved> ImageService::resolve(std::string_view ref) {
  auto all = images_.list();
  if (!all)
    return std::move(all).error();
  const bool id_form = ref.starts_with("sha256:") || (ref.size() == 64 && looks_like_id(ref));
  if (!id_form) {
    auto parsed = parse_reference(ref);
    if (parsed && !parsed->digest) {
      const std::string name = parsed->str();
      for (const auto& r : *all)
        if (r.name == name && !r.dangling)
          return Resolved{rows_of(*all, r.target.digest), name};
    } else if (parsed) {
      // name@sha256:<manifest or index>: the image with that manifest, or pulled through that
      // index, if the repository has it.
      for (const auto& r : *all) {
        auto rp = parse_reference(r.name);
        if ((r.target.digest == *parsed->digest || r.index_digest == *parsed->digest) &&
            (r.dangling || (rp && rp->name() == parsed->name())))
          return Resolved{rows_of(*all, r.target.digest), std::nullopt};
      }
    }
    if (!looks_like_id(ref)) {
      if (!parsed)
        return std::move(parsed).error();
      return no_such_image(ref);
    }
  }
  // An id or unique id prefix (docker accepts both with and without "sha256:").
  std::string_view prefix = ref;
  if (prefix.starts_with("sha256:"))
    prefix.remove_prefix(7);
  std::optional<content::Digest> match;
  for (const auto& r : *all) {
    if (!r.config_digest.hex().starts_with(prefix))
      continue;
    if (match && *match != r.config_digest)
      return Error::of(Errc::kInvalidArgument,
                       "image id prefix \"" + std::string(ref) + "\" is ambiguous");
    match = r.config_digest;
  }
  if (!match)
    return no_such_image(ref);
  for (const auto& r : *all)
    if (r.config_digest == *match)
      return Resolved{rows_of(*all, r.target.digest), std::nullopt};
  return no_such_image(ref);
}

Result<Image> ImageService::describe(const std::vector<ImageRecord>& records) {
  if (records.empty())
    return Error::of(Errc::kNotFound, "no such image");
  const ImageRecord& first = records.front();
  Image image;
  image.id = first.config_digest;
  image.target = first.target;
  image.size = first.size;
  for (const auto& r : records) {
    image.updated_ns = std::max(image.updated_ns, r.updated_at_ns);
    image.labels.insert(r.labels.begin(), r.labels.end());
    if (r.dangling)
      continue;
    image.repo_tags.push_back(r.name);
    if (auto ref = parse_reference(r.name)) {
      std::string d = ref->name() + "@" + r.index_digest.value_or(first.target.digest).str();
      if (std::find(image.repo_digests.begin(), image.repo_digests.end(), d) ==
          image.repo_digests.end())
        image.repo_digests.push_back(std::move(d));
    }
  }
  std::sort(image.repo_tags.begin(), image.repo_tags.end());
  auto manifest_json = content_.read_blob(first.target.digest);
  if (!manifest_json)
    return std::move(manifest_json).error().context("read manifest of " + first.name);
  auto manifest = parse_manifest(*manifest_json);
  if (!manifest)
    return std::move(manifest).error();
  image.layers = manifest->layers;
  auto config_json = content_.read_blob(first.config_digest);
  if (!config_json)
    return std::move(config_json).error().context("read config of " + first.name);
  auto config = parse_image_config(*config_json);
  if (!config)
    return std::move(config).error();
  image.config_json = std::move(*config_json);
  image.config = std::move(*config);
  image.created_ns = parse_rfc3339(image.config.created).value_or(0);
  return image;
}

Result<Image> ImageService::image_by_manifest(const content::Digest& manifest) {
  auto all = images_.list();
  if (!all)
    return std::move(all).error();
  return describe(rows_of(*all, manifest));
}

Result<Image> ImageService::get(std::string_view ref) {
  auto resolved = resolve(ref);
  if (!resolved)
    return std::move(resolved).error();
  return describe(resolved->records);
}

Result<std::vector<Image>> ImageService::list(bool all) {
  auto rows = images_.list();
  if (!rows)
    return std::move(rows).error();
  std::map<content::Digest, std::vector<ImageRecord>> by_manifest;
  for (auto& r : *rows)
    by_manifest[r.target.digest].push_back(std::move(r));
  std::vector<Image> out;
  for (const auto& [digest, records] : by_manifest) {
    auto image = describe(records);
    if (!image)
      return std::move(image).error();
    if (image->repo_tags.empty() && !all)
      continue;
    out.push_back(std::move(*image));
  }
  // docker images: newest first.
  std::stable_sort(out.begin(), out.end(),
                   [](const Image& a, const Image& b) { return a.created_ns > b.created_ns; });
  return out;
}

Result<void> ImageService::name_image(const Descriptor& manifest, const content::Digest& config,
                                      std::int64_t size, const std::vector<std::string>& names,
                                      const std::optional<content::Digest>& index) {
  auto txn = store::Transaction::begin(db_);
  if (!txn)
    return std::move(txn).error();
  ImageRecord record;
  record.target = manifest;
  record.index_digest = index;
  record.config_digest = config;
  record.size = size;
  for (const auto& name : names) {
    auto old = images_.find(name);
    if (!old)
      return std::move(old).error();
    record.name = name;
    KEEL_TRY(images_.put(record));
    if (*old && (*old)->target.digest != manifest.digest) {
      auto all = images_.list();
      if (!all)
        return std::move(all).error();
      if (rows_of(*all, (*old)->target.digest).empty()) {
        ImageRecord dangling = **old;
        dangling.name = dangling.target.digest.str();
        dangling.dangling = true;
        dangling.labels.clear();
        KEEL_TRY(images_.put(dangling));
      }
    }
  }
  const std::string dangling_name = manifest.digest.str();
  if (!names.empty()) {
    auto removed = images_.remove(dangling_name);
    if (!removed)
      return std::move(removed).error();
  } else {
    auto all = images_.list();
    if (!all)
      return std::move(all).error();
    if (rows_of(*all, manifest.digest).empty()) {
      record.name = dangling_name;
      record.dangling = true;
      KEEL_TRY(images_.put(record));
    }
  }
  return txn->commit();
}

Result<Image> ImageService::tag(std::string_view source, std::string_view target) {
  auto resolved = resolve(source);
  if (!resolved)
    return std::move(resolved).error();
  auto ref = parse_reference(target);
  if (!ref)
    return std::move(ref).error();
  if (ref->digest)
    return Error::of(Errc::kInvalidArgument,
                     "tag \"" + std::string(target) + "\": a tag cannot contain a digest");
  const ImageRecord& r = resolved->records.front();
  KEEL_TRY(name_image(r.target, r.config_digest, r.size, {ref->str()}));
  return image_by_manifest(r.target.digest);
}

Result<RemoveResult> ImageService::remove(std::span<const std::string> refs,
                                          const RemoveOptions& options) {
  RemoveResult result;
  for (const auto& ref : refs) {
    auto resolved = resolve(ref);
    if (!resolved)
      return std::move(resolved).error();
    const auto& records = resolved->records;
    const content::Digest id = records.front().config_digest;
    const auto named = std::count_if(records.begin(), records.end(),
                                     [](const ImageRecord& r) { return !r.dangling; });
    std::vector<std::string> to_remove;
    if (resolved->name && named > 1) {
      to_remove.push_back(*resolved->name);  // untag only: other names keep the image
    } else {
      if (!resolved->name && named > 1 && !options.force)
        return Error::of(Errc::kFailedPrecondition,
                         "unable to delete " + id.short_id() +
                             " (must be forced): image is referenced in multiple repositories");
      if (!options.force && in_use_ && in_use_(id))
        return Error::of(Errc::kFailedPrecondition, "unable to remove " + std::string(ref) +
                                                        " (must be forced): image " +
                                                        id.short_id() + " is used by a container");
      for (const auto& r : records)
        to_remove.push_back(r.name);
    }
    auto txn = store::Transaction::begin(db_);
    if (!txn)
      return std::move(txn).error();
    for (const auto& name : to_remove) {
      auto removed = images_.remove(name);
      if (!removed)
        return std::move(removed).error();
    }
    auto left = images_.list();
    if (!left)
      return std::move(left).error();
    KEEL_TRY(txn->commit());
    for (const auto& r : records)
      if (!r.dangling && std::find(to_remove.begin(), to_remove.end(), r.name) != to_remove.end())
        result.untagged.push_back(r.name);
    const bool id_left = std::any_of(left->begin(), left->end(),
                                     [&](const ImageRecord& r) { return r.config_digest == id; });
    if (!id_left)
      result.deleted.push_back(id.str());
  }
  if (!options.no_prune && !result.deleted.empty()) {
    auto gc = collect_garbage();
    if (!gc)
      return std::move(gc).error().context("collect garbage after removal");
    result.space_reclaimed = gc->space_reclaimed;
  }
  return result;
}

Result<std::vector<HistoryEntry>> ImageService::history(std::string_view ref) {
  auto image = get(ref);
  if (!image)
    return std::move(image).error();
  std::vector<HistoryEntry> out;
  size_t layer = 0;
  for (const auto& h : image->config.history) {
    HistoryEntry e;
    e.created_ns = parse_rfc3339(h.created).value_or(0);
    e.created_by = h.created_by;
    e.comment = h.comment;
    e.empty_layer = h.empty_layer;
    if (!h.empty_layer && layer < image->config.diff_ids.size()) {
      e.id = image->config.diff_ids[layer].str();
      if (layer < image->layers.size()) {
        auto size = layer_uncompressed_size(image->layers[layer]);
        e.size = size ? *size : 0;
      }
      ++layer;
    }
    out.push_back(std::move(e));
  }
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace keel::manager::images
