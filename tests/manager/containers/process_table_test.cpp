// Pins manager/containers/process_table and command_output: docker top's ps parsing, and the
// host's ps run without a shell.
#include "manager/containers/process_table.h"

#include <unistd.h>

#include <chrono>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/process_run.h"

namespace keel::manager::containers {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr const char* kPsEf =
    "UID          PID    PPID  C STIME TTY          TIME CMD\n"
    "root           1       0  0 06:00 ?        00:00:01 /sbin/init splash\n"
    "root         123       1  0 06:01 ?        00:00:00 sh -c sleep 100\n"
    "root         124     123  0 06:01 ?        00:00:00 sleep 100\n";

TEST(ProcessTable, KeepsTheRowsOfTheContainersPidsWithTheCommandWhole) {
  auto table = parse_ps_output(kPsEf, {123, 124});
  ASSERT_TRUE(table) << table.error().message();
  EXPECT_THAT(table->titles, ElementsAre("UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"));
  ASSERT_EQ(table->processes.size(), 2u);
  EXPECT_THAT(table->processes[0],
              ElementsAre("root", "123", "1", "0", "06:01", "?", "00:00:00", "sh -c sleep 100"));
  EXPECT_EQ(table->processes[1].back(), "sleep 100");
}

TEST(ProcessTable, RefusesOutputWithoutAPidColumn) {
  auto table = parse_ps_output("USER COMMAND\nroot init\n", {1});
  ASSERT_FALSE(table);
  EXPECT_EQ(table.error().kind(), Errc::kInvalidArgument);
  EXPECT_EQ(table.error().message(), "Couldn't find PID field in ps output");
}

TEST(ProcessTable, RunsTheHostsPsWithTheGivenArguments) {
  auto table = ps_table({static_cast<int>(::getpid())}, {"-o", "pid,comm"});
  ASSERT_TRUE(table) << table.error().message();
  EXPECT_THAT(table->titles, ElementsAre("PID", "COMMAND"));
  ASSERT_EQ(table->processes.size(), 1u);
  EXPECT_EQ(table->processes[0][0], std::to_string(::getpid()));
}

constexpr std::chrono::seconds kDeadline{10};

TEST(CommandOutput, ReturnsStdoutAndTheExitCodeWithoutAShell) {
  auto output =
      run_process({"/bin/sh", "-c", "echo 'a b'; echo err >&2; exit 3"}, {}, "", kDeadline);
  ASSERT_TRUE(output) << output.error().message();
  EXPECT_EQ(output->out, "a b\n");
  EXPECT_EQ(output->exit_code, 3);
  // The argument is passed as is: no shell splits or expands it.
  auto echoed = run_process({"/bin/echo", "$HOME; true"}, {}, "", kDeadline);
  ASSERT_TRUE(echoed);
  EXPECT_EQ(echoed->out, "$HOME; true\n");
}

TEST(CommandOutput, AMissingProgramIsAnError) {
  auto output = run_process({"/nonexistent/program"}, {}, "", kDeadline);
  ASSERT_FALSE(output);
  EXPECT_THAT(output.error().message(), HasSubstr("/nonexistent/program"));
}

}  // namespace
}  // namespace keel::manager::containers
