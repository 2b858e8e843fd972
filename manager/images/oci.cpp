// JSON in and out for the image-spec documents, with errors naming the offending field.
#include "manager/images/oci.h"

#include <time.h>

#include <charconv>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace keel::manager::images {
namespace {

using nlohmann::json;

Error bad(std::string_view doc, std::string_view field, std::string_view why) {
  return Error::of(Errc::kInvalidArgument, "invalid " + std::string(doc) + ": " +
                                               std::string(field) + " " + std::string(why));
}

Result<json> parse_object(std::string_view text, std::string_view doc) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    return Error::of(Errc::kInvalidArgument, "invalid " + std::string(doc) + ": not JSON");
  if (!j.is_object())
    return Error::of(Errc::kInvalidArgument, "invalid " + std::string(doc) + ": not a JSON object");
  return j;
}

// Reads an optional string member; absent and null are "".
Result<std::string> get_string(const json& j, const char* key, std::string_view doc) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null())
    return std::string();
  if (!it->is_string())
    return bad(doc, key, "is not a string");
  return it->get<std::string>();
}

Result<std::optional<std::vector<std::string>>> get_strings(const json& j, const char* key,
                                                            std::string_view doc) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null())
    return std::optional<std::vector<std::string>>();
  if (!it->is_array())
    return bad(doc, key, "is not an array");
  std::vector<std::string> out;
  for (const auto& v : *it) {
    if (!v.is_string())
      return bad(doc, key, "has a non-string element");
    out.push_back(v.get<std::string>());
  }
  return std::optional(std::move(out));
}

Result<std::map<std::string, std::string>> get_string_map(const json& j, const char* key,
                                                          std::string_view doc) {
  std::map<std::string, std::string> out;
  auto it = j.find(key);
  if (it == j.end() || it->is_null())
    return out;
  if (!it->is_object())
    return bad(doc, key, "is not an object");
  for (const auto& [k, v] : it->items()) {
    if (!v.is_string())
      return bad(doc, std::string(key) + "." + k, "is not a string");
    out.emplace(k, v.get<std::string>());
  }
  return out;
}

// {"80/tcp": {}} -> {"80/tcp"}
Result<std::vector<std::string>> get_set_keys(const json& j, const char* key,
                                              std::string_view doc) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || it->is_null())
    return out;
  if (!it->is_object())
    return bad(doc, key, "is not an object");
  for (const auto& [k, v] : it->items())
    out.push_back(k);
  return out;
}

Result<Descriptor> parse_descriptor(const json& j, const std::string& where) {
  if (!j.is_object())
    return bad("descriptor", where, "is not an object");
  Descriptor d;
  auto media_type = get_string(j, "mediaType", where);
  if (!media_type)
    return std::move(media_type).error();
  d.media_type = std::move(*media_type);
  auto digest_text = get_string(j, "digest", where);
  if (!digest_text)
    return std::move(digest_text).error();
  auto digest = content::Digest::parse(*digest_text);
  if (!digest)
    return std::move(digest).error().context(where + ".digest");
  d.digest = std::move(*digest);
  auto size = j.find("size");
  if (size == j.end() || !size->is_number_integer() || size->get<std::int64_t>() < 0)
    return bad("descriptor", where + ".size", "is missing or not a non-negative integer");
  d.size = size->get<std::int64_t>();
  auto annotations = get_string_map(j, "annotations", where);
  if (!annotations)
    return std::move(annotations).error();
  d.annotations = std::move(*annotations);
  if (auto p = j.find("platform"); p != j.end() && p->is_object()) {
    Platform platform;
    platform.architecture = p->value("architecture", "");
    platform.os = p->value("os", "");
    platform.variant = p->value("variant", "");
    d.platform = std::move(platform);
  }
  return d;
}

json descriptor_json(const Descriptor& d) {
  json j = {{"mediaType", d.media_type}, {"digest", d.digest.str()}, {"size", d.size}};
  if (!d.annotations.empty())
    j["annotations"] = d.annotations;
  if (d.platform) {
    json p = {{"architecture", d.platform->architecture}, {"os", d.platform->os}};
    if (!d.platform->variant.empty())
      p["variant"] = d.platform->variant;
    j["platform"] = p;
  }
  return j;
}

Result<RunConfig> parse_run_config(const json& j) {
  constexpr std::string_view doc = "image config";
  RunConfig c;
  if (!j.is_object())
    return c;  // absent or null "config": nothing set
  auto user = get_string(j, "User", doc);
  auto working_dir = get_string(j, "WorkingDir", doc);
  auto stop_signal = get_string(j, "StopSignal", doc);
  auto env = get_strings(j, "Env", doc);
  auto entrypoint = get_strings(j, "Entrypoint", doc);
  auto cmd = get_strings(j, "Cmd", doc);
  auto ports = get_set_keys(j, "ExposedPorts", doc);
  auto volumes = get_set_keys(j, "Volumes", doc);
  auto labels = get_string_map(j, "Labels", doc);
  for (const Error* e :
       {user ? nullptr : &user.error(), working_dir ? nullptr : &working_dir.error(),
        stop_signal ? nullptr : &stop_signal.error(), env ? nullptr : &env.error(),
        entrypoint ? nullptr : &entrypoint.error(), cmd ? nullptr : &cmd.error(),
        ports ? nullptr : &ports.error(), volumes ? nullptr : &volumes.error(),
        labels ? nullptr : &labels.error()})
    if (e != nullptr)
      return Error(*e).context("config");
  c.user = std::move(*user);
  c.working_dir = std::move(*working_dir);
  c.stop_signal = std::move(*stop_signal);
  c.env = env->value_or(std::vector<std::string>{});
  c.entrypoint = std::move(*entrypoint);
  c.cmd = std::move(*cmd);
  c.exposed_ports = std::move(*ports);
  c.volumes = std::move(*volumes);
  c.labels = std::move(*labels);
  return c;
}

json run_config_json(const RunConfig& c) {
  json j = json::object();
  if (!c.user.empty())
    j["User"] = c.user;
  if (!c.exposed_ports.empty()) {
    json ports = json::object();
    for (const auto& p : c.exposed_ports)
      ports[p] = json::object();
    j["ExposedPorts"] = ports;
  }
  if (!c.env.empty())
    j["Env"] = c.env;
  if (c.entrypoint)
    j["Entrypoint"] = *c.entrypoint;
  if (c.cmd)
    j["Cmd"] = *c.cmd;
  if (!c.volumes.empty()) {
    json volumes = json::object();
    for (const auto& v : c.volumes)
      volumes[v] = json::object();
    j["Volumes"] = volumes;
  }
  if (!c.working_dir.empty())
    j["WorkingDir"] = c.working_dir;
  if (!c.labels.empty())
    j["Labels"] = c.labels;
  if (!c.stop_signal.empty())
    j["StopSignal"] = c.stop_signal;
  return j;
}

}  // namespace

Result<Manifest> parse_manifest(std::string_view text) {
  auto j = parse_object(text, "manifest");
  if (!j)
    return std::move(j).error();
  Manifest m;
  m.media_type = j->value("mediaType", "");
  if (j->contains("manifests"))
    return bad("manifest", "document", "is an index, not a manifest");
  auto config = j->find("config");
  if (config == j->end())
    return bad("manifest", "config", "is missing");
  auto cd = parse_descriptor(*config, "config");
  if (!cd)
    return std::move(cd).error().context("invalid manifest");
  m.config = std::move(*cd);
  auto layers = j->find("layers");
  if (layers == j->end() || !layers->is_array())
    return bad("manifest", "layers", "is missing or not an array");
  for (size_t i = 0; i < layers->size(); ++i) {
    auto d = parse_descriptor((*layers)[i], "layers[" + std::to_string(i) + "]");
    if (!d)
      return std::move(d).error().context("invalid manifest");
    m.layers.push_back(std::move(*d));
  }
  auto annotations = get_string_map(*j, "annotations", "manifest");
  if (!annotations)
    return std::move(annotations).error();
  m.annotations = std::move(*annotations);
  return m;
}

Result<Index> parse_index(std::string_view text) {
  auto j = parse_object(text, "index");
  if (!j)
    return std::move(j).error();
  Index index;
  index.media_type = j->value("mediaType", "");
  auto manifests = j->find("manifests");
  if (manifests == j->end() || !manifests->is_array())
    return bad("index", "manifests", "is missing or not an array");
  for (size_t i = 0; i < manifests->size(); ++i) {
    auto d = parse_descriptor((*manifests)[i], "manifests[" + std::to_string(i) + "]");
    if (!d)
      return std::move(d).error().context("invalid index");
    index.manifests.push_back(std::move(*d));
  }
  auto annotations = get_string_map(*j, "annotations", "index");
  if (!annotations)
    return std::move(annotations).error();
  index.annotations = std::move(*annotations);
  return index;
}

Result<ImageConfig> parse_image_config(std::string_view text) {
  constexpr std::string_view doc = "image config";
  auto j = parse_object(text, doc);
  if (!j)
    return std::move(j).error();
  ImageConfig c;
  for (auto [key, field] : {std::pair{"created", &c.created}, std::pair{"author", &c.author},
                            std::pair{"architecture", &c.architecture}, std::pair{"os", &c.os},
                            std::pair{"variant", &c.variant}}) {
    auto v = get_string(*j, key, doc);
    if (!v)
      return std::move(v).error();
    *field = std::move(*v);
  }
  auto run = parse_run_config(j->contains("config") ? (*j)["config"] : json());
  if (!run)
    return std::move(run).error();
  c.config = std::move(*run);
  auto rootfs = j->find("rootfs");
  if (rootfs == j->end() || !rootfs->is_object())
    return bad(doc, "rootfs", "is missing or not an object");
  auto diff_ids = get_strings(*rootfs, "diff_ids", doc);
  if (!diff_ids)
    return std::move(diff_ids).error().context("rootfs");
  for (const auto& d : diff_ids->value_or(std::vector<std::string>{})) {
    auto digest = content::Digest::parse(d);
    if (!digest)
      return std::move(digest).error().context("invalid image config: rootfs.diff_ids");
    c.diff_ids.push_back(std::move(*digest));
  }
  if (auto h = j->find("history"); h != j->end() && h->is_array()) {
    for (const auto& item : *h) {
      if (!item.is_object())
        return bad(doc, "history", "has a non-object element");
      HistoryItem hi;
      hi.created = item.value("created", "");
      hi.created_by = item.value("created_by", "");
      hi.author = item.value("author", "");
      hi.comment = item.value("comment", "");
      hi.empty_layer = item.value("empty_layer", false);
      c.history.push_back(std::move(hi));
    }
  }
  return c;
}

std::string to_json(const Manifest& m) {
  json j = {{"schemaVersion", 2}, {"config", descriptor_json(m.config)}};
  if (!m.media_type.empty())
    j["mediaType"] = m.media_type;
  json layers = json::array();
  for (const auto& l : m.layers)
    layers.push_back(descriptor_json(l));
  j["layers"] = layers;
  if (!m.annotations.empty())
    j["annotations"] = m.annotations;
  return j.dump();
}

std::string to_json(const Index& index) {
  json j = {{"schemaVersion", 2}};
  if (!index.media_type.empty())
    j["mediaType"] = index.media_type;
  json manifests = json::array();
  for (const auto& d : index.manifests)
    manifests.push_back(descriptor_json(d));
  j["manifests"] = manifests;
  if (!index.annotations.empty())
    j["annotations"] = index.annotations;
  return j.dump();
}

std::string to_json(const ImageConfig& c) {
  json j = {{"architecture", c.architecture}, {"os", c.os}, {"config", run_config_json(c.config)}};
  if (!c.created.empty())
    j["created"] = c.created;
  if (!c.author.empty())
    j["author"] = c.author;
  if (!c.variant.empty())
    j["variant"] = c.variant;
  json diff_ids = json::array();
  for (const auto& d : c.diff_ids)
    diff_ids.push_back(d.str());
  j["rootfs"] = {{"type", "layers"}, {"diff_ids", diff_ids}};
  json history = json::array();
  for (const auto& h : c.history) {
    json item = json::object();
    if (!h.created.empty())
      item["created"] = h.created;
    if (!h.created_by.empty())
      item["created_by"] = h.created_by;
    if (!h.author.empty())
      item["author"] = h.author;
    if (!h.comment.empty())
      item["comment"] = h.comment;
    if (h.empty_layer)
      item["empty_layer"] = true;
    history.push_back(item);
  }
  if (!history.empty())
    j["history"] = history;
  return j.dump();
}

std::vector<content::Digest> chain_ids(const std::vector<content::Digest>& diff_ids) {
  std::vector<content::Digest> out;
  for (const auto& d : diff_ids)
    out.push_back(out.empty() ? d : content::Digest::of(out.back().str() + " " + d.str()));
  return out;
}

std::optional<std::int64_t> parse_rfc3339(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
  auto num = [&](size_t pos, size_t len) -> std::optional<int> {
    int v = 0;
    if (pos + len > s.size())
      return std::nullopt;
    auto [p, ec] = std::from_chars(s.data() + pos, s.data() + pos + len, v);
    if (ec != std::errc() || p != s.data() + pos + len)
      return std::nullopt;
    return v;
  };
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' ||
      (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' || s[16] != ':')
    return std::nullopt;
  auto year = num(0, 4), month = num(5, 2), day = num(8, 2), hour = num(11, 2), min = num(14, 2),
       sec = num(17, 2);
  if (!year || !month || !day || !hour || !min || !sec)
    return std::nullopt;
  struct tm tm {};
  tm.tm_year = *year - 1900;
  tm.tm_mon = *month - 1;
  tm.tm_mday = *day;
  tm.tm_hour = *hour;
  tm.tm_min = *min;
  tm.tm_sec = *sec;
  std::int64_t ns = static_cast<std::int64_t>(::timegm(&tm)) * 1'000'000'000;
  size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    std::int64_t scale = 100'000'000;
    for (++pos; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++pos, scale /= 10)
      ns += (s[pos] - '0') * scale;
  }
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z'))
    return pos + 1 == s.size() ? std::optional(ns) : std::nullopt;
  if (pos + 6 == s.size() && (s[pos] == '+' || s[pos] == '-') && s[pos + 3] == ':') {
    auto oh = num(pos + 1, 2), om = num(pos + 4, 2);
    if (!oh || !om)
      return std::nullopt;
    const std::int64_t offset = (static_cast<std::int64_t>(*oh) * 3600 + *om * 60) * 1'000'000'000;
    return s[pos] == '+' ? ns - offset : ns + offset;
  }
  return std::nullopt;
}

std::string format_rfc3339(std::int64_t unix_ns) {
  const time_t secs = static_cast<time_t>(unix_ns / 1'000'000'000);
  struct tm tm {};
  ::gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(unix_ns % 1'000'000'000));
  return buf;
}

}  // namespace keel::manager::images
