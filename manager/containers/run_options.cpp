// Parsers of docker run's flag syntaxes; pure functions over strings.
#include "manager/containers/run_options.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <csignal>
#include <cstring>

namespace keel::manager::containers {
namespace {

Error invalid(std::string what) {
  return Error::of(Errc::kInvalidArgument, std::move(what));
}

std::vector<std::string> split(std::string_view text, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t at = text.find(sep, start);
    out.emplace_back(text.substr(start, at == std::string_view::npos ? at : at - start));
    if (at == std::string_view::npos)
      return out;
    start = at + 1;
  }
}

// docker's volume name rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+
bool is_volume_name(std::string_view name) {
  auto ok = [](char c, bool first) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           (!first && (c == '_' || c == '.' || c == '-'));
  };
  if (name.size() < 2)
    return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!ok(name[i], i == 0))
      return false;
  }
  return true;
}

bool is_propagation(std::string_view o) {
  return o == "private" || o == "rprivate" || o == "shared" || o == "rshared" || o == "slave" ||
         o == "rslave";
}

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

}  // namespace

Result<VolumeSpec> parse_volume(std::string_view text) {
  const auto parts = split(text, ':');
  if (parts.size() < 2 || parts.size() > 3)
    return invalid("volume \"" + std::string(text) + "\": want SOURCE:DESTINATION[:OPTIONS]");
  VolumeSpec v;
  v.source = parts[0];
  v.destination = parts[1];
  if (v.source.empty() || (v.is_named() && !is_volume_name(v.source)))
    return invalid("volume \"" + std::string(text) +
                   "\": source must be an absolute path or a volume name");
  if (v.destination.empty() || v.destination[0] != '/')
    return invalid("volume \"" + std::string(text) + "\": destination must be an absolute path");
  if (v.destination == "/")
    return invalid("volume \"" + std::string(text) + "\": destination cannot be \"/\"");
  if (parts.size() == 3) {
    for (const auto& o : split(parts[2], ',')) {
      if (o == "ro")
        v.readonly = true;
      else if (o == "rw")
        v.readonly = false;
      else if (is_propagation(o))
        v.propagation = o;
      else if (o != "z" && o != "Z" && o != "nocopy")  // SELinux relabels: nothing to do here
        return invalid("volume \"" + std::string(text) + "\": unknown option \"" + o + "\"");
    }
  }
  return v;
}

Result<TmpfsSpec> parse_tmpfs(std::string_view text) {
  TmpfsSpec t;
  const std::size_t colon = text.find(':');
  t.destination = std::string(text.substr(0, colon));
  if (t.destination.empty() || t.destination[0] != '/' || t.destination == "/")
    return invalid("tmpfs \"" + std::string(text) + "\": destination must be an absolute path");
  if (colon != std::string_view::npos) {
    for (auto& o : split(text.substr(colon + 1), ',')) {
      if (!o.empty())
        t.options.push_back(std::move(o));
    }
  }
  return t;
}

Result<int64_t> parse_memory_size(std::string_view text) {
  const std::string s(text);
  double number = 0;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, number);
  if (ec != std::errc() || number < 0 || !std::isfinite(number))
    return invalid("invalid size \"" + s + "\"");
  std::string unit(ptr, end);
  unit = upper(unit);
  if (unit.size() == 2 && unit[1] == 'B')
    unit.resize(1);  // "MB", "GB": docker reads them as binary units too
  static constexpr std::string_view kUnits = "BKMGTP";
  double factor = 1;
  if (!unit.empty()) {
    const std::size_t at = kUnits.find(unit);
    if (unit.size() != 1 || at == std::string_view::npos)
      return invalid("invalid size \"" + s + "\": unknown unit \"" + std::string(ptr, end) + "\"");
    factor = std::pow(1024.0, static_cast<double>(at));
  }
  const double bytes = number * factor;
  if (bytes > 9.2e18)
    return invalid("invalid size \"" + s + "\": too large");
  return static_cast<int64_t>(bytes);
}

Result<std::vector<std::string>> parse_env_file(std::string_view text) {
  std::vector<std::string> out;
  for (auto& line : split(text, '\n')) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    const std::size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#')
      continue;
    line.erase(0, first);
    const std::string key = line.substr(0, line.find('='));
    if (key.empty() || key.find_first_of(" \t") != std::string::npos)
      return invalid("env file: variable \"" + key + "\" contains whitespace or is empty");
    out.push_back(std::move(line));
  }
  return out;
}

Result<NetworkChoice> parse_network(std::string_view text) {
  if (text.empty() || text == "default" || text == "bridge")
    return NetworkChoice{NetworkMode::kBridge, "bridge"};
  if (text == "none")
    return NetworkChoice{NetworkMode::kNone, ""};
  if (text == "host")
    return NetworkChoice{NetworkMode::kHost, ""};
  if (text.starts_with("container:")) {
    if (text.size() == std::string_view("container:").size())
      return invalid("invalid network mode \"" + std::string(text) + "\": no container given");
    return NetworkChoice{NetworkMode::kContainer, std::string(text.substr(10))};
  }
  return NetworkChoice{NetworkMode::kBridge, std::string(text)};
}

Result<int> parse_signal(std::string_view text) {
  int number = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec == std::errc() && ptr == text.data() + text.size()) {
    if (number <= 0 || number > SIGRTMAX)
      return invalid("invalid signal \"" + std::string(text) + "\"");
    return number;
  }
  std::string name = upper(text);
  if (name.starts_with("SIG"))
    name.erase(0, 3);
  for (int sig = 1; sig < NSIG; ++sig) {
    const char* abbrev = ::sigabbrev_np(sig);
    if (abbrev != nullptr && name == abbrev)
      return sig;
  }
  return invalid("invalid signal \"" + std::string(text) + "\"");
}

}  // namespace keel::manager::containers
