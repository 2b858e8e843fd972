// The image-spec documents keeld reads and writes: descriptor, manifest, index and image config
// (image-spec descriptor.md, manifest.md, image-index.md, config.md; Docker's schema 2 uses the
// same field names). Parsing ignores unknown fields; a loaded document is stored as its original
// bytes, so digests never change by a round trip through these types.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "manager/content/digest.h"

namespace keel::manager::images {

using Annotations = std::map<std::string, std::string>;

inline constexpr std::string_view kRefNameAnnotation = "org.opencontainers.image.ref.name";
// containerd's (and docker 25's) full image name on an index.json entry.
inline constexpr std::string_view kImageNameAnnotation = "io.containerd.image.name";

struct Platform {
  std::string architecture;
  std::string os;
  std::string variant;
};

struct Descriptor {
  std::string media_type;
  content::Digest digest;
  std::int64_t size = 0;
  Annotations annotations;
  std::optional<Platform> platform;
};

struct Manifest {
  std::string media_type;  // may be empty in OCI manifests; then the descriptor's type rules
  Descriptor config;
  std::vector<Descriptor> layers;
  Annotations annotations;
};

struct Index {
  std::string media_type;
  std::vector<Descriptor> manifests;
  Annotations annotations;
};

// config.md "config": how a container of this image runs. Kept whole so `run` can use it.
struct RunConfig {
  std::string user;
  std::vector<std::string> exposed_ports;              // "80/tcp" (the keys of ExposedPorts)
  std::vector<std::string> env;                        // "KEY=VALUE"
  std::optional<std::vector<std::string>> entrypoint;  // null and [] differ for docker
  std::optional<std::vector<std::string>> cmd;
  std::vector<std::string> volumes;  // the keys of Volumes
  std::string working_dir;
  std::map<std::string, std::string> labels;
  std::string stop_signal;
};

struct HistoryItem {
  std::string created;  // RFC 3339
  std::string created_by;
  std::string author;
  std::string comment;
  bool empty_layer = false;
};

struct ImageConfig {
  std::string created;  // RFC 3339
  std::string author;
  std::string architecture;
  std::string os;
  std::string variant;
  RunConfig config;
  std::vector<content::Digest> diff_ids;  // rootfs.diff_ids, base layer first
  std::vector<HistoryItem> history;
};

// kInvalidArgument naming the field for a malformed document.
[[nodiscard]] Result<Manifest> parse_manifest(std::string_view json);
[[nodiscard]] Result<Index> parse_index(std::string_view json);
[[nodiscard]] Result<ImageConfig> parse_image_config(std::string_view json);
// Canonical output: keys sorted, no whitespace, so equal documents hash equally.
[[nodiscard]] std::string to_json(const Manifest& manifest);
[[nodiscard]] std::string to_json(const Index& index);
[[nodiscard]] std::string to_json(const ImageConfig& config);

// The chain ID of each layer (image-spec config.md "Layer ChainID"):
// ChainID(L0) = DiffID(L0), ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)).
[[nodiscard]] std::vector<content::Digest> chain_ids(const std::vector<content::Digest>& diff_ids);

// RFC 3339 (with optional fraction and offset) to Unix nanoseconds; nullopt if malformed.
[[nodiscard]] std::optional<std::int64_t> parse_rfc3339(std::string_view text);
// "2024-05-01T12:00:00.123456789Z"
[[nodiscard]] std::string format_rfc3339(std::int64_t unix_ns);

}  // namespace keel::manager::images
