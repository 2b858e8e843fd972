#include "manager/server/containers_service.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <map>
#include <regex>
#include <thread>

#include "common/secure_path.h"
#include "common/unique_fd.h"
#include "manager/containers/log_reader.h"
#include "manager/server/chunk_stream.h"
#include "manager/server/container_convert.h"
#include "manager/server/images_service.h"
#include "manager/server/status.h"
#include "manager/snapshots/layer_stream.h"
#include "manager/snapshots/layer_writer.h"
#include "manager/snapshots/unpack.h"

namespace keel::manager::server {
namespace {

using containers::ContainerRecord;
using containers::Status;

// A tar of `path` inside the rootfs (resolved there, symlinks included, never outside), its
// entries named from the path's last component as docker cp names them.
Result<void> tar_path(const std::string& rootfs, const std::string& path, int out_fd) {
  UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (root.get() < 0)
    return Error::sys("open " + rootfs);
  auto target = open_in_root(root.get(), path, O_PATH);
  if (!target)
    return std::move(target).error();
  std::string base = path;
  while (base.size() > 1 && base.back() == '/')
    base.pop_back();
  base = base.substr(base.rfind('/') + 1);
  if (base.empty() || base == "/")
    base = ".";
  const std::string source = fd_path(target->get());

  std::unique_ptr<archive, int (*)(archive*)> out(archive_write_new(), archive_write_free);
  archive_write_set_format_pax_restricted(out.get());
  if (archive_write_open_fd(out.get(), out_fd) != ARCHIVE_OK)
    return Error::of(Errc::kInternal, archive_error_string(out.get()));
  std::unique_ptr<archive, int (*)(archive*)> disk(archive_read_disk_new(), archive_read_free);
  // Hybrid: the starting path (the /proc/self/fd link to what was resolved in the rootfs) is
  // followed, symlinks below it are archived as links, never followed.
  archive_read_disk_set_symlink_hybrid(disk.get());
  archive_read_disk_set_standard_lookup(disk.get());
  if (archive_read_disk_open(disk.get(), source.c_str()) != ARCHIVE_OK)
    return Error::of(Errc::kNotFound, "Could not find the file " + path + " in container");
  std::vector<char> buffer(1 << 16);
  while (true) {
    archive_entry* entry = archive_entry_new();
    const int r = archive_read_next_header2(disk.get(), entry);
    if (r == ARCHIVE_EOF) {
      archive_entry_free(entry);
      break;
    }
    if (r != ARCHIVE_OK) {
      const std::string message = archive_error_string(disk.get());
      archive_entry_free(entry);
      return Error::of(Errc::kInternal, "cp: " + message);
    }
    archive_read_disk_descend(disk.get());
    // Rename /proc/self/fd/N[/rest] to base[/rest].
    std::string name = archive_entry_pathname(entry);
    name = base + name.substr(source.size());
    archive_entry_set_pathname(entry, name.c_str());
    if (archive_write_header(out.get(), entry) != ARCHIVE_OK) {
      const std::string message = archive_error_string(out.get());
      archive_entry_free(entry);
      return Error::of(Errc::kInternal, "cp: " + message);
    }
    if (archive_entry_filetype(entry) == AE_IFREG && archive_entry_size(entry) > 0) {
      // The disk reader opens the file itself, by the path it walked (no symlink followed
      // below the start).
      while (true) {
        const la_ssize_t n = archive_read_data(disk.get(), buffer.data(), buffer.size());
        if (n <= 0)
          break;
        archive_write_data(out.get(), buffer.data(), static_cast<std::size_t>(n));
      }
    }
    archive_entry_free(entry);
  }
  if (archive_write_close(out.get()) != ARCHIVE_OK)
    return Error::of(Errc::kInternal, archive_error_string(out.get()));
  return {};
}

bool label_matches(const ContainerRecord& record, const std::string& wanted) {
  const auto eq = wanted.find('=');
  const auto it = record.labels.find(wanted.substr(0, eq));
  if (it == record.labels.end())
    return false;
  return eq == std::string::npos || it->second == wanted.substr(eq + 1);
}

// docker's name filter is a regular expression searched in the name, with or without its "/".
bool name_matches(const std::string& name, const std::string& pattern) {
  const std::string bare = name.starts_with('/') ? name.substr(1) : name;
  try {
    const std::regex re(pattern);
    return std::regex_search(bare, re) || std::regex_search("/" + bare, re);
  } catch (const std::regex_error&) {
    return bare.find(pattern) != std::string::npos;
  }
}

bool key_matches(const ContainerRecord& record, const std::string& key, const std::string& value) {
  if (key == "id")
    return record.id.starts_with(value);
  if (key == "name")
    return name_matches(record.name, value);
  if (key == "label")
    return label_matches(record, value);
  if (key == "status")
    return value == containers::status_name(record.state.status);
  if (key == "ancestor")
    return record.image == value || record.image_id == value ||
           record.image_id.starts_with("sha256:" + value);
  // exited=<code>
  return record.state.status == Status::kExited && std::to_string(record.state.exit_code) == value;
}

}  // namespace

Result<std::function<bool(const ContainerRecord&)>> container_filter(
    const google::protobuf::RepeatedPtrField<keel::v1::KeyValue>& filters) {
  std::map<std::string, std::vector<std::string>> by_key;
  for (const auto& filter : filters) {
    const std::string& key = filter.key();
    if (key != "id" && key != "name" && key != "label" && key != "status" && key != "ancestor" &&
        key != "exited")
      return Error::of(Errc::kInvalidArgument,
                       "invalid filter '" + key +
                           "': known filters are id, name, label, status, ancestor, exited");
    by_key[key].push_back(filter.value());
  }
  return std::function<bool(const ContainerRecord&)>([by_key](const ContainerRecord& record) {
    for (const auto& [key, values] : by_key) {
      bool any = false;
      for (const auto& value : values)
        any = any || key_matches(record, key, value);
      if (!any)
        return false;
    }
    return true;
  });
}

grpc::Status ContainersService::Create(grpc::ServerContext*,
                                       const keel::v1::CreateContainerRequest* request,
                                       keel::v1::Container* response) {
  return guarded([&] {
    auto create = create_request(request->config());
    if (!create)
      return to_status(create.error());
    auto record = containers_.create(*create);
    if (!record)
      return to_status(record.error());
    *response = to_proto(*record, std::chrono::system_clock::now());
    return grpc::Status::OK;
  });
}

grpc::Status ContainersService::Get(grpc::ServerContext*, const keel::v1::ContainerRequest* request,
                                    keel::v1::Container* response) {
  return guarded([&] {
    auto record = containers_.get(request->id());
    if (!record)
      return to_status(record.error());
    *response = to_proto(*record, std::chrono::system_clock::now());
    return grpc::Status::OK;
  });
}

grpc::Status ContainersService::List(grpc::ServerContext*,
                                     const keel::v1::ListContainersRequest* request,
                                     keel::v1::ListContainersResponse* response) {
  return guarded([&] {
    auto filter = container_filter(request->filters());
    if (!filter)
      return to_status(filter.error());
    auto all = containers_.list();
    if (!all)
      return to_status(all.error());
    const auto now = std::chrono::system_clock::now();
    // docker ps: newest first; without -a only running (and paused, restarting) ones.
    for (auto it = all->rbegin(); it != all->rend(); ++it) {
      const Status s = it->state.status;
      const bool up = s == Status::kRunning || s == Status::kPaused || s == Status::kRestarting;
      if (!request->all() && !up)
        continue;
      if ((*filter)(*it))
        *response->add_containers() = to_proto(*it, now);
    }
    return grpc::Status::OK;
  });
}

grpc::Status ContainersService::Rename(grpc::ServerContext*,
                                       const keel::v1::RenameContainerRequest* request,
                                       keel::v1::Container* response) {
  return guarded([&] {
    auto record = containers_.rename(request->id(), request->new_name());
    if (!record)
      return to_status(record.error());
    *response = to_proto(*record, std::chrono::system_clock::now());
    return grpc::Status::OK;
  });
}

grpc::Status ContainersService::Update(grpc::ServerContext*,
                                       const keel::v1::UpdateContainerRequest* request,
                                       keel::v1::Container* response) {
  return guarded([&] {
    std::optional<containers::RestartPolicy> restart;
    if (request->has_restart_policy() && !request->restart_policy().name().empty()) {
      std::string text = request->restart_policy().name();
      if (request->restart_policy().maximum_retry_count() > 0)
        text += ":" + std::to_string(request->restart_policy().maximum_retry_count());
      auto parsed = containers::parse_restart_policy(text);
      if (!parsed)
        return to_status(parsed.error());
      restart = *parsed;
    }
    auto record = containers_.update(request->id(), request->resources().memory(),
                                     request->resources().milli_cpus(),
                                     request->resources().pids_limit(), restart);
    if (!record)
      return to_status(record.error());
    *response = to_proto(*record, std::chrono::system_clock::now());
    return grpc::Status::OK;
  });
}

grpc::Status ContainersService::Remove(grpc::ServerContext*,
                                       const keel::v1::RemoveContainerRequest* request,
                                       keel::v1::Empty*) {
  return guarded([&] {
    if (auto removed = containers_.remove(request->id(), request->force(), request->volumes());
        !removed)
      return to_status(removed.error());
    return grpc::Status::OK;
  });
}

grpc::Status ContainersService::Diff(grpc::ServerContext*,
                                     const keel::v1::ContainerRequest* request,
                                     keel::v1::DiffResponse* response) {
  return guarded([&] {
    auto changes = containers_.diff(request->id());
    if (!changes)
      return to_status(changes.error());
    for (const auto& change : *changes) {
      auto* out = response->add_changes();
      out->set_kind(std::string(1, change.kind));
      out->set_path(change.path);
    }
    return grpc::Status::OK;
  });
}

grpc::Status ContainersService::Commit(grpc::ServerContext*,
                                       const keel::v1::CommitContainerRequest* request,
                                       keel::v1::Image* response) {
  return guarded([&] {
    const std::vector<std::string> changes(request->changes().begin(), request->changes().end());
    auto image = containers_.commit(request->id(), request->ref(), changes, request->message(),
                                    request->author(), request->pause());
    if (!image)
      return to_status(image.error());
    *response = server::to_proto(*image);
    return grpc::Status::OK;
  });
}

grpc::Status ContainersService::Export(grpc::ServerContext* context,
                                       const keel::v1::ContainerRequest* request,
                                       grpc::ServerWriter<keel::v1::Chunk>* writer) {
  return guarded([&] {
    auto rootfs = containers_.rootfs(request->id());
    if (!rootfs)
      return to_status(rootfs.error());
    // The merged view shows no whiteouts: a layer tar of it is the flattened filesystem.
    return stream_from(context, writer, [&](int fd) -> Result<void> {
      auto written = snapshots::write_layer(*rootfs, snapshots::write_to_fd(fd));
      if (!written)
        return std::move(written).error();
      return {};
    });
  });
}

grpc::Status ContainersService::CopyFrom(grpc::ServerContext* context,
                                         const keel::v1::CopyFromRequest* request,
                                         grpc::ServerWriter<keel::v1::Chunk>* writer) {
  return guarded([&] {
    auto rootfs = containers_.rootfs(request->id());
    if (!rootfs)
      return to_status(rootfs.error());
    // Refuse a missing path before any byte is sent, so the client sees a clean error.
    UniqueFd root(::open(rootfs->c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (root.get() < 0 || !open_in_root(root.get(), request->path()))
      return grpc::Status(
          grpc::StatusCode::NOT_FOUND,
          "Could not find the file " + request->path() + " in container " + request->id());
    return stream_from(context, writer,
                       [&](int fd) { return tar_path(*rootfs, request->path(), fd); });
  });
}

grpc::Status ContainersService::CopyTo(grpc::ServerContext*,
                                       grpc::ServerReader<keel::v1::CopyToRequest>* reader,
                                       keel::v1::Empty*) {
  return guarded([&] {
    keel::v1::CopyToRequest message;
    if (!reader->Read(&message) || !message.has_header())
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "copy: the first message must be the header");
    const auto header = message.header();
    auto rootfs = containers_.rootfs(header.id());
    if (!rootfs)
      return to_status(rootfs.error());
    UniqueFd root(::open(rootfs->c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (root.get() < 0)
      return to_status(Error::sys("open " + *rootfs));
    // The destination is resolved inside the rootfs; the unpacker then writes below it without
    // following any symlink, so nothing lands outside the container.
    auto dir = open_in_root(root.get(), header.path(), O_RDONLY | O_DIRECTORY);
    if (!dir)
      return grpc::Status(
          grpc::StatusCode::NOT_FOUND,
          "Could not find the directory " + header.path() + " in container " + header.id());
    const snapshots::ReadFn read = message_reader<keel::v1::CopyToRequest>(reader);
    auto unpacked = snapshots::unpack_layer_into(dir->get(), read);
    if (!unpacked)
      return to_status(unpacked.error());
    return grpc::Status::OK;
  });
}

}  // namespace keel::manager::server

namespace keel::manager::server {

grpc::Status ContainersService::Logs(grpc::ServerContext* context,
                                     const keel::v1::LogsRequest* request,
                                     grpc::ServerWriter<keel::v1::LogEntry>* writer) {
  return guarded([&] {
    auto record = containers_.get(request->id());
    if (!record)
      return to_status(record.error());
    containers::LogOptions options;
    options.show_stdout = request->stdout() || !request->stderr();
    options.show_stderr = request->stderr() || !request->stdout();
    if (request->tail() >= 0)
      options.tail = static_cast<std::size_t>(request->tail());
    auto ns = [](const google::protobuf::Timestamp& t) {
      return t.seconds() * 1'000'000'000 + t.nanos();
    };
    if (request->has_since())
      options.since_ns = ns(request->since());
    if (request->has_until())
      options.until_ns = ns(request->until());
    options.follow = request->follow();
    const std::string id = record->id;
    auto read = containers::read_log(
        record->log_path, options,
        [&](const containers::LogEntry& entry) {
          keel::v1::LogEntry out;
          out.mutable_time()->set_seconds(entry.time_ns / 1'000'000'000);
          out.mutable_time()->set_nanos(static_cast<int>(entry.time_ns % 1'000'000'000));
          out.set_stream(entry.stream == containers::LogStream::kStderr ? "stderr" : "stdout");
          out.set_line(entry.line);
          return !context->IsCancelled() && writer->Write(out);
        },
        [&] {
          if (context->IsCancelled())
            return false;
          auto current = containers_.get(id);
          return current && (current->state.status == containers::Status::kRunning ||
                             current->state.status == containers::Status::kPaused ||
                             current->state.status == containers::Status::kRestarting);
        });
    if (!read && read.error().kind() == Errc::kNotFound)
      return grpc::Status::OK;  // never started: no output yet
    if (!read)
      return to_status(read.error());
    return grpc::Status::OK;
  });
}

}  // namespace keel::manager::server
