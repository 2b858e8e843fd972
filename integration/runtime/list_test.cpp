// Pins `list`: the table runc prints, --format json and -q, for a container in this root.
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integration/fixtures/fixtures.h"

namespace keel::fixtures {
namespace {

std::vector<std::vector<std::string>> table_of(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    rows.emplace_back(std::istream_iterator<std::string>(words),
                      std::istream_iterator<std::string>());
  }
  return rows;
}

TEST(List, ShowsContainerInTable) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  ASSERT_NO_FATAL_FAILURE(create_container(bundle, until_released()));
  const auto state = container_state(bundle, bundle.id);
  ASSERT_TRUE(state.has_value());
  const RunResult list = run_runtime(bundle, {"list"});
  EXPECT_EQ(list.exit_code, 0) << list;
  const auto rows = table_of(list.out);
  ASSERT_EQ(rows.size(), 2U) << list;
  EXPECT_THAT(rows[0], ::testing::ElementsAre("ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"));
  ASSERT_EQ(rows[1].size(), 6U) << list;
  EXPECT_EQ(rows[1][0], bundle.id);
  EXPECT_EQ(rows[1][1], std::to_string(state->value("pid", 0)));
  EXPECT_EQ(rows[1][2], "created");
  EXPECT_EQ(rows[1][3], bundle.dir.string());
  EXPECT_EQ(rows[1][4], state->value("created", "")) << "RFC 3339, as in state";
  EXPECT_EQ(rows[1][5], "root");
  force_delete(bundle);
  leaks.expect_none();
}

TEST(List, PrintsJsonWithFormatJson) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  ASSERT_NO_FATAL_FAILURE(create_container(bundle, until_released()));
  const RunResult list = run_runtime(bundle, {"list", "--format", "json"});
  EXPECT_EQ(list.exit_code, 0) << list;
  const auto json = nlohmann::json::parse(list.out, nullptr, false);
  ASSERT_TRUE(json.is_array()) << list;
  ASSERT_EQ(json.size(), 1U) << list;
  EXPECT_EQ(json[0].value("id", ""), bundle.id);
  EXPECT_EQ(json[0].value("status", ""), "created");
  EXPECT_EQ(json[0].value("bundle", ""), bundle.dir.string());
  EXPECT_GT(json[0].value("pid", 0), 0);
  EXPECT_EQ(json[0].value("owner", ""), "root");
  EXPECT_FALSE(json[0].value("created", "").empty());
  force_delete(bundle);
  leaks.expect_none();
}

TEST(List, PrintsOnlyIdsWithQuiet) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  ASSERT_NO_FATAL_FAILURE(create_container(bundle, until_released()));
  const RunResult list = run_runtime(bundle, {"list", "-q"});
  EXPECT_EQ(list.exit_code, 0) << list;
  EXPECT_EQ(list.out, bundle.id + "\n") << list;
  force_delete(bundle);
  leaks.expect_none();
}

TEST(List, ShowsRunningStatusAfterStart) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  ASSERT_NO_FATAL_FAILURE(run_detached(bundle, until_released()));
  const RunResult list = run_runtime(bundle, {"list"});
  EXPECT_EQ(list.exit_code, 0) << list;
  const auto rows = table_of(list.out);
  ASSERT_EQ(rows.size(), 2U) << list;
  ASSERT_GE(rows[1].size(), 3U) << list;
  EXPECT_EQ(rows[1][0], bundle.id);
  EXPECT_EQ(rows[1][2], "running");
  force_delete(bundle);
  leaks.expect_none();
}

}  // namespace
}  // namespace keel::fixtures
