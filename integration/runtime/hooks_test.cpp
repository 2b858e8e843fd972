// Pins config.md "POSIX-platform Hooks": every phase runs in lifecycle order and reads the state
// it should on stdin; a failing prestart or createContainer hook fails create and leaves
// nothing, a failing poststart only warns, a failing startContainer keeps the program from
// running, and a hook past its timeout is killed and fails the operation.
#include <signal.h>

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/fs.h"
#include "integration/fixtures/fixtures.h"

namespace keel::fixtures {
namespace {

using ::testing::HasSubstr;

// Appends "<phase> <status> <pid>" from the state on stdin to the file $2. Busybox and the host
// shell both run it: startContainer hooks resolve in the container, the others on the host.
constexpr const char* kRecorder = R"sh(#!/bin/sh
state=$(cat | tr -d '\n ')
status=$(echo "$state" | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p')
pid=$(echo "$state" | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')
echo "$1 $status $pid" >> "$2"
)sh";

void write_script(const std::filesystem::path& path, const std::string& text) {
  auto r = fs::write_file_atomic(path.string(), text, 0755);
  ASSERT_TRUE(r.has_value()) << r.error().message();
}

nlohmann::json hook(const std::string& path, std::vector<std::string> args,
                    std::optional<int> timeout = std::nullopt) {
  nlohmann::json h = {{"path", path}, {"args", std::move(args)}};
  if (timeout)
    h["timeout"] = *timeout;
  return h;
}

std::vector<std::string> log_lines(const Bundle& bundle) {
  std::ifstream in(bundle.host_path("/tmp/hooks.log"));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

TEST(Hooks, RunInLifecycleOrderWithTheirStates) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  const auto host_hook = bundle.base() / "record.sh";
  ASSERT_NO_FATAL_FAILURE(write_script(host_hook, kRecorder));
  ASSERT_NO_FATAL_FAILURE(write_script(bundle.host_path("/record.sh"), kRecorder));
  const std::string log = bundle.host_path("/tmp/hooks.log").string();
  auto& hooks = bundle.config["hooks"];
  for (const char* phase :
       {"prestart", "createRuntime", "createContainer", "poststart", "poststop"})
    hooks[phase] = {hook(host_hook.string(), {"record.sh", phase, log})};
  hooks["startContainer"] = {hook("/record.sh", {"record.sh", "startContainer", "/tmp/hooks.log"})};

  ASSERT_NO_FATAL_FAILURE(create_container(bundle, until_released()));
  const auto state = container_state(bundle, bundle.id);
  ASSERT_TRUE(state.has_value());
  const std::string pid = std::to_string(state->value("pid", 0));
  EXPECT_THAT(log_lines(bundle),
              ::testing::ElementsAre("prestart creating " + pid, "createRuntime creating " + pid,
                                     "createContainer creating " + pid));
  ASSERT_NO_FATAL_FAILURE(start_container(bundle));
  release(bundle);
  ASSERT_TRUE(wait_for_status(bundle, bundle.id, "stopped"));
  const RunResult del = run_runtime(bundle, {"delete", bundle.id});
  EXPECT_EQ(del.exit_code, 0) << del;
  EXPECT_THAT(
      log_lines(bundle),
      ::testing::ElementsAre("prestart creating " + pid, "createRuntime creating " + pid,
                             "createContainer creating " + pid, "startContainer created " + pid,
                             "poststart running " + pid, "poststop stopped "));
  leaks.expect_none();
}

TEST(Hooks, FailingPrestartFailsCreateAndLeavesNothing) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.config["hooks"]["prestart"] = {hook("/bin/false", {"false"})};
  bundle.set_args({"true"});
  bundle.write();
  const RunResult create = run_runtime(bundle, {"create", bundle.id});
  expect_error_line(create, "hook prestart[0] \"/bin/false\": exited with status 1");
  EXPECT_FALSE(container_state(bundle, bundle.id).has_value());
  leaks.expect_none();
}

TEST(Hooks, FailingCreateContainerFailsCreateAndLeavesNothing) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.config["hooks"]["createContainer"] = {hook("/bin/false", {"false"})};
  bundle.set_args({"true"});
  bundle.write();
  const RunResult create = run_runtime(bundle, {"create", bundle.id});
  expect_error_line(create, "hook createContainer[0] \"/bin/false\": exited with status 1");
  EXPECT_FALSE(container_state(bundle, bundle.id).has_value());
  leaks.expect_none();
}

TEST(Hooks, FailingPoststartOnlyWarns) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.config["hooks"]["poststart"] = {hook("/bin/false", {"false"})};
  ASSERT_NO_FATAL_FAILURE(create_container(bundle, until_released()));
  const RunResult start = run_runtime(bundle, {"start", bundle.id});
  EXPECT_EQ(start.exit_code, 0) << start;
  EXPECT_THAT(start.err, HasSubstr("level=warning")) << start;
  EXPECT_THAT(start.err, HasSubstr("hook poststart[0]")) << start;
  EXPECT_THAT(start.err, HasSubstr("exited with status 1")) << start;
  EXPECT_TRUE(wait_for_status(bundle, bundle.id, "running"));
  force_delete(bundle);
  leaks.expect_none();
}

TEST(Hooks, FailingStartContainerKeepsTheProgramFromRunning) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.config["hooks"]["startContainer"] = {hook("/bin/false", {"false"})};
  ASSERT_NO_FATAL_FAILURE(create_container(bundle, {"touch", "/tmp/ran"}));
  // runtime.md: a failing startContainer hook MUST generate an error and stop the container.
  const RunResult start = run_runtime(bundle, {"start", bundle.id});
  if (is_keel()) {  // runc reports the start as done
    expect_error_line(start, "container init: hook startContainer[0] \"/bin/false\"");
  }
  EXPECT_TRUE(wait_for_status(bundle, bundle.id, "stopped"));
  EXPECT_FALSE(std::filesystem::exists(bundle.host_path("/tmp/ran")));
  force_delete(bundle);
  leaks.expect_none();
}

TEST(Hooks, TimeoutKillsTheHookAndFailsCreate) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  const auto pid_file = bundle.base() / "hook.pid";
  // exec: the hook itself is the sleep, so killing the hook leaves no orphan.
  bundle.config["hooks"]["prestart"] = {
      hook("/bin/sh", {"sh", "-c", "echo $$ > " + pid_file.string() + "; exec sleep 30"}, 1)};
  bundle.set_args({"true"});
  bundle.write();
  const RunResult create = run_runtime(bundle, {"create", bundle.id});
  expect_error_line(create, "hook prestart[0] \"/bin/sh\": timed out after 1s");
  const std::string pid = read_text(pid_file);
  ASSERT_FALSE(pid.empty()) << "the hook never ran";
  EXPECT_NE(::kill(std::stoi(pid), 0), 0) << "the hook outlived its timeout";
  EXPECT_FALSE(container_state(bundle, bundle.id).has_value());
  leaks.expect_none();
}

}  // namespace
}  // namespace keel::fixtures
