// Which cgroup layout the host runs (v1, v2, hybrid) and where, and the make_manager/open_manager
// factories over it.
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <algorithm>
#include <mutex>
#include <optional>

#include <fmt/format.h>

#include "common/fs.h"
#include "runtime/cgroups/cgroup_fs.h"
#include "runtime/cgroups/internal.h"

namespace keel::runtime::cgroups {
namespace {

constexpr const char* kCgroupRoot = "/sys/fs/cgroup";

struct CgroupMount {
  std::string root;  // the mount's root inside the hierarchy (not "/" for a bind of a subtree)
  std::string mountpoint;
  std::vector<std::string> options;  // super options: controllers, name=..., rw
  bool v2 = false;
};

bool is_octal(char c) {
  return c >= '0' && c <= '7';
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && is_octal(s[i + 1]) && is_octal(s[i + 2]) &&
        is_octal(s[i + 3])) {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

// True when `inner` is `outer` or lies below it.
bool at_or_below(const std::string& inner, const std::string& outer) {
  if (outer == "/")
    return true;
  return inner.starts_with(outer) && (inner.size() == outer.size() || inner[outer.size()] == '/');
}

// "36 25 0:32 / /sys/fs/cgroup/memory rw,relatime shared:14 - cgroup cgroup rw,memory"
// Only the cgroup mounts a path lookup reaches: mountinfo lists mounts in the order they were
// made, so one covered by a later mount at its mountpoint or above it (a tmpfs stacked over
// /sys/fs/cgroup/unified, say) is hidden, and a path under it lands in the covering mount.
std::vector<CgroupMount> parse_mountinfo(std::string_view text) {
  struct Line {
    std::string mountpoint;
    std::optional<CgroupMount> cgroup;
  };
  std::vector<Line> lines;
  for (const auto& line : detail::split(text, '\n')) {
    const auto dash = line.find(" - ");
    if (dash == std::string::npos)
      continue;
    const auto head = detail::split(std::string_view(line).substr(0, dash), ' ');
    const auto tail = detail::split(std::string_view(line).substr(dash + 3), ' ');
    if (head.size() < 5 || tail.size() < 3)
      continue;
    Line parsed{unescape(head[4]), std::nullopt};
    if (tail[0] == "cgroup" || tail[0] == "cgroup2")
      parsed.cgroup = CgroupMount{unescape(head[3]), parsed.mountpoint, detail::split(tail[2], ','),
                                  tail[0] == "cgroup2"};
    lines.push_back(std::move(parsed));
  }
  std::vector<CgroupMount> out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!lines[i].cgroup)
      continue;
    const bool covered = std::any_of(
        lines.begin() + static_cast<std::ptrdiff_t>(i) + 1, lines.end(),
        [&](const Line& later) { return at_or_below(lines[i].mountpoint, later.mountpoint); });
    if (!covered)
      out.push_back(*lines[i].cgroup);
  }
  return out;
}

// The process's cgroup relative to the mountpoint: the mount shows the hierarchy from its root.
std::string below_mount_root(const std::string& path, const std::string& root) {
  if (root == "/" || root.empty())
    return path;
  if (!at_or_below(path, root))
    return path;
  return path == root ? "/" : path.substr(root.size());
}

struct ProcCgroup {
  std::string id, controllers, path;
};

// "4:memory:/process_api/x" and "0::/" lines; the path may itself hold ':'.
std::vector<ProcCgroup> parse_proc_cgroup(std::string_view text) {
  std::vector<ProcCgroup> out;
  for (const auto& line : detail::split(text, '\n')) {
    const auto a = line.find(':');
    const auto b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos)
      continue;
    out.push_back({line.substr(0, a), line.substr(a + 1, b - a - 1), line.substr(b + 1)});
  }
  return out;
}

std::string own_v2_cgroup(std::string_view proc_self_cgroup) {
  for (const auto& e : parse_proc_cgroup(proc_self_cgroup)) {
    if (e.id == "0" && e.controllers.empty())
      return e.path;
  }
  return "/";
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// A cgroup filesystem of that magic at `path`: its device, to tell mounts apart.
std::optional<dev_t> cgroup_fs_at(const std::string& path, decltype(statfs::f_type) magic) {
  struct statfs fs_info {};
  struct stat st {};
  if (::statfs(path.c_str(), &fs_info) != 0 || fs_info.f_type != magic ||
      ::stat(path.c_str(), &st) != 0)
    return std::nullopt;
  return st.st_dev;
}

}  // namespace

namespace detail {

std::optional<Layout> conventional_layout(std::string_view proc_self_cgroup) {
  Layout layout;
  std::vector<dev_t> devices;
  // Our own cgroup below the mountpoint: the mount shows its hierarchy from the root, as the
  // mountinfo path would have told (a container's bind of a subtree does not, and falls back).
  const auto take = [&](const std::string& mountpoint, decltype(statfs::f_type) magic,
                        const std::string& own) {
    const auto device = cgroup_fs_at(mountpoint, magic);
    if (!device || std::find(devices.begin(), devices.end(), *device) != devices.end() ||
        !is_directory(own == "/" ? mountpoint : mountpoint + own))
      return false;
    devices.push_back(*device);
    return true;
  };
  for (const auto& e : parse_proc_cgroup(proc_self_cgroup)) {
    if (e.id == "0" && e.controllers.empty()) {
      const std::string unified = std::string(kCgroupRoot) + "/unified";
      if (!take(unified, CGROUP2_SUPER_MAGIC, e.path))
        continue;  // none there, or covered: as mountinfo's reading would leave it out
      layout.unified_mount = unified;
      layout.self_cgroup[""] = e.path;
      continue;
    }
    if (e.controllers.empty())
      return std::nullopt;
    const std::string dir =
        e.controllers.starts_with("name=") ? e.controllers.substr(5) : e.controllers;
    if (dir.empty() || dir.find('/') != std::string::npos)
      return std::nullopt;
    const std::string mountpoint = std::string(kCgroupRoot) + "/" + dir;
    if (!take(mountpoint, CGROUP_SUPER_MAGIC, e.path))
      return std::nullopt;  // mounted elsewhere, or not at all: only mountinfo can tell
    layout.v1_mounts[e.controllers] = mountpoint;
    layout.self_cgroup[e.controllers] = e.path;
  }
  if (layout.v1_mounts.empty())
    return std::nullopt;
  layout.mode = layout.unified_mount.empty() ? Layout::Mode::kV1 : Layout::Mode::kHybrid;
  return layout;
}

}  // namespace detail

namespace {

Result<Layout> read_layout() {
  auto self = fs::read_file("/proc/self/cgroup");
  if (!self)
    return std::move(self).error();
  struct statfs st {};
  if (::statfs(kCgroupRoot, &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC) {
    Layout layout;
    layout.mode = Layout::Mode::kV2;
    layout.unified_mount = kCgroupRoot;
    layout.self_cgroup[""] = own_v2_cgroup(*self);
    return layout;
  }
  // mountinfo lists every mount of the host: with a thousand containers' overlays, printing and
  // parsing it was a quarter of a create's CPU. The usual v1 or hybrid layout needs none of it.
  if (auto layout = detail::conventional_layout(*self))
    return std::move(*layout);
  auto mountinfo = fs::read_file("/proc/self/mountinfo");
  if (!mountinfo)
    return std::move(mountinfo).error();
  auto layout = detail::parse_layout(*mountinfo, *self);
  if (!layout)
    return layout;
  // Confirmed as runc does: the path must really reach a cgroup filesystem of that version.
  if (!layout->unified_mount.empty() &&
      (::statfs(layout->unified_mount.c_str(), &st) != 0 || st.f_type != CGROUP2_SUPER_MAGIC)) {
    layout->unified_mount.clear();
    layout->self_cgroup.erase("");
    if (layout->v1_mounts.empty())
      return Error::of(Errc::kFailedPrecondition, "no cgroup filesystem is reachable");
    layout->mode = Layout::Mode::kV1;
  }
  for (const auto& [controllers, mountpoint] : layout->v1_mounts) {
    if (::statfs(mountpoint.c_str(), &st) != 0 || st.f_type != CGROUP_SUPER_MAGIC)
      return Error::of(
          Errc::kFailedPrecondition,
          "cgroup \"" + controllers + "\" at \"" + mountpoint + "\" is not a cgroup v1 filesystem");
  }
  return layout;
}

}  // namespace

namespace detail {

Result<Layout> parse_layout(std::string_view mountinfo, std::string_view proc_self_cgroup) {
  const auto mounts = parse_mountinfo(mountinfo);
  Layout layout;
  for (const auto& e : parse_proc_cgroup(proc_self_cgroup)) {
    if (e.id == "0" && e.controllers.empty()) {
      // Prefer the standard places; a second cgroup2 mount elsewhere is someone's bind.
      const CgroupMount* best = nullptr;
      for (const auto& m : mounts) {
        if (!m.v2)
          continue;
        const bool standard =
            m.mountpoint == kCgroupRoot || m.mountpoint == std::string(kCgroupRoot) + "/unified";
        if (!best || (standard && best->mountpoint != kCgroupRoot))
          best = &m;
      }
      if (best) {
        layout.unified_mount = best->mountpoint;
        layout.self_cgroup[""] = below_mount_root(e.path, best->root);
      }
      continue;
    }
    const auto wanted = split(e.controllers, ',');
    if (wanted.empty())
      continue;
    for (const auto& m : mounts) {
      if (m.v2 || !std::all_of(wanted.begin(), wanted.end(), [&](const std::string& c) {
            return std::find(m.options.begin(), m.options.end(), c) != m.options.end();
          }))
        continue;
      layout.v1_mounts[e.controllers] = m.mountpoint;
      layout.self_cgroup[e.controllers] = below_mount_root(e.path, m.root);
      break;
    }
  }
  if (!layout.v1_mounts.empty())
    layout.mode = layout.unified_mount.empty() ? Layout::Mode::kV1 : Layout::Mode::kHybrid;
  else if (!layout.unified_mount.empty())
    layout.mode = Layout::Mode::kV2;
  else
    return Error::of(Errc::kFailedPrecondition, "no cgroup filesystem is mounted");
  return layout;
}

}  // namespace detail

Result<Layout> detect_layout() {
  static std::mutex mu;
  static std::optional<Layout> cached;
  const std::lock_guard lock(mu);
  if (!cached) {
    auto layout = read_layout();
    if (!layout)
      return std::move(layout).error().context("detect cgroup layout");
    cached = std::move(*layout);
  }
  return *cached;
}

Result<std::unique_ptr<Manager>> make_manager(const std::optional<std::string>& cgroups_path,
                                              const std::string& id) {
  auto layout = detect_layout();
  if (!layout)
    return std::move(layout).error();
  return make_manager(*layout, cgroups_path, id);
}

Result<std::unique_ptr<Manager>> make_manager(const Layout& layout,
                                              const std::optional<std::string>& cgroups_path,
                                              const std::string& id) {
  auto paths = resolve_paths(layout, cgroups_path, id);
  if (!paths)
    return std::move(paths).error();
  if (layout.mode == Layout::Mode::kV2)
    return detail::make_v2_manager(std::move(*paths), layout.unified_mount);
  return detail::make_v1_manager(std::move(*paths), layout.unified_mount);
}

Result<std::unique_ptr<Manager>> open_manager(const Paths& paths) {
  if (!paths.v1.empty())
    return detail::make_v1_manager(paths, "");
  if (!paths.unified.empty())
    return detail::make_v2_manager(paths, "");
  return Error::of(Errc::kInvalidArgument, "cgroup paths: none recorded");
}

}  // namespace keel::runtime::cgroups
