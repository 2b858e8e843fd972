// resolve_user: passwd(5) and group(5) lines, docker's rules for what -u may name.
#include "manager/containers/user_lookup.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <optional>

#include "common/passwd_file.h"
#include "common/unique_fd.h"

namespace keel::manager::containers {
namespace {

std::optional<gid_t> find_group(std::string_view group, std::string_view who) {
  if (auto n = parse_id(who))
    return *n;
  std::optional<gid_t> found;
  for_each_colon_record(group, [&](const std::vector<std::string_view>& f) {
    if (!found && f.size() >= 3 && f[0] == who)
      found = parse_id(f[2]);
  });
  return found;
}

std::vector<gid_t> groups_listing(std::string_view group, std::string_view user, gid_t primary) {
  std::vector<gid_t> out;
  for_each_colon_record(group, [&](const std::vector<std::string_view>& f) {
    if (f.size() < 4)
      return;
    auto gid = parse_id(f[2]);
    if (!gid || *gid == primary)
      return;
    std::string_view members = f[3];
    std::size_t start = 0;
    while (start <= members.size()) {
      std::size_t comma = members.find(',', start);
      if (comma == std::string_view::npos)
        comma = members.size();
      if (members.substr(start, comma - start) == user) {
        out.push_back(*gid);
        break;
      }
      start = comma + 1;
    }
  });
  return out;
}

}  // namespace

Result<ResolvedUser> resolve_user_in(std::string_view passwd, std::string_view group,
                                     std::string_view spec) {
  ResolvedUser r;
  if (spec.empty())
    spec = "0";
  const std::size_t colon = spec.find(':');
  const std::string_view user = spec.substr(0, colon);
  const std::string_view grp = colon == std::string_view::npos ? "" : spec.substr(colon + 1);
  if (user.empty())
    return Error::of(Errc::kInvalidArgument, "user \"" + std::string(spec) + "\": no user");
  if (auto entry = find_passwd(passwd, user)) {
    r.uid = entry->uid;
    r.gid = entry->gid;
    r.home = entry->home.empty() ? "/" : entry->home;
    if (grp.empty())
      r.additional_gids = groups_listing(group, entry->name, r.gid);
  } else if (auto uid = parse_id(user)) {
    r.uid = *uid;
  } else {
    return Error::of(Errc::kNotFound, "unable to find user " + std::string(user) +
                                          ": no matching entries in passwd file");
  }
  if (!grp.empty()) {
    auto gid = find_group(group, grp);
    if (!gid)
      return Error::of(Errc::kNotFound, "unable to find group " + std::string(grp) +
                                            ": no matching entries in group file");
    r.gid = *gid;
  }
  return r;
}

Result<std::string> read_in_rootfs(const std::string& rootfs, const std::string& path,
                                   std::size_t max_bytes) {
  UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid())
    return Error::sys("open rootfs \"" + rootfs + "\"");
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const std::size_t first = path.find_first_not_of('/');
  const std::string relative = first == std::string::npos ? "." : path.substr(first);
  UniqueFd fd(
      static_cast<int>(::syscall(SYS_openat2, root.get(), relative.c_str(), &how, sizeof how)));
  if (!fd.valid())
    return Error::sys("open \"" + path + "\" in rootfs \"" + rootfs + "\"");
  std::string out;
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return Error::sys("read \"" + path + "\" in rootfs \"" + rootfs + "\"");
    if (n == 0)
      return out;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > max_bytes)
      return Error::of(Errc::kInvalidArgument,
                       "\"" + path + "\" in rootfs \"" + rootfs + "\" is too large");
  }
}

Result<ResolvedUser> resolve_user(const std::string& rootfs, std::string_view spec) {
  auto read_or_empty = [&](const char* path) -> Result<std::string> {
    auto text = read_in_rootfs(rootfs, path);
    if (!text && text.error().kind() == Errc::kNotFound)
      return std::string();
    return text;
  };
  auto passwd = read_or_empty("/etc/passwd");
  if (!passwd)
    return std::move(passwd).error();
  auto group = read_or_empty("/etc/group");
  if (!group)
    return std::move(group).error();
  return resolve_user_in(*passwd, *group, spec);
}

}  // namespace keel::manager::containers
