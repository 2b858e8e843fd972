// `state` and `list`: read-only views of the state directory, in runc's output formats.
#include <sys/stat.h>

#include <algorithm>
#include <optional>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "common/passwd_file.h"
#include "runtime/lifecycle/lifecycle.h"

namespace keel::runtime {
namespace {

using nlohmann::ordered_json;

// The name /etc/passwd gives `uid`, as runc's user.LookupUid reads it. Not getpwuid_r: keel is
// linked statically, and glibc's NSS would dlopen its modules into it.
std::optional<std::string> passwd_name_of(uid_t uid) {
  auto passwd = fs::read_file("/etc/passwd");
  if (!passwd)
    return std::nullopt;
  auto entry = find_passwd(*passwd, std::to_string(uid));
  if (!entry)
    return std::nullopt;
  return std::move(entry->name);
}

std::string owner_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return {};
  return passwd_name_of(st.st_uid).value_or("#" + std::to_string(st.st_uid));
}

ordered_json describe(const ContainerDir& dir, const ContainerRecord& r) {
  const Status status = dir.status(r);
  ordered_json j;
  j["ociVersion"] = std::string(oci::kOciVersion);
  j["id"] = r.id;
  j["pid"] = status == Status::kStopped ? 0 : r.pid;
  j["status"] = status_name(status);
  j["bundle"] = r.bundle;
  j["rootfs"] = r.rootfs;
  j["created"] = r.created;
  if (!r.annotations.empty())
    j["annotations"] = r.annotations;
  j["owner"] = owner_of(dir.path());
  return j;
}

// runc prints the table with Go's tabwriter (min width 12, padding 3).
std::string table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    width.resize(std::max(width.size(), row.size()), 0);
    for (size_t i = 0; i < row.size(); ++i)
      width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      out += row[i];
      if (i + 1 < row.size())
        out.append(std::max<size_t>(12, width[i] + 3) - row[i].size(), ' ');
    }
    out += '\n';
  }
  return out;
}

}  // namespace

Result<std::string> container_state_json(const StateStore& store, const std::string& id) {
  auto dir = store.open(id);
  if (!dir)
    return dir.error();
  auto record = dir->load();
  if (!record)
    return record.error();
  return describe(*dir, *record).dump(2) + "\n";
}

Result<std::string> list_containers(const StateStore& store, ListFormat format, bool quiet) {
  auto ids = store.ids();
  if (!ids)
    return ids.error();
  std::vector<ordered_json> entries;
  for (const auto& id : *ids) {
    auto dir = store.open(id);
    if (!dir)
      continue;  // deleted meanwhile
    auto record = dir->load();
    if (!record)
      continue;  // still being created
    entries.push_back(describe(*dir, *record));
  }
  std::string out;
  if (quiet) {
    for (const auto& e : entries)
      out += e["id"].get<std::string>() + "\n";
    return out;
  }
  if (format == ListFormat::kJson) {
    ordered_json array = ordered_json::array();
    for (auto& e : entries)
      array.push_back(std::move(e));
    return array.dump() + "\n";
  }
  std::vector<std::vector<std::string>> rows{{"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}};
  for (const auto& e : entries)
    rows.push_back({e["id"].get<std::string>(), std::to_string(e["pid"].get<int>()),
                    e["status"].get<std::string>(), e["bundle"].get<std::string>(),
                    e["created"].get<std::string>(), e["owner"].get<std::string>()});
  return table(rows);
}

}  // namespace keel::runtime
