// Writes tar entries under a layer root. Parents are resolved with openat2(RESOLVE_IN_ROOT |
// RESOLVE_NO_SYMLINKS) and leaves are created with *at() calls that do not follow a final
// symlink, so an archive that plants a symlink (etc -> /etc) cannot write through it.
#include "manager/snapshots/unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

#include <spdlog/spdlog.h>

#include "common/scope_guard.h"
#include "common/unique_fd.h"
#include "manager/snapshots/tar_path.h"

namespace keel::manager::snapshots {
namespace {

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kWhiteoutMetaPrefix = ".wh..wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";
// Overlayfs keeps its own state in trusted.overlay.*: a layer may express deletions only through
// .wh. names, never by smuggling opaque/redirect/metacopy xattrs in.
constexpr std::string_view kOverlayXattrPrefix = "trusted.overlay.";

constexpr std::uint64_t kResolve =
    RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;

int openat2_fd(int dirfd, const std::string& path, int flags) {
  open_how how{};
  how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
  how.resolve = kResolve;
  return static_cast<int>(::syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how));
}

std::string in_quotes(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

Error symlink_refusal(const std::string& path) {
  return Error::of(
      Errc::kInvalidArgument,
      "path " + in_quotes(path) + " goes through a symlink; refusing to write through it");
}

struct Times {
  timespec ts[2];
};

Times entry_times(archive_entry* e) {
  Times t{};
  t.ts[1].tv_sec = archive_entry_mtime(e);
  t.ts[1].tv_nsec = archive_entry_mtime_nsec(e);
  t.ts[0] = t.ts[1];
  if (archive_entry_atime_is_set(e) != 0) {
    t.ts[0].tv_sec = archive_entry_atime(e);
    t.ts[0].tv_nsec = archive_entry_atime_nsec(e);
  }
  return t;
}

// Applies the entry's xattrs through `set` (fsetxattr on an fd, or setxattr on a path).
template <class Set>
Result<void> apply_xattrs(archive_entry* e, Set set) {
  if (archive_entry_xattr_reset(e) == 0)
    return {};
  const char* name = nullptr;
  const void* value = nullptr;
  std::size_t size = 0;
  while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
    if (name == nullptr || std::string_view(name).starts_with(kOverlayXattrPrefix))
      continue;
    if (set(name, value, size) != 0)
      return Error::sys("set xattr " + in_quotes(name));
  }
  return {};
}

// Ownership, then mode (chown clears set-id bits), then xattrs (chown clears
// security.capability), on an fd open for the entry itself.
Result<void> apply_fd_metadata(int fd, archive_entry* e) {
  if (::fchown(fd, archive_entry_uid(e), archive_entry_gid(e)) != 0)
    return Error::sys("chown");
  if (::fchmod(fd, archive_entry_perm(e)) != 0)
    return Error::sys("chmod");
  return apply_xattrs(
      e, [fd](const char* n, const void* v, std::size_t s) { return ::fsetxattr(fd, n, v, s, 0); });
}

Result<void> write_all_at(int fd, const void* buf, std::size_t size, std::int64_t offset) {
  const auto* p = static_cast<const char*>(buf);
  while (size > 0) {
    const ssize_t n = ::pwrite(fd, p, size, offset);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return Error::sys("write");
    }
    p += n;
    size -= static_cast<std::size_t>(n);
    offset += n;
  }
  return {};
}

class Unpacker {
 public:
  Unpacker(int root_fd, LayerStream& stream) : root_fd_(root_fd), stream_(stream) {}

  Result<void> apply(archive_entry* e) {
    const char* raw = archive_entry_pathname(e);
    const std::string name = raw != nullptr ? raw : "";
    auto parts = split_entry_path(name);
    if (!parts)
      return std::move(parts).error();
    if (auto r = apply_parts(e, *parts); !r)
      return std::move(r).error().context("tar entry " + in_quotes(name));
    return {};
  }

  // Directory mtimes last: creating the children changed them.
  Result<void> finish() {
    for (auto& [path, times] : dir_times_) {
      UniqueFd fd(openat2_fd(root_fd_, path, O_RDONLY | O_DIRECTORY));
      if (!fd.valid())
        continue;  // replaced by a later entry, which set its own times
      if (::futimens(fd.get(), times.ts) != 0)
        return Error::sys("set times of " + in_quotes(path));
    }
    return {};
  }

 private:
  Result<void> apply_parts(archive_entry* e, const std::vector<std::string>& parts) {
    if (parts.empty()) {  // "./": the layer root's own metadata
      if (archive_entry_filetype(e) != AE_IFDIR)
        return Error::of(Errc::kInvalidArgument, "the layer root must be a directory");
      KEEL_TRY(apply_fd_metadata(root_fd_, e));
      dir_times_.emplace_back(".", entry_times(e));
      return {};
    }
    auto parent = parent_of(parts);
    if (!parent)
      return std::move(parent).error();
    const std::string& leaf = parts.back();
    if (leaf.starts_with(kWhiteoutPrefix))
      return whiteout(*parent, leaf, e);
    if (const char* link = archive_entry_hardlink(e); link != nullptr)
      return hardlink(*parent, parts, link);
    switch (archive_entry_filetype(e)) {
      case AE_IFREG:
        return regular(*parent, leaf, e);
      case AE_IFDIR:
        return directory(*parent, parts, e);
      case AE_IFLNK:
        return symlink(*parent, leaf, e);
      case AE_IFCHR:
      case AE_IFBLK:
      case AE_IFIFO:
        return node(*parent, leaf, e);
      default:
        spdlog::debug("unpack: skipping {} of type {:o}", join_path(parts, parts.size()),
                      archive_entry_filetype(e));
        return {};
    }
  }

  // The directory holding parts.back(), created (0755, root-owned, as docker does) where the
  // archive never named it. Cached: tar entries come grouped by directory.
  Result<int> parent_of(const std::vector<std::string>& parts) {
    if (parts.size() == 1)
      return root_fd_;
    const std::string path = join_path(parts, parts.size() - 1);
    if (cached_parent_.valid() && cached_path_ == path)
      return cached_parent_.get();
    UniqueFd fd(openat2_fd(root_fd_, path, O_PATH | O_DIRECTORY));
    if (!fd.valid()) {
      if (errno == ELOOP)
        return symlink_refusal(path);
      if (errno != ENOENT)
        return Error::sys("open parent " + in_quotes(path));
      auto made = make_parents(parts);
      if (!made)
        return std::move(made).error();
      fd = std::move(*made);
    }
    cached_parent_ = std::move(fd);
    cached_path_ = path;
    return cached_parent_.get();
  }

  Result<UniqueFd> make_parents(const std::vector<std::string>& parts) {
    UniqueFd cur(::fcntl(root_fd_, F_DUPFD_CLOEXEC, 3));
    if (!cur.valid())
      return Error::sys("dup layer root");
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      UniqueFd next(openat2_fd(cur.get(), parts[i], O_PATH | O_DIRECTORY));
      if (!next.valid() && errno == ENOENT) {
        if (::mkdirat(cur.get(), parts[i].c_str(), 0755) != 0 && errno != EEXIST)
          return Error::sys("create parent " + in_quotes(join_path(parts, i + 1)));
        next.reset(openat2_fd(cur.get(), parts[i], O_PATH | O_DIRECTORY));
      }
      if (!next.valid()) {
        if (errno == ELOOP)
          return symlink_refusal(join_path(parts, i + 1));
        return Error::sys("open parent " + in_quotes(join_path(parts, i + 1)));
      }
      cur = std::move(next);
    }
    return cur;
  }

  // Makes room for a new leaf. Returns true when an existing directory is kept (a directory
  // entry over a directory updates it, as tar does).
  Result<bool> clear(int parent, const std::string& leaf, bool keep_dir) {
    struct stat st {};
    if (::fstatat(parent, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT)
        return false;
      return Error::sys("stat existing");
    }
    if (S_ISDIR(st.st_mode)) {
      if (keep_dir)
        return true;
      // Through the parent's fd: remove_all does not follow symlinks below it.
      std::error_code ec;
      std::filesystem::remove_all("/proc/self/fd/" + std::to_string(parent) + "/" + leaf, ec);
      if (ec)
        return Error::sys("remove existing directory", ec.value());
      cached_parent_.reset();  // it may have been this directory or below it
      cached_path_.clear();
      return false;
    }
    if (::unlinkat(parent, leaf.c_str(), 0) != 0)
      return Error::sys("remove existing");
    return false;
  }

  Result<void> whiteout(int parent, const std::string& leaf, archive_entry* e) {
    if (leaf == kOpaqueMarker) {
      UniqueFd dir(::openat(parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!dir.valid())
        return Error::sys("open opaque directory");
      if (::fsetxattr(dir.get(), "trusted.overlay.opaque", "y", 1, 0) != 0)
        return Error::sys("set trusted.overlay.opaque");
      return {};
    }
    if (leaf.starts_with(kWhiteoutMetaPrefix))
      return {};  // aufs bookkeeping (.wh..wh.plnk and the like): nothing to apply
    const std::string target = leaf.substr(kWhiteoutPrefix.size());
    if (target.empty() || target == "." || target == "..")
      return Error::of(Errc::kInvalidArgument, "whiteout of an invalid name");
    KEEL_TRY(clear(parent, target, false));
    // Overlayfs's whiteout: a character device 0/0 hides the lower entry of that name.
    if (::mknodat(parent, target.c_str(), S_IFCHR, makedev(0, 0)) != 0)
      return Error::sys("create whiteout");
    if (::fchownat(parent, target.c_str(), archive_entry_uid(e), archive_entry_gid(e),
                   AT_SYMLINK_NOFOLLOW) != 0)
      return Error::sys("chown whiteout");
    return {};
  }

  Result<void> hardlink(int parent, const std::vector<std::string>& parts, const char* link) {
    auto target = split_entry_path(link);
    if (!target)
      return std::move(target).error().context("hardlink");
    if (target->empty())
      return Error::of(Errc::kInvalidArgument, "hardlink to the layer root");
    if (*target == parts)
      return {};
    const std::string tparent_path = join_path(*target, target->size() - 1);
    UniqueFd tparent(openat2_fd(root_fd_, tparent_path, O_PATH | O_DIRECTORY));
    if (!tparent.valid()) {
      if (errno == ELOOP)
        return symlink_refusal(tparent_path);
      return Error::sys("hardlink target " + in_quotes(link));
    }
    const std::string& tleaf = target->back();
    struct stat st {};
    if (::fstatat(tparent.get(), tleaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      return Error::sys("hardlink target " + in_quotes(link));
    if (S_ISDIR(st.st_mode))
      return Error::of(Errc::kInvalidArgument, "hardlink to directory " + in_quotes(link));
    KEEL_TRY(clear(parent, parts.back(), false));
    if (::linkat(tparent.get(), tleaf.c_str(), parent, parts.back().c_str(), 0) != 0)
      return Error::sys("hardlink to " + in_quotes(link));
    return {};
  }

  Result<void> regular(int parent, const std::string& leaf, archive_entry* e) {
    KEEL_TRY(clear(parent, leaf, false));
    UniqueFd fd(
        ::openat(parent, leaf.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd.valid())
      return Error::sys("create file");
    for (;;) {
      const void* buf = nullptr;
      std::size_t size = 0;
      la_int64_t offset = 0;
      const int r = archive_read_data_block(stream_.tar(), &buf, &size, &offset);
      if (r == ARCHIVE_EOF)
        break;
      if (r < ARCHIVE_WARN)
        return stream_.tar_error("read data");
      KEEL_TRY(write_all_at(fd.get(), buf, size, offset));
    }
    // Sparse files end in a hole that no data block covers.
    if (archive_entry_size_is_set(e) != 0 && ::ftruncate(fd.get(), archive_entry_size(e)) != 0)
      return Error::sys("truncate");
    KEEL_TRY(apply_fd_metadata(fd.get(), e));
    const Times t = entry_times(e);
    if (::futimens(fd.get(), t.ts) != 0)
      return Error::sys("set times");
    return {};
  }

  Result<void> directory(int parent, const std::vector<std::string>& parts, archive_entry* e) {
    const std::string& leaf = parts.back();
    auto kept = clear(parent, leaf, true);
    if (!kept)
      return std::move(kept).error();
    if (!*kept && ::mkdirat(parent, leaf.c_str(), 0700) != 0)
      return Error::sys("create directory");
    UniqueFd fd(::openat(parent, leaf.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid())
      return Error::sys("open directory");
    KEEL_TRY(apply_fd_metadata(fd.get(), e));
    dir_times_.emplace_back(join_path(parts, parts.size()), entry_times(e));
    return {};
  }

  Result<void> symlink(int parent, const std::string& leaf, archive_entry* e) {
    const char* target = archive_entry_symlink(e);
    if (target == nullptr)
      return Error::of(Errc::kInvalidArgument, "symlink without a target");
    KEEL_TRY(clear(parent, leaf, false));
    // The target is stored, never followed here: absolute targets are normal in images.
    if (::symlinkat(target, parent, leaf.c_str()) != 0)
      return Error::sys("create symlink");
    if (::fchownat(parent, leaf.c_str(), archive_entry_uid(e), archive_entry_gid(e),
                   AT_SYMLINK_NOFOLLOW) != 0)
      return Error::sys("chown symlink");
    const Times t = entry_times(e);
    if (::utimensat(parent, leaf.c_str(), t.ts, AT_SYMLINK_NOFOLLOW) != 0)
      return Error::sys("set symlink times");
    return {};
  }

  Result<void> node(int parent, const std::string& leaf, archive_entry* e) {
    KEEL_TRY(clear(parent, leaf, false));
    const mode_t type = archive_entry_filetype(e);
    const dev_t dev =
        type == AE_IFIFO ? 0 : makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
    if (::mknodat(parent, leaf.c_str(), type | archive_entry_perm(e), dev) != 0)
      return Error::sys("create node");
    // An O_PATH fd pins the new node; its /proc link reaches it without a path walk, for the
    // calls that have no fd-taking form that works on O_PATH.
    UniqueFd fd(::openat(parent, leaf.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid())
      return Error::sys("open node");
    const std::string proc = "/proc/self/fd/" + std::to_string(fd.get());
    if (::fchownat(fd.get(), "", archive_entry_uid(e), archive_entry_gid(e), AT_EMPTY_PATH) != 0)
      return Error::sys("chown node");
    if (::chmod(proc.c_str(), archive_entry_perm(e)) != 0)
      return Error::sys("chmod node");
    KEEL_TRY(apply_xattrs(e, [&proc](const char* n, const void* v, std::size_t s) {
      return ::setxattr(proc.c_str(), n, v, s, 0);
    }));
    const Times t = entry_times(e);
    if (::utimensat(parent, leaf.c_str(), t.ts, AT_SYMLINK_NOFOLLOW) != 0)
      return Error::sys("set node times");
    return {};
  }

  int root_fd_;
  LayerStream& stream_;
  UniqueFd cached_parent_;
  std::string cached_path_;
  std::vector<std::pair<std::string, Times>> dir_times_;
};

}  // namespace

Result<UnpackResult> unpack_layer_into(int root_fd, const ReadFn& read) {
  auto stream = LayerStream::open(read);
  if (!stream)
    return std::move(stream).error();
  Unpacker unpacker(root_fd, **stream);
  UnpackResult result;
  for (;;) {
    auto entry = (*stream)->next();
    if (!entry)
      return std::move(entry).error();
    if (*entry == nullptr)
      break;
    KEEL_TRY(unpacker.apply(*entry));
    ++result.entries;
  }
  KEEL_TRY(unpacker.finish());
  auto digests = (*stream)->finish();
  if (!digests)
    return std::move(digests).error();
  result.digests = std::move(*digests);
  return result;
}

Result<UnpackResult> unpack_layer(const ReadFn& read, const std::string& target) {
  const std::filesystem::path path(target);
  struct stat st {};
  if (::lstat(target.c_str(), &st) == 0)
    return Error::of(Errc::kAlreadyExists, "unpack layer: " + in_quotes(target) + " exists");
  std::string tmp = (path.parent_path() / ("." + path.filename().string() + ".tmp-XXXXXX"));
  if (::mkdtemp(tmp.data()) == nullptr)
    return Error::sys("unpack layer: create temp dir beside " + in_quotes(target));
  ScopeGuard cleanup([&tmp] {
    std::error_code ec;
    std::filesystem::remove_all(tmp, ec);
  });
  UniqueFd root(::open(tmp.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid())
    return Error::sys("unpack layer: open " + in_quotes(tmp));
  // mkdtemp's 0700 would keep non-root container users out when the tar names no "./".
  if (::fchmod(root.get(), 0755) != 0)
    return Error::sys("unpack layer: chmod " + in_quotes(tmp));
  auto result = unpack_layer_into(root.get(), read);
  if (!result)
    return std::move(result).error().context("unpack layer into " + in_quotes(target));
  if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) != 0)
    return Error::sys("unpack layer: rename into " + in_quotes(target));
  cleanup.release();
  return result;
}

}  // namespace keel::manager::snapshots
