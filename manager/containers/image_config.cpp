// parse_image_config: nlohmann/json in, ImageConfig out; exceptions stay in this file.
#include "manager/containers/image_config.h"

#include <nlohmann/json.hpp>

namespace keel::manager::containers {
namespace {

using nlohmann::json;

Result<std::vector<std::string>> strings(const json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || it->is_null())
    return out;
  if (!it->is_array())
    return Error::of(Errc::kInvalidArgument,
                     std::string("image config: ") + key + ": must be an array of strings");
  for (const auto& v : *it) {
    if (!v.is_string())
      return Error::of(Errc::kInvalidArgument,
                       std::string("image config: ") + key + ": must be an array of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

Result<std::string> string_of(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null())
    return std::string();
  if (!it->is_string())
    return Error::of(Errc::kInvalidArgument,
                     std::string("image config: ") + key + ": must be a string");
  return it->get<std::string>();
}

// "Volumes" and "Labels" are objects: the first keyed by path with empty objects as values.
Result<void> read_objects(const json& j, ImageConfig& c) {
  if (auto it = j.find("Volumes"); it != j.end() && !it->is_null()) {
    if (!it->is_object())
      return Error::of(Errc::kInvalidArgument, "image config: Volumes: must be an object");
    for (const auto& [path, unused] : it->items())
      c.volumes.push_back(path);
  }
  if (auto it = j.find("ExposedPorts"); it != j.end() && !it->is_null()) {
    if (!it->is_object())
      return Error::of(Errc::kInvalidArgument, "image config: ExposedPorts: must be an object");
    for (const auto& [port, unused] : it->items())
      c.exposed_ports.push_back(port);
  }
  if (auto it = j.find("Labels"); it != j.end() && !it->is_null()) {
    if (!it->is_object())
      return Error::of(Errc::kInvalidArgument, "image config: Labels: must be an object");
    for (const auto& [key, value] : it->items()) {
      if (!value.is_string())
        return Error::of(Errc::kInvalidArgument, "image config: Labels." + key + ": not a string");
      c.labels[key] = value.get<std::string>();
    }
  }
  return {};
}

template <class T>
Result<void> assign(Result<T> value, T& out) {
  if (!value)
    return std::move(value).error();
  out = std::move(*value);
  return {};
}

}  // namespace

Result<ImageConfig> parse_image_config(std::string_view text) {
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    return Error::of(Errc::kInvalidArgument, "image config: invalid JSON");
  ImageConfig c;
  if (j.is_null())
    return c;
  if (!j.is_object())
    return Error::of(Errc::kInvalidArgument, "image config: must be an object");
  KEEL_TRY(assign(strings(j, "Entrypoint"), c.entrypoint));
  KEEL_TRY(assign(strings(j, "Cmd"), c.cmd));
  KEEL_TRY(assign(strings(j, "Env"), c.env));
  KEEL_TRY(assign(string_of(j, "WorkingDir"), c.working_dir));
  KEEL_TRY(assign(string_of(j, "User"), c.user));
  KEEL_TRY(assign(string_of(j, "StopSignal"), c.stop_signal));
  KEEL_TRY(read_objects(j, c));
  return c;
}

}  // namespace keel::manager::containers
