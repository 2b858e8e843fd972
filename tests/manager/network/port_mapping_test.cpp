// -p parsing: docker's forms, ranges, and the refusals in docker's words.
#include "manager/network/port_mapping.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace keel::manager::network {
namespace {

using ::testing::HasSubstr;

TEST(ParsePublish, ContainerPortOnlyPicksAHostPortLater) {
  auto ports = parse_publish("80");
  ASSERT_TRUE(ports) << ports.error().message();
  ASSERT_EQ(ports->size(), 1U);
  EXPECT_EQ((*ports)[0], (PortMapping{"", 0, 80, "tcp"}));
}

TEST(ParsePublish, HostIpHostPortContainerPortAndProtocol) {
  auto ports = parse_publish("127.0.0.1:8080:80/udp");
  ASSERT_TRUE(ports) << ports.error().message();
  ASSERT_EQ(ports->size(), 1U);
  EXPECT_EQ((*ports)[0], (PortMapping{"127.0.0.1", 8080, 80, "udp"}));
  EXPECT_EQ(ports_text(*ports), "127.0.0.1:8080->80/udp");
}

TEST(ParsePublish, HostIpWithoutHostPort) {
  auto ports = parse_publish("127.0.0.1::80");
  ASSERT_TRUE(ports) << ports.error().message();
  EXPECT_EQ((*ports)[0], (PortMapping{"127.0.0.1", 0, 80, "tcp"}));
}

TEST(ParsePublish, RangesMapPortByPort) {
  auto ports = parse_publish("8000-8002:80-82");
  ASSERT_TRUE(ports) << ports.error().message();
  ASSERT_EQ(ports->size(), 3U);
  EXPECT_EQ((*ports)[2], (PortMapping{"", 8002, 82, "tcp"}));
  EXPECT_EQ(ports_text(*ports), "0.0.0.0:8000->80/tcp, 0.0.0.0:8001->81/tcp, 0.0.0.0:8002->82/tcp");
}

TEST(ParsePublish, RefusesBadInput) {
  EXPECT_THAT(parse_publish("8000-8001:80").error().message(),
              HasSubstr("Invalid ranges specified for container and host Ports"));
  EXPECT_THAT(parse_publish("80/icmp").error().message(), HasSubstr("invalid proto: icmp"));
  EXPECT_THAT(parse_publish("70000").error().message(), HasSubstr("invalid port \"70000\""));
  EXPECT_THAT(parse_publish("1.2.3:80:80").error().message(),
              HasSubstr("invalid IP address: 1.2.3"));
  EXPECT_THAT(parse_publish("8080:").error().message(), HasSubstr("no port specified"));
  EXPECT_THAT(parse_publish("0").error().message(), HasSubstr("invalid containerPort: 0"));
  EXPECT_EQ(parse_publish("x:80").error().kind(), Errc::kInvalidArgument);
}

TEST(PortMappingJson, RoundTrips) {
  const PortMapping in{"127.0.0.1", 8080, 80, "tcp"};
  auto out = port_mapping_from_json(to_json(in));
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, in);
}

}  // namespace
}  // namespace keel::manager::network
