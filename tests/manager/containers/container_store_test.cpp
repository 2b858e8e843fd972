// The containers table: a record's spec lives in its own column, read only when asked for, and
// a database written before that split comes over with every spec intact.
#include "manager/containers/container_store.h"

#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/manager/snapshots/layer_builder.h"

namespace keel::manager::containers {
namespace {

namespace layers = snapshots::testing;

ContainerRecord record_named(const std::string& name, char id_digit) {
  ContainerRecord record;
  record.id = std::string(64, id_digit);
  record.name = name;
  record.created_ns = 1;
  record.spec_json = R"({"ociVersion":"1.0.2","process":{"args":["sh"]}})";
  return record;
}

class ContainerStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = store::Database::open(std::filesystem::path(temp_.path()) / "meta.db");
    ASSERT_TRUE(db) << db.error().message();
    db_ = std::make_unique<store::Database>(std::move(db).value());
  }
  layers::TempDir temp_;
  std::unique_ptr<store::Database> db_;
};

TEST_F(ContainerStoreTest, TheSpecComesBackOnlyWhenLoaded) {
  auto containers = ContainerStore::open(*db_);
  ASSERT_TRUE(containers) << containers.error().message();
  const ContainerRecord web = record_named("web", 'a');
  ASSERT_TRUE(containers->insert(web));

  auto found = containers->find("web");
  ASSERT_TRUE(found) << found.error().message();
  EXPECT_EQ(found->id, web.id);
  EXPECT_TRUE(found->spec_json.empty());
  auto listed = containers->list();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_TRUE(listed->front().spec_json.empty());

  ASSERT_TRUE(containers->load_spec(*found));
  EXPECT_EQ(found->spec_json, web.spec_json);

  // A status write from a record without its spec leaves the stored spec alone.
  found->spec_json.clear();
  found->state.status = Status::kRunning;
  ASSERT_TRUE(containers->update(*found));
  ASSERT_TRUE(containers->load_spec(*found));
  EXPECT_EQ(found->spec_json, web.spec_json);
  EXPECT_EQ(containers->find(web.id)->state.status, Status::kRunning);

  ASSERT_TRUE(containers->update_spec(web.id, R"({"ociVersion":"1.0.2"})"));
  ASSERT_TRUE(containers->load_spec(*found));
  EXPECT_EQ(found->spec_json, R"({"ociVersion":"1.0.2"})");

  ASSERT_TRUE(containers->remove(web.id));
  EXPECT_EQ(containers->load_spec(*found).error().kind(), Errc::kNotFound);
  EXPECT_EQ(containers->update_spec(web.id, "{}").error().kind(), Errc::kNotFound);
}

TEST_F(ContainerStoreTest, ADatabaseWithSpecsInsideRecordsMovesThemToTheirColumn) {
  // The table as the first schema made it, with a row whose record holds its spec.
  const ContainerRecord old = record_named("old", 'b');
  nlohmann::json record = to_json(old);
  record["spec"] = old.spec_json;
  ASSERT_TRUE(
      db_->exec("CREATE TABLE containers (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
                " created_ns INTEGER NOT NULL, record TEXT NOT NULL);"
                "CREATE TABLE schema_versions (component TEXT PRIMARY KEY NOT NULL,"
                " version INTEGER NOT NULL);"
                "INSERT INTO schema_versions VALUES ('containers', 1);"));
  ASSERT_TRUE(
      db_->run("INSERT INTO containers VALUES (?, ?, 1, ?)", old.id, old.name, record.dump()));

  auto containers = ContainerStore::open(*db_);
  ASSERT_TRUE(containers) << containers.error().message();
  auto found = containers->find("old");
  ASSERT_TRUE(found) << found.error().message();
  EXPECT_TRUE(found->spec_json.empty());
  ASSERT_TRUE(containers->load_spec(*found));
  EXPECT_EQ(found->spec_json, old.spec_json);
  auto stmt = db_->prepare("SELECT json_type(record, '$.spec') IS NULL FROM containers");
  ASSERT_TRUE(stmt);
  ASSERT_TRUE(*stmt->step());
  EXPECT_EQ(stmt->column_int64(0), 1) << "the record still holds its spec";
  auto version = db_->schema_version("containers");
  ASSERT_TRUE(version);
  EXPECT_EQ(*version, 2);
}

}  // namespace
}  // namespace keel::manager::containers
