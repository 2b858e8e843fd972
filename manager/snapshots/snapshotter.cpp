// Snapshot lifecycle on disk and in metadata. The invariant every operation keeps: a row in
// "snapshots" always names an existing <id> directory. Creation builds the tree in a staging
// directory and moves it to <id> inside the transaction that inserts the row; removal deletes
// the row first and the tree after. A crash in between leaves only a directory with no row,
// which open() removes.
#include "manager/snapshots/snapshotter.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "common/fs.h"
#include "common/scope_guard.h"
#include "common/unique_fd.h"
#include "manager/snapshots/unpack.h"
#include "manager/store/transaction.h"

namespace keel::manager::snapshots {
namespace {

constexpr std::string_view kSchema[] = {
    "CREATE TABLE snapshots ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"  // never reused: a stale <id> dir cannot match
    " name TEXT NOT NULL UNIQUE,"
    " kind INTEGER NOT NULL CHECK (kind IN (0, 1, 2)),"
    " parent_id INTEGER REFERENCES snapshots(id),"  // the foreign key refuses orphaning children
    " created_ns INTEGER NOT NULL,"
    " updated_ns INTEGER NOT NULL,"
    " labels TEXT NOT NULL DEFAULT '{}');"
    "CREATE INDEX snapshots_by_parent ON snapshots(parent_id);",
};

constexpr std::string_view kSelectRow =
    "SELECT s.id, s.name, s.kind, s.parent_id, p.name, s.created_ns, s.updated_ns, s.labels"
    " FROM snapshots s LEFT JOIN snapshots p ON p.id = s.parent_id";

std::string q(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

std::string labels_json(const Labels& labels) {
  return nlohmann::json(labels).dump();
}

Labels parse_labels(const std::string& text) {
  try {
    return nlohmann::json::parse(text).get<Labels>();
  } catch (const nlohmann::json::exception& e) {
    spdlog::warn("snapshot labels unreadable, ignored: {}", e.what());
    return {};
  }
}

bool is_id(std::string_view name) {
  return !name.empty() && name.size() < 19 &&
         name.find_first_not_of("0123456789") == std::string_view::npos;
}

void remove_tree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec)
    spdlog::warn("remove \"{}\": {}", path, ec.message());
}

}  // namespace

const char* kind_name(Kind kind) noexcept {
  switch (kind) {
    case Kind::kActive:
      return "active";
    case Kind::kView:
      return "view";
    case Kind::kCommitted:
      return "committed";
  }
  return "unknown";
}

content::Digest chain_id(const content::Digest& parent_chain_id, const content::Digest& diff_id) {
  if (parent_chain_id.empty())
    return diff_id;
  return content::Digest::of(parent_chain_id.str() + " " + diff_id.str());
}

std::vector<content::Digest> chain_ids(const std::vector<content::Digest>& diff_ids) {
  std::vector<content::Digest> out;
  content::Digest parent;
  for (const auto& diff_id : diff_ids) {
    parent = chain_id(parent, diff_id);
    out.push_back(parent);
  }
  return out;
}

Snapshotter::Snapshotter(store::Database& db, std::string root)
    : db_(db), root_(std::move(root)), snapshots_(root_ + "/snapshots") {}

Snapshotter::~Snapshotter() = default;

std::string Snapshotter::dir(std::int64_t id) const {
  return snapshots_ + "/" + std::to_string(id);
}

Result<std::unique_ptr<Snapshotter>> Snapshotter::open(store::Database& db, std::string root) {
  // ':' and ',' separate overlay's lowerdir list and options; a root holding them cannot work.
  if (root.empty() || root.find_first_of(":,") != std::string::npos)
    return Error::of(Errc::kInvalidArgument,
                     "snapshot root " + q(root) + " is empty or holds ':' or ','");
  std::unique_ptr<Snapshotter> s(new Snapshotter(db, std::move(root)));
  KEEL_TRY(fs::mkdir_all(s->snapshots_, 0700));
  if (auto r = db.migrate("snapshots", kSchema); !r)
    return std::move(r).error().context("open snapshotter");
  KEEL_TRY(s->remove_orphans());
  auto trash = TrashBin::open(s->root_ + "/trash");
  if (!trash)
    return std::move(trash).error().context("open snapshotter");
  s->trash_ = std::move(*trash);
  return s;
}

Result<void> Snapshotter::remove_orphans() {
  std::set<std::int64_t> ids;
  {
    auto guard = db_.lock();
    auto stmt = db_.prepare("SELECT id FROM snapshots");
    if (!stmt)
      return std::move(stmt).error();
    for (;;) {
      auto more = stmt->step();
      if (!more)
        return std::move(more).error();
      if (!*more)
        break;
      ids.insert(stmt->column_int64(0));
    }
  }
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(snapshots_, ec)) {
    const std::string name = entry.path().filename();
    if (is_id(name) && ids.erase(std::stoll(name)) == 1)
      continue;
    spdlog::info("snapshots: removing orphan \"{}\"", entry.path().string());
    remove_tree(entry.path());
  }
  if (ec)
    return Error::sys("list " + q(snapshots_), ec.value());
  for (const auto id : ids)  // cannot happen by construction; say so loudly if it does
    spdlog::error("snapshots: metadata row {} has no directory {}", id, dir(id));
  return {};
}

Result<Snapshotter::Row> Snapshotter::row(const std::string& key) {
  auto guard = db_.lock();
  auto stmt = db_.prepare(std::string(kSelectRow) + " WHERE s.name = ?1");
  if (!stmt)
    return std::move(stmt).error();
  stmt->bind(1, key);
  auto found = stmt->step();
  if (!found)
    return std::move(found).error();
  if (!*found)
    return Error::of(Errc::kNotFound, "snapshot " + q(key) + " not found");
  Row r;
  r.info.id = stmt->column_int64(0);
  r.info.name = stmt->column_text(1);
  r.info.kind = static_cast<Kind>(stmt->column_int64(2));
  if (!stmt->column_is_null(3))
    r.parent_id = stmt->column_int64(3);
  r.info.parent = stmt->column_optional_text(4).value_or("");
  r.info.created_unix_ns = stmt->column_int64(5);
  r.info.updated_unix_ns = stmt->column_int64(6);
  r.info.labels = parse_labels(stmt->column_text(7));
  return r;
}

Result<Info> Snapshotter::stat(const std::string& key) {
  auto r = row(key);
  if (!r)
    return std::move(r).error();
  return std::move(r->info);
}

Result<std::vector<Info>> Snapshotter::list() {
  auto guard = db_.lock();
  auto stmt = db_.prepare(std::string(kSelectRow) + " ORDER BY s.id");
  if (!stmt)
    return std::move(stmt).error();
  std::vector<Info> out;
  for (;;) {
    auto more = stmt->step();
    if (!more)
      return std::move(more).error();
    if (!*more)
      break;
    Info info;
    info.id = stmt->column_int64(0);
    info.name = stmt->column_text(1);
    info.kind = static_cast<Kind>(stmt->column_int64(2));
    info.parent = stmt->column_optional_text(4).value_or("");
    info.created_unix_ns = stmt->column_int64(5);
    info.updated_unix_ns = stmt->column_int64(6);
    info.labels = parse_labels(stmt->column_text(7));
    out.push_back(std::move(info));
  }
  return out;
}

Result<std::string> Snapshotter::tree_path(const std::string& key) {
  auto r = row(key);
  if (!r)
    return std::move(r).error();
  return dir(r->info.id) + "/fs";
}

Result<std::string> Snapshotter::make_staging() {
  std::string path = snapshots_ + "/tmp-XXXXXX";
  if (::mkdtemp(path.data()) == nullptr)
    return Error::sys("create staging dir in " + q(snapshots_));
  // fs is the root of a container's tree: 0755 unless a layer's "./" entry says otherwise.
  if (::mkdir((path + "/fs").c_str(), 0755) != 0 || ::chmod((path + "/fs").c_str(), 0755) != 0) {
    auto err = Error::sys("create " + q(path + "/fs"));
    remove_tree(path);
    return err;
  }
  return path;
}

Result<std::int64_t> Snapshotter::insert_and_place(const std::string& staging,
                                                   const std::string& name, Kind kind,
                                                   std::optional<std::int64_t> parent_id,
                                                   const Labels& labels) {
  auto txn = store::Transaction::begin(db_);
  if (!txn)
    return std::move(txn).error();
  if (row(name))
    return Error::of(Errc::kAlreadyExists, "snapshot " + q(name) + " already exists");
  const std::int64_t now = unix_now_ns();
  KEEL_TRY(
      db_.run("INSERT INTO snapshots(name, kind, parent_id, created_ns, updated_ns, labels)"
              " VALUES(?1, ?2, ?3, ?4, ?4, ?5)",
              name, static_cast<int>(kind), parent_id, now, labels_json(labels)));
  const std::int64_t id = db_.last_insert_rowid();
  const std::string target = dir(id);
  if (::rename(staging.c_str(), target.c_str()) != 0)
    return Error::sys("move " + q(staging) + " to " + q(target));
  if (auto r = txn->commit(); !r) {
    // Back out of the namespace; open() would remove it as an orphan anyway.
    if (::rename(target.c_str(), staging.c_str()) != 0)
      remove_tree(target);
    return std::move(r).error();
  }
  return id;
}

Result<std::vector<Mount>> Snapshotter::create(const std::string& key, const std::string& parent,
                                               Kind kind, const Labels& labels) {
  if (key.empty())
    return Error::of(Errc::kInvalidArgument, "snapshot key is empty");
  std::optional<std::int64_t> parent_id;
  if (!parent.empty()) {
    auto p = row(parent);
    if (!p)
      return std::move(p).error().context("parent");
    if (p->info.kind != Kind::kCommitted)
      return Error::of(Errc::kFailedPrecondition, "parent " + q(parent) + " is " +
                                                      kind_name(p->info.kind) + ", not committed");
    parent_id = p->info.id;
  }
  if (row(key))
    return Error::of(Errc::kAlreadyExists, "snapshot " + q(key) + " already exists");
  auto staging = make_staging();
  if (!staging)
    return std::move(staging).error();
  ScopeGuard cleanup([&] { remove_tree(*staging); });
  if (kind == Kind::kActive && ::mkdir((*staging + "/work").c_str(), 0700) != 0)
    return Error::sys("create work dir");
  auto id = insert_and_place(*staging, key, kind, parent_id, labels);
  if (!id)
    return std::move(id).error();
  cleanup.release();
  return mounts(key);
}

Result<std::vector<Mount>> Snapshotter::prepare(const std::string& key, const std::string& parent,
                                                const Labels& labels) {
  auto r = create(key, parent, Kind::kActive, labels);
  if (!r)
    return std::move(r).error().context("prepare " + q(key));
  return r;
}

Result<std::vector<Mount>> Snapshotter::view(const std::string& key, const std::string& parent,
                                             const Labels& labels) {
  auto r = create(key, parent, Kind::kView, labels);
  if (!r)
    return std::move(r).error().context("view " + q(key));
  return r;
}

Result<std::vector<Mount>> Snapshotter::mounts(const std::string& key) {
  auto r = row(key);
  if (!r)
    return std::move(r).error();
  return mounts_of(*r);
}

Result<std::vector<Mount>> Snapshotter::mounts_of(const Row& r) {
  // Parent chain, nearest first: overlay's lowerdir order (leftmost is the top layer).
  std::vector<std::string> lowers;
  {
    auto guard = db_.lock();
    auto stmt = db_.prepare(
        "WITH RECURSIVE chain(id, parent_id, depth) AS ("
        " SELECT id, parent_id, 0 FROM snapshots WHERE id = ?1"
        " UNION ALL SELECT s.id, s.parent_id, c.depth + 1"
        " FROM snapshots s JOIN chain c ON s.id = c.parent_id)"
        " SELECT id FROM chain WHERE depth > 0 ORDER BY depth");
    if (!stmt)
      return std::move(stmt).error();
    stmt->bind(1, r.info.id);
    for (;;) {
      auto more = stmt->step();
      if (!more)
        return std::move(more).error();
      if (!*more)
        break;
      lowers.push_back(dir(stmt->column_int64(0)) + "/fs");
    }
  }
  const std::string self = dir(r.info.id);
  if (r.info.kind == Kind::kActive) {
    if (lowers.empty())
      return std::vector<Mount>{{"bind", self + "/fs", {"rbind", "rw"}}};
    std::string lowerdir = "lowerdir=";
    for (std::size_t i = 0; i < lowers.size(); ++i)
      lowerdir += (i == 0 ? "" : ":") + lowers[i];
    return std::vector<Mount>{
        {"overlay",
         "overlay",
         {"workdir=" + self + "/work", "upperdir=" + self + "/fs", lowerdir}}};
  }
  // Read-only: a committed snapshot shows its own tree on top; a view's own tree stays empty.
  if (r.info.kind == Kind::kCommitted || lowers.empty())
    lowers.insert(lowers.begin(), self + "/fs");
  if (lowers.size() == 1)
    return std::vector<Mount>{{"bind", lowers.front(), {"rbind", "ro"}}};
  std::string lowerdir = "lowerdir=";
  for (std::size_t i = 0; i < lowers.size(); ++i)
    lowerdir += (i == 0 ? "" : ":") + lowers[i];
  return std::vector<Mount>{{"overlay", "overlay", {"ro", lowerdir}}};
}

Result<void> Snapshotter::commit(const std::string& name, const std::string& key,
                                 const Labels& labels) {
  const std::string what = "commit " + q(key) + " as " + q(name);
  if (name.empty())
    return Error::of(Errc::kInvalidArgument, what + ": empty name");
  std::int64_t id = 0;
  {
    auto txn = store::Transaction::begin(db_);
    if (!txn)
      return std::move(txn).error().context(what);
    auto r = row(key);
    if (!r)
      return std::move(r).error().context(what);
    if (r->info.kind != Kind::kActive)
      return Error::of(Errc::kFailedPrecondition,
                       what + ": snapshot is " + kind_name(r->info.kind) + ", not active");
    if (row(name))
      return Error::of(Errc::kAlreadyExists, what + ": " + q(name) + " already exists");
    id = r->info.id;
    const Labels& kept = labels.empty() ? r->info.labels : labels;
    if (auto u =
            db_.run("UPDATE snapshots SET name = ?1, kind = ?2, updated_ns = ?3, labels = ?4"
                    " WHERE id = ?5",
                    name, static_cast<int>(Kind::kCommitted), unix_now_ns(), labels_json(kept), id);
        !u)
      return std::move(u).error().context(what);
    if (auto c = txn->commit(); !c)
      return std::move(c).error().context(what);
  }
  // The work dir only served the overlay mount of the active snapshot.
  remove_tree(dir(id) + "/work");
  return {};
}

Result<void> Snapshotter::remove(const std::string& key) {
  const std::string what = "remove snapshot " + q(key);
  std::int64_t id = 0;
  std::string doomed;
  {
    auto txn = store::Transaction::begin(db_);
    if (!txn)
      return std::move(txn).error().context(what);
    auto r = row(key);
    if (!r)
      return std::move(r).error().context("remove");
    id = r->info.id;
    auto count = db_.prepare("SELECT count(*) FROM snapshots WHERE parent_id = ?1");
    if (!count)
      return std::move(count).error().context(what);
    count->bind(1, id);
    KEEL_TRY(count->step());
    if (const auto children = count->column_int64(0); children > 0)
      return Error::of(Errc::kFailedPrecondition, what + ": it is the parent of " +
                                                      std::to_string(children) + " snapshot" +
                                                      (children == 1 ? "" : "s"));
    if (auto d = db_.run("DELETE FROM snapshots WHERE id = ?1", id); !d)
      return std::move(d).error().context(what);
    // Out of the namespace before the row goes, while the transaction still holds the database:
    // SQLite gives a deleted highest id to the next insert, and a prepare running beside this
    // removal must not find this snapshot's directory where its own belongs. The name is
    // unique, as two removals of snapshots that had one id may overlap. Interrupted here, the
    // directory is left in the trash, which open() empties.
    doomed = trash_->place_for(dir(id));
    if (::rename(dir(id).c_str(), doomed.c_str()) != 0) {
      spdlog::warn("snapshots: move {} aside: {}", dir(id), ::strerrordesc_np(errno));
      doomed.clear();
    }
    if (auto c = txn->commit(); !c) {
      if (!doomed.empty() && ::rename(doomed.c_str(), dir(id).c_str()) != 0)
        spdlog::warn("snapshots: move {} back: {}", dir(id), ::strerrordesc_np(errno));
      return std::move(c).error().context(what);
    }
  }
  if (!doomed.empty())
    trash_->queue(std::move(doomed));  // removed in the background: an rm need not wait
  return {};
}

Result<void> Snapshotter::set_labels(const std::string& key, const Labels& labels) {
  auto txn = store::Transaction::begin(db_);
  if (!txn)
    return std::move(txn).error();
  auto r = row(key);
  if (!r)
    return std::move(r).error();
  KEEL_TRY(db_.run("UPDATE snapshots SET labels = ?1, updated_ns = ?2 WHERE id = ?3",
                   labels_json(labels), unix_now_ns(), r->info.id));
  return txn->commit();
}

Result<Usage> Snapshotter::usage(const std::string& key) {
  auto path = tree_path(key);
  if (!path)
    return std::move(path).error();
  Usage u;
  std::set<std::pair<dev_t, ino_t>> seen;  // a hardlinked inode counts once
  std::error_code ec;
  auto add = [&](const std::filesystem::path& p) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0 || !seen.emplace(st.st_dev, st.st_ino).second)
      return;
    u.size_bytes += static_cast<std::int64_t>(st.st_blocks) * 512;
    u.inodes += 1;
  };
  add(*path);
  for (auto it = std::filesystem::recursive_directory_iterator(*path, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
    add(it->path());
  if (ec)
    return Error::sys("usage of " + q(key), ec.value());
  return u;
}

}  // namespace keel::manager::snapshots
