// daemon_config: one checker per key, so each error names the key it is about.
#include "manager/server/daemon_config.h"

#include <sys/stat.h>

#include <functional>
#include <map>

#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "manager/registry/insecure_registries.h"

namespace keel::manager::server {
namespace {

using nlohmann::json;

Error bad(std::string_view path, std::string what) {
  return Error::of(Errc::kInvalidArgument, "config file " + std::string(path) + ": " + what);
}

Result<std::vector<std::string>> string_array(const json& value, std::string_view path,
                                              const std::string& key) {
  if (!value.is_array())
    return bad(path, "\"" + key + "\" must be an array of strings");
  std::vector<std::string> out;
  for (const auto& item : value) {
    if (!item.is_string())
      return bad(path, "\"" + key + "\" must be an array of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

Result<int> positive_int(const json& value, std::string_view path, const std::string& key) {
  // 1e6 is no count of connections anyone means; it also keeps the value inside an int.
  if (!value.is_number_integer() || value.get<long long>() < 1 || value.get<long long>() > 1000)
    return bad(path, "\"" + key + "\" must be an integer from 1 to 1000, not " + value.dump());
  return static_cast<int>(value.get<long long>());
}

Result<std::string> mirror_url(std::string url, std::string_view path) {
  const std::string_view scheme_end = "://";
  const auto at = url.find(scheme_end);
  const std::string scheme = at == std::string::npos ? "" : url.substr(0, at);
  if ((scheme != "http" && scheme != "https") || url.size() == at + scheme_end.size())
    return bad(path, "\"registry-mirrors\": \"" + url + "\" is not an http:// or https:// URL");
  while (url.ends_with('/'))
    url.pop_back();
  return url;
}

using Setter = std::function<Result<void>(const json&, std::string_view, DaemonConfig&)>;

const std::map<std::string, Setter, std::less<>>& setters() {
  static const std::map<std::string, Setter, std::less<>> table = {
      {"registry-mirrors",
       [](const json& v, std::string_view path, DaemonConfig& c) -> Result<void> {
         auto urls = string_array(v, path, "registry-mirrors");
         if (!urls)
           return std::move(urls).error();
         for (auto& url : *urls) {
           auto checked = mirror_url(std::move(url), path);
           if (!checked)
             return std::move(checked).error();
           c.registry_mirrors.push_back(std::move(*checked));
         }
         return {};
       }},
      {"insecure-registries",
       [](const json& v, std::string_view path, DaemonConfig& c) -> Result<void> {
         auto entries = string_array(v, path, "insecure-registries");
         if (!entries)
           return std::move(entries).error();
         for (const auto& entry : *entries) {
           if (auto r = registry::check_insecure_entry(entry); !r)
             return bad(path, "\"insecure-registries\": " + r.error().what());
         }
         c.insecure_registries = std::move(*entries);
         return {};
       }},
      {"max-concurrent-downloads",
       [](const json& v, std::string_view path, DaemonConfig& c) -> Result<void> {
         auto n = positive_int(v, path, "max-concurrent-downloads");
         if (!n)
           return std::move(n).error();
         c.max_concurrent_downloads = *n;
         return {};
       }},
      {"max-concurrent-uploads",
       [](const json& v, std::string_view path, DaemonConfig& c) -> Result<void> {
         auto n = positive_int(v, path, "max-concurrent-uploads");
         if (!n)
           return std::move(n).error();
         c.max_concurrent_uploads = *n;
         return {};
       }},
  };
  return table;
}

}  // namespace

Result<DaemonConfig> parse_daemon_config(std::string_view text, std::string_view path) {
  const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded())
    return bad(path, "not valid JSON");
  if (!doc.is_object())
    return bad(path, "must be a JSON object");
  DaemonConfig config;
  for (const auto& [key, value] : doc.items()) {
    const auto setter = setters().find(key);
    if (setter == setters().end())
      return bad(path, "unknown key \"" + key + "\"");
    KEEL_TRY(setter->second(value, path, config));
  }
  return config;
}

Result<DaemonConfig> load_daemon_config(const std::string& path, bool explicit_path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 && errno == ENOENT && !explicit_path)
    return DaemonConfig{};
  auto text = fs::read_file(path);
  if (!text)
    return std::move(text).error().context("config file " + path);
  return parse_daemon_config(*text, path);
}

}  // namespace keel::manager::server
