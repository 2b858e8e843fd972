// Pins spawn (shimapi/spawn.cpp): fds placed at 3, 4, ... however many, an explicit environment,
// a failed step of the child reported with its errno instead of a silent exit 127, and a detached
// child that is nobody's to reap.
#include "shimapi/spawn.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/fs.h"
#include "common/unique_fd.h"

namespace keel::shimapi {
namespace {

using ::testing::HasSubstr;

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

Pipe make_pipe() {
  int p[2];
  EXPECT_EQ(::pipe2(p, O_CLOEXEC), 0);
  return {UniqueFd(p[0]), UniqueFd(p[1])};
}

// Runs `sh -c script` with stdout to a pipe and returns what it printed and its exit code.
std::pair<std::string, int> run_sh(const std::string& script, SpawnOptions options = {},
                                   const std::string& shell = "/bin/sh") {
  Pipe out = make_pipe();
  options.argv = {shell, "-c", script};
  options.stdout_fd = out.write.get();
  auto pid = spawn(options);
  EXPECT_TRUE(pid) << pid.error().message();
  if (!pid)
    return {"", -1};
  out.write.reset();
  auto text = fs::read_fd(out.read.get());
  auto code = wait_exit(*pid);
  return {text ? *text : "", code ? *code : -1};
}

TEST(Spawn, PlacesMoreThanSixtyFourExtraFds) {
  std::vector<Pipe> pipes;
  SpawnOptions options;
  for (int i = 0; i < 100; ++i) {
    pipes.push_back(make_pipe());
    options.extra_fds.push_back(pipes.back().write.get());
  }
  // The last one becomes fd 3 + 99 = 102 in the child (bash: dash takes single-digit fds only).
  auto [out, code] = run_sh("echo hi >&102", options, "/bin/bash");
  EXPECT_EQ(code, 0) << out;
  pipes.back().write.reset();
  for (auto& p : pipes)
    p.write.reset();
  auto got = fs::read_fd(pipes.back().read.get());
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, "hi\n");
}

TEST(Spawn, GivesTheChildOnlyTheEnvironmentAskedFor) {
  SpawnOptions options;
  options.env = environment_with({"KEEL_SPAWN_TEST=yes"});
  auto [with, code] = run_sh("echo $KEEL_SPAWN_TEST", options);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(with, "yes\n");
  options.env = std::vector<std::string>{"ONLY=this"};
  auto [alone, code2] = run_sh("echo $ONLY:$HOME", options);
  EXPECT_EQ(code2, 0);
  EXPECT_EQ(alone, "this:\n");
}

TEST(Spawn, ReportsTheFailedStepWithItsErrno) {
  SpawnOptions missing;
  missing.argv = {"/nonexistent/keel-binary"};
  auto exec = spawn(missing);
  ASSERT_FALSE(exec);
  EXPECT_EQ(exec.error().errnum(), ENOENT);
  EXPECT_THAT(exec.error().message(), HasSubstr("exec \"/nonexistent/keel-binary\""));

  SpawnOptions bad_fd;
  bad_fd.argv = {"/bin/true"};
  bad_fd.extra_fds = {9999};
  auto dup = spawn(bad_fd);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().errnum(), EBADF);
  EXPECT_THAT(dup.error().message(), HasSubstr("F_DUPFD for \"/bin/true\""));

  SpawnOptions bad_cwd;
  bad_cwd.argv = {"/bin/true"};
  bad_cwd.cwd = "/nonexistent-dir";
  auto chdir = spawn(bad_cwd);
  ASSERT_FALSE(chdir);
  EXPECT_EQ(chdir.error().errnum(), ENOENT);
  EXPECT_THAT(chdir.error().message(), HasSubstr("chdir \"/nonexistent-dir\""));
}

TEST(Spawn, DetachedChildIsADaemonTheCallerNeverReaps) {
  Pipe in = make_pipe();
  Pipe out = make_pipe();
  SpawnOptions options;
  // Prints its pid, parent and session, then stays until its stdin closes.
  options.argv = {"/bin/sh", "-c", "echo $$ $(cut -d' ' -f4,6 /proc/$$/stat); read x"};
  options.stdin_fd = in.read.get();
  options.stdout_fd = out.write.get();
  options.new_session = true;
  options.detach = true;
  auto pid = spawn(options);
  ASSERT_TRUE(pid) << pid.error().message();
  out.write.reset();
  in.read.reset();
  // Not our child, even while it runs: nothing for us to reap, no zombie left with us.
  int status = 0;
  EXPECT_EQ(::waitpid(*pid, &status, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
  in.write.reset();
  auto text = fs::read_fd(out.read.get());
  ASSERT_TRUE(text);
  std::istringstream fields(*text);
  pid_t self = 0;
  pid_t parent = 0;
  pid_t session = 0;
  fields >> self >> parent >> session;
  EXPECT_EQ(self, *pid) << *text;
  EXPECT_NE(parent, ::getpid()) << *text;
  EXPECT_EQ(session, *pid) << *text;
}

TEST(Spawn, ReportsADetachedChildsFailedStep) {
  SpawnOptions missing;
  missing.argv = {"/nonexistent/keel-daemon"};
  missing.detach = true;
  auto exec = spawn(missing);
  ASSERT_FALSE(exec);
  EXPECT_EQ(exec.error().errnum(), ENOENT);
  EXPECT_THAT(exec.error().message(), HasSubstr("exec \"/nonexistent/keel-daemon\""));
}

}  // namespace
}  // namespace keel::shimapi
