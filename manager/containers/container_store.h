// The containers table: one row per container, its record as JSON, the name unique. Every write
// is one statement, so a crash leaves either the old or the new record.
//
// The OCI spec (most of a record's bytes: ~18 KB of ~22) has a column of its own. It is read by
// inspect, exec and update only, so every other look-up, status write and `ps` parses and writes
// a record a fifth of the size.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "manager/containers/record.h"
#include "manager/store/database.h"
#include "manager/store/deferred_sync.h"

namespace keel::manager::containers {

class ContainerStore {
 public:
  // Migrates the "containers" tables; db must outlive the store.
  [[nodiscard]] static Result<ContainerStore> open(store::Database& db);

  // kAlreadyExists, in docker's words, when the name is taken. Stores record.spec_json too.
  [[nodiscard]] Result<void> insert(const ContainerRecord& record);
  // Leaves the stored spec as it is (a record found here carries none).
  // kNotFound when the container is gone (removed meanwhile); a rename to a taken name is
  // kAlreadyExists. kDeferred for state that recovery repairs if a power cut drops it.
  [[nodiscard]] Result<void> update(const ContainerRecord& record,
                                    store::Durability durability = store::Durability::kSynced);
  [[nodiscard]] Result<void> remove(const std::string& id,
                                    store::Durability durability = store::Durability::kSynced);
  // By full id, name (with or without a leading '/'), or unique id prefix. kNotFound reads
  // "No such container: x"; an ambiguous prefix is kInvalidArgument. spec_json is left empty:
  // load_spec fills it.
  [[nodiscard]] Result<ContainerRecord> find(std::string_view id_or_name);
  // Fills record.spec_json from the store; kNotFound when the container is gone.
  [[nodiscard]] Result<void> load_spec(ContainerRecord& record);
  // Replaces the stored spec (update's new limits); synced like update's default.
  [[nodiscard]] Result<void> update_spec(const std::string& id, const std::string& spec_json);
  // Whether a container has exactly this name (an index lookup, unlike find).
  [[nodiscard]] Result<bool> has_name(const std::string& name);
  // Oldest first; without specs, as find.
  [[nodiscard]] Result<std::vector<ContainerRecord>> list();

 private:
  explicit ContainerStore(store::Database& db) : db_(&db) {}
  store::Database* db_;
};

}  // namespace keel::manager::containers
