// docker load: reads a docker-archive or OCI-archive tar in one sequential pass. The archive's
// order is not known in advance (docker save writes manifest.json last), so every file goes
// into the content store as it streams by, verified against its name where the name is a
// digest; the small index files stay in memory. Layers are then unpacked from the store in
// manifest order, and the images named in one transaction at the end.
#include <array>
#include <map>
#include <mutex>
#include <shared_mutex>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "common/archive_handle.h"
#include "manager/images/decompress.h"
#include "manager/images/image_service.h"
#include "manager/images/media_types.h"

namespace keel::manager::images {
namespace {

constexpr std::int64_t kMaxIndexFile = 16 << 20;

Error archive_error(archive* a, std::string_view what) {
  const char* msg = archive_error_string(a);
  return Error::with_errno(Errc::kInvalidArgument,
                           std::string(what) + ": " + (msg != nullptr ? msg : "unknown error"),
                           archive_errno(a) > 0 ? archive_errno(a) : 0);
}

// "./a//b" -> "a/b"
std::string clean_path(std::string_view p) {
  std::string out;
  size_t i = 0;
  while (i < p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string_view::npos)
      j = p.size();
    std::string_view part = p.substr(i, j - i);
    if (!part.empty() && part != ".") {
      if (!out.empty())
        out += '/';
      out += part;
    }
    i = j + 1;
  }
  return out;
}

struct FileEntry {
  content::Digest digest;
  std::int64_t size = 0;
};

struct ArchiveContents {
  std::map<std::string, std::string> small;  // manifest.json, index.json, repositories, oci-layout
  std::map<std::string, FileEntry> files;    // everything else, by cleaned path, now in content
  std::map<std::string, std::string> links;  // symlinks (docker's legacy layout dedups with them)

  [[nodiscard]] Result<FileEntry> file(std::string path) const {
    for (int hops = 0; hops < 16; ++hops) {
      if (auto it = files.find(path); it != files.end())
        return it->second;
      auto link = links.find(path);
      if (link == links.end())
        break;
      const auto slash = path.rfind('/');
      const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
      std::string target = link->second.starts_with('/') ? link->second : dir + link->second;
      // Resolve "..": docker writes "../<id>/layer.tar".
      std::vector<std::string> parts;
      for (size_t i = 0; i <= target.size();) {
        size_t j = std::min(target.find('/', i), target.size());
        std::string part = target.substr(i, j - i);
        if (part == "..") {
          if (!parts.empty())
            parts.pop_back();
        } else if (!part.empty() && part != ".") {
          parts.push_back(part);
        }
        i = j + 1;
      }
      path.clear();
      for (const auto& part : parts)
        path += (path.empty() ? "" : "/") + part;
    }
    return Error::of(Errc::kInvalidArgument, "archive names \"" + path + "\" but does not hold it");
  }
};

bool is_small_index_file(const std::string& path) {
  return path == "manifest.json" || path == "index.json" || path == "repositories" ||
         path == "oci-layout";
}

// docker's legacy per-layer metadata ("<id>/json", "<id>/VERSION") is not needed to load.
bool is_legacy_metadata(const std::string& path) {
  return path.ends_with("/json") || path.ends_with("/VERSION");
}

}  // namespace

namespace {

Result<ArchiveContents> ingest_archive(int fd, content::Store& content) {
  ArchiveReader reader(archive_read_new());
  if (!reader)
    return Error::of(Errc::kInternal, "load: out of memory");
  archive_read_support_filter_all(reader.get());
  archive_read_support_format_tar(reader.get());
  if (archive_read_open_fd(reader.get(), fd, 1 << 16) != ARCHIVE_OK)
    return archive_error(reader.get(), "load: open archive");
  ArchiveContents out;
  std::vector<std::byte> buf(1 << 16);
  for (;;) {
    archive_entry* entry = nullptr;
    const int rc = archive_read_next_header(reader.get(), &entry);
    if (rc == ARCHIVE_EOF)
      break;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
      return archive_error(reader.get(), "load: read archive");
    const std::string path = clean_path(archive_entry_pathname(entry));
    const auto type = archive_entry_filetype(entry);
    if (type == AE_IFLNK) {
      out.links[path] = archive_entry_symlink(entry);
      continue;
    }
    if (type != AE_IFREG || is_legacy_metadata(path))
      continue;
    if (is_small_index_file(path)) {
      if (archive_entry_size(entry) > kMaxIndexFile)
        return Error::of(Errc::kInvalidArgument, "load: " + path + " is too large");
      std::string data;
      for (;;) {
        const la_ssize_t n = archive_read_data(reader.get(), buf.data(), buf.size());
        if (n < 0)
          return archive_error(reader.get(), "load: read " + path);
        if (n == 0)
          break;
        data.append(reinterpret_cast<const char*>(buf.data()), static_cast<size_t>(n));
      }
      out.small[path] = std::move(data);
      continue;
    }
    // OCI layout blobs are named by their digest: hold them to it (a tampered blob is refused).
    std::optional<content::Digest> expected;
    if (path.starts_with("blobs/sha256/")) {
      auto d = content::Digest::from_hex(path.substr(13));
      if (!d)
        return std::move(d).error().context("load: " + path);
      expected = std::move(*d);
    }
    auto writer = content.writer();
    if (!writer)
      return std::move(writer).error();
    for (;;) {
      const la_ssize_t n = archive_read_data(reader.get(), buf.data(), buf.size());
      if (n < 0)
        return archive_error(reader.get(), "load: read " + path);
      if (n == 0)
        break;
      KEEL_TRY(writer->write(std::span(buf).first(static_cast<size_t>(n))));
    }
    auto info = writer->commit(expected, std::nullopt);
    if (!info)
      return std::move(info).error().context("load: " + path);
    out.files[path] = {info->digest, static_cast<std::int64_t>(info->size)};
  }
  return out;
}

struct PendingImage {
  Descriptor manifest;
  std::vector<std::string> names;  // full references
};

std::string host_arch() {
#if defined(__x86_64__)
  return "amd64";
#elif defined(__aarch64__)
  return "arm64";
#else
  return "";
#endif
}

// An index entry's name: containerd's full-name annotation, else ref.name when it is a name
// rather than a bare tag ("latest" alone names nothing).
std::vector<std::string> names_of(const Descriptor& d) {
  std::string candidate;
  if (auto it = d.annotations.find(std::string(kImageNameAnnotation)); it != d.annotations.end())
    candidate = it->second;
  else if (auto rn = d.annotations.find(std::string(kRefNameAnnotation));
           rn != d.annotations.end() && rn->second.find_first_of(":/") != std::string::npos)
    candidate = rn->second;
  if (candidate.empty())
    return {};
  auto ref = parse_reference(candidate);
  if (!ref || ref->digest)
    return {};
  return {ref->str()};
}

Result<Descriptor> pick_platform(content::Store& content, const Descriptor& index_desc) {
  auto json = content.read_blob(index_desc.digest);
  if (!json)
    return std::move(json).error();
  auto index = parse_index(*json);
  if (!index)
    return std::move(index).error();
  const Descriptor* pick = nullptr;
  for (const auto& m : index->manifests) {
    if (!media_type::is_manifest(m.media_type) || !content.exists(m.digest))
      continue;
    if (m.platform && m.platform->os == "linux" && m.platform->architecture == host_arch()) {
      pick = &m;
      break;
    }
    if (pick == nullptr)
      pick = &m;
  }
  if (pick == nullptr)
    return Error::of(Errc::kInvalidArgument, "load: index " + index_desc.digest.str() +
                                                 " holds no manifest in the archive");
  return *pick;
}

Result<std::vector<PendingImage>> oci_images(const ArchiveContents& a, content::Store& content) {
  auto index = parse_index(a.small.at("index.json"));
  if (!index)
    return std::move(index).error().context("load: index.json");
  std::vector<PendingImage> out;
  for (const auto& d : index->manifests) {
    PendingImage p;
    p.names = names_of(d);
    if (media_type::is_index(d.media_type)) {
      auto m = pick_platform(content, d);
      if (!m)
        return std::move(m).error();
      p.manifest = std::move(*m);
    } else if (media_type::is_manifest(d.media_type)) {
      p.manifest = d;
    } else {
      continue;  // not an image (an artifact): nothing to load
    }
    if (!content.exists(p.manifest.digest))
      return Error::of(Errc::kInvalidArgument, "load: index.json names " + p.manifest.digest.str() +
                                                   ", which the archive does not hold");
    out.push_back(std::move(p));
  }
  return out;
}

Result<std::vector<PendingImage>> docker_images(const ArchiveContents& a, content::Store& content) {
  auto j = nlohmann::json::parse(a.small.at("manifest.json"), nullptr, false);
  if (j.is_discarded() || !j.is_array())
    return Error::of(Errc::kInvalidArgument, "load: manifest.json is not a JSON array");
  std::vector<PendingImage> out;
  for (const auto& item : j) {
    if (!item.is_object() || !item.contains("Config") || !item["Config"].is_string() ||
        !item.contains("Layers") || !item["Layers"].is_array())
      return Error::of(Errc::kInvalidArgument,
                       "load: manifest.json entry without Config and Layers");
    auto config = a.file(clean_path(item["Config"].get<std::string>()));
    if (!config)
      return std::move(config).error().context("load");
    Manifest m;
    m.media_type = std::string(media_type::kOciManifest);
    m.config = {std::string(media_type::kOciConfig), config->digest, config->size, {}, {}};
    for (const auto& layer : item["Layers"]) {
      if (!layer.is_string())
        return Error::of(Errc::kInvalidArgument, "load: manifest.json Layers holds a non-string");
      auto f = a.file(clean_path(layer.get<std::string>()));
      if (!f)
        return std::move(f).error().context("load");
      auto fd = content.open_blob(f->digest);
      if (!fd)
        return std::move(fd).error();
      std::array<std::byte, 4> head{};
      auto n = fd_reader(fd->get())(head);
      if (!n)
        return std::move(n).error();
      std::string_view type = media_type::kOciLayer;
      switch (detect_compression(std::span(head).first(*n))) {
        case Compression::kGzip:
          type = media_type::kOciLayerGzip;
          break;
        case Compression::kZstd:
          type = media_type::kOciLayerZstd;
          break;
        case Compression::kNone:
          break;
      }
      m.layers.push_back({std::string(type), f->digest, f->size, {}, {}});
    }
    const std::string manifest_json = to_json(m);
    auto info = content.write_blob(manifest_json);
    if (!info)
      return std::move(info).error();
    PendingImage p;
    p.manifest = {std::string(media_type::kOciManifest),
                  info->digest,
                  static_cast<std::int64_t>(manifest_json.size()),
                  {},
                  {}};
    if (item.contains("RepoTags") && item["RepoTags"].is_array()) {
      for (const auto& t : item["RepoTags"]) {
        if (!t.is_string())
          continue;
        auto ref = parse_reference(t.get<std::string>());
        if (!ref)
          return std::move(ref).error().context("load: RepoTags");
        p.names.push_back(ref->str());
      }
    }
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace

Result<LoadResult> ImageService::load(int archive_fd) {
  auto loaded = load_leased(archive_fd);
  if (!loaded) {
    // A refused archive keeps nothing: the blobs and layers it stored before the refusal belong
    // to no image, and GC (which waits for the loads still in flight) takes them now.
    if (auto gc = collect_garbage(); !gc)
      spdlog::warn("load: removing what a refused archive stored: {}", gc.error().message());
  }
  return loaded;
}

Result<LoadResult> ImageService::load_leased(int archive_fd) {
  std::shared_lock lease(lease_);
  auto contents = ingest_archive(archive_fd, content_);
  if (!contents)
    return std::move(contents).error();
  Result<std::vector<PendingImage>> pending = std::vector<PendingImage>{};
  if (contents->small.contains("index.json"))
    pending = oci_images(*contents, content_);
  else if (contents->small.contains("manifest.json"))
    pending = docker_images(*contents, content_);
  else
    return Error::of(Errc::kInvalidArgument,
                     "load: not a docker-archive or OCI-archive (no manifest.json or index.json)");
  if (!pending)
    return std::move(pending).error();

  LoadResult result;
  for (const auto& p : *pending) {
    auto manifest_json = content_.read_blob(p.manifest.digest);
    if (!manifest_json)
      return std::move(manifest_json).error();
    auto manifest = parse_manifest(*manifest_json);
    if (!manifest)
      return std::move(manifest).error().context("load");
    for (const auto& l : manifest->layers)
      if (!content_.exists(l.digest))
        return Error::of(Errc::kInvalidArgument,
                         "load: layer " + l.digest.str() + " is missing from the archive");
    auto config_json = content_.read_blob(manifest->config.digest);
    if (!config_json)
      return std::move(config_json).error().context("load: config");
    auto config = parse_image_config(*config_json);
    if (!config)
      return std::move(config).error().context("load");
    auto size = unpack_layers(*manifest, *config);
    if (!size)
      return std::move(size).error().context("load");
    Descriptor target = p.manifest;
    target.annotations.clear();
    target.platform.reset();
    if (target.media_type.empty())
      target.media_type = std::string(media_type::kOciManifest);
    KEEL_TRY(name_image(target, manifest->config.digest, *size, p.names));
    auto image = image_by_manifest(target.digest);
    if (!image)
      return std::move(image).error();
    if (p.names.empty()) {
      result.loaded.push_back("Loaded image ID: " + image->id.str());
    } else {
      for (const auto& n : p.names)
        result.loaded.push_back("Loaded image: " + parse_reference(n)->familiar());
    }
    result.images.push_back(std::move(*image));
  }
  return result;
}

}  // namespace keel::manager::images
