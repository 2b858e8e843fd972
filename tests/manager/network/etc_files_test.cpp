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
      {"10.88.0.1"});
  EXPECT_EQ(out, "nameserver 10.88.0.1\nsearch corp.example\noptions edns0\n");
}

TEST(NetworkResolvConf, AnEmptyHostFileStillGivesTheServer) {
  EXPECT_EQ(network_resolv_conf("", {"172.31.0.1"}), "nameserver 172.31.0.1\n");
}

TEST(NetworkResolvConf, SeveralServersInOrderWithoutRepeats) {
  EXPECT_EQ(network_resolv_conf("search lan\n", {"10.88.0.1", "10.89.0.1", "10.88.0.1"}),
            "nameserver 10.88.0.1\nnameserver 10.89.0.1\nsearch lan\n");
}

TEST(HostsFile, HasLocalhostAndTheContainersOwnName) {
  const std::string out = hosts_file({{"172.30.0.5", {"abcdef012345", "web"}}});
  EXPECT_THAT(out, HasSubstr("127.0.0.1\tlocalhost\n"));
  EXPECT_THAT(out, HasSubstr("172.30.0.5\tabcdef012345 web\n"));
}

DnsOverrides dns_servers(std::vector<std::string> values) {
  DnsOverrides dns;
  dns.servers = std::move(values);
  return dns;
}

DnsOverrides dns_search(std::vector<std::string> values) {
  DnsOverrides dns;
  dns.search = std::move(values);
  return dns;
}

DnsOverrides dns_options(std::vector<std::string> values) {
  DnsOverrides dns;
  dns.options = std::move(values);
  return dns;
}

TEST(DnsOverrides, EachReplacesTheLinesOfItsKind) {
  const std::string base = "# generated\nnameserver 10.1.2.3\nsearch corp.example\noptions edns0\n";
  EXPECT_EQ(apply_dns_overrides(base, dns_servers({"9.9.9.9", "1.1.1.1"})),
            "nameserver 9.9.9.9\nnameserver 1.1.1.1\n# generated\nsearch corp.example\n"
            "options edns0\n");
  EXPECT_EQ(apply_dns_overrides(base, dns_search({"a.example", "b.example"})),
            "search a.example b.example\n# generated\nnameserver 10.1.2.3\noptions edns0\n");
  EXPECT_EQ(apply_dns_overrides(base, dns_options({"ndots:3", "timeout:1"})),
            "options ndots:3 timeout:1\n# generated\nnameserver 10.1.2.3\n"
            "search corp.example\n");
}

TEST(DnsOverrides, NoneLeavesTheFileAlone) {
  EXPECT_EQ(apply_dns_overrides("nameserver 10.1.2.3\nsearch lan\n", {}),
            "nameserver 10.1.2.3\nsearch lan\n");
}

TEST(DnsOverrides, ADotSearchDropsTheHostsDomains) {
  EXPECT_EQ(apply_dns_overrides("nameserver 10.1.2.3\nsearch lan\n", dns_search({"."})),
            "nameserver 10.1.2.3\n");
}

TEST(ResolvConfFor, WithoutANetworkServerTheOverridesReplaceTheHostsLines) {
  const std::string host = "nameserver 127.0.0.53\nnameserver 10.1.2.3\nsearch lan\n";
  EXPECT_EQ(resolv_conf_for(host, {}, {}), "nameserver 10.1.2.3\nsearch lan\n");
  EXPECT_EQ(resolv_conf_for(host, {}, dns_servers({"10.0.0.53"})),
            "nameserver 10.0.0.53\nsearch lan\n");
}

TEST(ResolvConfFor, DnsServersComeAfterTheNetworksServer) {
  // The network's dnsmasq keeps answering the names of its containers; --dns is asked after it.
  EXPECT_EQ(resolv_conf_for("nameserver 10.1.2.3\nsearch lan\n", {"172.31.0.1"},
                            dns_servers({"10.0.0.53", "10.0.0.54"})),
            "nameserver 172.31.0.1\nnameserver 10.0.0.53\nnameserver 10.0.0.54\nsearch lan\n");
}

TEST(ResolvConfFor, SearchAndOptionsStillReplaceTheirLinesOnANetwork) {
  DnsOverrides dns = dns_search({"corp.example"});
  dns.options = {"ndots:2"};
  EXPECT_EQ(resolv_conf_for("nameserver 10.1.2.3\nsearch lan\noptions edns0\n",
                            {"172.31.0.1", "172.32.0.1"}, dns),
            "nameserver 172.31.0.1\nnameserver 172.32.0.1\nsearch corp.example\n"
            "options ndots:2\n");
}

TEST(DnsOverrides, Validation) {
  EXPECT_TRUE(validate_dns_overrides({.servers = {"10.0.0.53", "2001:db8::1"},
                                      .search = {"corp.example"},
                                      .options = {"ndots:2"}}));
  auto bad = validate_dns_overrides(dns_servers({"10.0.0"}));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(),
            "invalid argument \"10.0.0\" for \"--dns\" flag: not an IP address");
  EXPECT_FALSE(validate_dns_overrides(dns_search({"a b"})));
  EXPECT_FALSE(validate_dns_overrides(dns_options({""})));
}

TEST(ExtraHost, NameAndAddress) {
  auto v4 = parse_extra_host("db:10.1.2.3");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->address, "10.1.2.3");
  EXPECT_EQ(v4->names, std::vector<std::string>{"db"});
  // The first colon splits, so an IPv6 address keeps its own.
  auto v6 = parse_extra_host("v6:2001:db8::1");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->address, "2001:db8::1");
  auto bracketed = parse_extra_host("v6:[::1]");
  ASSERT_TRUE(bracketed);
  EXPECT_EQ(bracketed->address, "::1");
  auto gateway = parse_extra_host("gw:host-gateway");
  ASSERT_TRUE(gateway);
  EXPECT_EQ(gateway->address, kHostGateway);
}

TEST(ExtraHost, Refused) {
  auto no_colon = parse_extra_host("db");
  ASSERT_FALSE(no_colon);
  EXPECT_EQ(no_colon.error().message(),
            "invalid argument \"db\" for \"--add-host\" flag: not in the form NAME:IP");
  EXPECT_FALSE(parse_extra_host(":10.1.2.3"));
  EXPECT_FALSE(parse_extra_host("db:10.1.2"));
  EXPECT_FALSE(parse_extra_host("db:"));
}

TEST(ExtraHost, AppendedToTheHostsFile) {
  const std::string out = hosts_file({{"172.30.0.5", {"abc"}}, {"10.1.2.3", {"db"}}});
  EXPECT_THAT(out, HasSubstr("172.30.0.5\tabc\n10.1.2.3\tdb\n"));
}

}  // namespace
}  // namespace keel::manager::network
