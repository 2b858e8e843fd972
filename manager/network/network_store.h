// The networks table: one row per network (docker's model: name, id, driver, subnet, gateway,
// internal, labels) with the Linux bridge it uses. Each row is written in one statement, so a
// crash leaves the old or the new network.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "manager/store/database.h"

namespace keel::manager::network {

struct Network {
  std::string id;  // 64 hex digits
  std::string name;
  std::string driver = "bridge";
  std::string subnet;     // "172.30.0.0/16"
  std::string gateway;    // "172.30.0.1"
  std::string bridge;     // the Linux bridge: "keel0", "br-<id12>"
  bool internal = false;  // no route out, no masquerade
  std::map<std::string, std::string> labels;
  std::int64_t created_ns = 0;
  // The default network keeld makes itself; never removed by rm or prune.
  [[nodiscard]] bool is_default() const { return name == "bridge"; }
};

class NetworkStore {
 public:
  // Migrates the "networks" tables; db must outlive the store.
  [[nodiscard]] static Result<NetworkStore> open(store::Database& db);

  // kAlreadyExists in docker's words when the name is taken.
  [[nodiscard]] Result<void> insert(const Network& network);
  [[nodiscard]] Result<void> remove(const std::string& id);
  // By full id, name, or unique id prefix; kNotFound reads "network x not found".
  [[nodiscard]] Result<Network> find(std::string_view id_or_name);
  // Oldest first.
  [[nodiscard]] Result<std::vector<Network>> list();

 private:
  explicit NetworkStore(store::Database& db) : db_(&db) {}
  store::Database* db_;
};

// 64 random hex digits.
[[nodiscard]] std::string new_network_id();

}  // namespace keel::manager::network
