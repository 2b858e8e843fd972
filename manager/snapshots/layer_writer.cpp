// Upper dir -> tar with libarchive's pax writer; bytes are hashed on their way to the WriteFn.
#include "manager/snapshots/layer_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <climits>
#include <map>
#include <memory>

#include "common/archive_handle.h"
#include "common/unique_fd.h"
#include "manager/snapshots/snapshotter.h"
#include "manager/snapshots/tree_walk.h"

namespace keel::manager::snapshots {
namespace {

constexpr std::size_t kBufSize = 256 * 1024;

struct Sink {
  const WriteFn* write;
  content::Digester digest;
  std::uint64_t size = 0;
  std::optional<Error> error;
};

la_ssize_t write_cb(archive* a, void* data, const void* buf, size_t size) {
  auto* sink = static_cast<Sink*>(data);
  const auto bytes = std::span(static_cast<const std::byte*>(buf), size);
  if (auto r = (*sink->write)(bytes); !r) {
    archive_set_error(a, r.error().errnum() != 0 ? r.error().errnum() : EIO, "write layer");
    sink->error = std::move(r).error();
    return -1;
  }
  sink->digest.update(bytes);
  sink->size += size;
  return static_cast<la_ssize_t>(size);
}

ArchiveEntry make_entry(const std::string& path, const struct stat& st) {
  ArchiveEntry e(archive_entry_new());
  archive_entry_set_pathname(e.get(), path.c_str());
  archive_entry_copy_stat(e.get(), &st);
  // Host inode numbers and ctimes mean nothing in an image and would make layers irreproducible.
  archive_entry_set_ino(e.get(), 0);
  archive_entry_set_dev(e.get(), 0);
  archive_entry_set_nlink(e.get(), 1);
  archive_entry_unset_ctime(e.get());
  archive_entry_unset_atime(e.get());
  if (!S_ISREG(st.st_mode))
    archive_entry_set_size(e.get(), 0);
  return e;
}

void copy_xattrs(int fd, archive_entry* e) {
  char names[4096];
  const ssize_t len = ::flistxattr(fd, names, sizeof names);
  for (ssize_t off = 0; len > 0 && off < len;) {
    const std::string name(names + off);
    off += static_cast<ssize_t>(name.size()) + 1;
    if (name.starts_with("trusted.overlay."))
      continue;  // overlay's bookkeeping, expressed as .wh. entries instead
    char value[4096];
    const ssize_t n = ::fgetxattr(fd, name.c_str(), value, sizeof value);
    if (n >= 0)
      archive_entry_xattr_add_entry(e, name.c_str(), value, static_cast<size_t>(n));
  }
}

class Writer {
 public:
  explicit Writer(archive* a) : a_(a) {}

  Result<bool> entry(const WalkEntry& w) {
    const std::string dir = w.path.substr(0, w.path.size() - w.name.size());
    if (is_whiteout(w.st)) {
      struct stat st = w.st;
      st.st_mode = S_IFREG;
      st.st_rdev = 0;
      KEEL_TRY(header(make_entry(dir + ".wh." + w.name, st).get(), w.path));
      return false;
    }
    if (S_ISREG(w.st.st_mode))
      return regular(w);
    ArchiveEntry e = make_entry(w.path, w.st);
    if (S_ISLNK(w.st.st_mode)) {
      std::string target(PATH_MAX, '\0');
      const ssize_t n = ::readlinkat(w.parent_fd, w.name.c_str(), target.data(), target.size());
      if (n < 0)
        return Error::sys("readlink \"" + w.path + "\"");
      target.resize(static_cast<size_t>(n));
      archive_entry_set_symlink(e.get(), target.c_str());
      KEEL_TRY(header(e.get(), w.path));
      return false;
    }
    if (S_ISSOCK(w.st.st_mode))
      return false;  // tar has no sockets; a container's live sockets are not image content
    if (!S_ISDIR(w.st.st_mode)) {  // devices and fifos
      KEEL_TRY(header(e.get(), w.path));
      return false;
    }
    UniqueFd fd(
        ::openat(w.parent_fd, w.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid())
      return Error::sys("open \"" + w.path + "\"");
    copy_xattrs(fd.get(), e.get());
    KEEL_TRY(header(e.get(), w.path));
    if (is_opaque_dir(fd.get())) {
      struct stat st = w.st;
      st.st_mode = S_IFREG;
      KEEL_TRY(header(make_entry(w.path + "/.wh..wh..opq", st).get(), w.path));
    }
    return true;
  }

 private:
  Result<bool> regular(const WalkEntry& w) {
    ArchiveEntry e = make_entry(w.path, w.st);
    if (w.st.st_nlink > 1) {
      const auto key = std::make_pair(w.st.st_dev, w.st.st_ino);
      if (auto it = links_.find(key); it != links_.end()) {
        archive_entry_set_hardlink(e.get(), it->second.c_str());
        archive_entry_set_size(e.get(), 0);
        KEEL_TRY(header(e.get(), w.path));
        return false;
      }
      links_.emplace(key, w.path);
    }
    UniqueFd fd(::openat(w.parent_fd, w.name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid())
      return Error::sys("open \"" + w.path + "\"");
    copy_xattrs(fd.get(), e.get());
    KEEL_TRY(header(e.get(), w.path));
    auto buf = std::make_unique<char[]>(kBufSize);
    for (off_t left = w.st.st_size; left > 0;) {
      const ssize_t n = ::read(fd.get(), buf.get(), kBufSize);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return Error::sys("read \"" + w.path + "\"");
      if (n == 0)
        return Error::of(Errc::kFailedPrecondition, "\"" + w.path + "\" shrank while exported");
      const auto chunk = std::min<off_t>(n, left);  // a file that grew is cut at its stat size
      if (archive_write_data(a_, buf.get(), static_cast<size_t>(chunk)) < 0)
        return Error::of(Errc::kInternal, "write \"" + w.path + "\": " + archive_error_string(a_));
      left -= chunk;
    }
    return false;
  }

  Result<void> header(archive_entry* e, const std::string& path) {
    if (archive_write_header(a_, e) != ARCHIVE_OK)
      return Error::of(Errc::kInternal,
                       "tar header for \"" + path + "\": " + archive_error_string(a_));
    return {};
  }

  archive* a_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
};

}  // namespace

WriteFn write_to_fd(int fd) {
  return [fd](std::span<const std::byte> data) -> Result<void> {
    while (!data.empty()) {
      const ssize_t n = ::write(fd, data.data(), data.size());
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return Error::sys("write layer");
      data = data.subspan(static_cast<size_t>(n));
    }
    return {};
  };
}

Result<LayerDigests> write_layer(const std::string& upper, const WriteFn& write) {
  const std::string what = "export layer from \"" + upper + "\"";
  UniqueFd root(::open(upper.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid())
    return Error::sys(what);
  Sink sink{&write, {}, 0, {}};
  ArchiveWriter a(archive_write_new());
  if (!a || archive_write_set_format_pax_restricted(a.get()) != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(a.get(), 1) != ARCHIVE_OK ||
      archive_write_open2(a.get(), &sink, nullptr, &write_cb, nullptr, nullptr) != ARCHIVE_OK)
    return Error::of(Errc::kInternal, what + ": cannot start a tar writer");
  Writer writer(a.get());
  auto walked = walk_tree(root.get(), [&writer](const WalkEntry& e) { return writer.entry(e); });
  if (!walked)
    return sink.error ? Error(*sink.error).context(what) : std::move(walked).error().context(what);
  if (archive_write_close(a.get()) != ARCHIVE_OK)
    return sink.error ? Error(*sink.error).context(what)
                      : Error::of(Errc::kInternal, what + ": " + archive_error_string(a.get()));
  LayerDigests out;
  out.diff_id = sink.digest.finish();
  out.compressed_digest = out.diff_id;
  out.uncompressed_size = out.compressed_size = sink.size;
  return out;
}

Result<SnapshotDirs> snapshot_dirs(Snapshotter& snapshotter, const std::string& key) {
  auto info = snapshotter.stat(key);
  if (!info)
    return std::move(info).error();
  if (info->kind != Kind::kActive)
    return Error::of(Errc::kFailedPrecondition,
                     "snapshot \"" + key + "\" is " + kind_name(info->kind) + ", not active");
  auto mounts = snapshotter.mounts(key);
  if (!mounts)
    return std::move(mounts).error();
  SnapshotDirs out;
  const Mount& m = mounts->front();
  if (m.type == "bind") {
    out.upper = m.source;
    return out;
  }
  for (const auto& o : m.options) {
    if (o.starts_with("upperdir="))
      out.upper = o.substr(9);
    if (o.starts_with("lowerdir=")) {
      for (std::size_t pos = 9; pos <= o.size();) {
        const std::size_t end = std::min(o.find(':', pos), o.size());
        out.lowers.push_back(o.substr(pos, end - pos));
        pos = end + 1;
      }
    }
  }
  return out;
}

Result<std::vector<Change>> snapshot_changes(Snapshotter& snapshotter, const std::string& key) {
  auto dirs = snapshot_dirs(snapshotter, key);
  if (!dirs)
    return std::move(dirs).error();
  return changes(dirs->upper, dirs->lowers);
}

Result<LayerDigests> export_layer(Snapshotter& snapshotter, const std::string& key,
                                  const WriteFn& write) {
  auto dirs = snapshot_dirs(snapshotter, key);
  if (!dirs)
    return std::move(dirs).error();
  return write_layer(dirs->upper, write);
}

}  // namespace keel::manager::snapshots
