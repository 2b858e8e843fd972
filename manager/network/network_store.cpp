#include "manager/network/network_store.h"

#include <sys/random.h>

#include <array>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace keel::manager::network {
namespace {

constexpr std::array<std::string_view, 1> kSchema = {
    "CREATE TABLE networks ("
    "  id TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  created_ns INTEGER NOT NULL,"
    "  record TEXT NOT NULL);",
};

nlohmann::json to_json(const Network& n) {
  return {{"id", n.id},
          {"name", n.name},
          {"driver", n.driver},
          {"subnet", n.subnet},
          {"gateway", n.gateway},
          {"bridge", n.bridge},
          {"internal", n.internal},
          {"labels", n.labels},
          {"created_ns", n.created_ns}};
}

Result<Network> parse_row(std::string_view text) {
  auto json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_object())
    return Error::of(Errc::kInternal, "networks table: a record is not JSON");
  try {
    Network n;
    n.id = json.at("id").get<std::string>();
    n.name = json.at("name").get<std::string>();
    n.driver = json.value("driver", "bridge");
    n.subnet = json.value("subnet", "");
    n.gateway = json.value("gateway", "");
    n.bridge = json.value("bridge", "");
    n.internal = json.value("internal", false);
    n.labels = json.value("labels", std::map<std::string, std::string>{});
    n.created_ns = json.value("created_ns", std::int64_t{0});
    return n;
  } catch (const nlohmann::json::exception& e) {
    return Error::of(Errc::kInternal, std::string("networks table: ") + e.what());
  }
}

}  // namespace

std::string new_network_id() {
  std::array<unsigned char, 32> bytes{};
  std::size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = ::getrandom(bytes.data() + got, bytes.size() - got, 0);
    if (n > 0)
      got += static_cast<std::size_t>(n);
  }
  std::string id;
  char hex[3];
  for (const unsigned char b : bytes) {
    std::snprintf(hex, sizeof hex, "%02x", b);
    id += hex;
  }
  return id;
}

Result<NetworkStore> NetworkStore::open(store::Database& db) {
  KEEL_TRY(db.migrate("networks", kSchema));
  return NetworkStore(db);
}

Result<void> NetworkStore::insert(const Network& network) {
  auto done = db_->run("INSERT INTO networks (id, name, created_ns, record) VALUES (?, ?, ?, ?)",
                       network.id, network.name, network.created_ns, to_json(network).dump());
  if (!done && done.error().kind() == Errc::kAlreadyExists)
    return Error::of(Errc::kAlreadyExists, "network with name " + network.name + " already exists");
  return done;
}

Result<void> NetworkStore::remove(const std::string& id) {
  return db_->run("DELETE FROM networks WHERE id = ?", id);
}

Result<Network> NetworkStore::find(std::string_view id_or_name) {
  const std::string key(id_or_name);
  if (key.empty())
    return Error::of(Errc::kInvalidArgument, "a network id or name is required");
  auto lock = db_->lock();
  // docker's order: full id, then name, then id prefix.
  for (const char* sql :
       {"SELECT record FROM networks WHERE id = ?", "SELECT record FROM networks WHERE name = ?"}) {
    auto stmt = db_->prepare(sql);
    if (!stmt)
      return std::move(stmt).error();
    stmt->bind_all(key);
    auto row = stmt->step();
    if (!row)
      return std::move(row).error();
    if (*row)
      return parse_row(stmt->column_text(0));
  }
  auto stmt = db_->prepare("SELECT record FROM networks WHERE substr(id, 1, ?) = ? LIMIT 2");
  if (!stmt)
    return std::move(stmt).error();
  stmt->bind_all(static_cast<std::int64_t>(key.size()), key);
  auto rows = stmt->first_column_texts();
  if (!rows)
    return std::move(rows).error();
  if (rows->size() != 1)
    return rows->empty() ? Error::of(Errc::kNotFound, "network " + key + " not found")
                         : Error::of(Errc::kInvalidArgument, "network " + key + " is ambiguous (" +
                                                                 std::to_string(rows->size()) +
                                                                 " matches found on name)");
  return parse_row(rows->front());
}

Result<std::vector<Network>> NetworkStore::list() {
  auto lock = db_->lock();
  auto stmt = db_->prepare("SELECT record FROM networks ORDER BY created_ns, id");
  if (!stmt)
    return std::move(stmt).error();
  auto rows = stmt->first_column_texts();
  if (!rows)
    return std::move(rows).error();
  std::vector<Network> out;
  for (const auto& row : *rows) {
    auto network = parse_row(row);
    if (!network)
      return std::move(network).error();
    out.push_back(std::move(*network));
  }
  return out;
}

}  // namespace keel::manager::network
