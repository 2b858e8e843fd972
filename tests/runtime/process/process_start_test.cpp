// Pins seal_inherited_fds (runtime/process/process_start.cpp): every fd from `first` on is marked
// close-on-exec, none below it, and nothing is closed (the parent learns of execve through those).
#include "runtime/process/process_start.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "tests/runtime/security/forked_child.h"

namespace keel::runtime {
namespace {

using security::test_support::Report;
using security::test_support::run_in_child;

bool cloexec(int fd) {
  const int flags = ::fcntl(fd, F_GETFD);
  return flags >= 0 && (flags & FD_CLOEXEC) != 0;
}

TEST(SealInheritedFds, MarksEveryFdFromFirstOnAndClosesNone) {
  auto outcome = run_in_child([](Report& report) {
    // Inherited without CLOEXEC, as a careless caller would leave them, at fixed high numbers.
    // The dups are what is inherited: F_DUPFD never sets FD_CLOEXEC.
    const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const int below = ::fcntl(null, F_DUPFD, 500);
    const int first = ::fcntl(null, F_DUPFD, 600);
    const int later = ::fcntl(null, F_DUPFD, 900);
    if (below != 500 || first != 600 || later != 900) {
      report.fail("could not place the fds");
      return;
    }
    if (auto r = seal_inherited_fds(first); !r) {
      report.fail(r.error().message());
      return;
    }
    report.values[0] = cloexec(below) ? 1 : 0;
    report.values[1] = cloexec(first) ? 1 : 0;
    report.values[2] = cloexec(later) ? 1 : 0;
    report.values[3] = ::fcntl(later, F_GETFD) >= 0 ? 1 : 0;  // still open
  });
  ASSERT_TRUE(outcome.reported) << outcome.error();
  ASSERT_TRUE(outcome.error().empty()) << outcome.error();
  EXPECT_EQ(outcome[0], 0) << "an fd below `first` was touched";
  EXPECT_EQ(outcome[1], 1);
  EXPECT_EQ(outcome[2], 1);
  EXPECT_EQ(outcome[3], 1) << "sealing closed an fd";
}

TEST(ExecProcess, NamesTheExecutableThatFailed) {
  auto outcome = run_in_child([](Report& report) {
    oci::Process process;
    process.args = {"/nonexistent/program"};
    ProcessStart start;
    start.process = &process;
    start.first_unpreserved_fd = 1000;
    const Error failed = exec_process(start, "/nonexistent/program");
    report.fail(failed.message());
    report.values[0] = failed.errnum();
  });
  ASSERT_TRUE(outcome.reported);
  EXPECT_NE(outcome.error().find("/nonexistent/program"), std::string::npos) << outcome.error();
  EXPECT_EQ(outcome[0], ENOENT);
}

}  // namespace
}  // namespace keel::runtime
