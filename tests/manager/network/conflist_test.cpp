// The configuration lists keeld generates: dnsname on user networks only, no route out for a
// network a container joins as its second interface, portmap and tuning only when a container
// needs them, and no per-container masquerade or firewall plugin (the network's own rules).
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

TEST(Conflist, TheDefaultNetworkResolvesNoNames) {
  EXPECT_THAT(plugin_types(make_conflist(network_named("bridge"), "/ipam")),
              ::testing::ElementsAre("bridge", "portmap", "tuning"));
}

TEST(Conflist, AUserNetworkEndsWithDnsnameTakingAliases) {
  const auto list = make_conflist(network_named("appnet"), "/ipam");
  EXPECT_THAT(plugin_types(list), ::testing::ElementsAre("bridge", "portmap", "tuning", "dnsname"));
  const auto& dnsname = list["plugins"].back();
  EXPECT_EQ(dnsname["domainName"], kDnsDomain);
  EXPECT_EQ(dnsname["capabilities"]["aliases"], true);
}

TEST(Conflist, IpsGoToTheBridgeAndMacToTuning) {
  const auto list = make_conflist(network_named("appnet"), "/ipam");
  EXPECT_EQ(list["plugins"][0]["capabilities"]["ips"], true);
  EXPECT_EQ(list["plugins"][2]["type"], "tuning");
  EXPECT_EQ(list["plugins"][2]["capabilities"]["mac"], true);
}

TEST(Conflist, ASecondInterfaceGetsNoDefaultRoute) {
  const auto first = make_conflist(network_named("appnet"), "/ipam");
  EXPECT_EQ(first["plugins"][0]["ipam"]["routes"],
            nlohmann::json::parse(R"([{"dst":"0.0.0.0/0"}])"));
  const auto second =
      make_conflist(network_named("appnet"), "/ipam", ChainNeeds{.default_route = false});
  EXPECT_TRUE(second["plugins"][0]["ipam"]["routes"].empty());
}

TEST(Conflist, AContainerWithoutPortsOrMacRunsNeitherPortmapNorTuning) {
  const auto plain =
      make_conflist(network_named("bridge"), "/ipam", ChainNeeds{.ports = false, .mac = false});
  EXPECT_THAT(plugin_types(plain), ::testing::ElementsAre("bridge"));
  const auto published =
      make_conflist(network_named("appnet"), "/ipam", ChainNeeds{.ports = true, .mac = false});
  EXPECT_THAT(plugin_types(published), ::testing::ElementsAre("bridge", "portmap", "dnsname"));
}

TEST(Conflist, TheBridgePluginMasqueradesNothingItself) {
  EXPECT_EQ(make_conflist(network_named("bridge"), "/ipam")["plugins"][0]["ipMasq"], false);
}

TEST(Conflist, ADelRunsOnlyThePluginsTheAddRan) {
  const auto whole = make_conflist(network_named("appnet"), "/ipam");
  const auto del = only_plugins(whole, {"bridge", "dnsname"});
  EXPECT_THAT(plugin_types(del), ::testing::ElementsAre("bridge", "dnsname"));
  EXPECT_EQ(del["plugins"][1], whole["plugins"].back());
  EXPECT_EQ(del["name"], "appnet");
}

}  // namespace
}  // namespace keel::manager::network
