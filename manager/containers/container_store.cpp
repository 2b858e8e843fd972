#include "manager/containers/container_store.h"

#include <array>
#include <optional>

namespace keel::manager::containers {
namespace {

constexpr std::array<std::string_view, 2> kSchema = {
    "CREATE TABLE containers ("
    "  id TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  created_ns INTEGER NOT NULL,"
    "  record TEXT NOT NULL);",
    // Version 2: the spec moves out of the record into its own column.
    "ALTER TABLE containers ADD COLUMN spec TEXT NOT NULL DEFAULT '';"
    "UPDATE containers SET spec = json_extract(record, '$.spec'),"
    "  record = json_remove(record, '$.spec')"
    "  WHERE json_type(record, '$.spec') = 'text';",
};

Result<ContainerRecord> parse_row(std::string_view text) {
  auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded())
    return Error::of(Errc::kInternal, "containers table: a record is not JSON");
  return record_from_json(json);
}

Error name_conflict(const ContainerRecord& record, store::Database& db) {
  std::string holder = "another container";
  if (auto stmt = db.prepare("SELECT id FROM containers WHERE name = ?")) {
    stmt->bind_all(record.name);
    if (auto row = stmt->step(); row && *row)
      holder = "container \"" + stmt->column_text(0) + "\"";
  }
  return Error::of(Errc::kAlreadyExists,
                   "Conflict. The container name \"/" + record.name + "\" is already in use by " +
                       holder +
                       ". You have to remove (or rename) that container to be able to "
                       "reuse that name.");
}

}  // namespace

Result<ContainerStore> ContainerStore::open(store::Database& db) {
  KEEL_TRY(db.migrate("containers", kSchema));
  return ContainerStore(db);
}

// Every write takes the connection's lock: keeld's threads share one connection, and a write
// run while another thread's Transaction is open would join it (and its rollback), and move
// last_insert_rowid under the snapshotter, which names a snapshot's directory by it.
Result<void> ContainerStore::insert(const ContainerRecord& record) {
  auto lock = db_->lock();
  auto done =
      db_->run("INSERT INTO containers (id, name, created_ns, record, spec) VALUES (?, ?, ?, ?, ?)",
               record.id, record.name, record.created_ns, to_json(record).dump(), record.spec_json);
  if (!done && done.error().kind() == Errc::kAlreadyExists)
    return name_conflict(record, *db_);
  return done;
}

Result<void> ContainerStore::update(const ContainerRecord& record, store::Durability durability) {
  auto lock = db_->lock();  // changes() below must be this statement's
  std::optional<store::DeferredSync> deferred;
  if (durability == store::Durability::kDeferred)
    deferred.emplace(*db_);
  auto done = db_->run("UPDATE containers SET name = ?, record = ? WHERE id = ?", record.name,
                       to_json(record).dump(), record.id);
  if (!done && done.error().kind() == Errc::kAlreadyExists)
    return name_conflict(record, *db_);
  if (!done)
    return done;
  if (db_->changes() == 0)
    return Error::of(Errc::kNotFound, "No such container: " + record.id);
  return {};
}

Result<void> ContainerStore::remove(const std::string& id, store::Durability durability) {
  auto lock = db_->lock();
  std::optional<store::DeferredSync> deferred;
  if (durability == store::Durability::kDeferred)
    deferred.emplace(*db_);
  return db_->run("DELETE FROM containers WHERE id = ?", id);
}

Result<ContainerRecord> ContainerStore::find(std::string_view id_or_name) {
  std::string key(id_or_name);
  if (key.starts_with('/'))
    key.erase(0, 1);
  if (key.empty())
    return Error::of(Errc::kInvalidArgument, "a container id or name is required");
  auto lock = db_->lock();
  // docker's order: full id, then name, then id prefix.
  for (const char* sql : {"SELECT record FROM containers WHERE id = ?",
                          "SELECT record FROM containers WHERE name = ?"}) {
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
  // A seek in the primary key's index to the first id at or after the prefix: the ids that
  // start with it follow it. (substr(id, ...) = ? would read every row, records and all, on
  // each miss, and a miss is what every new name's check is.)
  auto stmt = db_->prepare("SELECT id, record FROM containers WHERE id >= ? ORDER BY id LIMIT 2");
  if (!stmt)
    return std::move(stmt).error();
  stmt->bind_all(key);
  std::vector<std::string> rows;
  while (true) {
    auto row = stmt->step();
    if (!row)
      return std::move(row).error();
    if (!*row || !stmt->column_text(0).starts_with(key))
      break;
    rows.push_back(stmt->column_text(1));
  }
  if (rows.empty())
    return Error::of(Errc::kNotFound, "No such container: " + key);
  if (rows.size() > 1)
    return Error::of(Errc::kInvalidArgument,
                     "multiple containers found with provided prefix: " + key);
  return parse_row(rows.front());
}

Result<void> ContainerStore::load_spec(ContainerRecord& record) {
  auto lock = db_->lock();
  auto stmt = db_->prepare("SELECT spec FROM containers WHERE id = ?");
  if (!stmt)
    return std::move(stmt).error();
  stmt->bind_all(record.id);
  auto row = stmt->step();
  if (!row)
    return std::move(row).error();
  if (!*row)
    return Error::of(Errc::kNotFound, "No such container: " + record.id);
  record.spec_json = stmt->column_text(0);
  return {};
}

Result<void> ContainerStore::update_spec(const std::string& id, const std::string& spec_json) {
  auto lock = db_->lock();
  KEEL_TRY(db_->run("UPDATE containers SET spec = ? WHERE id = ?", spec_json, id));
  if (db_->changes() == 0)
    return Error::of(Errc::kNotFound, "No such container: " + id);
  return {};
}

Result<bool> ContainerStore::has_name(const std::string& name) {
  auto lock = db_->lock();
  auto stmt = db_->prepare("SELECT 1 FROM containers WHERE name = ?");
  if (!stmt)
    return std::move(stmt).error();
  stmt->bind_all(name);
  return stmt->step();
}

Result<std::vector<ContainerRecord>> ContainerStore::list() {
  auto lock = db_->lock();
  auto stmt = db_->prepare("SELECT record FROM containers ORDER BY created_ns, id");
  if (!stmt)
    return std::move(stmt).error();
  auto rows = stmt->first_column_texts();
  if (!rows)
    return std::move(rows).error();
  std::vector<ContainerRecord> out;
  for (const auto& row : *rows) {
    auto record = parse_row(row);
    if (!record)
      return std::move(record).error();
    out.push_back(std::move(*record));
  }
  return out;
}

}  // namespace keel::manager::containers
