// Pins manager/store: connection settings, statements, transactions and per-component migrations.
#include "manager/store/database.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include <gtest/gtest.h>

#include "manager/store/deferred_sync.h"
#include "manager/store/transaction.h"

namespace keel::manager::store {
namespace {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "keel-store-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() { std::filesystem::remove_all(path_); }
  [[nodiscard]] std::string path() const { return path_; }

 private:
  std::string path_;
};

class DatabaseTest : public ::testing::Test {
 protected:
  Database open() {
    auto db = Database::open(dir_.path() + "/meta.db");
    EXPECT_TRUE(db) << db.error().message();
    return std::move(db).value();
  }
  TempDir dir_;
};

Result<std::string> text_of(Database& db, std::string_view sql) {
  auto stmt = db.prepare(sql);
  if (!stmt)
    return std::move(stmt).error();
  auto row = stmt->step();
  if (!row)
    return std::move(row).error();
  return stmt->column_text(0);
}

TEST_F(DatabaseTest, OpensInWalModeWithForeignKeys) {
  Database db = open();
  EXPECT_EQ(*text_of(db, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(*text_of(db, "PRAGMA foreign_keys"), "1");
  EXPECT_EQ(*text_of(db, "PRAGMA synchronous"), "2");  // FULL
}

TEST_F(DatabaseTest, BindsAndReadsColumns) {
  Database db = open();
  ASSERT_TRUE(db.exec("CREATE TABLE t(a INTEGER, b TEXT, c BLOB)"));
  ASSERT_TRUE(db.run("INSERT INTO t VALUES(?1, ?2, NULL)", std::int64_t{1} << 40, "x\0y"));
  std::optional<std::string> none;
  ASSERT_TRUE(db.run("INSERT INTO t VALUES(?1, ?2, ?3)", 2, none, std::string("z")));
  auto stmt = db.prepare("SELECT a, b, c FROM t ORDER BY a DESC");
  ASSERT_TRUE(stmt);
  ASSERT_TRUE(*stmt->step());
  EXPECT_EQ(stmt->column_int64(0), std::int64_t{1} << 40);
  EXPECT_EQ(stmt->column_text(1), "x");
  EXPECT_TRUE(stmt->column_is_null(2));
  ASSERT_TRUE(*stmt->step());
  EXPECT_EQ(stmt->column_optional_text(1), std::nullopt);
  EXPECT_EQ(stmt->column_text(2), "z");
  EXPECT_FALSE(*stmt->step());
}

TEST_F(DatabaseTest, ErrorsNameTheSqlAndSqliteMessage) {
  Database db = open();
  auto stmt = db.prepare("SELEC 1");
  ASSERT_FALSE(stmt);
  EXPECT_NE(stmt.error().message().find("SELEC 1"), std::string::npos) << stmt.error().message();
  EXPECT_NE(stmt.error().message().find("syntax error"), std::string::npos);

  ASSERT_TRUE(db.exec("CREATE TABLE u(k TEXT PRIMARY KEY)"));
  ASSERT_TRUE(db.run("INSERT INTO u VALUES(?1)", "a"));
  auto dup = db.run("INSERT INTO u VALUES(?1)", "a");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().kind(), Errc::kAlreadyExists);
  EXPECT_NE(dup.error().message().find("UNIQUE constraint failed"), std::string::npos);
}

TEST_F(DatabaseTest, BindOutOfRangeIsReportedByRun) {
  Database db = open();
  auto r = db.run("SELECT ?1", 1, 2);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("bind parameter 2"), std::string::npos) << r.error().message();
}

TEST_F(DatabaseTest, ForeignKeysAreEnforced) {
  Database db = open();
  ASSERT_TRUE(
      db.exec("CREATE TABLE p(id INTEGER PRIMARY KEY);"
              "CREATE TABLE c(p INTEGER NOT NULL REFERENCES p(id))"));
  auto r = db.run("INSERT INTO c VALUES(?1)", 7);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), Errc::kFailedPrecondition);
}

TEST_F(DatabaseTest, TransactionRollsBackUnlessCommitted) {
  Database db = open();
  ASSERT_TRUE(db.exec("CREATE TABLE t(v INTEGER)"));
  {
    auto txn = Transaction::begin(db);
    ASSERT_TRUE(txn);
    ASSERT_TRUE(db.run("INSERT INTO t VALUES(1)"));
  }
  EXPECT_EQ(*text_of(db, "SELECT count(*) FROM t"), "0");
  {
    auto txn = Transaction::begin(db);
    ASSERT_TRUE(txn);
    ASSERT_TRUE(db.run("INSERT INTO t VALUES(2)"));
    ASSERT_TRUE(txn->commit());
    EXPECT_FALSE(txn->commit());
  }
  EXPECT_EQ(*text_of(db, "SELECT count(*) FROM t"), "1");
}

TEST_F(DatabaseTest, CommittedDataIsSeenByAnotherConnection) {
  Database a = open();
  Database b = open();
  ASSERT_TRUE(a.exec("CREATE TABLE t(v INTEGER)"));
  auto txn = Transaction::begin(a);
  ASSERT_TRUE(txn);
  ASSERT_TRUE(a.run("INSERT INTO t VALUES(5)"));
  EXPECT_EQ(*text_of(b, "SELECT count(*) FROM t"), "0");  // WAL: reader not blocked, sees old
  ASSERT_TRUE(txn->commit());
  EXPECT_EQ(*text_of(b, "SELECT count(*) FROM t"), "1");
}

constexpr std::array<std::string_view, 2> kSteps = {
    "CREATE TABLE widgets(id TEXT PRIMARY KEY)",
    "ALTER TABLE widgets ADD COLUMN size INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX widgets_size ON widgets(size)",
};

TEST_F(DatabaseTest, MigrateAppliesStepsOnceAndIsIdempotent) {
  {
    Database db = open();
    EXPECT_EQ(*db.schema_version("widgets"), 0);
    ASSERT_TRUE(db.migrate("widgets", std::span(kSteps).first(1)));
    EXPECT_EQ(*db.schema_version("widgets"), 1);
    ASSERT_TRUE(db.run("INSERT INTO widgets(id) VALUES('a')"));
  }
  Database db = open();
  for (int i = 0; i < 3; ++i) {
    auto r = db.migrate("widgets", kSteps);
    ASSERT_TRUE(r) << r.error().message();
  }
  EXPECT_EQ(*db.schema_version("widgets"), 2);
  EXPECT_EQ(*text_of(db, "SELECT id || size FROM widgets"), "a0");
  EXPECT_EQ(*db.schema_version("gadgets"), 0);  // versions are per component
}

TEST_F(DatabaseTest, FailedMigrationLeavesThePreviousVersion) {
  Database db = open();
  ASSERT_TRUE(db.migrate("widgets", std::span(kSteps).first(1)));
  constexpr std::array<std::string_view, 3> bad = {kSteps[0], kSteps[1], "CREATE TABLE oops("};
  auto r = db.migrate("widgets", bad);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("migrate widgets to version 3"), std::string::npos)
      << r.error().message();
  EXPECT_EQ(*db.schema_version("widgets"), 1);
  // Step 2 ran inside the failed transaction and must be gone with it.
  EXPECT_FALSE(db.prepare("SELECT size FROM widgets"));
}

TEST_F(DatabaseTest, RefusesASchemaNewerThanKnown) {
  Database db = open();
  ASSERT_TRUE(db.migrate("widgets", kSteps));
  auto r = db.migrate("widgets", std::span(kSteps).first(1));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), Errc::kFailedPrecondition);
  EXPECT_NE(r.error().message().find("newer"), std::string::npos);
}

TEST_F(DatabaseTest, ConcurrentWritersFromTwoConnectionsBothCommit) {
  {
    Database db = open();
    ASSERT_TRUE(db.exec("CREATE TABLE t(v INTEGER)"));
  }
  auto writer = [this](int base) {
    Database db = open();
    for (int i = 0; i < 50; ++i) {
      auto txn = Transaction::begin(db);
      ASSERT_TRUE(txn) << txn.error().message();
      ASSERT_TRUE(db.run("INSERT INTO t VALUES(?1)", base + i));
      ASSERT_TRUE(txn->commit());
    }
  };
  std::thread t1(writer, 0);
  std::thread t2(writer, 1000);
  t1.join();
  t2.join();
  Database db = open();
  EXPECT_EQ(*text_of(db, "SELECT count(*) FROM t"), "100");
}

// A DeferredSync scope commits without syncing (NORMAL) and puts FULL back at its end; a
// process killed right after such a commit has lost nothing: the next opener finds the row.
TEST_F(DatabaseTest, DeferredSyncSkipsTheSyncOnlyInItsScopeAndSurvivesAKilledWriter) {
  Database db = open();
  ASSERT_TRUE(db.exec("CREATE TABLE t (v TEXT)"));
  {
    DeferredSync deferred(db);
    EXPECT_EQ(*text_of(db, "PRAGMA synchronous"), "1");  // NORMAL
    ASSERT_TRUE(db.run("INSERT INTO t (v) VALUES (?)", std::string("in scope")));
  }
  EXPECT_EQ(*text_of(db, "PRAGMA synchronous"), "2");  // FULL again

  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto writer = Database::open(dir_.path() + "/meta.db");
    if (!writer)
      ::_exit(2);
    DeferredSync deferred(*writer);
    if (!writer->run("INSERT INTO t (v) VALUES (?)", std::string("then killed")))
      ::_exit(3);
    ::kill(::getpid(), SIGKILL);  // no close, no checkpoint
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "writer exited with " << WEXITSTATUS(status);
  Database reopened = open();
  EXPECT_EQ(*text_of(reopened, "SELECT group_concat(v, ',') FROM t"), "in scope,then killed");
}

// How many statements the connection holds, kept ones included.
int statements_on(Database& db) {
  int count = 0;
  for (sqlite3_stmt* stmt = sqlite3_next_stmt(db.handle(), nullptr); stmt != nullptr;
       stmt = sqlite3_next_stmt(db.handle(), stmt))
    ++count;
  return count;
}

TEST_F(DatabaseTest, EachStatementIsCompiledOnceAndComesBackClean) {
  Database db = open();
  ASSERT_TRUE(db.exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)"));
  const int before = statements_on(db);
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(db.run("INSERT INTO t (k, v) VALUES (?, ?)", i, "x"));
  EXPECT_EQ(statements_on(db), before + 1);

  // Two at once (as two threads would) get one each; both are kept afterwards.
  {
    auto first = db.prepare("SELECT v FROM t WHERE k = ?");
    auto second = db.prepare("SELECT v FROM t WHERE k = ?");
    ASSERT_TRUE(first && second);
    first->bind_all(1);
    second->bind_all(2);
    ASSERT_TRUE(*first->step());
    ASSERT_TRUE(*second->step());
  }
  EXPECT_EQ(statements_on(db), before + 3);

  // A kept statement carries no binding into its next use.
  {
    auto bound = db.prepare("SELECT ?1 IS NULL");
    ASSERT_TRUE(bound);
    bound->bind_all(5);
    ASSERT_TRUE(*bound->step());
    EXPECT_EQ(bound->column_int64(0), 0);
  }
  EXPECT_EQ(*text_of(db, "SELECT ?1 IS NULL"), "1");

  // Nor a read transaction: a SELECT dropped half-way does not hold up a checkpoint.
  {
    auto partial = db.prepare("SELECT k FROM t ORDER BY k");
    ASSERT_TRUE(partial);
    ASSERT_TRUE(*partial->step());
  }
  ASSERT_TRUE(db.run("INSERT INTO t (k, v) VALUES (100, 'y')"));
  auto checkpoint = db.prepare("PRAGMA wal_checkpoint(TRUNCATE)");
  ASSERT_TRUE(checkpoint);
  ASSERT_TRUE(*checkpoint->step());
  EXPECT_EQ(checkpoint->column_int64(0), 0) << "the checkpoint was blocked by a reader";
}

TEST_F(DatabaseTest, AStatementMayOutliveItsDatabase) {
  std::optional<Statement> late;
  {
    Database db = open();
    auto stmt = db.prepare("SELECT 1");
    ASSERT_TRUE(stmt);
    late.emplace(std::move(stmt).value());
  }
  late.reset();  // finalized, not given back to a closed cache
}

TEST(Database, OpenReportsTheSqliteErrorAndPath) {
  auto db = Database::open("/nonexistent-keel-dir/meta.db");
  ASSERT_FALSE(db);
  EXPECT_NE(db.error().message().find("/nonexistent-keel-dir/meta.db"), std::string::npos)
      << db.error().message();
}

}  // namespace
}  // namespace keel::manager::store
