// Tars written with libarchive into a std::string; image archives assembled from them.
#include "integration/manager/archives.h"

#include <archive.h>
#include <archive_entry.h>

#include <stdexcept>

#include "common/sha256.h"
#include "integration/fixtures/process.h"

namespace keel::it {
namespace {

la_ssize_t append_to_string(archive*, void* out, const void* buffer, size_t length) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(buffer), length);
  return static_cast<la_ssize_t>(length);
}

void check(archive* a, int rc, const std::string& what) {
  if (rc < ARCHIVE_OK) {
    const char* msg = archive_error_string(a);
    throw std::runtime_error(what + ": " + (msg != nullptr ? msg : "libarchive error"));
  }
}

struct Entry {
  std::string path;
  std::string content;
};

// A tar of regular files only, for the archive wrappers.
std::string plain_tar(const std::vector<Entry>& files) {
  TarBuilder tar;
  for (const auto& f : files)
    tar.file(f.path, f.content);
  return tar.finish();
}

std::string json_text(const nlohmann::json& j) {
  return j.dump();
}

}  // namespace

// The OCI layout behind oci_archive and oci_archive_with_swap.
BuiltImage build_oci(const std::vector<std::string>& layers, const std::string& ref,
                     const nlohmann::json& config, const BlobSwap& swap);

std::string digest_of(std::string_view data) {
  return "sha256:" + sha256_hex(data);
}

std::string hex_of(std::string_view digest) {
  const auto colon = digest.find(':');
  return std::string(colon == std::string_view::npos ? digest : digest.substr(colon + 1));
}

std::vector<std::string> chain_ids(const std::vector<std::string>& diff_ids) {
  std::vector<std::string> chain;
  for (const auto& diff : diff_ids)
    chain.push_back(chain.empty() ? diff : digest_of(chain.back() + " " + diff));
  return chain;
}

TarBuilder& TarBuilder::file(const std::string& path, std::string_view content, mode_t mode) {
  entries_.push_back({path, std::string(content), {}, AE_IFREG, mode, false});
  return *this;
}

TarBuilder& TarBuilder::dir(const std::string& path, mode_t mode) {
  entries_.push_back({path, {}, {}, AE_IFDIR, mode, false});
  return *this;
}

TarBuilder& TarBuilder::symlink(const std::string& path, const std::string& target) {
  entries_.push_back({path, {}, target, AE_IFLNK, 0777, false});
  return *this;
}

TarBuilder& TarBuilder::hardlink(const std::string& path, const std::string& target) {
  entries_.push_back({path, {}, target, AE_IFREG, 0644, true});
  return *this;
}

std::string TarBuilder::finish() {
  std::string out;
  archive* a = archive_write_new();
  struct Free {
    archive* a;
    ~Free() { archive_write_free(a); }
  } free_archive{a};
  check(a, archive_write_set_format_pax_restricted(a), "tar format");
  // No padding to 10 KiB records: layer digests are of exactly these bytes either way.
  check(a, archive_write_set_bytes_in_last_block(a, 1), "tar block size");
  check(a, archive_write_open(a, &out, nullptr, append_to_string, nullptr), "tar open");
  for (const auto& e : entries_) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.path.c_str());
    archive_entry_set_filetype(entry, e.type);
    archive_entry_set_perm(entry, e.mode);
    archive_entry_set_uid(entry, 0);
    archive_entry_set_gid(entry, 0);
    archive_entry_set_mtime(entry, 1700000000, 0);
    if (e.hardlink) {
      archive_entry_set_hardlink(entry, e.link.c_str());
      archive_entry_set_size(entry, 0);
    } else if (e.type == AE_IFLNK) {
      archive_entry_set_symlink(entry, e.link.c_str());
    } else if (e.type == AE_IFREG) {
      archive_entry_set_size(entry, static_cast<la_int64_t>(e.content.size()));
    }
    const int rc = archive_write_header(a, entry);
    archive_entry_free(entry);
    check(a, rc, "tar header " + e.path);
    if (e.type == AE_IFREG && !e.hardlink && !e.content.empty()) {
      if (archive_write_data(a, e.content.data(), e.content.size()) !=
          static_cast<la_ssize_t>(e.content.size()))
        check(a, ARCHIVE_FATAL, "tar data " + e.path);
    }
  }
  check(a, archive_write_close(a), "tar close");
  entries_.clear();
  return out;
}

std::string tar_directory(const std::filesystem::path& dir) {
  const auto result =
      fixtures::run_command({"/bin/tar", "--numeric-owner", "-C", dir.string(), "-cf", "-", "."});
  if (result.exit_code != 0)
    throw std::runtime_error("tar " + dir.string() + ": " + result.err);
  return result.out;
}

nlohmann::json image_config(const std::vector<std::string>& layers, const nlohmann::json& config) {
  nlohmann::json diff_ids = nlohmann::json::array();
  nlohmann::json history = nlohmann::json::array();
  for (size_t i = 0; i < layers.size(); ++i) {
    diff_ids.push_back(digest_of(layers[i]));
    history.push_back({{"created", "2024-01-01T00:00:00Z"},
                       {"created_by", "integration test layer " + std::to_string(i + 1)}});
  }
  return {{"architecture", "amd64"},
          {"os", "linux"},
          {"created", "2024-01-01T00:00:00Z"},
          {"config", config},
          {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}},
          {"history", history}};
}

std::string docker_archive_raw(const std::string& config_name, const std::string& config_bytes,
                               const std::vector<std::string>& layer_names,
                               const std::vector<std::string>& layer_bytes,
                               const std::string& repo_tag) {
  nlohmann::json manifest = nlohmann::json::array();
  manifest.push_back({{"Config", config_name},
                      {"RepoTags", nlohmann::json::array({repo_tag})},
                      {"Layers", layer_names}});
  std::vector<Entry> files;
  files.push_back({config_name, config_bytes});
  for (size_t i = 0; i < layer_names.size(); ++i)
    files.push_back({layer_names[i], layer_bytes[i]});
  // docker save writes manifest.json last; keeld must not depend on its position either way.
  files.push_back({"manifest.json", json_text(manifest)});
  return plain_tar(files);
}

BuiltImage docker_archive(const std::vector<std::string>& layers, const std::string& repo_tag,
                          const nlohmann::json& config) {
  BuiltImage image;
  image.config_json = json_text(image_config(layers, config));
  image.config_digest = digest_of(image.config_json);
  std::vector<std::string> names;
  for (const auto& layer : layers) {
    image.diff_ids.push_back(digest_of(layer));
    names.push_back(hex_of(image.diff_ids.back()) + ".tar");
  }
  image.archive = docker_archive_raw(hex_of(image.config_digest) + ".json", image.config_json,
                                     names, layers, repo_tag);
  return image;
}

BuiltImage oci_archive(const std::vector<std::string>& layers, const std::string& ref,
                       const nlohmann::json& config) {
  return build_oci(layers, ref, config, {});
}

BuiltImage oci_archive_with_swap(const std::vector<std::string>& layers, const std::string& ref,
                                 const BlobSwap& swap) {
  return build_oci(layers, ref, nlohmann::json::object(), swap);
}

BuiltImage build_oci(const std::vector<std::string>& layers, const std::string& ref,
                     const nlohmann::json& config, const BlobSwap& swap) {
  BuiltImage image;
  image.config_json = json_text(image_config(layers, config));
  image.config_digest = digest_of(image.config_json);
  std::vector<Entry> files;
  files.push_back({"oci-layout", R"({"imageLayoutVersion":"1.0.0"})"});
  nlohmann::json layer_descriptors = nlohmann::json::array();
  for (const auto& layer : layers) {
    image.diff_ids.push_back(digest_of(layer));
    layer_descriptors.push_back({{"mediaType", "application/vnd.oci.image.layer.v1.tar"},
                                 {"digest", image.diff_ids.back()},
                                 {"size", layer.size()}});
    files.push_back({"blobs/sha256/" + hex_of(image.diff_ids.back()), layer});
  }
  files.push_back({"blobs/sha256/" + hex_of(image.config_digest), image.config_json});
  const std::string manifest =
      json_text({{"schemaVersion", 2},
                 {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                 {"config",
                  {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                   {"digest", image.config_digest},
                   {"size", image.config_json.size()}}},
                 {"layers", layer_descriptors}});
  image.manifest_digest = digest_of(manifest);
  files.push_back({"blobs/sha256/" + hex_of(image.manifest_digest), manifest});
  // ref.name holds the tag alone, as containerd writes it; the full name is containerd's own.
  const std::string tag = ref.substr(ref.rfind(':') + 1);
  nlohmann::json index = {
      {"schemaVersion", 2},
      {"mediaType", "application/vnd.oci.image.index.v1+json"},
      {"manifests",
       nlohmann::json::array(
           {{{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
             {"digest", image.manifest_digest},
             {"size", manifest.size()},
             {"annotations",
              {{"io.containerd.image.name", ref}, {"org.opencontainers.image.ref.name", tag}}}}})}};
  files.push_back({"index.json", json_text(index)});
  for (auto& f : files) {
    if (!swap.digest.empty() && f.path == "blobs/sha256/" + hex_of(swap.digest))
      f.content = swap.bytes;
  }
  image.archive = plain_tar(files);
  return image;
}

}  // namespace keel::it
