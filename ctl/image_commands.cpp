// docker's image verbs: images, load, save, import, tag, rmi, history, image prune, and the
// image half of inspect.
#include <unistd.h>

#include <iostream>

#include "ctl/commands.h"
#include "ctl/format.h"
#include "ctl/image_json.h"
#include "ctl/references.h"
#include "ctl/streams.h"
#include "keel/v1/images.grpc.pb.h"

namespace keel::ctl {
namespace {

using keel::v1::Images;

std::chrono::system_clock::time_point to_time(const google::protobuf::Timestamp& t) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(t.seconds()) + std::chrono::nanoseconds(t.nanos())));
}

std::string created_since(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0)
    return "N/A";
  return human_duration(std::chrono::system_clock::now() - to_time(t)) + " ago";
}

void add_filter(keel::v1::ListImagesRequest& request, const std::string& filter) {
  const auto eq = filter.find('=');
  if (eq == std::string::npos)
    throw CommandError("invalid filter '" + filter + "': filters are key=value");
  auto* kv = request.add_filters();
  kv->set_key(filter.substr(0, eq));
  kv->set_value(filter.substr(eq + 1));
}

void list_images(Client& client, bool all, bool quiet, bool no_trunc, bool digests,
                 const std::string& format, const std::vector<std::string>& filters,
                 const std::string& reference) {
  keel::v1::ListImagesRequest request;
  request.set_all(all);
  for (const auto& filter : filters)
    add_filter(request, filter);
  if (!reference.empty())
    add_filter(request, "reference=" + reference);
  keel::v1::ListImagesResponse response;
  grpc::ClientContext context;
  client.check(Images::NewStub(client.channel())->List(&context, request, &response));

  std::vector<Row> rows;
  for (const auto& image : response.images()) {
    const std::string id = no_trunc ? image.id() : short_id(image.id());
    std::vector<std::pair<std::string, std::string>> names;
    for (const auto& tag : image.repo_tags())
      names.push_back(split_repository_tag(familiar_name(tag)));
    if (names.empty())
      names.emplace_back("<none>", "<none>");
    std::string digest = "<none>";
    if (!image.repo_digests().empty())
      digest = split_repository_tag(image.repo_digests(0)).second;
    for (const auto& [repository, tag] : names)
      rows.push_back(Row{{"Repository", repository},
                         {"Tag", tag},
                         {"ID", id},
                         {"Digest", digest},
                         {"CreatedSince", created_since(image.created())},
                         {"CreatedAt", rfc3339_nano(to_time(image.created()))},
                         {"Size", human_size(static_cast<double>(image.size()))}});
  }
  if (quiet) {
    for (const auto& row : rows)
      std::cout << row.at("ID") << "\n";
    return;
  }
  const std::string table = digests ? "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t"
                                      "{{.CreatedSince}}\t{{.Size}}"
                                    : "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t"
                                      "{{.CreatedSince}}\t{{.Size}}";
  std::cout << render_rows(
      format, table, rows,
      {{"ID", "IMAGE ID"}, {"CreatedSince", "CREATED"}, {"CreatedAt", "CREATED AT"}});
}

void load(Client& client, const std::string& input, bool quiet) {
  if (input == "-" && ::isatty(STDIN_FILENO))
    throw CommandError(
        "requested load from stdin, but stdin is empty (use -i FILE or redirect a tar)");
  grpc::ClientContext context;
  keel::v1::LoadResponse response;
  auto writer = Images::NewStub(client.channel())->Load(&context, &response);
  keel::v1::Chunk chunk;
  read_chunks(input, [&](std::string_view data) {
    chunk.set_data(data.data(), data.size());
    return writer->Write(chunk);
  });
  writer->WritesDone();
  client.check(writer->Finish());
  if (!quiet)
    for (const auto& line : response.loaded())
      std::cout << line << "\n";
}

void save(Client& client, const std::vector<std::string>& refs, const std::string& output) {
  ChunkSink sink(output);
  keel::v1::SaveRequest request;
  for (const auto& ref : refs)
    request.add_refs(ref);
  grpc::ClientContext context;
  auto reader = Images::NewStub(client.channel())->Save(&context, request);
  keel::v1::Chunk chunk;
  while (reader->Read(&chunk))
    sink.write(chunk.data());
  client.check(reader->Finish());
  sink.finish();
}

void import_rootfs(Client& client, const std::string& file, const std::string& ref,
                   const std::vector<std::string>& changes, const std::string& message) {
  grpc::ClientContext context;
  keel::v1::Image image;
  auto writer = Images::NewStub(client.channel())->Import(&context, &image);
  keel::v1::ImportRequest header;
  header.mutable_header()->set_ref(ref);
  for (const auto& change : changes)
    header.mutable_header()->add_changes(change);
  header.mutable_header()->set_message(message);
  if (writer->Write(header)) {
    keel::v1::ImportRequest chunk;
    read_chunks(file, [&](std::string_view data) {
      chunk.set_data(data.data(), data.size());
      return writer->Write(chunk);
    });
  }
  writer->WritesDone();
  client.check(writer->Finish());
  std::cout << image.id() << "\n";
}

void tag(Client& client, const std::string& source, const std::string& target) {
  keel::v1::TagImageRequest request;
  request.set_source(source);
  request.set_target(target);
  keel::v1::Image image;
  grpc::ClientContext context;
  client.check(Images::NewStub(client.channel())->Tag(&context, request, &image));
}

void remove(Client& client, const std::vector<std::string>& refs, bool force, bool no_prune) {
  // docker removes each image in turn and reports each failure, exiting 1 if any failed.
  bool failed = false;
  for (const auto& ref : refs) {
    keel::v1::RemoveImageRequest request;
    request.add_refs(ref);
    request.set_force(force);
    request.set_no_prune(no_prune);
    keel::v1::RemoveImageResponse response;
    grpc::ClientContext context;
    try {
      client.check(Images::NewStub(client.channel())->Remove(&context, request, &response));
    } catch (const CommandError& error) {
      std::cerr << error.what() << "\n";
      failed = true;
      continue;
    }
    for (const auto& name : response.untagged())
      std::cout << "Untagged: " << familiar_name(name) << "\n";
    for (const auto& id : response.deleted())
      std::cout << "Deleted: " << id << "\n";
  }
  if (failed)
    throw CommandError("", 1);
}

void history(Client& client, const std::string& ref, bool no_trunc, bool human, bool quiet,
             const std::string& format) {
  keel::v1::GetImageRequest request;
  request.set_ref(ref);
  keel::v1::HistoryResponse response;
  grpc::ClientContext context;
  auto stub = Images::NewStub(client.channel());
  client.check(stub->History(&context, request, &response));
  keel::v1::Image image;
  grpc::ClientContext get_context;
  client.check(stub->Get(&get_context, request, &image));
  std::vector<Row> rows;
  bool first = true;
  for (const auto& entry : response.entries()) {
    std::string id = "<missing>";
    if (first)
      id = no_trunc ? image.id() : short_id(image.id());
    first = false;
    std::string created_by = entry.created_by();
    if (!no_trunc && created_by.size() > 45)
      created_by = created_by.substr(0, 44) + "…";
    rows.push_back(Row{{"ID", id},
                       {"CreatedSince", human ? created_since(entry.created())
                                              : rfc3339_nano(to_time(entry.created()))},
                       {"CreatedAt", rfc3339_nano(to_time(entry.created()))},
                       {"CreatedBy", created_by},
                       {"Size", human ? human_size(static_cast<double>(entry.size()))
                                      : std::to_string(entry.size())},
                       {"Comment", entry.comment()}});
  }
  if (quiet) {
    for (const auto& row : rows)
      std::cout << row.at("ID") << "\n";
    return;
  }
  std::cout << render_rows(format,
                           "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t"
                           "{{.Comment}}",
                           rows,
                           {{"ID", "IMAGE"},
                            {"CreatedSince", "CREATED"},
                            {"CreatedBy", "CREATED BY"},
                            {"CreatedAt", "CREATED AT"}});
}

void prune(Client& client, bool all, bool force) {
  if (!force) {
    std::cout << "WARNING! This will remove all dangling images.\n"
                 "Are you sure you want to continue? [y/N] "
              << std::flush;
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != "y" && answer != "Y")
      return;
  }
  keel::v1::PruneRequest request;
  request.set_all(all);
  keel::v1::PruneResponse response;
  grpc::ClientContext context;
  client.check(Images::NewStub(client.channel())->Prune(&context, request, &response));
  if (!response.deleted().empty()) {
    std::cout << "Deleted Images:\n";
    for (const auto& line : response.deleted())
      std::cout << line << "\n";
    std::cout << "\n";
  }
  std::cout << "Total reclaimed space: "
            << human_size(static_cast<double>(response.space_reclaimed())) << "\n";
}

// Registers the commands under parent; `image` subcommands drop the docker prefix
// (`image ls`, `image rm`), the top level keeps docker's short forms (`images`, `rmi`).
void add_commands(CLI::App& parent, Client& client, bool grouped) {
  {
    auto* cmd = parent.add_subcommand(grouped ? "ls" : "images", "List images");
    if (grouped)
      cmd->alias("list");
    auto all = std::make_shared<bool>(false);
    auto quiet = std::make_shared<bool>(false);
    auto no_trunc = std::make_shared<bool>(false);
    auto digests = std::make_shared<bool>(false);
    auto format = std::make_shared<std::string>();
    auto filters = std::make_shared<std::vector<std::string>>();
    auto reference = std::make_shared<std::string>();
    cmd->add_flag("-a,--all", *all, "Show all images (default hides intermediate images)");
    cmd->add_flag("-q,--quiet", *quiet, "Only show image IDs");
    cmd->add_flag("--no-trunc", *no_trunc, "Don't truncate output");
    cmd->add_flag("--digests", *digests, "Show digests");
    cmd->add_option("--format", *format, "Format output: table, json or a template");
    cmd->add_option("-f,--filter", *filters, "Filter output based on conditions provided")
        ->allow_extra_args(false);
    cmd->add_option("reference", *reference, "REPOSITORY[:TAG]");
    cmd->callback([=, &client] {
      list_images(client, *all, *quiet, *no_trunc, *digests, *format, *filters, *reference);
    });
  }
  {
    auto* cmd = parent.add_subcommand("load", "Load an image from a tar archive or STDIN");
    auto input = std::make_shared<std::string>("-");
    auto quiet = std::make_shared<bool>(false);
    cmd->add_option("-i,--input", *input, "Read from tar archive file, instead of STDIN");
    cmd->add_flag("-q,--quiet", *quiet, "Suppress the load output");
    cmd->callback([=, &client] { load(client, *input, *quiet); });
  }
  {
    auto* cmd = parent.add_subcommand("save", "Save one or more images to a tar archive");
    auto output = std::make_shared<std::string>();
    auto refs = std::make_shared<std::vector<std::string>>();
    cmd->add_option("-o,--output", *output, "Write to a file, instead of STDOUT");
    cmd->add_option("images", *refs, "IMAGE...")->required();
    cmd->callback([=, &client] { save(client, *refs, *output); });
  }
  {
    auto* cmd = parent.add_subcommand(
        "import", "Import the contents from a tarball to create a filesystem image");
    auto file = std::make_shared<std::string>();
    auto ref = std::make_shared<std::string>();
    auto changes = std::make_shared<std::vector<std::string>>();
    auto message = std::make_shared<std::string>();
    cmd->add_option("file", *file, "file|- (a rootfs tar)")->required();
    cmd->add_option("reference", *ref, "REPOSITORY[:TAG]");
    cmd->add_option("-c,--change", *changes, "Apply Dockerfile instruction to the created image")
        ->allow_extra_args(false);
    cmd->add_option("-m,--message", *message, "Set commit message for imported image");
    cmd->callback([=, &client] { import_rootfs(client, *file, *ref, *changes, *message); });
  }
  {
    auto* cmd = parent.add_subcommand("tag",
                                      "Create a tag TARGET_IMAGE that refers to "
                                      "SOURCE_IMAGE");
    auto source = std::make_shared<std::string>();
    auto target = std::make_shared<std::string>();
    cmd->add_option("source", *source, "SOURCE_IMAGE[:TAG]")->required();
    cmd->add_option("target", *target, "TARGET_IMAGE[:TAG]")->required();
    cmd->callback([=, &client] { tag(client, *source, *target); });
  }
  {
    auto* cmd = parent.add_subcommand(grouped ? "rm" : "rmi", "Remove one or more images");
    if (grouped)
      cmd->alias("remove");
    auto refs = std::make_shared<std::vector<std::string>>();
    auto force = std::make_shared<bool>(false);
    auto no_prune = std::make_shared<bool>(false);
    cmd->add_option("images", *refs, "IMAGE...")->required();
    cmd->add_flag("-f,--force", *force, "Force removal of the image");
    cmd->add_flag("--no-prune", *no_prune, "Do not delete untagged parents");
    cmd->callback([=, &client] { remove(client, *refs, *force, *no_prune); });
  }
  {
    auto* cmd = parent.add_subcommand("history", "Show the history of an image");
    auto ref = std::make_shared<std::string>();
    auto no_trunc = std::make_shared<bool>(false);
    auto human = std::make_shared<bool>(true);
    auto quiet = std::make_shared<bool>(false);
    auto format = std::make_shared<std::string>();
    cmd->add_option("image", *ref, "IMAGE")->required();
    cmd->add_flag("--no-trunc", *no_trunc, "Don't truncate output");
    cmd->add_option("-H,--human", *human, "Print sizes and dates in human readable format");
    cmd->add_flag("-q,--quiet", *quiet, "Only show image IDs");
    cmd->add_option("--format", *format, "Format output: table, json or a template");
    cmd->callback([=, &client] { history(client, *ref, *no_trunc, *human, *quiet, *format); });
  }
  if (grouped) {
    auto* cmd = parent.add_subcommand("prune", "Remove unused images");
    auto all = std::make_shared<bool>(false);
    auto force = std::make_shared<bool>(false);
    cmd->add_flag("-a,--all", *all, "Remove all unused images, not just dangling ones");
    cmd->add_flag("-f,--force", *force, "Do not prompt for confirmation");
    cmd->callback([=, &client] { prune(client, *all, *force); });
    auto* inspect = parent.add_subcommand("inspect", "Display detailed information on images");
    auto refs = std::make_shared<std::vector<std::string>>();
    auto format = std::make_shared<std::string>();
    inspect->add_option("images", *refs, "IMAGE...")->required();
    inspect->add_option("-f,--format", *format, "Format output using a template");
    inspect->callback([=, &client] { inspect_images(client, *refs, *format); });
  }
}

}  // namespace

void add_image_commands(CLI::App& app, Client& client) {
  add_commands(app, client, false);
  auto* group = app.add_subcommand("image", "Manage images");
  group->require_subcommand(1);
  add_commands(*group, client, true);
}

}  // namespace keel::ctl
