#include "ctl/output.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include <gtest/gtest.h>

namespace keel::ctl {
namespace {

TEST(OutputFailure, BrokenPipeEndsSilentlyWithOne) {
  const CommandError error = output_failure(STDOUT_FILENO, Error::sys("write", EPIPE));
  EXPECT_EQ(error.exit_code(), 1);
  EXPECT_STREQ(error.what(), "");
}

TEST(OutputFailure, OtherErrorsNameTheStream) {
  const CommandError out = output_failure(STDOUT_FILENO, Error::sys("write", ENOSPC));
  EXPECT_EQ(out.exit_code(), 1);
  EXPECT_STREQ(out.what(), "write stdout: No space left on device");
  const CommandError err = output_failure(STDERR_FILENO, Error::sys("write", EIO));
  EXPECT_STREQ(err.what(), "write stderr: Input/output error");
}

TEST(WriteOutput, ClosedReaderThrowsTheSilentError) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  ::close(fds[0]);
  // keelctl ignores SIGPIPE (main.cpp); so does this test, for this write.
  struct sigaction ignore {};
  struct sigaction saved {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGPIPE, &ignore, &saved), 0);
  try {
    write_output(fds[1], "lost");
    ADD_FAILURE() << "no error for a pipe without a reader";
  } catch (const CommandError& error) {
    EXPECT_EQ(error.exit_code(), 1);
    EXPECT_STREQ(error.what(), "");
  }
  ::sigaction(SIGPIPE, &saved, nullptr);
  ::close(fds[1]);
}

}  // namespace
}  // namespace keel::ctl
