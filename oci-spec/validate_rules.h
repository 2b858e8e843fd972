// Internal to oci-spec: small checks shared by validate.cpp and validate_linux.cpp. They throw
// PathError (json_path.h), which validate() turns into its Error.
#pragma once

#include <algorithm>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "oci-spec/json_path.h"
#include "oci-spec/runtime_config.h"

namespace keel::oci::detail {

// Position of name in names, or -1.
inline int index_of(const std::vector<std::string>& names, std::string_view name) {
  const auto it = std::find(names.begin(), names.end(), name);
  return it == names.end() ? -1 : static_cast<int>(it - names.begin());
}

inline bool one_of(std::string_view value, std::initializer_list<std::string_view> allowed) {
  return std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

// An empty name is a missing required field; any other must be one the spec lists.
inline void require_known(const std::string& value, bool known, const JsonPath& path,
                          std::string_view what) {
  if (value.empty())
    fail(path, "is required");
  if (!known)
    fail(path, "unknown " + std::string(what) + " " + quote(value));
}

// The linux object's rules, in validate_linux.cpp.
void validate_linux(const Linux& linux, const JsonPath& path);

}  // namespace keel::oci::detail
