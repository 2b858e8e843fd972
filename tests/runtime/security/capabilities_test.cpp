// Pins runtime/security/capabilities.cpp: name parsing, and the five sets as /proc/self/status
// shows them in a forked child after prepare -> identity change -> apply.
#include "runtime/security/capabilities.h"

#include <grp.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/runtime/security/forked_child.h"

namespace keel::runtime::security {
namespace {

using test_support::Report;
using test_support::run_in_child;

constexpr uint64_t kChown = 1ull << 0;
constexpr uint64_t kKill = 1ull << 5;
constexpr uint64_t kSetgid = 1ull << 6;
constexpr uint64_t kSetuid = 1ull << 7;
constexpr uint64_t kNetBindService = 1ull << 10;

enum Field { kInh, kPrm, kEff, kBnd, kAmb, kKeepCaps, kUid };

// Fills values[kInh..kAmb] from /proc/self/status, values[kKeepCaps] and values[kUid].
void read_status(Report& r) {
  std::ifstream status("/proc/self/status");
  const char* names[] = {"CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:"};
  for (std::string line; std::getline(status, line);) {
    for (int i = kInh; i <= kAmb; ++i) {
      if (line.starts_with(names[i]))
        r.values[i] = static_cast<int64_t>(std::strtoull(line.c_str() + 7, nullptr, 16));
    }
  }
  r.values[kKeepCaps] = ::prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0);
  r.values[kUid] = ::geteuid();
}

// prepare, then (uid != 0) drop to uid/gid `uid`, then apply; reports the result.
test_support::ChildOutcome apply_in_child(const oci::Capabilities& caps, uid_t uid) {
  return run_in_child([&](Report& r) {
    if (auto p = prepare_capabilities(caps); !p)
      return r.fail(p.error().message());
    if (uid != 0 && (::setgroups(0, nullptr) != 0 || ::setresgid(uid, uid, uid) != 0 ||
                     ::setresuid(uid, uid, uid) != 0))
      return r.fail("identity change failed");
    if (auto a = apply_capabilities(caps); !a)
      return r.fail(a.error().message());
    read_status(r);
  });
}

#define REQUIRE_ROOT()                                     \
  do {                                                     \
    if (::geteuid() != 0)                                  \
      GTEST_SKIP() << "needs root to change capabilities"; \
  } while (0)

TEST(CapabilityMask, HasOneBitPerName) {
  auto mask = capability_mask({"CAP_CHOWN", "CAP_KILL", "CAP_CHECKPOINT_RESTORE"});
  ASSERT_TRUE(mask) << mask.error().message();
  EXPECT_EQ(*mask, kChown | kKill | (1ull << 40));
  EXPECT_EQ(*capability_mask({}), 0u);
}

TEST(CapabilityMask, UnknownNameIsAnError) {
  for (const char* name : {"CAP_FOO", "cap_chown", "CHOWN", "5", ""}) {
    auto mask = capability_mask({"CAP_CHOWN", name});
    ASSERT_FALSE(mask) << name;
    EXPECT_EQ(mask.error().message(),
              std::string("capabilities: unknown capability \"") + name + "\"");
    EXPECT_EQ(mask.error().kind(), Errc::kInvalidArgument);
  }
}

TEST(ResolveCapabilities, AbsentSetsAreEmpty) {
  oci::Capabilities caps;
  caps.bounding = {"CAP_KILL"};
  auto sets = resolve_capabilities(caps);
  ASSERT_TRUE(sets) << sets.error().message();
  EXPECT_EQ(*sets, (CapabilitySets{kKill, 0, 0, 0, 0}));
}

TEST(ResolveCapabilities, EffectiveOutsidePermittedIsAnError) {
  oci::Capabilities caps;
  caps.effective = {"CAP_CHOWN", "CAP_KILL"};
  caps.permitted = {"CAP_CHOWN"};
  auto sets = resolve_capabilities(caps);
  ASSERT_FALSE(sets);
  EXPECT_EQ(sets.error().message(), "capabilities: effective \"CAP_KILL\" is not in permitted");
}

TEST(ResolveCapabilities, UnknownNameInAnySetIsAnError) {
  oci::Capabilities caps;
  caps.ambient = {"CAP_NOPE"};
  auto sets = resolve_capabilities(caps);
  ASSERT_FALSE(sets);
  EXPECT_EQ(sets.error().message(), "capabilities: unknown capability \"CAP_NOPE\"");
}

TEST(ApplyCapabilities, NonRootUserGetsExactlyTheConfiguredSets) {
  REQUIRE_ROOT();
  oci::Capabilities caps;
  caps.bounding = {"CAP_CHOWN", "CAP_SETUID", "CAP_SETGID", "CAP_NET_BIND_SERVICE", "CAP_KILL"};
  caps.effective = {"CAP_NET_BIND_SERVICE"};
  caps.permitted = {"CAP_NET_BIND_SERVICE", "CAP_KILL"};
  caps.inheritable = {"CAP_NET_BIND_SERVICE"};
  caps.ambient = {"CAP_NET_BIND_SERVICE"};

  auto child = apply_in_child(caps, 1000);
  ASSERT_TRUE(child.reported && child.exited_ok());
  ASSERT_EQ(child.error(), "");
  EXPECT_EQ(child[kUid], 1000);
  EXPECT_EQ(child[kBnd],
            static_cast<int64_t>(kChown | kSetuid | kSetgid | kNetBindService | kKill));
  EXPECT_EQ(child[kEff], static_cast<int64_t>(kNetBindService));
  EXPECT_EQ(child[kPrm], static_cast<int64_t>(kNetBindService | kKill));
  EXPECT_EQ(child[kInh], static_cast<int64_t>(kNetBindService));
  EXPECT_EQ(child[kAmb], static_cast<int64_t>(kNetBindService));
  EXPECT_EQ(child[kKeepCaps], 0);
}

TEST(ApplyCapabilities, AbsentSetsLeaveNothing) {
  REQUIRE_ROOT();
  oci::Capabilities caps;
  caps.bounding = {"CAP_KILL"};
  auto child = apply_in_child(caps, 1000);
  ASSERT_TRUE(child.reported && child.exited_ok());
  ASSERT_EQ(child.error(), "");
  EXPECT_EQ(child[kBnd], static_cast<int64_t>(kKill));
  EXPECT_EQ(child[kEff], 0);
  EXPECT_EQ(child[kPrm], 0);
  EXPECT_EQ(child[kInh], 0);
  EXPECT_EQ(child[kAmb], 0);
}

TEST(ApplyCapabilities, RootGetsExactlyTheConfiguredSets) {
  REQUIRE_ROOT();
  oci::Capabilities caps;
  caps.bounding = {"CAP_CHOWN", "CAP_KILL"};
  caps.effective = {"CAP_CHOWN"};
  caps.permitted = {"CAP_CHOWN", "CAP_KILL"};
  auto child = apply_in_child(caps, 0);
  ASSERT_TRUE(child.reported && child.exited_ok());
  ASSERT_EQ(child.error(), "");
  EXPECT_EQ(child[kUid], 0);
  EXPECT_EQ(child[kBnd], static_cast<int64_t>(kChown | kKill));
  EXPECT_EQ(child[kEff], static_cast<int64_t>(kChown));
  EXPECT_EQ(child[kPrm], static_cast<int64_t>(kChown | kKill));
  EXPECT_EQ(child[kInh], 0);
  EXPECT_EQ(child[kAmb], 0);
  EXPECT_EQ(child[kKeepCaps], 0);
}

TEST(ApplyCapabilities, AmbientOutsideInheritableIsLeftOut) {
  REQUIRE_ROOT();
  oci::Capabilities caps;
  caps.bounding = {"CAP_KILL", "CAP_CHOWN"};
  caps.permitted = {"CAP_KILL", "CAP_CHOWN"};
  caps.inheritable = {"CAP_KILL"};
  caps.ambient = {"CAP_KILL", "CAP_CHOWN"};
  auto child = apply_in_child(caps, 1000);
  ASSERT_TRUE(child.reported && child.exited_ok());
  ASSERT_EQ(child.error(), "");
  EXPECT_EQ(child[kAmb], static_cast<int64_t>(kKill));
}

TEST(ApplyCapabilities, InheritableOutsideBoundingFailsWithErrno) {
  REQUIRE_ROOT();
  oci::Capabilities caps;
  caps.bounding = {"CAP_KILL"};
  caps.inheritable = {"CAP_CHOWN"};
  auto child = apply_in_child(caps, 1000);
  ASSERT_TRUE(child.reported && child.exited_ok());
  EXPECT_EQ(child.error(),
            "capabilities: set effective, permitted and inheritable sets: Operation not permitted");
}

TEST(CapabilityName, UsesTheSpecSpelling) {
  EXPECT_EQ(capability_name(0), "CAP_CHOWN");
  EXPECT_EQ(capability_name(21), "CAP_SYS_ADMIN");
}

}  // namespace
}  // namespace keel::runtime::security
