// docker cp into a container: the host's path packed as a tar by libarchive and sent on
// Containers.CopyTo, named where docker puts it.
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
namespace {

struct ChunkUpload {
  rpc::ClientWriter<keel::v1::CopyToRequest, keel::v1::Empty>* writer;
  std::uint64_t total = 0;
  bool broken = false;
};

la_ssize_t write_chunk(struct archive* /*a*/, void* data, const void* buffer, size_t length) {
  auto* upload = static_cast<ChunkUpload*>(data);
  keel::v1::CopyToRequest request;
  request.set_data(buffer, length);
  if (!upload->writer->Write(request)) {
    upload->broken = true;
    return -1;
  }
  upload->total += length;
  return static_cast<la_ssize_t>(length);
}

// Copies a regular file's data from the disk reader to the archive; holes in sparse files are
// written out as zeros.
void pack_data(struct archive* disk, struct archive* out, const std::string& full,
               const ChunkUpload& upload) {
  static const std::string zeros(64 * 1024, '\0');
  const void* block = nullptr;
  std::size_t size = 0;
  la_int64_t offset = 0;
  la_int64_t written = 0;
  while (true) {
    const int read = archive_read_data_block(disk, &block, &size, &offset);
    if (read == ARCHIVE_EOF)
      break;
    if (read != ARCHIVE_OK && read != ARCHIVE_WARN)
      archive_failure(disk, "read " + full);
    while (written < offset) {
      const auto gap =
          std::min<la_int64_t>(offset - written, static_cast<la_int64_t>(zeros.size()));
      if (archive_write_data(out, zeros.data(), static_cast<std::size_t>(gap)) < 0)
        archive_failure(out, "write archive");
      written += gap;
    }
    if (archive_write_data(out, block, size) < 0)
      archive_failure(out, upload.broken ? "send archive" : "write archive");
    written += static_cast<la_int64_t>(size);
  }
}

// Packs the host's src under the name new_base ("" for its contents) into upload.
void pack(const std::string& src, const std::string& new_base, bool follow, bool keep_owner,
          ChunkUpload& upload) {
  ArchiveWriter out(archive_write_new());
  if (archive_write_set_format_pax_restricted(out.get()) != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(out.get(), 1) != ARCHIVE_OK ||
      archive_write_open(out.get(), &upload, nullptr, write_chunk, nullptr) != ARCHIVE_OK)
    archive_failure(out.get(), "write archive");
  ArchiveReader disk(archive_read_disk_new());
  if ((follow ? archive_read_disk_set_symlink_logical(disk.get())
              : archive_read_disk_set_symlink_hybrid(disk.get())) != ARCHIVE_OK ||
      archive_read_disk_set_standard_lookup(disk.get()) != ARCHIVE_OK ||
      archive_read_disk_open(disk.get(), src.c_str()) != ARCHIVE_OK)
    archive_failure(disk.get(), "open " + src);
  std::string root = src;
  while (root.size() > 1 && root.back() == '/')
    root.pop_back();
  while (true) {
    ArchiveEntry entry(archive_entry_new());
    const int rc = archive_read_next_header2(disk.get(), entry.get());
    if (rc == ARCHIVE_EOF)
      break;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
      archive_failure(disk.get(), "read " + src);
    if (archive_read_disk_descend(disk.get()) < ARCHIVE_WARN)
      archive_failure(disk.get(), "read " + src);
    const std::string full = archive_entry_sourcepath(entry.get());
    std::string relative = full.size() > root.size() ? full.substr(root.size()) : "";
    while (relative.starts_with("/"))
      relative.erase(0, 1);
    std::string name = new_base;
    if (!relative.empty())
      name = name.empty() ? relative : name + "/" + relative;
    if (name.empty())
      continue;
    archive_entry_set_pathname(entry.get(), name.c_str());
    if (!keep_owner) {
      archive_entry_set_uid(entry.get(), 0);
      archive_entry_set_gid(entry.get(), 0);
      archive_entry_set_uname(entry.get(), "root");
      archive_entry_set_gname(entry.get(), "root");
    }
    if (archive_write_header(out.get(), entry.get()) != ARCHIVE_OK)
      archive_failure(out.get(), upload.broken ? "send archive" : "write " + full);
    if (archive_entry_filetype(entry.get()) == AE_IFREG && archive_entry_size(entry.get()) > 0)
      pack_data(disk.get(), out.get(), full, upload);
  }
  if (archive_write_close(out.get()) != ARCHIVE_OK)
    archive_failure(out.get(), "write archive");
}

// The directory in the container the tar is unpacked in, and the name src takes there.
struct Landing {
  std::string unpack_dir;
  std::string new_base;
};

Landing landing(Client& client, const std::string& container, const std::string& dest,
                const std::string& path, bool contents, bool src_is_dir) {
  // A destination ending in "/" is a directory by docker's rules; no need to look.
  const auto kind = dest.ends_with("/") ? std::optional<bool>(true)
                                        : probe_container_path(client, container, dest);
  if (kind && *kind)
    return {dest, contents ? "" : base_name(path)};
  if (kind && src_is_dir)
    throw CommandError("Error response from daemon: cannot copy a directory to a file: " + dest);
  if (!kind && dest.ends_with("/") && !src_is_dir)
    throw CommandError("Error response from daemon: Could not find the file " + dest +
                       " in container " + container);
  return {dir_name(dest), base_name(dest)};
}

// A tar on stdin is unpacked as it is into the directory dest.
void copy_stdin_tar(Client& client, const std::string& container, const std::string& dest) {
  rpc::ClientContext context;
  keel::v1::Empty empty;
  auto writer = api::Containers::NewStub(client.channel())->CopyTo(&context, &empty);
  keel::v1::CopyToRequest header;
  header.mutable_header()->set_id(container);
  header.mutable_header()->set_path(dest);
  // A failed Write or WritesDone shows in Finish's status.
  if (writer->Write(header)) {
    keel::v1::CopyToRequest chunk;
    read_chunks("-", [&](std::string_view data) {
      chunk.set_data(data.data(), data.size());
      return writer->Write(chunk);
    });
  }
  writer->WritesDone();
  client.check(writer->Finish());
}

}  // namespace

void copy_to_container(Client& client, const std::string& src, const std::string& container,
                       const std::string& dest, bool follow, bool keep_owner, bool quiet) {
  if (src == "-") {
    copy_stdin_tar(client, container, dest);
    return;
  }
  const auto [path, contents] = content_only(src);
  struct stat st {};
  const int rc = follow ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st);
  if (rc != 0)
    throw CommandError("lstat " + std::filesystem::absolute(path).lexically_normal().string() +
                       ": no such file or directory");
  const Landing where = landing(client, container, dest, path, contents, S_ISDIR(st.st_mode));

  rpc::ClientContext context;
  keel::v1::Empty empty;
  auto writer = api::Containers::NewStub(client.channel())->CopyTo(&context, &empty);
  keel::v1::CopyToRequest header;
  header.mutable_header()->set_id(container);
  header.mutable_header()->set_path(where.unpack_dir);
  ChunkUpload upload{writer.get()};
  std::optional<CommandError> failure;
  // A failed Write or WritesDone shows in Finish's status.
  if (writer->Write(header)) {
    try {
      pack(path, where.new_base, follow, keep_owner, upload);
    } catch (const CommandError& error) {
      failure = error;
      context.TryCancel();
    }
  }
  writer->WritesDone();
  const rpc::Status status = writer->Finish();
  if (failure && !upload.broken)
    throw *failure;
  client.check(status);
  if (!quiet)
    std::cerr << "Successfully copied " << human_size(static_cast<double>(upload.total)) << " to "
              << container << ":" << dest << "\n";
}

}  // namespace keel::ctl
