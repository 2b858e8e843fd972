// Versioned schema migrations, one version counter per component in schema_versions.
#include <string>

#include "manager/store/database.h"
#include "manager/store/transaction.h"

namespace keel::manager::store {
namespace {

constexpr std::string_view kVersionsTable =
    "CREATE TABLE IF NOT EXISTS schema_versions ("
    " component TEXT PRIMARY KEY NOT NULL,"
    " version INTEGER NOT NULL)";

Result<int> read_version(Database& db, std::string_view component) {
  auto stmt = db.prepare("SELECT version FROM schema_versions WHERE component = ?1");
  if (!stmt)
    return std::move(stmt).error();
  stmt->bind(1, component);
  auto row = stmt->step();
  if (!row)
    return std::move(row).error();
  return *row ? static_cast<int>(stmt->column_int64(0)) : 0;
}

}  // namespace

Result<int> Database::schema_version(std::string_view component) {
  auto guard = lock();
  KEEL_TRY(exec(kVersionsTable));
  return read_version(*this, component);
}

Result<void> Database::migrate(std::string_view component,
                               std::span<const std::string_view> steps) {
  const std::string name(component);
  auto txn = Transaction::begin(*this);
  if (!txn)
    return std::move(txn).error().context("migrate " + name);
  KEEL_TRY(exec(kVersionsTable));
  auto current = read_version(*this, component);
  if (!current)
    return std::move(current).error().context("migrate " + name);
  const int target = static_cast<int>(steps.size());
  if (*current > target)
    return Error::of(Errc::kFailedPrecondition,
                     "migrate " + name + ": database schema is version " +
                         std::to_string(*current) + ", newer than this keeld knows (" +
                         std::to_string(target) + ")");
  if (*current == target)
    return {};  // the Transaction rolls back an empty transaction
  for (int version = *current; version < target; ++version) {
    if (auto r = exec(steps[static_cast<size_t>(version)]); !r)
      return std::move(r).error().context("migrate " + name + " to version " +
                                          std::to_string(version + 1));
  }
  KEEL_TRY(
      run("INSERT INTO schema_versions(component, version) VALUES(?1, ?2)"
          " ON CONFLICT(component) DO UPDATE SET version = excluded.version",
          component, target));
  return txn->commit();
}

}  // namespace keel::manager::store
