// The containers table: one row per container, its record as JSON, the name unique. Every write
// is one statement, so a crash leaves either the old or the new record.
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

  // kAlreadyExists, in docker's words, when the name is taken.
  [[nodiscard]] Result<void> insert(const ContainerRecord& record);
  // kNotFound when the container is gone (removed meanwhile); a rename to a taken name is
  // kAlreadyExists. kDeferred for state that recovery repairs if a power cut drops it.
  [[nodiscard]] Result<void> update(const ContainerRecord& record,
                                    store::Durability durability = store::Durability::kSynced);
  [[nodiscard]] Result<void> remove(const std::string& id,
                                    store::Durability durability = store::Durability::kSynced);
  // By full id, name (with or without a leading '/'), or unique id prefix. kNotFound reads
  // "No such container: x"; an ambiguous prefix is kInvalidArgument.
  [[nodiscard]] Result<ContainerRecord> find(std::string_view id_or_name);
  // Whether a container has exactly this name (an index lookup, unlike find).
  [[nodiscard]] Result<bool> has_name(const std::string& name);
  // Oldest first.
  [[nodiscard]] Result<std::vector<ContainerRecord>> list();

 private:
  explicit ContainerStore(store::Database& db) : db_(&db) {}
  store::Database* db_;
};

}  // namespace keel::manager::containers
