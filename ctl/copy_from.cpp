// docker cp from a container: Containers.CopyFrom's tar unpacked on the host, its top entry
// renamed to where docker puts it.
#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <filesystem>
#include <iostream>

#include "common/archive_handle.h"
#include "ctl/copy_archive.h"
#include "ctl/copy_transfer.h"
#include "ctl/format.h"
#include "ctl/services.h"
#include "ctl/streams.h"

namespace keel::ctl {

void archive_failure(struct archive* a, const std::string& what) {
  const char* text = archive_error_string(a);
  throw CommandError(what + ": " + (text ? text : "archive error"));
}

namespace {

// Pulls a CopyFrom stream into libarchive chunk by chunk.
struct ChunkSource {
  rpc::ClientReader<keel::v1::Chunk>* reader;
  keel::v1::Chunk chunk;
  std::uint64_t total = 0;
};

la_ssize_t read_chunk(struct archive* /*a*/, void* data, const void** buffer) {
  auto* source = static_cast<ChunkSource*>(data);
  while (source->reader->Read(&source->chunk)) {
    if (source->chunk.data().empty())
      continue;
    *buffer = source->chunk.data().data();
    source->total += source->chunk.data().size();
    return static_cast<la_ssize_t>(source->chunk.data().size());
  }
  return 0;
}

// A tar reader over source. Enabling a format fails only without memory, which then fails open.
ArchiveReader open_tar(ChunkSource& source, bool& opened) {
  ArchiveReader in(archive_read_new());
  archive_read_support_format_tar(in.get());
  archive_read_support_format_gnutar(in.get());
  opened = archive_read_open(in.get(), &source, nullptr, read_chunk, nullptr) == ARCHIVE_OK;
  return in;
}

// The host directory entries land in, and the name the copied path's top entry takes there
// ("" for a directory's contents), by docker's rules.
struct Landing {
  std::string root;
  std::string new_base;
};

struct HostDest {
  std::string path;
  bool exists = false;
  bool is_dir = false;
};

Landing landing(const HostDest& dest, const std::string& src, bool contents, bool src_is_dir) {
  if (dest.is_dir)
    return {dest.path, contents ? "" : base_name(src)};
  if (dest.exists && src_is_dir)
    throw CommandError("cannot copy a directory to a file: " + dest.path);
  if (!dest.exists && !src_is_dir && dest.path.ends_with("/"))
    throw CommandError("destination directory \"" + dest.path + "\" does not exist");
  return {dir_name(dest.path), base_name(dest.path)};
}

// Writes the entry the reader is at, data included, to disk at its (renamed) pathname.
void extract_entry(struct archive* in, struct archive* out, struct archive_entry* entry,
                   const std::string& target) {
  if (archive_write_header(out, entry) != ARCHIVE_OK)
    archive_failure(out, "write " + target);
  const void* block = nullptr;
  std::size_t size = 0;
  la_int64_t offset = 0;
  while (true) {
    const int read = archive_read_data_block(in, &block, &size, &offset);
    if (read == ARCHIVE_EOF)
      break;
    if (read != ARCHIVE_OK)
      archive_failure(in, "read archive");
    if (archive_write_data_block(out, block, size, offset) != ARCHIVE_OK)
      archive_failure(out, "write " + target);
  }
  if (archive_write_finish_entry(out) != ARCHIVE_OK)
    archive_failure(out, "write " + target);
}

// Unpacks every entry of in under dest; returns libarchive's code for the header read that
// ended the loop (ARCHIVE_EOF when the whole archive was read).
int unpack(struct archive* in, struct archive* out, const HostDest& dest, const std::string& path,
           bool contents) {
  // Copying "/" gives entries under "."; a placeholder top keeps them whole.
  const std::string prefix = path.find_first_not_of('/') == std::string::npos ? "top/" : "";
  std::optional<Landing> where;
  struct archive_entry* entry = nullptr;
  int rc = ARCHIVE_OK;
  while ((rc = archive_read_next_header(in, &entry)) == ARCHIVE_OK) {
    if (!where)
      where = landing(dest, path, contents, archive_entry_filetype(entry) == AE_IFDIR);
    const auto target = rename_entry(prefix + archive_entry_pathname(entry), where->new_base);
    if (!target) {
      // A failed skip fails the next header read, which reports it.
      archive_read_data_skip(in);
      continue;
    }
    const std::string target_path = where->root + "/" + *target;
    archive_entry_set_pathname(entry, target_path.c_str());
    if (const char* link = archive_entry_hardlink(entry)) {
      const auto link_target = rename_entry(prefix + link, where->new_base);
      if (!link_target)
        throw CommandError("invalid hard link in archive: " + std::string(link));
      archive_entry_set_hardlink(entry, (where->root + "/" + *link_target).c_str());
    }
    extract_entry(in, out, entry, target_path);
  }
  return rc;
}

void copy_tar_to_stdout(Client& client, rpc::ClientReader<keel::v1::Chunk>& reader) {
  ChunkSink sink("-");
  keel::v1::Chunk chunk;
  while (reader.Read(&chunk))
    sink.write(chunk.data());
  client.check(reader.Finish());
  sink.finish();
}

}  // namespace

void copy_from_container(Client& client, const std::string& container, const std::string& src,
                         const std::string& dest, bool quiet) {
  const auto [path, contents] = content_only(src);
  keel::v1::CopyFromRequest request;
  request.set_id(container);
  request.set_path(path);
  rpc::ClientContext context;
  auto reader = api::Containers::NewStub(client.channel())->CopyFrom(&context, request);
  if (dest == "-") {
    copy_tar_to_stdout(client, *reader);
    return;
  }

  struct stat st {};
  HostDest host{dest, ::stat(dest.c_str(), &st) == 0, false};
  host.is_dir = host.exists && S_ISDIR(st.st_mode);
  if (!host.exists && !std::filesystem::is_directory(dir_name(dest)))
    throw CommandError("invalid output path: directory \"" + dir_name(dest) + "\" does not exist");

  ChunkSource source{reader.get(), {}, 0};
  bool opened = false;
  ArchiveReader in = open_tar(source, opened);
  if (!opened) {
    client.check(reader->Finish());
    archive_failure(in.get(), "read archive");
  }
  ArchiveWriter out(archive_write_disk_new());
  if (archive_write_disk_set_options(
          out.get(), ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                         ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_UNLINK) != ARCHIVE_OK ||
      archive_write_disk_set_standard_lookup(out.get()) != ARCHIVE_OK)
    archive_failure(out.get(), "write " + dest);

  const int rc = unpack(in.get(), out.get(), host, path, contents);
  const bool broken = rc != ARCHIVE_EOF;
  const std::string broken_text = broken && archive_error_string(in.get())
                                      ? archive_error_string(in.get())
                                      : "truncated archive";
  // Closing applies what libarchive defers to the end: directory times and modes.
  if (archive_write_close(out.get()) < ARCHIVE_WARN)
    archive_failure(out.get(), "write " + dest);
  // The reader is done with; its close has nothing to report.
  archive_read_close(in.get());
  context.TryCancel();
  while (reader->Read(&source.chunk)) {
  }
  const rpc::Status status = reader->Finish();
  if (!status.ok() && !(status.error_code() == rpc::StatusCode::CANCELLED && !broken))
    client.check(status);
  if (broken)
    throw CommandError("read archive: " + broken_text);
  if (!quiet)
    std::cerr << "Successfully copied " << human_size(static_cast<double>(source.total)) << " to "
              << dest << "\n";
}

std::optional<bool> probe_container_path(Client& client, const std::string& container,
                                         const std::string& path) {
  keel::v1::CopyFromRequest request;
  request.set_id(container);
  request.set_path(path);
  rpc::ClientContext context;
  auto reader = api::Containers::NewStub(client.channel())->CopyFrom(&context, request);
  ChunkSource source{reader.get(), {}, 0};
  std::optional<bool> result;
  {
    bool opened = false;
    ArchiveReader in = open_tar(source, opened);
    struct archive_entry* entry = nullptr;
    if (opened && archive_read_next_header(in.get(), &entry) == ARCHIVE_OK)
      result = archive_entry_filetype(entry) == AE_IFDIR;
  }
  // Only a stream still sending is cut short: cancelling one that ended would turn keeld's
  // NOT_FOUND for a missing path into CANCELLED.
  if (result)
    context.TryCancel();
  while (reader->Read(&source.chunk)) {
  }
  const rpc::Status status = reader->Finish();
  if (!result && status.error_code() != rpc::StatusCode::NOT_FOUND && !status.ok())
    client.check(status);
  return result;
}

}  // namespace keel::ctl
