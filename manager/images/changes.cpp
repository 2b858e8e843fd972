// Dockerfile-instruction parsing for import changes: JSON (exec) form or shell form, and
// key=value word lists with quotes and backslash escapes as the Dockerfile reference has them.
#include "manager/images/changes.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace keel::manager::images {
namespace {

Error bad(std::string_view change, std::string_view why) {
  return Error::of(Errc::kInvalidArgument,
                   "invalid change \"" + std::string(change) + "\": " + std::string(why));
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

// ["a", "b"] -> {a, b}; nullopt when the text is not a JSON array of strings.
std::optional<std::vector<std::string>> json_strings(std::string_view text) {
  if (text.empty() || text.front() != '[')
    return std::nullopt;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_array())
    return std::nullopt;
  std::vector<std::string> out;
  for (const auto& v : j) {
    if (!v.is_string())
      return std::nullopt;
    out.push_back(v.get<std::string>());
  }
  return out;
}

// Splits on unquoted whitespace; quotes group, backslash escapes the next character.
Result<std::vector<std::string>> words(std::string_view change, std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\' && i + 1 < text.size() && quote != '\'') {
      cur += text[++i];
      in_word = true;
    } else if (quote != 0) {
      if (c == quote)
        quote = 0;
      else
        cur += c;
    } else if (c == '"' || c == '\'') {
      quote = c;
      in_word = true;
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      if (in_word)
        out.push_back(std::exchange(cur, {}));
      in_word = false;
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (quote != 0)
    return bad(change, "unterminated quote");
  if (in_word)
    out.push_back(std::move(cur));
  return out;
}

// "ENV K=V K2=V2" or the legacy "ENV K V with spaces".
Result<std::vector<std::pair<std::string, std::string>>> key_values(std::string_view change,
                                                                    std::string_view args,
                                                                    bool legacy_allowed) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto first_space = args.find_first_of(" \t");
  const auto first_eq = args.find('=');
  if (legacy_allowed && first_space != std::string_view::npos &&
      (first_eq == std::string_view::npos || first_eq > first_space)) {
    out.emplace_back(std::string(args.substr(0, first_space)),
                     std::string(trim(args.substr(first_space))));
    return out;
  }
  auto ws = words(change, args);
  if (!ws)
    return std::move(ws).error();
  for (const auto& w : *ws) {
    const auto eq = w.find('=');
    if (eq == std::string::npos || eq == 0)
      return bad(change, "\"" + w + "\" is not KEY=VALUE");
    out.emplace_back(w.substr(0, eq), w.substr(eq + 1));
  }
  if (out.empty())
    return bad(change, "needs at least one KEY=VALUE");
  return out;
}

std::vector<std::string> exec_or_shell(std::string_view args) {
  if (auto list = json_strings(args))
    return *list;
  return {"/bin/sh", "-c", std::string(args)};
}

void set_env(RunConfig& config, const std::string& key, const std::string& value) {
  auto it = std::find_if(config.env.begin(), config.env.end(), [&](const std::string& e) {
    return e.compare(0, key.size() + 1, key + "=") == 0;
  });
  if (it != config.env.end())
    *it = key + "=" + value;
  else
    config.env.push_back(key + "=" + value);
}

Result<std::string> normalise_port(std::string_view change, const std::string& port) {
  const auto slash = port.find('/');
  const std::string number = port.substr(0, slash);
  std::string proto = slash == std::string::npos ? "tcp" : port.substr(slash + 1);
  std::transform(proto.begin(), proto.end(), proto.begin(), ::tolower);
  const bool range_ok = !number.empty() && std::all_of(number.begin(), number.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) || c == '-';
  });
  if (!range_ok || (proto != "tcp" && proto != "udp" && proto != "sctp"))
    return bad(change, "invalid port \"" + port + "\"");
  return number + "/" + proto;
}

}  // namespace

Result<void> apply_change(std::string_view change, RunConfig& config) {
  const std::string_view text = trim(change);
  const auto space = text.find_first_of(" \t");
  std::string instruction(text.substr(0, space));
  std::transform(instruction.begin(), instruction.end(), instruction.begin(), ::toupper);
  const std::string_view args =
      space == std::string_view::npos ? std::string_view() : trim(text.substr(space));
  if (args.empty())
    return bad(change, instruction + " needs an argument");

  if (instruction == "CMD") {
    config.cmd = exec_or_shell(args);
  } else if (instruction == "ENTRYPOINT") {
    config.entrypoint = exec_or_shell(args);
  } else if (instruction == "ENV") {
    auto kvs = key_values(change, args, /*legacy_allowed=*/true);
    if (!kvs)
      return std::move(kvs).error();
    for (const auto& [k, v] : *kvs)
      set_env(config, k, v);
  } else if (instruction == "LABEL") {
    auto kvs = key_values(change, args, /*legacy_allowed=*/true);
    if (!kvs)
      return std::move(kvs).error();
    for (const auto& [k, v] : *kvs)
      config.labels[k] = v;
  } else if (instruction == "EXPOSE") {
    auto ports = words(change, args);
    if (!ports)
      return std::move(ports).error();
    for (const auto& p : *ports) {
      auto port = normalise_port(change, p);
      if (!port)
        return std::move(port).error();
      if (std::find(config.exposed_ports.begin(), config.exposed_ports.end(), *port) ==
          config.exposed_ports.end())
        config.exposed_ports.push_back(*port);
    }
  } else if (instruction == "VOLUME") {
    std::vector<std::string> paths;
    if (auto list = json_strings(args)) {
      paths = *list;
    } else {
      auto ws = words(change, args);
      if (!ws)
        return std::move(ws).error();
      paths = std::move(*ws);
    }
    for (const auto& p : paths)
      if (std::find(config.volumes.begin(), config.volumes.end(), p) == config.volumes.end())
        config.volumes.push_back(p);
  } else if (instruction == "WORKDIR") {
    // A relative WORKDIR is relative to the previous one, as in a Dockerfile.
    const std::string dir(args);
    config.working_dir = dir.front() == '/'
                             ? dir
                             : (config.working_dir.empty() ? "/" : config.working_dir + "/") + dir;
  } else if (instruction == "USER") {
    config.user = std::string(args);
  } else if (instruction == "STOPSIGNAL") {
    config.stop_signal = std::string(args);
  } else {
    return bad(change, "unsupported instruction \"" + instruction +
                           "\" (want CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME "
                           "or WORKDIR)");
  }
  return {};
}

}  // namespace keel::manager::images
