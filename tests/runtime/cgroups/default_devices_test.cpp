// Pins effective_resources: the defaults follow the config's rules, a denied default stays denied
// and a default the config already allows is not written twice.
#include "runtime/cgroups/default_devices.h"

#include <gtest/gtest.h>

namespace keel::runtime::cgroups {
namespace {

oci::DeviceCgroup rule(bool allow, std::optional<std::string> type, std::optional<int64_t> major,
                       std::optional<int64_t> minor, std::string access) {
  return oci::DeviceCgroup{allow, std::move(type), std::move(access), major, minor};
}

oci::RuntimeConfig config_with(std::vector<oci::DeviceCgroup> devices) {
  oci::RuntimeConfig config;
  config.linux.emplace();
  config.linux->resources.emplace();
  config.linux->resources->devices = std::move(devices);
  return config;
}

// The rules runc (and keel) add after the config's, in their order.
std::vector<oci::DeviceCgroup> defaults() {
  std::vector<oci::DeviceCgroup> d = {rule(true, "c", std::nullopt, std::nullopt, "m"),
                                      rule(true, "b", std::nullopt, std::nullopt, "m")};
  for (auto [major, minor] :
       {std::pair{1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9}, {5, 0}, {5, 2}, {10, 200}})
    d.push_back(rule(true, "c", major, minor, "rwm"));
  d.push_back(rule(true, "c", 136, std::nullopt, "rwm"));
  return d;
}

TEST(DefaultDevices, DenyAllGetsEveryDefaultAfterIt) {
  const auto deny_all = rule(false, std::nullopt, std::nullopt, std::nullopt, "rwm");
  auto expected = defaults();
  expected.insert(expected.begin(), deny_all);
  EXPECT_EQ(effective_resources(config_with({deny_all})).devices, expected);
}

TEST(DefaultDevices, DefaultsTheConfigAllowsAfterItsDenyAreNotRepeated) {
  // docker's and keeld's list: deny all, then the defaults (in another order).
  std::vector<oci::DeviceCgroup> configured = {
      rule(false, std::nullopt, std::nullopt, std::nullopt, "rwm")};
  auto d = defaults();
  configured.insert(configured.end(), d.rbegin(), d.rend());
  EXPECT_EQ(effective_resources(config_with(configured)).devices, configured);
}

TEST(DefaultDevices, AnAllowBeforeALaterDenyIsRepeated) {
  // The deny of every char device after it undoes the config's allow of /dev/null: the default
  // must come again after the deny.
  const std::vector<oci::DeviceCgroup> configured = {
      rule(true, "c", 1, 3, "rwm"), rule(false, "c", std::nullopt, std::nullopt, "rwm")};
  const auto devices = effective_resources(config_with(configured)).devices;
  ASSERT_EQ(devices.size(), configured.size() + defaults().size());
  EXPECT_EQ(devices[2 + 2], rule(true, "c", 1, 3, "rwm"));
}

TEST(DefaultDevices, AnAllowWithOtherAccessIsNotTheDefault) {
  const std::vector<oci::DeviceCgroup> configured = {
      rule(false, std::nullopt, std::nullopt, std::nullopt, "rwm"), rule(true, "c", 1, 3, "r")};
  const auto devices = effective_resources(config_with(configured)).devices;
  EXPECT_EQ(devices.size(), configured.size() + defaults().size());
}

TEST(DefaultDevices, ADefaultTheConfigDeniesStaysDenied) {
  const std::vector<oci::DeviceCgroup> configured = {rule(false, "c", 1, 8, "rwm")};
  const auto devices = effective_resources(config_with(configured)).devices;
  EXPECT_EQ(devices.size(), configured.size() + defaults().size() - 1);
  for (size_t i = 1; i < devices.size(); ++i)
    EXPECT_FALSE(devices[i].major == 1 && devices[i].minor == 8);
}

}  // namespace
}  // namespace keel::runtime::cgroups
