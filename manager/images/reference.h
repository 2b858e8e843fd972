// Image references as docker parses them (distribution/reference grammar): "busybox" is
// docker.io/library/busybox:latest, "localhost:5000/a/b:v1" keeps its registry and port, and
// "name@sha256:..." pins a manifest digest.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "manager/content/digest.h"

namespace keel::manager::images {

struct Reference {
  std::string domain;  // "docker.io", "quay.io", "localhost:5000"
  std::string path;    // "library/busybox", "org/app"
  std::string tag;     // empty only when a digest is given without a tag
  std::optional<content::Digest> digest;

  // "docker.io/library/busybox" (no tag, no digest).
  [[nodiscard]] std::string name() const { return domain + "/" + path; }
  // The full normalised form: "docker.io/library/busybox:latest", "quay.io/a/b@sha256:...".
  [[nodiscard]] std::string str() const;
  // docker's short display form: "busybox:latest", "org/app:v1", "quay.io/a/b:1".
  [[nodiscard]] std::string familiar() const;
  // The familiar repository alone ("busybox", "quay.io/a/b"), docker images' REPOSITORY column.
  [[nodiscard]] std::string familiar_name() const;
};

// Parses and normalises like docker: a missing domain is docker.io, a one-component docker.io
// path gains "library/", index.docker.io becomes docker.io, and a reference with neither tag
// nor digest gets ":latest". kInvalidArgument with the reason otherwise (uppercase repository,
// bad tag, a bare 64-hex id, which docker refuses as a name).
[[nodiscard]] Result<Reference> parse_reference(std::string_view text);

// True for what docker would take as an image id or id prefix: "sha256:<hex>" or bare hex.
[[nodiscard]] bool looks_like_id(std::string_view text);

}  // namespace keel::manager::images
