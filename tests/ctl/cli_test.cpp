// keelctl's parsing up to the point a verb would run: none of these cases reaches keeld.
#include "ctl/cli.h"

#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace keel::ctl {
namespace {

struct Outcome {
  int exit_code;
  std::string err;
};

Outcome run(std::vector<const char*> args) {
  args.insert(args.begin(), "keelctl");
  std::ostringstream err;
  const int code = run_keelctl(static_cast<int>(args.size()), args.data(), err);
  return {code, err.str()};
}

TEST(UnknownVerb, PrintsDockersMessageAndExitsOne) {
  const Outcome outcome = run({"swarm"});
  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_EQ(outcome.err, "keelctl: 'swarm' is not a keelctl command.\nSee 'keelctl --help'\n");
}

TEST(UnknownVerb, NamesOnlyTheVerbAfterGlobalFlagsAndBeforeItsArguments) {
  const Outcome outcome = run({"-H", "/nonexistent/keeld.sock", "swarm", "init", "--force"});
  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_EQ(outcome.err, "keelctl: 'swarm' is not a keelctl command.\nSee 'keelctl --help'\n");
}

TEST(UnknownVerb, InAGroupNamesTheGroup) {
  const Outcome outcome = run({"image", "swarm", "busybox"});
  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_EQ(outcome.err,
            "keelctl: 'image swarm' is not a keelctl command.\nSee 'keelctl image --help'\n");
}

TEST(UsageError, MissingVerbStaysAUsageError) {
  const Outcome outcome = run({});
  EXPECT_EQ(outcome.exit_code, 125);
  EXPECT_EQ(outcome.err, "keelctl: A subcommand is required\nSee 'keelctl --help'.\n");
}

TEST(UsageError, UnknownGlobalFlagIsNotReportedAsAVerb) {
  const Outcome outcome = run({"--bogus", "ps"});
  EXPECT_EQ(outcome.exit_code, 125);
  EXPECT_EQ(outcome.err.find("is not a keelctl command"), std::string::npos) << outcome.err;
}

TEST(UsageError, ExtraArgumentOfAKnownVerbIsNotReportedAsAVerb) {
  const Outcome outcome = run({"rename", "a", "b", "c"});
  EXPECT_EQ(outcome.exit_code, 125);
  EXPECT_NE(outcome.err.find("not expected: c"), std::string::npos) << outcome.err;
}

TEST(KnownVerbs, FailOnTheirOwnMissingArgumentsNotAsUnknownVerbs) {
  // Verbs with a required argument: none of them gets as far as calling keeld (the address is
  // a path that does not exist, should one ever try).
  const std::vector<std::vector<const char*>> cases = {
      {"rmi"},
      {"run"},
      {"cp"},
      {"logs"},
      {"tag"},
      {"inspect"},
      {"image", "rm"},
      {"image", "inspect"},
      {"container", "rm"},
      {"container", "logs"},
      {"rename", "a"},
  };
  for (auto args : cases) {
    args.insert(args.begin(), {"-H", "/nonexistent/keeld.sock"});
    const Outcome outcome = run(args);
    EXPECT_EQ(outcome.exit_code, 125) << args[2] << ": " << outcome.err;
    EXPECT_EQ(outcome.err.find("is not a keelctl command"), std::string::npos) << outcome.err;
  }
}

}  // namespace
}  // namespace keel::ctl
