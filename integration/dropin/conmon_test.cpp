// keel as conmon's runtime, without podman: conmon runs `keel create`, the test `keel start`,
// and the container's output lands in conmon's k8s-file log as CRI lines
// ("<RFC 3339 time> stdout F <line>"); the exit code comes back in the exit dir.
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integration/dropin/dropin.h"
#include "integration/fixtures/fixtures.h"

namespace keel::dropin {
namespace {

namespace stdfs = std::filesystem;
using fixtures::RunResult;
using ::testing::ContainsRegex;

std::string first_line(const stdfs::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

TEST(Conmon, RunsKeelAndLogsTheOutputInCriFormat) {
  KEEL_DROPIN_NEEDS("conmon");
  fixtures::LeakCheck leaks;
  auto bundle = fixtures::busybox_bundle();
  bundle.set_args({"sh", "-c", "echo out-line; echo err-line >&2; exit 3"});
  bundle.write();
  const stdfs::path work = bundle.base() / "conmon";
  stdfs::create_directories(work / "exits");
  stdfs::create_directories(work / "sockets");
  const stdfs::path log = work / "ctr.log";
  const RunResult conmon = run({"conmon",
                                "--api-version",
                                "1",
                                "-c",
                                bundle.id,
                                "-u",
                                bundle.id,
                                "-n",
                                bundle.id,
                                "-r",
                                keel_path().string(),
                                "-b",
                                bundle.dir.string(),
                                "-p",
                                (work / "pidfile").string(),
                                "-P",
                                (work / "conmon.pid").string(),
                                "-l",
                                "k8s-file:" + log.string(),
                                "--exit-dir",
                                (work / "exits").string(),
                                "--socket-dir-path",
                                (work / "sockets").string(),
                                "--log-level",
                                "debug",
                                "--runtime-arg",
                                "--root",
                                "--runtime-arg",
                                bundle.root.string()});
  ASSERT_EQ(conmon.exit_code, 0) << conmon;
  // Without a sync pipe conmon's first process returns once it forked; create ends with the
  // pid file.
  ASSERT_TRUE(fixtures::wait_until([&] { return !fixtures::read_text(work / "pidfile").empty(); }))
      << "no pid file; exit file: " << fixtures::read_text(work / "exits" / bundle.id);
  const auto state = fixtures::container_state(bundle, bundle.id);
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->value("status", ""), "created");
  EXPECT_EQ(fixtures::read_text(work / "pidfile"), std::to_string(state->value("pid", 0)));

  ASSERT_NO_FATAL_FAILURE(fixtures::start_container(bundle));
  const stdfs::path exit_file = work / "exits" / bundle.id;
  ASSERT_TRUE(fixtures::wait_until([&] { return !first_line(exit_file).empty(); }))
      << "conmon wrote no exit file";
  EXPECT_EQ(first_line(exit_file), "3");
  const std::string text = fixtures::read_text(log);
  const std::string time = "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9:]+)";
  EXPECT_THAT(text, ContainsRegex(time + " stdout F out-line\n")) << text;
  EXPECT_THAT(text, ContainsRegex(time + " stderr F err-line\n")) << text;

  const std::string conmon_pid = fixtures::read_text(work / "conmon.pid");
  EXPECT_TRUE(fixtures::wait_until([&] { return !stdfs::exists("/proc/" + conmon_pid); }))
      << "conmon exits after the container";
  const RunResult del = fixtures::run_runtime(bundle, {"delete", bundle.id});
  EXPECT_EQ(del.exit_code, 0) << del;
  leaks.expect_none();
}

}  // namespace
}  // namespace keel::dropin
