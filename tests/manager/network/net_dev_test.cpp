// /proc/net/dev parsing: the counters docker stats reports per interface, lo left out.
#include "manager/network/net_dev.h"

#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace keel::manager::network {
namespace {

using ::testing::HasSubstr;

// As a container on a bridge shows it (kernel 6.x): lo, then its veth end.
constexpr std::string_view kContainerNetDev =
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
    "drop fifo colls carrier compressed\n"
    "    lo:     840      10    0    0    0     0          0         0      840      10    0 "
    "   0    0     0       0          0\n"
    "  eth0:   12866     104    1    2    0     0          0         0     6480      51    3 "
    "   4    0     0       0          0\n";

TEST(ParseNetDev, ReadsEachInterfaceButLo) {
  auto rows = parse_net_dev(kContainerNetDev);
  ASSERT_TRUE(rows) << rows.error().message();
  ASSERT_EQ(rows->size(), 1U);
  EXPECT_EQ((*rows)[0], (InterfaceCounters{"eth0", 12866, 104, 1, 2, 6480, 51, 3, 4}));
}

TEST(ParseNetDev, KeepsTheKernelsOrderOfSeveralInterfaces) {
  const std::string text = std::string(kContainerNetDev) +
                           "  eth1: 18446744073709551615 7 0 0 0 0 0 0 9 1 0 0 0 0 0 0\n";
  auto rows = parse_net_dev(text);
  ASSERT_TRUE(rows) << rows.error().message();
  ASSERT_EQ(rows->size(), 2U);
  EXPECT_EQ((*rows)[1].name, "eth1");
  EXPECT_EQ((*rows)[1].rx_bytes, 18446744073709551615ULL);
  EXPECT_EQ((*rows)[1].tx_bytes, 9U);
  EXPECT_EQ((*rows)[1].tx_packets, 1U);
}

TEST(ParseNetDev, NameGluedToItsFirstCounter) {
  // Long counters leave no blank after the colon.
  auto rows = parse_net_dev("h1\nh2\nveth1234abcd:1234567890 5 0 0 0 0 0 0 2 1 0 0 0 0 0 0\n");
  ASSERT_TRUE(rows) << rows.error().message();
  ASSERT_EQ(rows->size(), 1U);
  EXPECT_EQ((*rows)[0].name, "veth1234abcd");
  EXPECT_EQ((*rows)[0].rx_bytes, 1234567890U);
}

TEST(ParseNetDev, OnlyLoIsNoInterfaces) {
  // --network none: the namespace has lo alone.
  auto rows = parse_net_dev(
      "h1\nh2\n    lo:       0       0    0    0    0     0          0         0        0       "
      "0    0    0    0     0       0          0\n");
  ASSERT_TRUE(rows) << rows.error().message();
  EXPECT_TRUE(rows->empty());
}

TEST(ParseNetDev, RefusesARowWithoutColonOrCounters) {
  auto no_colon = parse_net_dev("h1\nh2\neth0 1 2 3\n");
  ASSERT_FALSE(no_colon);
  EXPECT_EQ(no_colon.error().kind(), Errc::kInvalidArgument);
  EXPECT_THAT(no_colon.error().message(), HasSubstr("without a colon"));
  auto short_row = parse_net_dev("h1\nh2\neth0: 1 2 3\n");
  ASSERT_FALSE(short_row);
  EXPECT_THAT(short_row.error().message(), HasSubstr("eth0 without its 16 counters"));
}

TEST(ReadNetDev, ReadsThisProcesssNamespace) {
  auto rows = read_net_dev(static_cast<int>(::getpid()));
  ASSERT_TRUE(rows) << rows.error().message();
  for (const auto& row : *rows)
    EXPECT_NE(row.name, "lo");
}

TEST(ReadNetDev, AGonePidIsNotFound) {
  auto rows = read_net_dev(0x3fffffff);
  ASSERT_FALSE(rows);
  EXPECT_EQ(rows.error().kind(), Errc::kNotFound);
}

}  // namespace
}  // namespace keel::manager::network
