#include "manager/containers/rootfs_archive.h"

#include <fcntl.h>

#include <vector>

#include "common/archive_handle.h"
#include "common/secure_path.h"
#include "common/unique_fd.h"
#include "manager/snapshots/layer_writer.h"
#include "manager/snapshots/unpack.h"

namespace keel::manager::containers {
namespace {

Result<UniqueFd> open_root(const std::string& rootfs) {
  UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid())
    return Error::sys("open " + rootfs);
  return root;
}

// docker cp's name for what path resolves to: its last component, "." for the root.
std::string base_name(std::string path) {
  while (path.size() > 1 && path.back() == '/')
    path.pop_back();
  path = path.substr(path.rfind('/') + 1);
  if (path.empty() || path == "/")
    path = ".";
  return path;
}

Error cp_error(archive* a) {
  return Error::of(Errc::kInternal, std::string("cp: ") + archive_error_string(a));
}

// Copies the disk reader's walk to the writer, renaming source[/rest] to base[/rest].
Result<void> copy_entries(archive* disk, archive* out, const std::string& source,
                          const std::string& base) {
  std::vector<char> buffer(1 << 16);
  while (true) {
    ArchiveEntry entry(archive_entry_new());
    const int r = archive_read_next_header2(disk, entry.get());
    if (r == ARCHIVE_EOF)
      return {};
    if (r != ARCHIVE_OK)
      return cp_error(disk);
    archive_read_disk_descend(disk);
    const std::string name =
        base + std::string(archive_entry_pathname(entry.get())).substr(source.size());
    archive_entry_set_pathname(entry.get(), name.c_str());
    if (archive_write_header(out, entry.get()) != ARCHIVE_OK)
      return cp_error(out);
    if (archive_entry_filetype(entry.get()) == AE_IFREG && archive_entry_size(entry.get()) > 0) {
      // The disk reader opens the file itself, by the path it walked (no symlink followed
      // below the start).
      while (true) {
        const la_ssize_t n = archive_read_data(disk, buffer.data(), buffer.size());
        if (n <= 0)
          break;
        archive_write_data(out, buffer.data(), static_cast<std::size_t>(n));
      }
    }
  }
}

}  // namespace

Result<void> find_in_rootfs(const std::string& rootfs, const std::string& path,
                            const std::string& container) {
  auto root = open_root(rootfs);
  if (!root || !open_in_root(root->get(), path))
    return Error::of(Errc::kNotFound,
                     "Could not find the file " + path + " in container " + container);
  return {};
}

Result<void> tar_from_rootfs(const std::string& rootfs, const std::string& path, int out_fd) {
  auto root = open_root(rootfs);
  if (!root)
    return std::move(root).error();
  auto target = open_in_root(root->get(), path, O_PATH);
  if (!target)
    return std::move(target).error();
  const std::string source = fd_path(target->get());

  ArchiveWriter out(archive_write_new());
  archive_write_set_format_pax_restricted(out.get());
  if (archive_write_open_fd(out.get(), out_fd) != ARCHIVE_OK)
    return Error::of(Errc::kInternal, archive_error_string(out.get()));
  ArchiveReader disk(archive_read_disk_new());
  // Hybrid: the starting path (the /proc/self/fd link to what was resolved in the rootfs) is
  // followed, symlinks below it are archived as links, never followed.
  archive_read_disk_set_symlink_hybrid(disk.get());
  archive_read_disk_set_standard_lookup(disk.get());
  if (archive_read_disk_open(disk.get(), source.c_str()) != ARCHIVE_OK)
    return Error::of(Errc::kNotFound, "Could not find the file " + path + " in container");
  KEEL_TRY(copy_entries(disk.get(), out.get(), source, base_name(path)));
  if (archive_write_close(out.get()) != ARCHIVE_OK)
    return Error::of(Errc::kInternal, archive_error_string(out.get()));
  return {};
}

Result<void> untar_into_rootfs(const std::string& rootfs, const std::string& path,
                               const std::string& container, const snapshots::ReadFn& read) {
  auto root = open_root(rootfs);
  if (!root)
    return std::move(root).error();
  // The destination is resolved inside the rootfs; the unpacker then writes below it without
  // following any symlink, so nothing lands outside the container.
  auto dir = open_in_root(root->get(), path, O_RDONLY | O_DIRECTORY);
  if (!dir)
    return Error::of(Errc::kNotFound,
                     "Could not find the directory " + path + " in container " + container);
  auto unpacked = snapshots::unpack_layer_into(dir->get(), read);
  if (!unpacked)
    return std::move(unpacked).error();
  return {};
}

Result<void> export_rootfs(const std::string& rootfs, int out_fd) {
  auto written = snapshots::write_layer(rootfs, snapshots::write_to_fd(out_fd));
  if (!written)
    return std::move(written).error();
  return {};
}

}  // namespace keel::manager::containers
