// passwd(5) and group(5) text: colon-separated records, one per line ('#' lines and empty ones
// skipped). Shared by the runtime (the owner `list` and `state` print) and keeld (docker's -u).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keel {

// The fields of one record, split at ':'.
[[nodiscard]] std::vector<std::string_view> colon_fields(std::string_view line);

// Calls fn(fields) for each record of `text`.
template <class F>
void for_each_colon_record(std::string_view text, F fn) {
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos)
      nl = text.size();
    const std::string_view line = text.substr(start, nl - start);
    start = nl + 1;
    if (line.empty() || line[0] == '#')
      continue;
    fn(colon_fields(line));
  }
}

// A whole decimal id, nothing around it.
[[nodiscard]] std::optional<std::uint32_t> parse_id(std::string_view text);

struct PasswdEntry {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home;
};

// By name, or by uid when `who` is numeric; the first entry wins, as getpwuid's does. Lines with
// fewer than seven fields or ids that do not parse are skipped.
[[nodiscard]] std::optional<PasswdEntry> find_passwd(std::string_view passwd, std::string_view who);

}  // namespace keel
