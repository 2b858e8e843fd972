// manifest_media_type: Content-Type against the document's mediaType and shape.
#include "manager/registry/manifest_document.h"

#include <nlohmann/json.hpp>

#include "manager/images/media_types.h"

namespace keel::manager::registry {
namespace {

namespace mt = images::media_type;

bool is_known(std::string_view t) {
  return mt::is_manifest(t) || mt::is_index(t);
}

// The type the document's fields make it, when they say: an index lists manifests, a manifest
// has a config and layers.
std::string shape_of(const nlohmann::json& doc) {
  if (doc.contains("manifests") && doc["manifests"].is_array())
    return std::string(mt::kOciIndex);
  if (doc.contains("config") && doc.contains("layers"))
    return std::string(mt::kOciManifest);
  return {};
}

}  // namespace

Result<std::string> manifest_media_type(std::string_view content_type, const std::string& bytes) {
  if (bytes.size() > kMaxManifestBytes)
    return Error::of(Errc::kInvalidArgument, "manifest is over the 4 MiB limit");
  const auto doc = nlohmann::json::parse(bytes, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    return Error::of(Errc::kInvalidArgument, "manifest is not a JSON object");
  std::string declared;
  if (const auto it = doc.find("mediaType"); it != doc.end()) {
    if (!it->is_string())
      return Error::of(Errc::kInvalidArgument, "manifest mediaType is not a string");
    declared = it->get<std::string>();
  }
  const std::string shape = shape_of(doc);
  // The type it is served as, or else the one it declares, or else the one its fields make it.
  std::string type;
  if (is_known(content_type))
    type = std::string(content_type);
  else if (is_known(declared))
    type = declared;
  else if (!shape.empty() && declared.empty())
    type = shape;
  else
    return Error::of(Errc::kInvalidArgument,
                     "unsupported manifest type \"" +
                         std::string(declared.empty() ? content_type : declared) + "\"");
  if (!declared.empty() && declared != type)
    return Error::of(Errc::kInvalidArgument,
                     "manifest served as \"" + type + "\" declares mediaType \"" + declared + "\"");
  if (!shape.empty() && mt::is_index(shape) != mt::is_index(type))
    return Error::of(Errc::kInvalidArgument,
                     "manifest served as \"" + type + "\" has the fields of " +
                         (mt::is_index(shape) ? "an index" : "an image manifest"));
  return type;
}

}  // namespace keel::manager::registry
