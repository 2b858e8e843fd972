// The configuration lists keeld generates: dnsname on user networks only, and no route out for
// a network a container joins as its second interface.
#include "manager/network/conflist.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace keel::manager::network {
namespace {

Network network_named(const std::string& name) {
  return Network{.id = std::string(64, 'a'),
                 .name = name,
                 .driver = "bridge",
                 .subnet = "10.77.0.0/24",
                 .gateway = "10.77.0.1",
                 .bridge = "br-aaaaaaaaaaaa",
                 .internal = false,
                 .labels = {},
                 .created_ns = 0};
}

std::vector<std::string> plugin_types(const nlohmann::json& list) {
  std::vector<std::string> types;
  for (const auto& plugin : list["plugins"])
    types.push_back(plugin["type"]);
  return types;
}

TEST(Conflist, TheDefaultNetworkResolvesNoNames) {
  EXPECT_THAT(plugin_types(make_conflist(network_named("bridge"), "/ipam")),
              ::testing::ElementsAre("bridge", "portmap", "firewall", "tuning"));
}

TEST(Conflist, AUserNetworkEndsWithDnsnameTakingAliases) {
  const auto list = make_conflist(network_named("appnet"), "/ipam");
  EXPECT_THAT(plugin_types(list),
              ::testing::ElementsAre("bridge", "portmap", "firewall", "tuning", "dnsname"));
  const auto& dnsname = list["plugins"].back();
  EXPECT_EQ(dnsname["domainName"], kDnsDomain);
  EXPECT_EQ(dnsname["capabilities"]["aliases"], true);
}

TEST(Conflist, IpsGoToTheBridgeAndMacToTuning) {
  const auto list = make_conflist(network_named("appnet"), "/ipam");
  EXPECT_EQ(list["plugins"][0]["capabilities"]["ips"], true);
  EXPECT_EQ(list["plugins"][3]["type"], "tuning");
  EXPECT_EQ(list["plugins"][3]["capabilities"]["mac"], true);
}

TEST(Conflist, ASecondInterfaceGetsNoDefaultRoute) {
  const auto first = make_conflist(network_named("appnet"), "/ipam");
  EXPECT_EQ(first["plugins"][0]["ipam"]["routes"],
            nlohmann::json::parse(R"([{"dst":"0.0.0.0/0"}])"));
  const auto second = make_conflist(network_named("appnet"), "/ipam", /*default_route=*/false);
  EXPECT_TRUE(second["plugins"][0]["ipam"]["routes"].empty());
}

}  // namespace
}  // namespace keel::manager::network
