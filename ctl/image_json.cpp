#include "ctl/image_json.h"

#include <iostream>

#include "ctl/format.h"
#include "ctl/references.h"
#include "keel/v1/images.grpc.pb.h"

namespace keel::ctl {

nlohmann::json image_inspect_json(const keel::v1::Image& image) {
  nlohmann::json config = nlohmann::json::parse(image.config_json(), nullptr, false);
  if (config.is_discarded())
    config = nlohmann::json::object();
  nlohmann::json tags = nlohmann::json::array();
  for (const auto& tag : image.repo_tags())
    tags.push_back(familiar_name(tag));
  nlohmann::json digests = nlohmann::json::array();
  for (const auto& digest : image.repo_digests())
    digests.push_back(familiar_name(digest));
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& diff_id : image.diff_ids())
    layers.push_back(diff_id);
  std::string comment;
  if (config.contains("history") && config["history"].is_array() && !config["history"].empty()) {
    const auto& last = config["history"].back();
    if (last.contains("comment") && last["comment"].is_string())
      comment = last["comment"].get<std::string>();
  }
  return nlohmann::json{
      {"Id", image.id()},
      {"RepoTags", tags},
      {"RepoDigests", digests},
      {"Parent", ""},
      {"Comment", comment},
      {"Created", config.value("created", "")},
      {"Author", image.author()},
      {"Config", config.value("config", nlohmann::json::object())},
      {"Architecture", image.architecture()},
      {"Os", image.os()},
      {"Size", image.size()},
      {"RootFS", {{"Type", "layers"}, {"Layers", layers}}},
      {"Descriptor",
       {{"mediaType", image.target().media_type()},
        {"digest", image.target().digest()},
        {"size", image.target().size()}}},
  };
}

void inspect_images(Client& client, const std::vector<std::string>& refs,
                    const std::string& format) {
  auto stub = keel::v1::Images::NewStub(client.channel());
  nlohmann::json all = nlohmann::json::array();
  std::string missing;
  for (const auto& ref : refs) {
    keel::v1::GetImageRequest request;
    request.set_ref(ref);
    keel::v1::Image image;
    grpc::ClientContext context;
    const grpc::Status status = stub->Get(&context, request, &image);
    if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
      missing = ref;
      continue;
    }
    client.check(status);
    all.push_back(image_inspect_json(image));
  }
  if (format.empty())
    std::cout << all.dump(4) << "\n";
  else
    for (const auto& one : all)
      std::cout << render_json_template(format, one) << "\n";
  if (!missing.empty())
    throw CommandError("Error: No such image: " + missing);
}

}  // namespace keel::ctl
