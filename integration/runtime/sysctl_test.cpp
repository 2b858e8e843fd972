// Pins `linux.sysctl`: each key is written in the container's namespaces and reads back inside.
#include <gtest/gtest.h>

#include "integration/fixtures/fixtures.h"

namespace keel::fixtures {
namespace {

TEST(Sysctl, AppliesNetKeyInNewNetworkNamespace) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  // A fresh network namespace starts with forwarding off, whatever the host has.
  bundle.config["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}};
  const RunResult run = run_script(bundle, "cat /proc/sys/net/ipv4/ip_forward");
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(run.out, "1\n") << run;
  leaks.expect_none();
}

TEST(Sysctl, AppliesKernelKeyInNewIpcNamespace) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.config["linux"]["sysctl"] = {{"kernel.shmmax", "4096000"}};
  const RunResult run = run_script(bundle, "cat /proc/sys/kernel/shmmax");
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(run.out, "4096000\n") << run;
  leaks.expect_none();
}

}  // namespace
}  // namespace keel::fixtures
