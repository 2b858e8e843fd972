// docker cp between the host and a container: Containers.CopyFrom / CopyTo carry tar streams,
// which libarchive packs and unpacks here with docker's rules for where things land.
#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "ctl/container_helpers.h"
#include "ctl/copy_archive.h"
#include "ctl/format.h"
#include "ctl/streams.h"
#include "keel/v1/containers.grpc.pb.h"

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

namespace {

using keel::v1::Containers;

struct ArchiveDeleter {
  void operator()(struct archive* a) const { archive_free(a); }
};
using Archive = std::unique_ptr<struct archive, ArchiveDeleter>;

[[noreturn]] void archive_failure(struct archive* a, const std::string& what) {
  const char* text = archive_error_string(a);
  throw CommandError(what + ": " + (text ? text : "archive error"));
}

// Pulls a CopyFrom stream into libarchive chunk by chunk.
struct ChunkSource {
  grpc::ClientReader<keel::v1::Chunk>* reader;
  keel::v1::Chunk chunk;
  std::uint64_t total = 0;
};

la_ssize_t read_chunk(struct archive*, void* data, const void** buffer) {
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

// "dir/." copies dir's contents: the path without the suffix, and true.
std::pair<std::string, bool> content_only(const std::string& path) {
  if (path == "." || path.ends_with("/.")) {
    std::string trimmed = path.substr(0, path.size() - 1);
    if (trimmed.size() > 1 && trimmed.back() == '/')
      trimmed.pop_back();
    return {trimmed.empty() ? "." : trimmed, true};
  }
  return {path, false};
}

void copy_from(Client& client, const std::string& container, const std::string& src,
               const std::string& dest, bool quiet) {
  const auto [path, contents] = content_only(src);
  keel::v1::CopyFromRequest request;
  request.set_id(container);
  request.set_path(path);
  grpc::ClientContext context;
  auto reader = Containers::NewStub(client.channel())->CopyFrom(&context, request);

  if (dest == "-") {
    ChunkSink sink("-");
    keel::v1::Chunk chunk;
    while (reader->Read(&chunk))
      sink.write(chunk.data());
    client.check(reader->Finish());
    sink.finish();
    return;
  }

  struct stat st {};
  const bool exists = ::stat(dest.c_str(), &st) == 0;
  const bool dest_is_dir = exists && S_ISDIR(st.st_mode);
  if (!exists && !std::filesystem::is_directory(dir_name(dest)))
    throw CommandError("invalid output path: directory \"" + dir_name(dest) + "\" does not exist");

  ChunkSource source{reader.get(), {}, 0};
  Archive in(archive_read_new());
  archive_read_support_format_tar(in.get());
  archive_read_support_format_gnutar(in.get());
  if (archive_read_open(in.get(), &source, nullptr, read_chunk, nullptr) != ARCHIVE_OK) {
    client.check(reader->Finish());
    archive_failure(in.get(), "read archive");
  }
  Archive out(archive_write_disk_new());
  archive_write_disk_set_options(
      out.get(), ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                     ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_UNLINK);
  archive_write_disk_set_standard_lookup(out.get());

  std::string root;
  std::string new_base;
  bool first = true;
  struct archive_entry* entry = nullptr;
  int rc = ARCHIVE_OK;
  while ((rc = archive_read_next_header(in.get(), &entry)) == ARCHIVE_OK) {
    if (first) {
      first = false;
      const bool src_is_dir = archive_entry_filetype(entry) == AE_IFDIR;
      if (dest_is_dir) {
        root = dest;
        new_base = contents ? "" : base_name(path);
      } else if (exists) {
        if (src_is_dir)
          throw CommandError("cannot copy a directory to a file: " + dest);
        root = dir_name(dest);
        new_base = base_name(dest);
      } else {
        if (!src_is_dir && dest.ends_with("/"))
          throw CommandError("destination directory \"" + dest + "\" does not exist");
        root = dir_name(dest);
        new_base = base_name(dest);
      }
    }
    // Copying "/" gives entries under "."; a placeholder top keeps them whole.
    const std::string prefix = path.find_first_not_of('/') == std::string::npos ? "top/" : "";
    const auto target = rename_entry(prefix + archive_entry_pathname(entry), new_base);
    if (!target) {
      archive_read_data_skip(in.get());
      continue;
    }
    archive_entry_set_pathname(entry, (root + "/" + *target).c_str());
    if (const char* link = archive_entry_hardlink(entry)) {
      const auto link_target = rename_entry(prefix + link, new_base);
      if (!link_target)
        throw CommandError("invalid hard link in archive: " + std::string(link));
      archive_entry_set_hardlink(entry, (root + "/" + *link_target).c_str());
    }
    if (archive_write_header(out.get(), entry) != ARCHIVE_OK)
      archive_failure(out.get(), "write " + root + "/" + *target);
    const void* block = nullptr;
    std::size_t size = 0;
    la_int64_t offset = 0;
    while (true) {
      const int read = archive_read_data_block(in.get(), &block, &size, &offset);
      if (read == ARCHIVE_EOF)
        break;
      if (read != ARCHIVE_OK)
        archive_failure(in.get(), "read archive");
      if (archive_write_data_block(out.get(), block, size, offset) != ARCHIVE_OK)
        archive_failure(out.get(), "write " + root + "/" + *target);
    }
    if (archive_write_finish_entry(out.get()) != ARCHIVE_OK)
      archive_failure(out.get(), "write " + root + "/" + *target);
  }
  const bool broken = rc != ARCHIVE_EOF;
  const std::string broken_text = broken && archive_error_string(in.get())
                                      ? archive_error_string(in.get())
                                      : "truncated archive";
  archive_write_close(out.get());
  archive_read_close(in.get());
  context.TryCancel();
  while (reader->Read(&source.chunk)) {
  }
  const grpc::Status status = reader->Finish();
  if (!status.ok() && !(status.error_code() == grpc::StatusCode::CANCELLED && !broken))
    client.check(status);
  if (broken)
    throw CommandError("read archive: " + broken_text);
  if (!quiet)
    std::cerr << "Successfully copied " << human_size(static_cast<double>(source.total)) << " to "
              << dest << "\n";
}

// What the container has at path: nullopt when nothing, else whether it is a directory.
std::optional<bool> probe(Client& client, const std::string& container, const std::string& path) {
  keel::v1::CopyFromRequest request;
  request.set_id(container);
  request.set_path(path);
  grpc::ClientContext context;
  auto reader = Containers::NewStub(client.channel())->CopyFrom(&context, request);
  ChunkSource source{reader.get(), {}, 0};
  Archive in(archive_read_new());
  archive_read_support_format_tar(in.get());
  archive_read_support_format_gnutar(in.get());
  std::optional<bool> result;
  struct archive_entry* entry = nullptr;
  if (archive_read_open(in.get(), &source, nullptr, read_chunk, nullptr) == ARCHIVE_OK &&
      archive_read_next_header(in.get(), &entry) == ARCHIVE_OK)
    result = archive_entry_filetype(entry) == AE_IFDIR;
  archive_read_close(in.get());
  // Only a stream still sending is cut short: cancelling one that ended would turn keeld's
  // NOT_FOUND for a missing path into CANCELLED.
  if (result)
    context.TryCancel();
  while (reader->Read(&source.chunk)) {
  }
  const grpc::Status status = reader->Finish();
  if (!result && status.error_code() != grpc::StatusCode::NOT_FOUND && !status.ok())
    client.check(status);
  return result;
}

struct ChunkUpload {
  grpc::ClientWriter<keel::v1::CopyToRequest>* writer;
  std::uint64_t total = 0;
  bool broken = false;
};

la_ssize_t write_chunk(struct archive*, void* data, const void* buffer, size_t length) {
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

// Packs the host's src under the name new_base ("" for its contents) into upload.
void pack(const std::string& src, const std::string& new_base, bool follow, bool keep_owner,
          ChunkUpload& upload) {
  Archive out(archive_write_new());
  archive_write_set_format_pax_restricted(out.get());
  archive_write_set_bytes_in_last_block(out.get(), 1);
  if (archive_write_open(out.get(), &upload, nullptr, write_chunk, nullptr) != ARCHIVE_OK)
    archive_failure(out.get(), "write archive");
  Archive disk(archive_read_disk_new());
  if (follow)
    archive_read_disk_set_symlink_logical(disk.get());
  else
    archive_read_disk_set_symlink_hybrid(disk.get());
  archive_read_disk_set_standard_lookup(disk.get());
  if (archive_read_disk_open(disk.get(), src.c_str()) != ARCHIVE_OK)
    archive_failure(disk.get(), "open " + src);
  std::string root = src;
  while (root.size() > 1 && root.back() == '/')
    root.pop_back();
  while (true) {
    std::unique_ptr<struct archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(),
                                                                               archive_entry_free);
    const int rc = archive_read_next_header2(disk.get(), entry.get());
    if (rc == ARCHIVE_EOF)
      break;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
      archive_failure(disk.get(), "read " + src);
    archive_read_disk_descend(disk.get());
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
    if (archive_entry_filetype(entry.get()) == AE_IFREG && archive_entry_size(entry.get()) > 0) {
      const void* block = nullptr;
      std::size_t size = 0;
      la_int64_t offset = 0;
      la_int64_t written = 0;
      while (true) {
        const int read = archive_read_data_block(disk.get(), &block, &size, &offset);
        if (read == ARCHIVE_EOF)
          break;
        if (read != ARCHIVE_OK && read != ARCHIVE_WARN)
          archive_failure(disk.get(), "read " + full);
        // Holes in sparse files are written out as zeros.
        static const std::string zeros(64 * 1024, '\0');
        while (written < offset) {
          const auto gap =
              std::min<la_int64_t>(offset - written, static_cast<la_int64_t>(zeros.size()));
          if (archive_write_data(out.get(), zeros.data(), static_cast<std::size_t>(gap)) < 0)
            archive_failure(out.get(), "write archive");
          written += gap;
        }
        if (archive_write_data(out.get(), block, size) < 0)
          archive_failure(out.get(), upload.broken ? "send archive" : "write archive");
        written += static_cast<la_int64_t>(size);
      }
    }
  }
  archive_read_close(disk.get());
  if (archive_write_close(out.get()) != ARCHIVE_OK)
    archive_failure(out.get(), "write archive");
}

void copy_to(Client& client, const std::string& src, const std::string& container,
             const std::string& dest, bool follow, bool keep_owner, bool quiet) {
  std::string unpack_dir;
  std::string new_base;
  if (src != "-") {
    const auto [path, contents] = content_only(src);
    struct stat st {};
    const int rc = follow ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st);
    if (rc != 0)
      throw CommandError("lstat " + std::filesystem::absolute(path).lexically_normal().string() +
                         ": no such file or directory");
    const bool src_is_dir = S_ISDIR(st.st_mode);
    // A destination ending in "/" is a directory by docker's rules; no need to look.
    const auto kind =
        dest.ends_with("/") ? std::optional<bool>(true) : probe(client, container, dest);
    if (kind && *kind) {
      unpack_dir = dest;
      new_base = contents ? "" : base_name(path);
    } else if (kind) {
      if (src_is_dir)
        throw CommandError("Error response from daemon: cannot copy a directory to a file: " +
                           dest);
      unpack_dir = dir_name(dest);
      new_base = base_name(dest);
    } else {
      if (dest.ends_with("/") && !src_is_dir)
        throw CommandError("Error response from daemon: Could not find the file " + dest +
                           " in container " + container);
      unpack_dir = dir_name(dest);
      new_base = base_name(dest);
    }
    grpc::ClientContext context;
    keel::v1::Empty empty;
    auto writer = Containers::NewStub(client.channel())->CopyTo(&context, &empty);
    keel::v1::CopyToRequest header;
    header.mutable_header()->set_id(container);
    header.mutable_header()->set_path(unpack_dir);
    ChunkUpload upload{writer.get()};
    std::optional<CommandError> failure;
    if (writer->Write(header)) {
      try {
        pack(path, new_base, follow, keep_owner, upload);
      } catch (const CommandError& error) {
        failure = error;
        context.TryCancel();
      }
    }
    writer->WritesDone();
    const grpc::Status status = writer->Finish();
    if (failure && !upload.broken)
      throw *failure;
    client.check(status);
    if (!quiet)
      std::cerr << "Successfully copied " << human_size(static_cast<double>(upload.total)) << " to "
                << container << ":" << dest << "\n";
    return;
  }
  // A tar on stdin is unpacked as it is into the directory dest.
  grpc::ClientContext context;
  keel::v1::Empty empty;
  auto writer = Containers::NewStub(client.channel())->CopyTo(&context, &empty);
  keel::v1::CopyToRequest header;
  header.mutable_header()->set_id(container);
  header.mutable_header()->set_path(dest);
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

void cp(Client& client, const std::string& from, const std::string& to, bool follow,
        bool keep_owner, bool quiet) {
  const auto [src_container, src_path] = split_cp_arg(from);
  const auto [dest_container, dest_path] = split_cp_arg(to);
  if (!src_container.empty() && !dest_container.empty())
    throw CommandError("copying between containers is not supported");
  if (src_container.empty() && dest_container.empty())
    throw CommandError("must specify at least one container source");
  if (!src_container.empty())
    copy_from(client, src_container, src_path.empty() ? "/" : src_path, to, quiet);
  else
    copy_to(client, from, dest_container, dest_path.empty() ? "/" : dest_path, follow, keep_owner,
            quiet || from == "-");
}

}  // namespace

void add_copy_verbs(CLI::App& parent, Client& client, bool /*grouped*/) {
  auto* cmd = parent.add_subcommand("cp",
                                    "Copy files/folders between a container and the local "
                                    "filesystem");
  auto from = std::make_shared<std::string>();
  auto to = std::make_shared<std::string>();
  auto follow = std::make_shared<bool>(false);
  auto archive_mode = std::make_shared<bool>(false);
  auto quiet = std::make_shared<bool>(false);
  cmd->add_flag("-L,--follow-link", *follow, "Always follow symbol link in SRC_PATH");
  cmd->add_flag("-a,--archive", *archive_mode, "Archive mode (copy all uid/gid information)");
  cmd->add_flag("-q,--quiet", *quiet, "Suppress progress output during copy");
  cmd->add_option("src", *from, "CONTAINER:SRC_PATH | SRC_PATH | -")->required();
  cmd->add_option("dest", *to, "DEST_PATH | CONTAINER:DEST_PATH | -")->required();
  cmd->callback([=, &client] { cp(client, *from, *to, *follow, *archive_mode, *quiet); });
}

}  // namespace keel::ctl
