// Subnets: parsing, containment and the overlap rule network create enforces.
#include "manager/network/ipv4_net.h"

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

}  // namespace
}  // namespace keel::manager::network
