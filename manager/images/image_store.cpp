// SQL for the images and image_labels tables.
#include "manager/images/image_store.h"

#include <array>

#include "common/clock.h"

namespace keel::manager::images {
namespace {

constexpr std::array<std::string_view, 2> kSchema = {
    "CREATE TABLE images ("
    " name TEXT PRIMARY KEY NOT NULL,"
    " manifest_digest TEXT NOT NULL,"
    " media_type TEXT NOT NULL,"
    " manifest_size INTEGER NOT NULL,"
    " config_digest TEXT NOT NULL,"
    " size INTEGER NOT NULL,"
    " dangling INTEGER NOT NULL DEFAULT 0,"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL);"
    "CREATE INDEX images_config ON images(config_digest);"
    "CREATE INDEX images_manifest ON images(manifest_digest);"
    "CREATE TABLE image_labels ("
    " name TEXT NOT NULL REFERENCES images(name) ON DELETE CASCADE,"
    " key TEXT NOT NULL,"
    " value TEXT NOT NULL,"
    " PRIMARY KEY (name, key))",
    // Version 2: the index a pulled name resolved to; '' when it resolved to a manifest.
    "ALTER TABLE images ADD COLUMN index_digest TEXT NOT NULL DEFAULT ''",
};

constexpr std::string_view kColumns =
    "name, manifest_digest, media_type, manifest_size, config_digest, size, dangling, created_at,"
    " updated_at, index_digest";

Result<ImageRecord> read_row(store::Statement& s) {
  ImageRecord r;
  r.name = s.column_text(0);
  auto manifest = content::Digest::parse(s.column_text(1));
  auto config = content::Digest::parse(s.column_text(4));
  if (!manifest || !config)
    return Error::of(Errc::kInternal, "images table: bad digest in row \"" + r.name + "\"");
  r.target.digest = std::move(*manifest);
  r.target.media_type = s.column_text(2);
  r.target.size = s.column_int64(3);
  r.config_digest = std::move(*config);
  r.size = s.column_int64(5);
  r.dangling = s.column_int64(6) != 0;
  r.created_at_ns = s.column_int64(7);
  r.updated_at_ns = s.column_int64(8);
  if (const std::string index = s.column_text(9); !index.empty()) {
    auto digest = content::Digest::parse(index);
    if (!digest)
      return Error::of(Errc::kInternal, "images table: bad index digest in row \"" + r.name + "\"");
    r.index_digest = std::move(*digest);
  }
  return r;
}

Result<void> load_labels(store::Database& db, ImageRecord& r) {
  auto s = db.prepare("SELECT key, value FROM image_labels WHERE name = ?1");
  if (!s)
    return std::move(s).error();
  s->bind(1, r.name);
  for (;;) {
    auto row = s->step();
    if (!row)
      return std::move(row).error();
    if (!*row)
      return {};
    r.labels.emplace(s->column_text(0), s->column_text(1));
  }
}

}  // namespace

Result<ImageStore> ImageStore::open(store::Database& db) {
  KEEL_TRY(db.migrate("images", kSchema));
  return ImageStore(db);
}

Result<std::optional<ImageRecord>> ImageStore::find(std::string_view name) {
  auto lock = db_->lock();
  auto s = db_->prepare("SELECT " + std::string(kColumns) + " FROM images WHERE name = ?1");
  if (!s)
    return std::move(s).error();
  s->bind(1, name);
  auto row = s->step();
  if (!row)
    return std::move(row).error();
  if (!*row)
    return std::optional<ImageRecord>();
  auto r = read_row(*s);
  if (!r)
    return std::move(r).error();
  KEEL_TRY(load_labels(*db_, *r));
  return std::optional(std::move(*r));
}

Result<std::vector<ImageRecord>> ImageStore::list() {
  auto lock = db_->lock();
  auto s = db_->prepare("SELECT " + std::string(kColumns) + " FROM images ORDER BY name");
  if (!s)
    return std::move(s).error();
  std::vector<ImageRecord> out;
  for (;;) {
    auto row = s->step();
    if (!row)
      return std::move(row).error();
    if (!*row)
      break;
    auto r = read_row(*s);
    if (!r)
      return std::move(r).error();
    out.push_back(std::move(*r));
  }
  for (auto& r : out)
    KEEL_TRY(load_labels(*db_, r));
  return out;
}

Result<void> ImageStore::put(const ImageRecord& r) {
  auto lock = db_->lock();
  const std::int64_t now = unix_now_ns();
  KEEL_TRY(db_->run(
      "INSERT INTO images(" + std::string(kColumns) +
          ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9)"
          " ON CONFLICT(name) DO UPDATE SET manifest_digest = excluded.manifest_digest,"
          " media_type = excluded.media_type, manifest_size = excluded.manifest_size,"
          " config_digest = excluded.config_digest, size = excluded.size,"
          " dangling = excluded.dangling, updated_at = excluded.updated_at,"
          " index_digest = excluded.index_digest",
      r.name, r.target.digest.str(), r.target.media_type, r.target.size, r.config_digest.str(),
      r.size, r.dangling ? 1 : 0, now, r.index_digest ? r.index_digest->str() : std::string()));
  KEEL_TRY(db_->run("DELETE FROM image_labels WHERE name = ?1", r.name));
  for (const auto& [key, value] : r.labels)
    KEEL_TRY(db_->run("INSERT INTO image_labels(name, key, value) VALUES(?1, ?2, ?3)", r.name, key,
                      value));
  return {};
}

Result<bool> ImageStore::remove(std::string_view name) {
  auto lock = db_->lock();
  KEEL_TRY(db_->run("DELETE FROM images WHERE name = ?1", name));
  return db_->changes() > 0;
}

}  // namespace keel::manager::images
