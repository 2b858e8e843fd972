// `inspect` of images: docker's image JSON built from keeld's Image message.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ctl/client.h"
#include "keel/v1/images.pb.h"

namespace keel::ctl {

// Id, RepoTags, RepoDigests, Created, Author, Config, Architecture, Os, Size, RootFS, as
// docker image inspect shows them.
[[nodiscard]] nlohmann::json image_inspect_json(const keel::v1::Image& image);

// Looks each ref up and prints a JSON array (or the --format template per image). Throws
// CommandError ("Error: No such image: x") when one is missing, after printing the others.
void inspect_images(Client& client, const std::vector<std::string>& refs,
                    const std::string& format);

}  // namespace keel::ctl
