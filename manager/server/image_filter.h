// docker images --filter: reference=<pattern>, dangling=true|false, label=k[=v],
// before=<image>, since=<image>. Values of one key are alternatives; different keys must all
// hold.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/error.h"
#include "manager/images/image_service.h"

namespace keel::manager::server {

using ImagePredicate = std::function<bool(const images::Image&)>;

// before/since resolve their image through lookup (by reference or id) to compare creation
// times. kInvalidArgument names an unknown key or a bad value.
[[nodiscard]] Result<ImagePredicate> image_filter(
    const std::vector<std::pair<std::string, std::string>>& filters,
    const std::function<Result<images::Image>(const std::string&)>& lookup);

}  // namespace keel::manager::server
