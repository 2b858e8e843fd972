// Internal to oci-spec: typed reads from a parsed nlohmann::json. A wrong type names the path and
// the expected type ("process.terminal: must be a boolean, not a string"); JSON null counts as
// absent, as Go's encoding/json (runc) treats it. Strings are moved out: a walk consumes the
// document it reads.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "oci-spec/json_path.h"
#include "oci-spec/runtime_config.h"

namespace keel::oci::detail {

using Json = nlohmann::json;

// The parser's message without nlohmann's "[json.exception.parse_error.101] " prefix.
[[nodiscard]] std::string parser_message(const Json::exception& e);

// "a string", "a number", "an object", ... for messages.
[[nodiscard]] std::string_view json_type(const Json& value);
[[noreturn]] void fail_type(const Json& value, const JsonPath& path, std::string_view want);
[[noreturn]] void fail_int(const Json& value, const JsonPath& path, std::string_view range);

inline void expect_object(const Json& value, const JsonPath& path) {
  if (!value.is_object())
    fail_type(value, path, "an object");
}

inline void expect_array(const Json& value, const JsonPath& path) {
  if (!value.is_array())
    fail_type(value, path, "an array");
}

// Moves the string out of the document: it is read once, and this saves a copy per field.
inline std::string read_string(Json& value, const JsonPath& path) {
  if (!value.is_string())
    fail_type(value, path, "a string");
  return std::move(value.get_ref<std::string&>());
}

inline bool read_bool(const Json& value, const JsonPath& path) {
  if (!value.is_boolean())
    fail_type(value, path, "a boolean");
  return value.get<bool>();
}

template <class Int>
[[nodiscard]] std::string int_range() {
  return "an integer from " + std::to_string(std::numeric_limits<Int>::min()) + " to " +
         std::to_string(std::numeric_limits<Int>::max());
}

// Integers only, as Go's decoder: 1.0 and "1" are errors, as are values out of Int's range.
template <class Int>
Int read_int(const Json& value, const JsonPath& path) {
  using Limits = std::numeric_limits<Int>;
  if (value.is_number_unsigned()) {
    const auto u = value.get<std::uint64_t>();
    if (u <= static_cast<std::uint64_t>(Limits::max()))
      return static_cast<Int>(u);
  } else if (value.is_number_integer()) {
    const auto s = value.get<std::int64_t>();
    if (s >= static_cast<std::int64_t>(Limits::min()) &&
        (s < 0 || static_cast<std::uint64_t>(s) <= static_cast<std::uint64_t>(Limits::max())))
      return static_cast<Int>(s);
  }
  fail_int(value, path, int_range<Int>());
}

std::vector<std::string> read_strings(Json& value, const JsonPath& path);
std::map<std::string, std::string> read_string_map(Json& value, const JsonPath& path);

template <class T, class ParseOne>
void read_array(Json& value, const JsonPath& path, std::vector<T>& out, ParseOne&& parse_one) {
  expect_array(value, path);
  out.clear();
  out.reserve(value.size());
  std::size_t i = 0;
  for (Json& item : value) {
    const JsonPath item_path = path.at(i++);
    parse_one(item, item_path, out.emplace_back());
  }
}

// Unknown members are re-serialized, and dump() recurses once per level: nesting deep enough to
// exhaust the stack is refused instead. No real config nests anywhere near this.
inline constexpr int kMaxExtraDepth = 256;
[[nodiscard]] bool nests_deeper_than(const Json& value, int levels);
std::string dump_extra(const Json& value, const JsonPath& path);

// Calls field(key, value, path) for each member whose value is not null. field returns false for
// a key it does not know: that member is kept in *extras as JSON text, or dropped if extras is
// null.
template <class Field>
void read_object(Json& value, const JsonPath& path, Extras* extras, Field&& field) {
  expect_object(value, path);
  for (auto it = value.begin(); it != value.end(); ++it) {
    Json& member = it.value();
    if (member.is_null())
      continue;
    const std::string& key = it.key();
    const JsonPath member_path = path.key(key);
    if (!field(std::string_view(key), member, member_path) && extras != nullptr)
      extras->emplace(key, dump_extra(member, member_path));
  }
}

// Parsers of config.json objects that live in other files of this library.
void parse_linux(Json& value, const JsonPath& path, Linux& out);
void parse_id_mapping(Json& value, const JsonPath& path, IdMapping& out);

}  // namespace keel::oci::detail
