// Subnets: parsing, containment and the overlap rule network create enforces.
#include "manager/network/ipv4_net.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace keel::manager::network {
namespace {

using ::testing::HasSubstr;

Ipv4Net net(const char* text) {
  auto parsed = parse_subnet(text);
  EXPECT_TRUE(parsed) << text << ": " << parsed.error().message();
  return parsed ? *parsed : Ipv4Net{};
}

TEST(ParseSubnet, ReadsCidr) {
  const Ipv4Net n = net("172.30.0.0/16");
  EXPECT_EQ(n.prefix, 16);
  EXPECT_EQ(n.str(), "172.30.0.0/16");
  EXPECT_EQ(ipv4_to_string(n.host(1)), "172.30.0.1");
  EXPECT_TRUE(n.contains(*parse_ipv4("172.30.255.254")));
  EXPECT_FALSE(n.contains(*parse_ipv4("172.31.0.1")));
}

TEST(ParseSubnet, RefusesBadCidrs) {
  EXPECT_THAT(parse_subnet("10.0.0.0").error().message(), HasSubstr("invalid CIDR address"));
  EXPECT_THAT(parse_subnet("10.0.0.0/33").error().message(), HasSubstr("invalid CIDR address"));
  EXPECT_THAT(parse_subnet("300.0.0.0/8").error().message(), HasSubstr("invalid CIDR address"));
  EXPECT_THAT(parse_subnet("10.0.0.0/x").error().message(), HasSubstr("invalid CIDR address"));
  EXPECT_THAT(parse_subnet("10.0.0.1/8").error().message(), HasSubstr("host bits set"));
  EXPECT_THAT(parse_subnet("10.0.0.0/31").error().message(), HasSubstr("too small"));
}

TEST(Ipv4NetOverlaps, WhenEitherContainsTheOther) {
  EXPECT_TRUE(net("10.0.0.0/8").overlaps(net("10.1.0.0/16")));
  EXPECT_TRUE(net("10.1.0.0/16").overlaps(net("10.0.0.0/8")));
  EXPECT_TRUE(net("10.1.2.0/24").overlaps(net("10.1.2.0/24")));
  EXPECT_FALSE(net("10.1.0.0/16").overlaps(net("10.2.0.0/16")));
  EXPECT_FALSE(net("172.30.0.0/16").overlaps(net("172.31.0.0/16")));
}

TEST(HostRoutes, LeavesOutTheDefaultRoute) {
  for (const auto& route : host_routes())
    EXPECT_GT(route.prefix, 0) << route.str();
}

// A bridge of the test's own with a /24 on it: its route is there, except through it.
TEST(HostRoutes, LeavesOutTheRoutesThroughTheInterfaceAskedFor) {
  if (::geteuid() != 0)
    GTEST_SKIP() << "needs root to add a link";
  const std::string link = "kt-routes-" + std::to_string(::getpid() % 100000);
  const auto ip = [](const std::string& args) { return std::system(("ip " + args).c_str()); };
  if (ip("link add " + link + " type bridge 2>/dev/null") != 0)
    GTEST_SKIP() << "no bridge links here";
  struct RemoveLink {
    std::string name;
    ~RemoveLink() { (void)std::system(("ip link del " + name + " 2>/dev/null").c_str()); }
  } remove{link};
  ASSERT_EQ(ip("addr add 10.251.77.1/24 dev " + link), 0);
  ASSERT_EQ(ip("link set " + link + " up"), 0);
  const Ipv4Net mine = net("10.251.77.0/24");
  const auto has_mine = [&](const std::vector<Ipv4Net>& routes) {
    return std::any_of(routes.begin(), routes.end(), [&](const Ipv4Net& r) {
      return r.address == mine.address && r.prefix == mine.prefix;
    });
  };
  EXPECT_TRUE(has_mine(host_routes()));
  EXPECT_TRUE(has_mine(host_routes("lo")));
  EXPECT_FALSE(has_mine(host_routes(link)));
}

}  // namespace
}  // namespace keel::manager::network
