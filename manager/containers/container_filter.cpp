#include "manager/containers/container_filter.h"

#include <map>
#include <regex>

namespace keel::manager::containers {
namespace {

bool label_matches(const ContainerRecord& record, const std::string& wanted) {
  const auto eq = wanted.find('=');
  const auto it = record.labels.find(wanted.substr(0, eq));
  if (it == record.labels.end())
    return false;
  return eq == std::string::npos || it->second == wanted.substr(eq + 1);
}

// docker's name filter is a regular expression searched in the name, with or without its "/".
bool name_matches(const std::string& name, const std::string& pattern) {
  const std::string bare = name.starts_with('/') ? name.substr(1) : name;
  try {
    const std::regex re(pattern);
    return std::regex_search(bare, re) || std::regex_search("/" + bare, re);
  } catch (const std::regex_error&) {
    return bare.find(pattern) != std::string::npos;
  }
}

bool key_matches(const ContainerRecord& record, const std::string& key, const std::string& value) {
  if (key == "id")
    return record.id.starts_with(value);
  if (key == "name")
    return name_matches(record.name, value);
  if (key == "label")
    return label_matches(record, value);
  if (key == "status")
    return value == status_name(record.state.status);
  if (key == "ancestor")
    return record.image == value || record.image_id == value ||
           record.image_id.starts_with("sha256:" + value);
  // exited=<code>
  return record.state.status == Status::kExited && std::to_string(record.state.exit_code) == value;
}

}  // namespace

Result<ContainerFilter> container_filter(
    const std::vector<std::pair<std::string, std::string>>& filters) {
  std::map<std::string, std::vector<std::string>> by_key;
  for (const auto& [key, value] : filters) {
    if (key != "id" && key != "name" && key != "label" && key != "status" && key != "ancestor" &&
        key != "exited")
      return Error::of(Errc::kInvalidArgument,
                       "invalid filter '" + key +
                           "': known filters are id, name, label, status, ancestor, exited");
    by_key[key].push_back(value);
  }
  return ContainerFilter([by_key](const ContainerRecord& record) {
    for (const auto& [key, values] : by_key) {
      bool any = false;
      for (const auto& value : values)
        any = any || key_matches(record, key, value);
      if (!any)
        return false;
    }
    return true;
  });
}

}  // namespace keel::manager::containers
