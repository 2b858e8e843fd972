// Internal to oci-spec: JSON paths for error messages ("linux.namespaces[2].type") and the
// PathError that parse and validate code throws. Every public oci-spec function catches PathError
// and returns an Error, so nothing thrown here leaves the library.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"

namespace keel::oci::detail {

// One step of a path, living on the stack of the function that walks that level. Only rendered
// when an error is reported, so walking a valid document allocates nothing for paths.
// A child refers to its parent: never chain calls (p.key("a").key("b")) into a named variable.
class JsonPath {
 public:
  JsonPath() = default;  // the document root

  [[nodiscard]] JsonPath key(std::string_view name) const { return {this, name, 0, Kind::kKey}; }
  // A key of a free-form map (annotations, sysctl): rendered as ["key"], as it may contain dots.
  [[nodiscard]] JsonPath map_key(std::string_view name) const {
    return {this, name, 0, Kind::kMapKey};
  }
  [[nodiscard]] JsonPath at(std::size_t index) const { return {this, {}, index, Kind::kIndex}; }

  [[nodiscard]] std::string str() const;

 private:
  enum class Kind : std::uint8_t { kRoot, kKey, kMapKey, kIndex };
  JsonPath(const JsonPath* parent, std::string_view name, std::size_t index, Kind kind)
      : parent_(parent), name_(name), index_(index), kind_(kind) {}
  void append_to(std::string& out) const;

  const JsonPath* parent_ = nullptr;
  std::string_view name_;
  std::size_t index_ = 0;
  Kind kind_ = Kind::kRoot;
};

struct PathError {
  std::string path;  // empty: the document itself
  std::string rule;
};

[[noreturn]] void fail(const JsonPath& path, std::string rule);

// "<document>: <path>: <rule>" as one kInvalidArgument error, e.g. document "config.json".
[[nodiscard]] Error to_error(std::string_view document, const PathError& e);

// `"text"` with JSON escaping, for quoting user input in messages.
[[nodiscard]] std::string quote(std::string_view text);

}  // namespace keel::oci::detail
