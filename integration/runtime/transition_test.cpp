// Pins refused commands: a wrong lifecycle step, a taken or unknown id, an id that is not a plain
// name. Each fails with one line on stderr and changes nothing.
#include <set>

#include <gtest/gtest.h>

#include "integration/fixtures/fixtures.h"

namespace keel::fixtures {
namespace {

namespace stdfs = std::filesystem;

TEST(Start, FailsWhenAlreadyStarted) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  ASSERT_NO_FATAL_FAILURE(create_container(bundle, until_released()));
  ASSERT_NO_FATAL_FAILURE(start_container(bundle));
  const RunResult again = run_runtime(bundle, {"start", bundle.id});
  expect_error_line(again, bundle.id);
  const auto state = container_state(bundle, bundle.id);
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->value("status", ""), "running") << *state;
  force_delete(bundle);
  leaks.expect_none();
}

TEST(Create, FailsWhenIdIsTaken) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  ASSERT_NO_FATAL_FAILURE(create_container(bundle, until_released()));
  const auto before = container_state(bundle, bundle.id);
  ASSERT_TRUE(before.has_value());
  const RunResult again = run_runtime(bundle, {"create", bundle.id});
  expect_error_line(again, bundle.id);
  const auto after = container_state(bundle, bundle.id);
  ASSERT_TRUE(after.has_value()) << "the first container must survive";
  EXPECT_EQ(after->value("status", ""), "created") << *after;
  EXPECT_EQ(after->value("pid", 0), before->value("pid", -1)) << *after;
  force_delete(bundle);
  leaks.expect_none();
}

class UnknownId : public ::testing::TestWithParam<const char*> {};

// Another container lives in the same root: the command must not fall back on it.
TEST_P(UnknownId, FailsAndLeavesOtherContainersAlone) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  ASSERT_NO_FATAL_FAILURE(create_container(bundle, until_released()));
  const std::string unknown = unique_id();
  const RunResult r = run_runtime(bundle, {GetParam(), unknown});
  expect_error_line(r, unknown);
  EXPECT_FALSE(stdfs::exists(bundle.root / unknown));
  const auto state = container_state(bundle, bundle.id);
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->value("status", ""), "created") << *state;
  force_delete(bundle);
  leaks.expect_none();
}

INSTANTIATE_TEST_SUITE_P(Commands, UnknownId, ::testing::Values("state", "start", "kill", "delete"),
                         [](const ::testing::TestParamInfo<const char*>& command) {
                           return std::string(command.param);
                         });

std::set<std::string> entries(const stdfs::path& dir) {
  std::set<std::string> names;
  for (const auto& entry : stdfs::directory_iterator(dir))
    names.insert(entry.path().filename());
  return names;
}

struct BadId {
  const char* name;
  const char* id;
};

void PrintTo(const BadId& bad, std::ostream* os) {
  *os << '"' << bad.id << '"';
}

class InvalidId : public ::testing::TestWithParam<BadId> {};

TEST_P(InvalidId, CreateFailsAndCreatesNothing) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.set_args({"true"});
  bundle.write();
  const std::string id = GetParam().id;
  const auto base_before = entries(bundle.base());
  const auto dir_before = entries(bundle.dir);
  const RunResult r = run_runtime(bundle, {"create", id});
  expect_error_line(r, id);
  // Whatever the id names, relative to the root or the bundle, must not have been created.
  EXPECT_EQ(entries(bundle.base()), base_before);
  EXPECT_EQ(entries(bundle.dir), dir_before);
  EXPECT_TRUE(stdfs::is_empty(bundle.root)) << "the root must stay empty";
  leaks.expect_none();
}

INSTANTIATE_TEST_SUITE_P(Create, InvalidId,
                         ::testing::Values(BadId{"DotDotSlash", "../x"}, BadId{"Slash", "a/b"},
                                           BadId{"DotDot", ".."}, BadId{"Empty", ""}),
                         [](const ::testing::TestParamInfo<BadId>& bad) {
                           return std::string(bad.param.name);
                         });

}  // namespace
}  // namespace keel::fixtures
