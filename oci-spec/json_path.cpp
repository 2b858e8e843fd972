// JSON path rendering, PathError construction and the shared typed-read helpers of json_read.h.
#include "oci-spec/json_path.h"

#include <utility>

#include "oci-spec/json_read.h"

namespace keel::oci::detail {

void JsonPath::append_to(std::string& out) const {
  if (parent_ != nullptr)
    parent_->append_to(out);
  switch (kind_) {
    case Kind::kRoot:
      break;
    case Kind::kKey:
      if (!out.empty())
        out += '.';
      out += name_;
      break;
    case Kind::kMapKey:
      out += '[';
      out += quote(name_);
      out += ']';
      break;
    case Kind::kIndex:
      out += '[';
      out += std::to_string(index_);
      out += ']';
      break;
  }
}

std::string JsonPath::str() const {
  std::string out;
  append_to(out);
  return out;
}

void fail(const JsonPath& path, std::string rule) {
  throw PathError{path.str(), std::move(rule)};
}

Error to_error(std::string_view document, const PathError& e) {
  std::string text(document);
  text += ": ";
  if (!e.path.empty()) {
    text += e.path;
    text += ": ";
  }
  text += e.rule;
  return Error::of(Errc::kInvalidArgument, std::move(text));
}

std::string quote(std::string_view text) {
  return Json(std::string(text)).dump();
}

std::string parser_message(const Json::exception& e) {
  std::string_view text = e.what();
  if (!text.empty() && text.front() == '[') {
    if (const auto end = text.find("] "); end != std::string_view::npos)
      text.remove_prefix(end + 2);
  }
  return std::string(text);
}

std::string_view json_type(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return "a number";
    case Json::value_t::binary:
    case Json::value_t::discarded:
      break;
  }
  return "an unknown value";
}

void fail_type(const Json& value, const JsonPath& path, std::string_view want) {
  std::string rule = "must be ";
  rule += want;
  rule += ", not ";
  rule += json_type(value);
  fail(path, std::move(rule));
}

void fail_int(const Json& value, const JsonPath& path, std::string_view range) {
  // A number out of range is shown as written; other types by name.
  std::string rule = "must be ";
  rule += range;
  rule += ", not ";
  rule += value.is_number() ? value.dump() : std::string(json_type(value));
  fail(path, std::move(rule));
}

bool nests_deeper_than(const Json& value, int levels) {
  if (!value.is_structured())
    return false;
  if (levels == 0)
    return true;
  for (const Json& child : value) {
    if (nests_deeper_than(child, levels - 1))
      return true;
  }
  return false;
}

std::string dump_extra(const Json& value, const JsonPath& path) {
  if (nests_deeper_than(value, kMaxExtraDepth))
    fail(path, "nested deeper than " + std::to_string(kMaxExtraDepth) + " levels");
  return value.dump();
}

std::vector<std::string> read_strings(Json& value, const JsonPath& path) {
  expect_array(value, path);
  std::vector<std::string> out;
  out.reserve(value.size());
  std::size_t i = 0;
  for (Json& item : value) {
    if (!item.is_string())
      fail_type(item, path.at(i), "a string");
    out.push_back(std::move(item.get_ref<std::string&>()));
    ++i;
  }
  return out;
}

std::map<std::string, std::string> read_string_map(Json& value, const JsonPath& path) {
  expect_object(value, path);
  std::map<std::string, std::string> out;
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (!it.value().is_string())
      fail_type(it.value(), path.map_key(it.key()), "a string");
    out.emplace_hint(out.end(), it.key(), std::move(it.value().get_ref<std::string&>()));
  }
  return out;
}

}  // namespace keel::oci::detail
