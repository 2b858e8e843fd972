// `inspect` of images: docker's image JSON built from keeld's Image message.
#pragma once

#include <nlohmann/json.hpp>

#include "keel/v1/images.pb.h"

namespace keel::ctl {

// Id, RepoTags, RepoDigests, Created, Author, Config, Architecture, Os, Size, RootFS, as
// docker image inspect shows them.
[[nodiscard]] nlohmann::json image_inspect_json(const keel::v1::Image& image);

}  // namespace keel::ctl
