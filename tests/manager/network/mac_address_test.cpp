// --mac-address's forms.
#include "manager/network/mac_address.h"

#include <gtest/gtest.h>

namespace keel::manager::network {
namespace {

TEST(MacAddress, ColonAndDashFormsNormalized) {
  auto colon = parse_mac_address("02:42:AC:11:00:02");
  ASSERT_TRUE(colon);
  EXPECT_EQ(*colon, "02:42:ac:11:00:02");
  auto dash = parse_mac_address("02-42-ac-11-00-02");
  ASSERT_TRUE(dash);
  EXPECT_EQ(*dash, "02:42:ac:11:00:02");
}

TEST(MacAddress, Refused) {
  auto bad = parse_mac_address("02:42:ac:11:00");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "02:42:ac:11:00 is not a valid mac address");
  EXPECT_FALSE(parse_mac_address("02:42:ac:11:00:0g"));
  EXPECT_FALSE(parse_mac_address("02:42-ac:11:00:02"));
  EXPECT_FALSE(parse_mac_address("0242ac110002"));
  // A multicast address: the low bit of the first byte.
  EXPECT_FALSE(parse_mac_address("01:00:5e:00:00:01"));
}

}  // namespace
}  // namespace keel::manager::network
