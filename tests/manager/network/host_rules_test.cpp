// A network's own iptables rules (host_rules.h) against the host's real iptables: added once
// however often keeld starts, each tagged with the network's bridge, and all removed with the
// network. Root only; each test's bridge name is its own, so tests run side by side.
#include "manager/network/host_rules.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/process_run.h"

namespace keel::manager::network {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class HostRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0)
      GTEST_SKIP() << "needs root";
    if (::access("/usr/sbin/iptables", X_OK) != 0)
      GTEST_SKIP() << "needs iptables";
    std::random_device random;
    const unsigned n = random() % 100000;
    network_ = Network{.id = std::string(64, 'b'),
                       .name = "rules-" + std::to_string(n),
                       .driver = "bridge",
                       .subnet = "10.196." + std::to_string(n % 256) + ".0/24",
                       .gateway = "10.196." + std::to_string(n % 256) + ".1",
                       .bridge = "khr-" + std::to_string(n),
                       .internal = false,
                       .labels = {},
                       .created_ns = 0};
  }
  void TearDown() override {
    if (!network_.bridge.empty())
      (void)remove_host_rules(network_);
  }

  // The lines of iptables-save (both tables) that carry the network's comment.
  std::vector<std::string> tagged_lines() const {
    std::vector<std::string> lines;
    for (const char* table : {"filter", "nat"}) {
      auto out = run_process({"/usr/sbin/iptables-save", "-t", table},
                             {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, "", std::chrono::seconds(30));
      EXPECT_TRUE(out) << out.error().message();
      if (!out)
        continue;
      std::istringstream in(out->out);
      for (std::string line; std::getline(in, line);)
        // iptables-save quotes the comment.
        if (line.find("--comment \"" + host_rules_comment(network_) + "\"") != std::string::npos)
          lines.push_back(std::string(table) + " " + line);
    }
    return lines;
  }

  Network network_;
};

TEST_F(HostRulesTest, ANetworkMasqueradesItsSubnetAndForwardsItsBridge) {
  ASSERT_TRUE(install_host_rules(network_));
  const auto lines = tagged_lines();
  ASSERT_EQ(lines.size(), 4U) << ::testing::PrintToString(lines);
  const auto has = [&](const std::string& table, const std::string& part) {
    return std::any_of(lines.begin(), lines.end(), [&](const std::string& line) {
      return line.starts_with(table + " ") && line.find(part) != std::string::npos;
    });
  };
  EXPECT_TRUE(has("nat", "-A POSTROUTING -s " + network_.subnet + " ! -o " + network_.bridge));
  EXPECT_TRUE(has("nat", "-j MASQUERADE"));
  EXPECT_TRUE(has("filter", "-A FORWARD -i " + network_.bridge));
  EXPECT_TRUE(has("filter", "--ctstate RELATED,ESTABLISHED"));
  EXPECT_TRUE(has("filter", "--ctstate DNAT"));
}

TEST_F(HostRulesTest, InstallingAgainAddsNothing) {
  ASSERT_TRUE(install_host_rules(network_));
  ASSERT_TRUE(install_host_rules(network_));
  EXPECT_EQ(tagged_lines().size(), 4U);
}

TEST_F(HostRulesTest, RemoveTakesEveryRuleAndIsHarmlessTwice) {
  ASSERT_TRUE(install_host_rules(network_));
  ASSERT_TRUE(remove_host_rules(network_));
  EXPECT_THAT(tagged_lines(), ::testing::IsEmpty());
  EXPECT_TRUE(remove_host_rules(network_));
}

TEST_F(HostRulesTest, AnInternalNetworkDropsTrafficInAndOutButNotWithin) {
  network_.internal = true;
  ASSERT_TRUE(install_host_rules(network_));
  const auto lines = tagged_lines();
  ASSERT_EQ(lines.size(), 3U) << ::testing::PrintToString(lines);
  for (const auto& line : lines)
    EXPECT_THAT(line, Not(HasSubstr("MASQUERADE")));
  EXPECT_EQ(std::count_if(lines.begin(), lines.end(),
                          [](const std::string& line) { return line.ends_with("-j DROP"); }),
            2);
}

TEST_F(HostRulesTest, ABadSubnetFailsInOneLineAndLeavesNothing) {
  network_.subnet = "not-a-subnet";
  auto installed = install_host_rules(network_);
  ASSERT_FALSE(installed);
  EXPECT_THAT(installed.error().message(), HasSubstr("iptables -t nat -I POSTROUTING"));
  EXPECT_THAT(installed.error().message(), HasSubstr(network_.name));
  EXPECT_EQ(installed.error().message().find('\n'), std::string::npos);
  EXPECT_THAT(tagged_lines(), ::testing::IsEmpty());
}

}  // namespace
}  // namespace keel::manager::network
