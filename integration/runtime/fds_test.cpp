// Pins the fds a container starts with: stdio only, plus exactly what --preserve-fds passes on.
#include <fcntl.h>

#include <gtest/gtest.h>

#include "common/fs.h"
#include "common/unique_fd.h"
#include "integration/fixtures/fixtures.h"

namespace keel::fixtures {
namespace {

// The shell's own fds, listed by a child: `ls /proc/self/fd` would add the directory fd of ls
// itself, a pipe would add the pipe, and a last command would be exec'd in place of the shell.
constexpr const char* kListFds = "ls /proc/$$/fd; true";

UniqueFd open_text_file(const std::filesystem::path& path, const std::string& text) {
  EXPECT_TRUE(fs::write_file_atomic(path, text, 0644).has_value());
  auto fd = fs::open(path, O_RDONLY);
  EXPECT_TRUE(fd.has_value());
  return fd ? std::move(*fd) : UniqueFd();
}

TEST(Fds, OnlyStdioIsOpenInContainer) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  const RunResult run = run_script(bundle, kListFds);
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(run.out, "0\n1\n2\n") << run;
  leaks.expect_none();
}

TEST(Fds, InheritedFdsAreClosedWithoutPreserveFds) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  {
    const UniqueFd three = open_text_file(bundle.dir / "three", "three\n");
    const UniqueFd four = open_text_file(bundle.dir / "four", "four\n");
    bundle.set_args({"sh", "-c", kListFds});
    bundle.write();
    RunOptions options;
    options.extra_fds = {three.get(), four.get()};
    const RunResult run = run_runtime(bundle, {"run", bundle.id}, options);
    EXPECT_EQ(run.exit_code, 0) << run;
    EXPECT_EQ(run.out, "0\n1\n2\n") << run;
  }
  leaks.expect_none();
}

TEST(Fds, PreserveFdsPassesExactlyTheExtraFds) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  {
    const UniqueFd three = open_text_file(bundle.dir / "three", "three\n");
    const UniqueFd four = open_text_file(bundle.dir / "four", "four\n");
    const UniqueFd five = open_text_file(bundle.dir / "five", "five\n");
    bundle.set_args({"sh", "-c", std::string(kListFds) + "; cat <&3; cat <&4"});
    bundle.write();
    // Three extra fds, two preserved: fd 5 must not reach the container.
    RunOptions options;
    options.extra_fds = {three.get(), four.get(), five.get()};
    const RunResult run = run_runtime(bundle, {"run", "--preserve-fds", "2", bundle.id}, options);
    EXPECT_EQ(run.exit_code, 0) << run;
    EXPECT_EQ(run.out, "0\n1\n2\n3\n4\nthree\nfour\n") << run;
  }
  leaks.expect_none();
}

}  // namespace
}  // namespace keel::fixtures
