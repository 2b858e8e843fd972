#include "ctl/copy_archive.h"

#include <filesystem>

namespace keel::ctl {

std::pair<std::string, std::string> split_cp_arg(const std::string& arg) {
  if (arg.starts_with("/"))
    return {"", arg};
  const auto colon = arg.find(':');
  if (colon == std::string::npos || arg.starts_with("."))
    return {"", arg};
  return {arg.substr(0, colon), arg.substr(colon + 1)};
}

std::optional<std::string> rename_entry(const std::string& entry, const std::string& new_base) {
  const std::string clean =
      std::filesystem::path(entry).lexically_normal().relative_path().string();
  std::string path = clean;
  while (path.starts_with("./"))
    path.erase(0, 2);
  while (!path.empty() && path.back() == '/')
    path.pop_back();
  if (path.empty() || path == "." || path == ".." || path.starts_with("../"))
    return std::nullopt;
  const auto slash = path.find('/');
  const std::string rest = slash == std::string::npos ? "" : path.substr(slash + 1);
  if (new_base.empty())
    return rest.empty() ? std::nullopt : std::optional<std::string>(rest);
  return rest.empty() ? new_base : new_base + "/" + rest;
}

std::string base_name(std::string path) {
  while (path.size() > 1 && path.back() == '/')
    path.pop_back();
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string dir_name(std::string path) {
  while (path.size() > 1 && path.back() == '/')
    path.pop_back();
  const auto slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::pair<std::string, bool> content_only(const std::string& path) {
  if (path == "." || path.ends_with("/.")) {
    std::string trimmed = path.substr(0, path.size() - 1);
    if (trimmed.size() > 1 && trimmed.back() == '/')
      trimmed.pop_back();
    return {trimmed.empty() ? "." : trimmed, true};
  }
  return {path, false};
}

}  // namespace keel::ctl
