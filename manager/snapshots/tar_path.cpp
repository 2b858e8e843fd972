// Entry names are judged lexically first, so an escaping name is refused with its own text in the
// error; the openat2 resolution in unpack.cpp then guards against what lexical checks cannot see
// (symlinks created by earlier entries).
#include "manager/snapshots/tar_path.h"

namespace keel::manager::snapshots {

Result<std::vector<std::string>> split_entry_path(std::string_view name) {
  if (name.empty())
    return Error::of(Errc::kInvalidArgument, "tar entry with an empty name");
  // The design refuses absolute names rather than re-rooting them: a layer that names "/etc/x" is
  // not what any image builder writes, and re-rooting silently would hide a crafted archive.
  if (name.front() == '/')
    return Error::of(Errc::kInvalidArgument,
                     "tar entry \"" + std::string(name) + "\" has an absolute path");
  std::vector<std::string> parts;
  std::size_t pos = 0;
  while (pos <= name.size()) {
    std::size_t end = name.find('/', pos);
    if (end == std::string_view::npos)
      end = name.size();
    const std::string_view part = name.substr(pos, end - pos);
    pos = end + 1;
    if (part.empty() || part == ".")
      continue;
    if (part == "..") {
      if (parts.empty())
        return Error::of(Errc::kInvalidArgument,
                         "tar entry \"" + std::string(name) + "\" escapes the layer root");
      parts.pop_back();
      continue;
    }
    parts.emplace_back(part);
  }
  return parts;
}

std::string join_path(const std::vector<std::string>& parts, std::size_t count) {
  if (count == 0)
    return ".";
  std::string out;
  for (std::size_t i = 0; i < count && i < parts.size(); ++i) {
    if (i != 0)
      out += '/';
    out += parts[i];
  }
  return out;
}

}  // namespace keel::manager::snapshots
