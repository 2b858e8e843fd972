// Pins --log and --log-format: the error of a failing command reaches the log file as one
// runc-style JSON line, which containerd's shim and conmon read back to report the failure.
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integration/fixtures/fixtures.h"

namespace keel::fixtures {
namespace {

using ::testing::HasSubstr;

TEST(Log, FailingCreateWritesOneJsonErrorLine) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.config["root"]["path"] = "no-such-rootfs";
  bundle.write();
  const auto log_path = bundle.base() / "runtime.log";
  const RunResult r = run_runtime(
      bundle, {"--log", log_path.string(), "--log-format", "json", "create", bundle.id});
  EXPECT_NE(r.exit_code, 0) << r;
  std::vector<std::string> lines;
  std::istringstream log(read_text(log_path));
  for (std::string line; std::getline(log, line);)
    lines.push_back(line);
  ASSERT_EQ(lines.size(), 1U) << read_text(log_path);
  const auto entry = nlohmann::json::parse(lines[0], nullptr, false);
  ASSERT_TRUE(entry.is_object()) << lines[0];
  EXPECT_EQ(entry.value("level", ""), "error") << lines[0];
  EXPECT_THAT(entry.value("msg", ""), HasSubstr("no-such-rootfs")) << lines[0];
  EXPECT_THAT(entry.value("time", ""), testing::MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T.*Z"))
      << lines[0];
  leaks.expect_none();
}

TEST(Log, TextFormatIsLogfmt) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  const auto log_path = bundle.base() / "runtime.log";
  const RunResult r = run_runtime(bundle, {"--log", log_path.string(), "kill", "no-such-id"});
  EXPECT_NE(r.exit_code, 0) << r;
  EXPECT_THAT(read_text(log_path), testing::ContainsRegex("^time=\"[^\"]+\" level=error msg=\".*"
                                                          "no-such-id.*\"\n$"));
  leaks.expect_none();
}

TEST(Log, UnknownCommandIsNamedInTheErrorLine) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  const auto log_path = bundle.base() / "runtime.log";
  const RunResult r = run_runtime(
      bundle, {"--log", log_path.string(), "--log-format", "json", "no-such-command", bundle.id});
  expect_error_line(r, "unknown command \"no-such-command\"");
  EXPECT_THAT(read_text(log_path), HasSubstr(R"("msg":"unknown command \"no-such-command\")"));
  const RunResult extra = run_runtime(bundle, {"state", bundle.id, "surplus"});
  expect_error_line(extra, "unexpected argument \"surplus\"");
  leaks.expect_none();
}

// keel builds only the command it was given (command_table.cpp): the command word must be found
// behind global options in both spellings, aliases included, and help must stay whole.
TEST(CommandLine, CommandIsFoundBehindGlobalOptions) {
  KEEL_SKIP_UNLESS_ROOT();
  if (!is_keel())
    GTEST_SKIP() << "pins keel's own command table";
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  const auto log_path = bundle.base() / "runtime.log";
  const RunResult spaced = run_runtime(
      bundle, {"--log", log_path.string(), "--log-format", "text", "--debug", "state", "no-such"});
  expect_error_line(spaced, "container \"no-such\" does not exist");
  const RunResult joined =
      run_runtime(bundle, {"--log-format=text", "--rootless=false", "delete", "no-such"});
  expect_error_line(joined, "container \"no-such\" does not exist");
  const RunResult alias = run_runtime(bundle, {"--log-format", "json", "ls", "-q"});
  EXPECT_EQ(alias.exit_code, 0) << alias;
  const RunResult help = run_runtime(bundle, {"--help"});
  EXPECT_EQ(help.exit_code, 0) << help;
  for (const char* command : {"create", "start", "run", "state", "kill", "delete", "list", "spec",
                              "features", "exec", "pause", "resume", "update", "ps", "events"})
    EXPECT_THAT(help.out, testing::ContainsRegex("\n  " + std::string(command) + "[ ,]"))
        << command;
  const RunResult create_help = run_runtime(bundle, {"create", "--help"});
  EXPECT_EQ(create_help.exit_code, 0) << create_help;
  EXPECT_THAT(create_help.out, HasSubstr("--console-socket")) << create_help;
  // An option of another command stays refused.
  const RunResult foreign = run_runtime(bundle, {"state", "--force", "no-such"});
  EXPECT_NE(foreign.exit_code, 0) << foreign;
  EXPECT_THAT(foreign.err, HasSubstr("--force")) << foreign;
  leaks.expect_none();
}

}  // namespace
}  // namespace keel::fixtures
