// Paths: where cgroups_path puts a container in each hierarchy, and its JSON form in state.json.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "runtime/cgroups/cgroup_fs.h"
#include "runtime/cgroups/manager.h"

namespace keel::runtime::cgroups {
namespace {

// Lexical clean of an absolute path: no ".", "..", doubled or trailing slashes. ".." stops at
// "/", so a cgroups_path cannot climb out of the hierarchy (runc's CleanPath does the same).
std::string clean_absolute(std::string_view path) {
  std::vector<std::string> parts;
  for (auto& part : detail::split(path, '/')) {
    if (part == ".")
      continue;
    if (part == "..") {
      if (!parts.empty())
        parts.pop_back();
      continue;
    }
    parts.push_back(std::move(part));
  }
  std::string out;
  for (const auto& part : parts)
    out += "/" + part;
  return out.empty() ? "/" : out;
}

}  // namespace

std::string to_json(const Paths& paths) {
  nlohmann::json j;
  j["v1"] = paths.v1;
  j["unified"] = paths.unified;
  return j.dump();
}

Result<Paths> parse_paths(std::string_view json) {
  try {
    const auto j = nlohmann::json::parse(json);
    Paths paths;
    if (const auto it = j.find("v1"); it != j.end() && !it->is_null())
      paths.v1 = it->get<std::map<std::string, std::string>>();
    if (const auto it = j.find("unified"); it != j.end() && !it->is_null())
      paths.unified = it->get<std::string>();
    return paths;
  } catch (const nlohmann::json::exception& e) {
    return Error::of(Errc::kInvalidArgument, fmt::format("cgroup paths: {}", e.what()));
  }
}

Result<Paths> resolve_paths(const Layout& layout, const std::optional<std::string>& cgroups_path,
                            const std::string& id) {
  const std::string wanted = cgroups_path && !cgroups_path->empty() ? *cgroups_path : "/keel/" + id;
  const bool absolute = wanted.front() == '/';
  const auto dir_in = [&](const std::string& hierarchy,
                          const std::string& mountpoint) -> Result<std::string> {
    std::string rel = wanted;
    if (!absolute) {
      const auto own = layout.self_cgroup.find(hierarchy);
      rel = (own == layout.self_cgroup.end() ? std::string("/") : own->second) + "/" + wanted;
    }
    rel = clean_absolute(rel);
    if (rel == "/")
      return Error::of(Errc::kInvalidArgument,
                       fmt::format("linux.cgroupsPath \"{}\": names the root of the \"{}\" "
                                   "hierarchy, which a container cannot own",
                                   wanted, hierarchy.empty() ? "cgroup2" : hierarchy));
    return mountpoint + rel;
  };
  Paths paths;
  if (layout.mode != Layout::Mode::kV2) {
    for (const auto& [hierarchy, mountpoint] : layout.v1_mounts) {
      auto dir = dir_in(hierarchy, mountpoint);
      if (!dir)
        return std::move(dir).error();
      paths.v1[hierarchy] = std::move(*dir);
    }
  }
  if (layout.mode != Layout::Mode::kV1 && !layout.unified_mount.empty()) {
    auto dir = dir_in("", layout.unified_mount);
    if (!dir)
      return std::move(dir).error();
    paths.unified = std::move(*dir);
  }
  if (paths.v1.empty() && paths.unified.empty())
    return Error::of(Errc::kFailedPrecondition, "no cgroup hierarchy is mounted");
  return paths;
}

}  // namespace keel::runtime::cgroups
