#include "ctl/format.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <optional>

#include "common/human_duration.h"

namespace keel::ctl {

std::string human_size(double bytes) {
  static constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
  std::size_t unit = 0;
  while (bytes >= 1000.0 && unit + 1 < std::size(kUnits)) {
    bytes /= 1000.0;
    ++unit;
  }
  char text[64];
  std::snprintf(text, sizeof text, "%.3g%s", bytes, kUnits[unit]);
  return text;
}

std::string human_duration(std::chrono::nanoseconds duration) {
  return keel::human_duration(duration);
}

std::string short_id(const std::string& id) {
  const auto colon = id.find(':');
  const std::string hex = colon == std::string::npos ? id : id.substr(colon + 1);
  return hex.substr(0, 12);
}

namespace {

// Characters as a terminal shows them: UTF-8 continuation bytes take no column ("…" is one).
std::size_t display_width(const std::string& text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

}  // namespace

std::string render_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths(header.size(), 0);
  auto measure = [&](const std::vector<std::string>& cells) {
    for (std::size_t i = 0; i < cells.size() && i < widths.size(); ++i)
      widths[i] = std::max(widths[i], display_width(cells[i]));
  };
  measure(header);
  for (const auto& row : rows)
    measure(row);
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      text += cells[i];
      if (i + 1 < cells.size()) {
        const std::size_t width = std::max<std::size_t>(widths[i] + 3, 10);
        text.append(width - display_width(cells[i]), ' ');
      }
    }
    while (!text.empty() && text.back() == ' ')
      text.pop_back();
    out += text + "\n";
  };
  if (!header.empty())
    line(header);
  for (const auto& row : rows)
    line(row);
  return out;
}

namespace {

std::string unescape(const std::string& format) {
  std::string out;
  for (std::size_t i = 0; i < format.size(); ++i) {
    if (format[i] == '\\' && i + 1 < format.size()) {
      const char next = format[i + 1];
      if (next == 't' || next == 'n') {
        out += next == 't' ? '\t' : '\n';
        ++i;
        continue;
      }
    }
    out += format[i];
  }
  return out;
}

std::string trim(std::string text) {
  const auto first = text.find_first_not_of(" \t");
  const auto last = text.find_last_not_of(" \t");
  return first == std::string::npos ? std::string{} : text.substr(first, last - first + 1);
}

// Expands every {{...}} action in tmpl with resolve(action).
template <class Resolve>
std::string expand(const std::string& tmpl, Resolve&& resolve) {
  std::string out;
  std::size_t pos = 0;
  while (true) {
    const auto open = tmpl.find("{{", pos);
    if (open == std::string::npos) {
      out += tmpl.substr(pos);
      return out;
    }
    const auto close = tmpl.find("}}", open);
    if (close == std::string::npos)
      throw FormatError("template: unclosed action in \"" + tmpl + "\"");
    out += tmpl.substr(pos, open - pos);
    out += resolve(trim(tmpl.substr(open + 2, close - open - 2)));
    pos = close + 2;
  }
}

nlohmann::json row_json(const Row& row) {
  nlohmann::json object = nlohmann::json::object();
  for (const auto& [key, value] : row)
    object[key] = value;
  return object;
}

std::string resolve_row(const Row& row, const std::string& action) {
  if (action == "json .")
    return row_json(row).dump();
  const bool as_json = action.starts_with("json ");
  const std::string field = as_json ? trim(action.substr(5)) : action;
  if (!field.starts_with("."))
    throw FormatError("template: unsupported action \"{{" + action + "}}\"");
  const auto it = row.find(field.substr(1));
  if (it == row.end())
    throw FormatError("template: can't evaluate field " + field.substr(1));
  return as_json ? nlohmann::json(it->second).dump() : it->second;
}

}  // namespace

std::string render_rows(const std::string& format, const std::string& default_template,
                        const std::vector<Row>& rows,
                        const std::map<std::string, std::string>& headers) {
  const std::string chosen = format.empty() ? default_template : format;
  std::string out;
  if (chosen == "json") {
    for (const auto& row : rows)
      out += row_json(row).dump() + "\n";
    return out;
  }
  if (!chosen.starts_with("table")) {
    const std::string tmpl = unescape(chosen);
    for (const auto& row : rows)
      out += expand(tmpl, [&](const std::string& a) { return resolve_row(row, a); }) + "\n";
    return out;
  }
  // A table: cells are separated by tabs in the template, aligned afterwards.
  const std::string tmpl = unescape(trim(chosen.substr(5)));
  auto split_tabs = [](const std::string& text) {
    std::vector<std::string> cells;
    std::size_t start = 0;
    while (true) {
      const auto tab = text.find('\t', start);
      cells.push_back(
          text.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
      if (tab == std::string::npos)
        return cells;
      start = tab + 1;
    }
  };
  const std::string header_line = expand(tmpl, [&](const std::string& action) {
    const std::string field = action.starts_with(".") ? action.substr(1) : action;
    if (const auto it = headers.find(field); it != headers.end())
      return it->second;
    std::string upper;
    for (char c : field)
      upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return upper;
  });
  std::vector<std::vector<std::string>> cells;
  for (const auto& row : rows)
    cells.push_back(
        split_tabs(expand(tmpl, [&](const std::string& a) { return resolve_row(row, a); })));
  return render_table(split_tabs(header_line), cells);
}

std::string render_json_template(const std::string& format, const nlohmann::json& value) {
  return expand(unescape(format), [&](const std::string& action) {
    const bool as_json = action.starts_with("json ");
    const std::string path = as_json ? trim(action.substr(5)) : action;
    if (!path.starts_with("."))
      throw FormatError("template: unsupported action \"{{" + action + "}}\"");
    const nlohmann::json* node = &value;
    std::size_t pos = 1;
    while (pos < path.size()) {
      const auto dot = path.find('.', pos);
      const std::string key =
          path.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
      if (!node->is_object() || !node->contains(key))
        throw FormatError("template: can't evaluate field " + key);
      node = &(*node)[key];
      pos = dot == std::string::npos ? path.size() : dot + 1;
    }
    if (as_json || !(node->is_string()))
      return node->is_string() && !as_json ? node->get<std::string>() : node->dump();
    return node->get<std::string>();
  });
}

}  // namespace keel::ctl

namespace keel::ctl {

std::string rfc3339_nano(std::chrono::system_clock::time_point time) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch());
  const std::time_t seconds = static_cast<std::time_t>(ns.count() / 1'000'000'000);
  const long nanos = static_cast<long>(ns.count() % 1'000'000'000);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char text[64];
  const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(text + n, sizeof text - n, ".%09ldZ", nanos);
  return text;
}

}  // namespace keel::ctl

namespace keel::ctl {

namespace {

// "1h30m5s", "10m", "250ms" -> duration; nullopt if text is not one.
std::optional<std::chrono::nanoseconds> parse_duration(const std::string& text) {
  if (text.empty())
    return std::nullopt;
  std::chrono::nanoseconds total{0};
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t used = 0;
    double value = 0;
    try {
      value = std::stod(text.substr(pos), &used);
    } catch (const std::exception&) {
      return std::nullopt;
    }
    pos += used;
    std::string unit;
    while (pos < text.size() && std::isalpha(static_cast<unsigned char>(text[pos])))
      unit += text[pos++];
    double scale = 0;
    if (unit == "ns")
      scale = 1;
    else if (unit == "us")
      scale = 1e3;
    else if (unit == "ms")
      scale = 1e6;
    else if (unit == "s")
      scale = 1e9;
    else if (unit == "m")
      scale = 60e9;
    else if (unit == "h")
      scale = 3600e9;
    else
      return std::nullopt;
    total += std::chrono::nanoseconds(static_cast<long long>(value * scale));
  }
  return total;
}

}  // namespace

std::chrono::system_clock::time_point parse_time(const std::string& text,
                                                 std::chrono::system_clock::time_point now) {
  using namespace std::chrono;
  if (auto duration = parse_duration(text))
    return now - duration_cast<system_clock::duration>(*duration);
  // Unix seconds with an optional fraction.
  if (!text.empty() && text.find_first_not_of("0123456789.") == std::string::npos) {
    const double seconds = std::stod(text);
    return system_clock::time_point(
        duration_cast<system_clock::duration>(duration<double>(seconds)));
  }
  std::tm tm{};
  const char* rest = ::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!rest) {
    rest = ::strptime(text.c_str(), "%Y-%m-%d", &tm);
    if (!rest || *rest != '\0')
      throw FormatError("invalid time '" + text +
                        "': use RFC 3339, a date, Unix seconds or a duration like 10m");
  }
  auto time = system_clock::from_time_t(::timegm(&tm));
  if (*rest == '.') {
    ++rest;
    std::string digits;
    while (std::isdigit(static_cast<unsigned char>(*rest)))
      digits += *rest++;
    digits.resize(9, '0');
    time += duration_cast<system_clock::duration>(nanoseconds(std::stoll(digits.substr(0, 9))));
  }
  if (*rest == 'Z') {
    ++rest;
  } else if (*rest == '+' || *rest == '-') {
    const int sign = *rest == '+' ? 1 : -1;
    int hours = 0;
    int minutes = 0;
    if (std::sscanf(rest + 1, "%2d:%2d", &hours, &minutes) != 2)
      throw FormatError("invalid time zone in '" + text + "'");
    time -= sign * (std::chrono::hours(hours) + std::chrono::minutes(minutes));
    rest += 6;
  }
  if (*rest != '\0')
    throw FormatError("invalid time '" + text + "'");
  return time;
}

}  // namespace keel::ctl
