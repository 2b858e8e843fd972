#include "ctl/references.h"

namespace keel::ctl {

std::string familiar_name(const std::string& full) {
  static const std::string kLibrary = "docker.io/library/";
  static const std::string kHub = "docker.io/";
  if (full.starts_with(kLibrary))
    return full.substr(kLibrary.size());
  if (full.starts_with(kHub))
    return full.substr(kHub.size());
  return full;
}

std::pair<std::string, std::string> split_repository_tag(const std::string& full) {
  if (const auto at = full.find('@'); at != std::string::npos)
    return {full.substr(0, at), full.substr(at + 1)};
  // A colon after the last slash is the tag's; one before it is a registry port.
  const auto slash = full.rfind('/');
  const auto colon = full.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash))
    return {full.substr(0, colon), full.substr(colon + 1)};
  return {full, "<none>"};
}

}  // namespace keel::ctl
