#include "ctl/image_json.h"

#include "ctl/references.h"

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

}  // namespace keel::ctl
