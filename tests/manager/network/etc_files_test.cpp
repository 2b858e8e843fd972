// The per-container resolver and hosts files.
#include "manager/network/etc_files.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace keel::manager::network {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ContainerResolvConf, DropsLoopbackNameserversKeepsTheRest) {
  const std::string out = container_resolv_conf(
      "# generated\nnameserver 127.0.0.53\nnameserver 10.1.2.3\nnameserver ::1\n"
      "search corp.example\noptions edns0\n");
  EXPECT_EQ(out, "# generated\nnameserver 10.1.2.3\nsearch corp.example\noptions edns0\n");
}

TEST(ContainerResolvConf, FallsBackToPublicServersWhenOnlyLoopbackWasThere) {
  const std::string out = container_resolv_conf("nameserver 127.0.0.53\nsearch lan\n");
  EXPECT_THAT(out, HasSubstr("nameserver 8.8.8.8\n"));
  EXPECT_THAT(out, HasSubstr("search lan\n"));
  EXPECT_THAT(out, Not(HasSubstr("127.0.0.53")));
}

TEST(NetworkResolvConf, TheNetworksServerReplacesEveryHostNameserver) {
  const std::string out = network_resolv_conf(
      "nameserver 127.0.0.53\nnameserver 10.1.2.3\nsearch corp.example\noptions edns0\n",
      "10.88.0.1");
  EXPECT_EQ(out, "nameserver 10.88.0.1\nsearch corp.example\noptions edns0\n");
}

TEST(NetworkResolvConf, AnEmptyHostFileStillGivesTheServer) {
  EXPECT_EQ(network_resolv_conf("", "172.31.0.1"), "nameserver 172.31.0.1\n");
}

TEST(HostsFile, HasLocalhostAndTheContainersOwnName) {
  const std::string out = hosts_file({{"172.30.0.5", {"abcdef012345", "web"}}});
  EXPECT_THAT(out, HasSubstr("127.0.0.1\tlocalhost\n"));
  EXPECT_THAT(out, HasSubstr("172.30.0.5\tabcdef012345 web\n"));
}

}  // namespace
}  // namespace keel::manager::network
