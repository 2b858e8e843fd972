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

// Without a network namespace of its own the key would be the host's: refused, host untouched.
TEST(Sysctl, NetKeyWithoutNetworkNamespaceIsRefused) {
  KEEL_SKIP_UNLESS_ROOT();
  if (!is_keel())
    GTEST_SKIP() << "runc words it its own way";
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  const std::string host_before = read_text("/proc/sys/net/ipv4/conf/lo/forwarding");
  bundle.drop_namespace("network");
  bundle.config["linux"]["sysctl"] = {
      {"net.ipv4.conf.lo.forwarding", host_before == "1\n" ? "0" : "1"}};
  bundle.write();
  const RunResult r = run_runtime(bundle, {"create", bundle.id});
  expect_error_line(r, "linux.sysctl \"net.ipv4.conf.lo.forwarding\": needs a network namespace");
  EXPECT_EQ(read_text("/proc/sys/net/ipv4/conf/lo/forwarding"), host_before);
  EXPECT_TRUE(std::filesystem::is_empty(bundle.root)) << "state left in the root";
  leaks.expect_none();
}

TEST(Sysctl, KeyOfNoNamespaceIsRefused) {
  KEEL_SKIP_UNLESS_ROOT();
  if (!is_keel())
    GTEST_SKIP() << "runc words it its own way";
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.config["linux"]["sysctl"] = {{"vm.swappiness", "10"}};
  bundle.write();
  const RunResult r = run_runtime(bundle, {"create", bundle.id});
  expect_error_line(r, "linux.sysctl \"vm.swappiness\": not namespaced");
  leaks.expect_none();
}

}  // namespace
}  // namespace keel::fixtures
