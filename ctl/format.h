// How keelctl prints, as docker does: human sizes and durations, tab-aligned tables, and
// --format with `table`, `json` and {{.Field}} placeholders.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace keel::ctl {

// docker's units.HumanSizeWithPrecision(size, 3): decimal units, 3 significant digits
// ("4.26MB", "932B", "1.5GB").
[[nodiscard]] std::string human_size(double bytes);

// docker's units.HumanDuration: "Less than a second", "3 seconds", "About a minute",
// "5 minutes", "About an hour", "3 hours", "4 days", "2 weeks", "3 months", "2 years".
[[nodiscard]] std::string human_duration(std::chrono::nanoseconds duration);

// "sha256:abcdef..." -> "abcdef012345" (docker's 12-character short id).
[[nodiscard]] std::string short_id(const std::string& id);

// One row of named fields; the names are what {{.Name}} placeholders refer to.
using Row = std::map<std::string, std::string>;

// Columns as docker aligns them (text/tabwriter with minwidth 10, padding 3): each cell is padded
// to its column's widest cell + 3, the last column is not padded.
[[nodiscard]] std::string render_table(const std::vector<std::string>& header,
                                       const std::vector<std::vector<std::string>>& rows);

// Renders rows by a docker-style --format:
//  - "" uses default_template (a "table ..." template);
//  - "json" prints each row as one JSON object per line;
//  - "table <tmpl>" prints a header (the field names, upper-cased with spaces as docker's
//    headers are) then one aligned line per row;
//  - anything else is a per-row template: {{.Field}}, {{json .}}, {{json .Field}}, and \t, \n.
// Unknown fields throw FormatError naming the field.
struct FormatError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
[[nodiscard]] std::string render_rows(const std::string& format,
                                      const std::string& default_template,
                                      const std::vector<Row>& rows,
                                      const std::map<std::string, std::string>& headers);

// Applies a per-object template to a JSON document (for inspect --format): {{.A.B}} walks keys,
// {{json .X}} prints JSON.
[[nodiscard]] std::string render_json_template(const std::string& format,
                                               const nlohmann::json& value);

}  // namespace keel::ctl

namespace keel::ctl {

// RFC 3339 with nanoseconds in UTC, as docker's JSON shows times.
[[nodiscard]] std::string rfc3339_nano(std::chrono::system_clock::time_point time);

}  // namespace keel::ctl

namespace keel::ctl {

// docker's --since/--until values: RFC 3339 ("2026-01-02T15:04:05Z", fractional seconds and
// offsets allowed), a date ("2026-01-02"), Unix seconds ("1700000000[.5]") or a duration before
// now ("10m", "1h30m", "45s"). Throws FormatError for anything else.
[[nodiscard]] std::chrono::system_clock::time_point parse_time(
    const std::string& text, std::chrono::system_clock::time_point now);

}  // namespace keel::ctl
