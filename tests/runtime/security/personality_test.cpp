// Pins runtime/security/personality.cpp: the domain as personality(0xffffffff) and uname(2) report
// it in a forked child.
#include "runtime/security/personality.h"

#include <sys/personality.h>
#include <sys/utsname.h>

#include <string>

#include <gtest/gtest.h>

#include "tests/runtime/security/forked_child.h"

namespace keel::runtime::security {
namespace {

using test_support::Report;
using test_support::run_in_child;

constexpr unsigned long kQuery = 0xffffffff;  // reads the persona without changing it

test_support::ChildOutcome apply_in_child(const std::string& domain, unsigned long start) {
  return run_in_child([&](Report& r) {
    (void)::personality(start);
    if (auto p = apply_personality({domain, {}}); !p)
      return r.fail(p.error().message());
    r.values[0] = ::personality(kQuery) & PER_MASK;
    utsname u{};
    if (::uname(&u) == 0)
      r.note(u.machine);
  });
}

TEST(Personality, Linux32SetsTheDomainAndA32BitMachine) {
  auto child = apply_in_child("LINUX32", PER_LINUX);
  ASSERT_TRUE(child.reported && child.exited_ok());
  ASSERT_EQ(child.error(), "");
  EXPECT_EQ(child[0], PER_LINUX32);
  utsname host{};
  ASSERT_EQ(::uname(&host), 0);
  if (std::string(host.machine) == "x86_64") {
    EXPECT_EQ(child.text(), "i686");
  }
}

TEST(Personality, LinuxRestoresTheNativeDomain) {
  auto child = apply_in_child("LINUX", PER_LINUX32);
  ASSERT_TRUE(child.reported && child.exited_ok());
  ASSERT_EQ(child.error(), "");
  EXPECT_EQ(child[0], PER_LINUX);
  utsname host{};
  ASSERT_EQ(::uname(&host), 0);
  EXPECT_EQ(child.text(), host.machine);
}

TEST(Personality, UnknownDomainIsAnError) {
  auto p = apply_personality({"LINUX64", {}});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message(), "personality: unknown domain \"LINUX64\"");
  EXPECT_EQ(p.error().kind(), Errc::kInvalidArgument);
}

}  // namespace
}  // namespace keel::runtime::security
