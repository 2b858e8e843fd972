// What a registry's answer to GET /v2/<name>/manifests/<reference> really is. A registry says
// the type twice, in Content-Type and in the document's own mediaType; a manifest that is not
// JSON, is larger than any real one, or whose two types disagree is refused before anything it
// names is fetched.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/error.h"

namespace keel::manager::registry {

// containerd's and the distribution registry's own limit: no image manifest or index comes
// near it, and a body past it is a registry feeding us something else.
inline constexpr std::size_t kMaxManifestBytes = 4U << 20;

// The media type of `bytes` served as `content_type`: one of the OCI and Docker schema 2
// manifest and index types. A generic or missing Content-Type (application/json, as some
// registries and static servers send) defers to the document's mediaType, else to its shape
// ("manifests": an index; "config" and "layers": a manifest). Errors name what is wrong.
[[nodiscard]] Result<std::string> manifest_media_type(std::string_view content_type,
                                                      const std::string& bytes);

}  // namespace keel::manager::registry
