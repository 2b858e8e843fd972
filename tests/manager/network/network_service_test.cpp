// NetworkService against the real CNI plugins, without keeld: a namespace attached to a private
// bridge and /24, ports held and refused, and everything undone by detach. Needs root and
// Debian's containernetworking-plugins; skipped otherwise.
#include "manager/network/network_service.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "manager/network/host_link.h"
#include "manager/network/host_rules.h"
#include "manager/network/netns.h"

namespace keel::manager::network {
namespace {

using ::testing::HasSubstr;

class NetworkServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0)
      GTEST_SKIP() << "needs root";
    if (::access("/usr/lib/cni/bridge", X_OK) != 0)
      GTEST_SKIP() << "needs containernetworking-plugins";
    char tmpl[] = "/tmp/keel-net-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    const auto suffix = dir_.filename().string().substr(dir_.filename().string().size() - 6);
    bridge_ = "kut-" + suffix;
    suffix_ = suffix;
    const std::size_t hash = std::hash<std::string>{}(suffix);
    prefix_ = "10.197." + std::to_string(hash % 256) + ".";
    auto db = store::Database::open((dir_ / "metadata.db").string());
    ASSERT_TRUE(db) << db.error().message();
    db_.emplace(std::move(*db));
    auto service = NetworkService::open(NetworkOptions{.root = dir_ / "root",
                                                       .state = dir_ / "state",
                                                       .cni_conf_dir = {},
                                                       .cni_bin_dirs = {"/usr/lib/cni"},
                                                       .default_bridge = bridge_,
                                                       .default_subnet = prefix_ + "0/24"},
                                        *db_);
    ASSERT_TRUE(service) << service.error().message();
    service_ = std::move(*service);
    auto network = service_->get("bridge");
    ASSERT_TRUE(network) << network.error().message();
    default_network_ = *network;
  }

  void TearDown() override {
    // keeld keeps its default network's rules as it keeps its bridge; the test's go with it.
    if (default_network_)
      (void)remove_host_rules(*default_network_);
    service_.reset();
    db_.reset();
    if (!bridge_.empty())
      (void)delete_link(bridge_);
    std::error_code ec;
    if (!dir_.empty())
      std::filesystem::remove_all(dir_, ec);
  }

  // A container id of this test only: the bridge plugin names its iptables chains after the
  // network and the id, and tests run side by side.
  [[nodiscard]] std::string id(const char* name) const { return std::string(name) + "-" + suffix_; }

  [[nodiscard]] std::filesystem::path bridge_path() const {
    return std::filesystem::path("/sys/class/net") / bridge_ / "brif";
  }

  // Whether the bridge has no ports within a few seconds: a stopped container's veth pair goes
  // with its namespace, which the kernel takes down in the background.
  [[nodiscard]] bool bridge_empties() const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!std::filesystem::is_empty(bridge_path())) {
      if (std::chrono::steady_clock::now() > deadline)
        return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  }

  std::filesystem::path dir_;
  std::string bridge_;
  std::string suffix_;
  std::string prefix_;
  std::optional<store::Database> db_;
  std::optional<Network> default_network_;
  std::unique_ptr<NetworkService> service_;
};

TEST_F(NetworkServiceTest, AddressesLeasedToNoKnownContainerGoBackAtStartUp) {
  auto kept = service_->attach(id("kept"), "bridge", {});
  ASSERT_TRUE(kept) << kept.error().message();
  auto orphan = service_->attach(id("orphan"), "bridge", {});
  ASSERT_TRUE(orphan) << orphan.error().message();
  const auto ipam = dir_ / "root" / "networks" / "ipam" / "bridge";
  ASSERT_TRUE(std::filesystem::exists(ipam / orphan->ip_address()));

  auto released = service_->release_orphan_leases({id("kept")});
  ASSERT_TRUE(released) << released.error().message();
  EXPECT_EQ(*released, 1U);
  EXPECT_FALSE(std::filesystem::exists(ipam / orphan->ip_address()));
  EXPECT_TRUE(std::filesystem::exists(ipam / kept->ip_address()));
  EXPECT_TRUE(std::filesystem::exists(ipam / "lock"));
  EXPECT_TRUE(std::filesystem::exists(ipam / "last_reserved_ip.0"));
  // Nothing more to release the second time.
  EXPECT_EQ(*service_->release_orphan_leases({id("kept")}), 0U);

  ASSERT_TRUE(service_->detach(id("kept"), *kept));
  ASSERT_TRUE(service_->detach(id("orphan"), *orphan));
}

TEST_F(NetworkServiceTest, AttachGivesAnAddressAndDetachUndoesEverything) {
  auto attached = service_->attach(id("c1"), "bridge", {});
  ASSERT_TRUE(attached) << attached.error().message();
  EXPECT_TRUE(NetNs::exists(attached->netns));
  EXPECT_TRUE(attached->ip_address().starts_with(prefix_)) << attached->ip_address();
  EXPECT_EQ(attached->gateway(), prefix_ + "1");
  EXPECT_EQ(attached->prefix_length(), 24);
  EXPECT_FALSE(attached->mac_address().empty());
  EXPECT_TRUE(link_exists(bridge_));
  const auto lease = dir_ / "root" / "networks" / "ipam" / "bridge" / attached->ip_address();
  EXPECT_TRUE(std::filesystem::exists(lease));

  ASSERT_TRUE(service_->detach(id("c1"), *attached));
  EXPECT_FALSE(std::filesystem::exists(attached->netns));
  EXPECT_FALSE(std::filesystem::exists(lease));
  EXPECT_TRUE(bridge_empties());
  // Repeating it (a restart that finds the attachment again) is harmless.
  EXPECT_TRUE(service_->detach(id("c1"), *attached));
}

TEST_F(NetworkServiceTest, AHeldHostPortIsRefusedUntilReleased) {
  const PortMapping port{"127.0.0.1", 0, 80, "tcp"};
  auto first = service_->attach(id("c1"), "bridge", {port});
  ASSERT_TRUE(first) << first.error().message();
  ASSERT_EQ(first->ports.size(), 1U);
  const std::uint16_t chosen = first->ports[0].host_port;
  EXPECT_NE(chosen, 0);
  const PortMapping same{"", chosen, 81, "tcp"};
  auto second = service_->attach(id("c2"), "bridge", {same});
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().kind(), Errc::kAlreadyExists);
  EXPECT_THAT(second.error().message(), HasSubstr("port is already allocated"));
  EXPECT_FALSE(NetNs::exists(service_->netns_path(id("c2"))));
  ASSERT_TRUE(service_->detach(id("c1"), *first));
  auto third = service_->attach(id("c2"), "bridge", {same});
  ASSERT_TRUE(third) << third.error().message();
  ASSERT_TRUE(service_->detach(id("c2"), *third));
}

TEST_F(NetworkServiceTest, AMissingPluginFailsInOneLineAndLeavesNothing) {
  service_.reset();
  auto service = NetworkService::open(NetworkOptions{.root = dir_ / "root",
                                                     .state = dir_ / "state",
                                                     .cni_conf_dir = {},
                                                     .cni_bin_dirs = {(dir_ / "nobin").string()},
                                                     .default_bridge = bridge_,
                                                     .default_subnet = {}},
                                      *db_);
  ASSERT_TRUE(service) << service.error().message();
  // The bridge runs in keeld; portmap, which a published port needs, is nowhere.
  auto attached = (*service)->attach(id("c1"), "bridge", {PortMapping{"127.0.0.1", 0, 80, "tcp"}});
  ASSERT_FALSE(attached);
  EXPECT_THAT(attached.error().message(), HasSubstr("CNI plugin \"portmap\" not found in"));
  EXPECT_FALSE(std::filesystem::exists((*service)->netns_path(id("c1"))));
  for (const auto& entry :
       std::filesystem::directory_iterator(dir_ / "root" / "networks" / "ipam" / "bridge")) {
    const std::string name = entry.path().filename().string();
    EXPECT_TRUE(name == "lock" || name.starts_with("last_reserved_ip")) << name;
  }
  EXPECT_TRUE(std::filesystem::is_empty(bridge_path()));
}

}  // namespace
}  // namespace keel::manager::network
