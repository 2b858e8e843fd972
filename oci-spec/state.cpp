// State JSON: write and parse (runtime.md "State").
#include "oci-spec/state.h"

#include <nlohmann/json.hpp>

#include "oci-spec/json_read.h"

namespace keel::oci {
namespace {

constexpr std::string_view kDocument = "state";

void parse_state_object(detail::Json& doc, State& out) {
  using detail::Json;
  using detail::JsonPath;
  const JsonPath root;
  detail::read_object(doc, root, nullptr, [&](std::string_view key, Json& v, const JsonPath& p) {
    if (key == "ociVersion")
      out.oci_version = detail::read_string(v, p);
    else if (key == "id")
      out.id = detail::read_string(v, p);
    else if (key == "status")
      out.status = detail::read_string(v, p);
    else if (key == "pid")
      out.pid = detail::read_int<int>(v, p);
    else if (key == "bundle")
      out.bundle = detail::read_string(v, p);
    else if (key == "annotations")
      out.annotations = detail::read_string_map(v, p);
    else
      return false;
    return true;
  });
  const auto require = [&](const char* name, const std::string& value) {
    if (value.empty())
      detail::fail(root.key(name), "is required");
  };
  require("ociVersion", out.oci_version);
  require("id", out.id);
  require("status", out.status);
  require("bundle", out.bundle);
  if (out.status != "creating" && out.status != "created" && out.status != "running" &&
      out.status != "stopped")
    detail::fail(root.key("status"), "unknown status " + detail::quote(out.status));
}

}  // namespace

std::string to_json(const State& state) {
  nlohmann::ordered_json o{
      {"ociVersion", state.oci_version}, {"id", state.id}, {"status", state.status}};
  if (state.pid != 0)
    o["pid"] = state.pid;
  o["bundle"] = state.bundle;
  if (!state.annotations.empty())
    o["annotations"] = state.annotations;
  return o.dump(2);
}

Result<State> parse_state(std::string_view json_text) {
  detail::Json doc;
  try {
    doc = detail::Json::parse(json_text);
  } catch (const detail::Json::exception& e) {
    return Error::of(Errc::kInvalidArgument,
                     std::string(kDocument) + ": invalid JSON: " + detail::parser_message(e));
  }
  State state;
  try {
    parse_state_object(doc, state);
  } catch (const detail::PathError& e) {
    return detail::to_error(kDocument, e);
  }
  return state;
}

}  // namespace keel::oci
