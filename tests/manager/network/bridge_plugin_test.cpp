// The built-in bridge plugin against the kernel and against the real plugin binaries: a namespace
// gets eth0 with its lease, a default route via the gateway and a hairpin port on a private
// bridge; leases are host-local's files byte for byte, each side honouring and releasing the
// other's; --ip is honoured and a taken one refused; DEL is complete and idempotent; a failed ADD
// leaves nothing. Needs root and Debian's containernetworking-plugins; skipped otherwise.
#include "manager/network/bridge_plugin.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/fs.h"
#include "common/process_run.h"
#include "manager/network/builtin_plugins.h"
#include "manager/network/conflist.h"
#include "manager/network/host_link.h"
#include "manager/network/netns.h"

namespace keel::manager::network {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The names of a namespace's links, one a line ("lo\n" alone for a namespace with nothing added).
// Through ip: /sys/class/net shows the namespace sysfs was mounted in, not the one entered.
constexpr const char* kLinks = "ip -o link show | cut -d: -f2 | tr -d ' '";

class BridgePluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0)
      GTEST_SKIP() << "needs root";
    if (::access("/usr/lib/cni/bridge", X_OK) != 0)
      GTEST_SKIP() << "needs containernetworking-plugins";
    char tmpl[] = "/tmp/keel-bridge-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    suffix_ = dir_.filename().string().substr(dir_.filename().string().size() - 6);
    bridge_ = "kbt-" + suffix_;
    prefix_ = "10.198." + std::to_string(std::hash<std::string>{}(suffix_) % 256) + ".";
    network_ = Network{.id = std::string(64, 'b'),
                       .name = "bridge",
                       .driver = "bridge",
                       .subnet = prefix_ + "0/24",
                       .gateway = prefix_ + "1",
                       .bridge = bridge_,
                       .internal = false,
                       .labels = {},
                       .created_ns = 0};
  }

  void TearDown() override {
    namespaces_.clear();  // each NetNs removes its namespace, and the veth ends inside go with it
    if (!bridge_.empty())
      (void)delete_link(bridge_);
    std::error_code ec;
    if (!dir_.empty())
      std::filesystem::remove_all(dir_, ec);
  }

  // A fresh namespace of this test, removed at teardown.
  std::string netns(const std::string& name) {
    auto ns = NetNs::create((dir_ / ("ns-" + name)).string());
    EXPECT_TRUE(ns) << ns.error().message();
    namespaces_.push_back(std::move(*ns));
    return namespaces_.back().path();
  }

  [[nodiscard]] std::string id(const std::string& name) const { return name + "-" + suffix_; }
  [[nodiscard]] std::filesystem::path lease_dir() const { return dir_ / "ipam" / "bridge"; }

  [[nodiscard]] CniConfList list(const ChainNeeds& needs = {.ports = false, .mac = false}) const {
    auto parsed = CniConfList::parse(make_conflist(network_, (dir_ / "ipam").string(), needs));
    EXPECT_TRUE(parsed) << parsed.error().message();
    return *parsed;
  }

  static CniRuntime binaries() {
    CniRuntime runtime;
    runtime.builtin_plugins = false;
    return runtime;
  }

  static CniCall call(const std::string& container_id, const std::string& netns_path,
                      const std::string& ip = {}) {
    CniCall c;
    c.container_id = container_id;
    c.netns = netns_path;
    c.ifname = "eth0";
    if (!ip.empty())
      c.capability_args["ips"] = nlohmann::json::array({ip});
    return c;
  }

  static std::string read(const std::filesystem::path& path) {
    auto text = fs::read_file(path.string());
    return text ? *text : std::string("<missing>");
  }

  static std::string in_netns(const std::string& netns_path, const std::string& command) {
    auto out = run_process({"/usr/bin/nsenter", "--net=" + netns_path, "/bin/sh", "-c", command},
                           {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, "", std::chrono::seconds(10));
    return out ? out->out : std::string();
  }

  // The lease files of the network (not lock or last_reserved_ip.0).
  [[nodiscard]] std::vector<std::string> leases() const {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(lease_dir(), ec)) {
      const std::string name = entry.path().filename().string();
      if (name != "lock" && !name.starts_with("last_reserved_ip"))
        names.push_back(name);
    }
    return names;
  }

  [[nodiscard]] std::size_t bridge_ports() const {
    std::error_code ec;
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& port : std::filesystem::directory_iterator(
             std::filesystem::path("/sys/class/net") / bridge_ / "brif", ec))
      ++n;
    return n;
  }

  std::filesystem::path dir_;
  std::string suffix_;
  std::string bridge_;
  std::string prefix_;
  Network network_;
  std::vector<NetNs> namespaces_;
};

TEST_F(BridgePluginTest, KeeldsOwnListIsBuiltInAndOtherConfigurationsAreNot) {
  const auto chain = make_conflist(network_, "/ipam");
  nlohmann::json bridge = chain["plugins"][0];
  bridge["name"] = "bridge";
  bridge["cniVersion"] = kCniVersion;
  ASSERT_NE(find_builtin_plugin(bridge), nullptr);
  bridge["ipMasq"] = true;
  EXPECT_EQ(find_builtin_plugin(bridge), nullptr);
  bridge["ipMasq"] = false;
  bridge["vlan"] = 5;
  EXPECT_EQ(find_builtin_plugin(bridge), nullptr);
  EXPECT_EQ(find_builtin_plugin(chain["plugins"][1]), nullptr);  // portmap stays a binary
}

TEST_F(BridgePluginTest, AddGivesEth0ItsLeaseADefaultRouteAndAHairpinPort) {
  const std::string ns = netns("c1");
  auto added = list().add(CniRuntime{}, call(id("c1"), ns));
  ASSERT_TRUE(added) << added.error().message();
  ASSERT_EQ(added->interfaces.size(), 3U);
  EXPECT_EQ(added->interfaces[0].name, bridge_);
  const std::string host_veth = added->interfaces[1].name;
  EXPECT_TRUE(host_veth.starts_with("veth")) << host_veth;
  EXPECT_EQ(host_veth.size(), 12U);
  EXPECT_EQ(added->interfaces[2].name, "eth0");
  EXPECT_EQ(added->interfaces[2].sandbox, ns);
  ASSERT_EQ(added->ips.size(), 1U);
  const std::string address = added->ips[0].address;
  EXPECT_TRUE(address.starts_with(prefix_) && address.ends_with("/24")) << address;
  EXPECT_EQ(added->ips[0].gateway, prefix_ + "1");
  EXPECT_EQ(added->ips[0].interface, 2);
  ASSERT_EQ(added->routes.size(), 1U);
  EXPECT_EQ(added->routes[0].dst, "0.0.0.0/0");

  // Inside: eth0 up with the leased address and its MAC, the route out via the gateway.
  const std::string ip = address.substr(0, address.find('/'));
  EXPECT_THAT(in_netns(ns, "ip -4 addr show dev eth0"), HasSubstr("inet " + address));
  EXPECT_THAT(in_netns(ns, "ip link show dev eth0"), HasSubstr("state UP"));
  EXPECT_THAT(in_netns(ns, "ip link show dev eth0"), HasSubstr(added->interfaces[2].mac));
  EXPECT_THAT(in_netns(ns, "ip route show default"), HasSubstr("default via " + prefix_ + "1"));
  // Outside: the host end a port of the bridge, hairpin on, at the bridge's MTU; the bridge up
  // with the gateway's address.
  const auto sys = std::filesystem::path("/sys/class/net");
  EXPECT_EQ(std::filesystem::read_symlink(sys / host_veth / "master").filename(), bridge_);
  EXPECT_EQ(read(sys / host_veth / "brport" / "hairpin_mode"), "1\n");
  EXPECT_EQ(read(sys / host_veth / "mtu"), read(sys / bridge_ / "mtu"));
  EXPECT_EQ(read(sys / host_veth / "operstate"), "up\n");
  auto bridge_addr = run_process({"/usr/sbin/ip", "-4", "addr", "show", "dev", bridge_}, {}, "",
                                 std::chrono::seconds(10));
  ASSERT_TRUE(bridge_addr);
  EXPECT_THAT(bridge_addr->out, HasSubstr("inet " + prefix_ + "1/24"));
  EXPECT_EQ(read(lease_dir() / ip), id("c1") + "\r\neth0");
  // The container reaches its gateway.
  EXPECT_THAT(in_netns(ns, "busybox ping -c1 -W2 " + prefix_ + "1 && echo reached"),
              HasSubstr("reached"));

  EXPECT_TRUE(list().check(CniRuntime{}, call(id("c1"), ns), added->raw));
  ASSERT_TRUE(list().del(CniRuntime{}, call(id("c1"), ns), added->raw));
}

TEST_F(BridgePluginTest, LeasesAreHostLocalsFilesByteForByteEitherWay) {
  // The binaries lease first, as before an upgrade; the built-in leases next to them.
  const std::string ns_bin = netns("bin");
  const std::string ns_own = netns("own");
  auto by_binary = list().add(binaries(), call(id("bin"), ns_bin));
  ASSERT_TRUE(by_binary) << by_binary.error().message();
  auto by_builtin = list().add(CniRuntime{}, call(id("own"), ns_own));
  ASSERT_TRUE(by_builtin) << by_builtin.error().message();
  const std::string ip_bin =
      by_binary->ips[0].address.substr(0, by_binary->ips[0].address.find('/'));
  const std::string ip_own =
      by_builtin->ips[0].address.substr(0, by_builtin->ips[0].address.find('/'));
  EXPECT_NE(ip_bin, ip_own);  // the binary's lease honoured
  EXPECT_EQ(read(lease_dir() / ip_bin), id("bin") + "\r\neth0");
  EXPECT_EQ(read(lease_dir() / ip_own), id("own") + "\r\neth0");
  struct stat bin_st {};
  struct stat own_st {};
  ASSERT_EQ(::stat((lease_dir() / ip_bin).c_str(), &bin_st), 0);
  ASSERT_EQ(::stat((lease_dir() / ip_own).c_str(), &own_st), 0);
  EXPECT_EQ(bin_st.st_mode, own_st.st_mode);
  EXPECT_EQ(read(lease_dir() / "last_reserved_ip.0"), ip_own);

  // The binaries see the built-in's lease: their next one is yet another address.
  const std::string ns_next = netns("next");
  auto next = list().add(binaries(), call(id("next"), ns_next));
  ASSERT_TRUE(next) << next.error().message();
  EXPECT_THAT(next->ips[0].address, Not(HasSubstr(ip_own + "/")));
  EXPECT_THAT(next->ips[0].address, Not(HasSubstr(ip_bin + "/")));

  // Each releases the other's.
  ASSERT_TRUE(list().del(CniRuntime{}, call(id("bin"), ns_bin), by_binary->raw));
  ASSERT_TRUE(list().del(binaries(), call(id("own"), ns_own), by_builtin->raw));
  ASSERT_TRUE(list().del(CniRuntime{}, call(id("next"), ns_next), next->raw));
  EXPECT_TRUE(leases().empty());
  EXPECT_EQ(bridge_ports(), 0U);
}

TEST_F(BridgePluginTest, ARequestedAddressIsHonouredAndATakenOneRefusedInOneLine) {
  const std::string ns1 = netns("c1");
  const std::string ns2 = netns("c2");
  auto first = list().add(CniRuntime{}, call(id("c1"), ns1, prefix_ + "77"));
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(first->ips[0].address, prefix_ + "77/24");
  EXPECT_THAT(in_netns(ns1, "ip -4 addr show dev eth0"), HasSubstr("inet " + prefix_ + "77/24"));

  auto second = list().add(CniRuntime{}, call(id("c2"), ns2, prefix_ + "77"));
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().kind(), Errc::kAlreadyExists);
  EXPECT_THAT(second.error().message(),
              HasSubstr("requested IP address " + prefix_ + "77 is already in use"));
  EXPECT_EQ(second.error().message().find('\n'), std::string::npos);
  EXPECT_EQ(in_netns(ns2, kLinks), "lo\n");
  EXPECT_EQ(leases(), std::vector<std::string>{prefix_ + "77"});
  EXPECT_EQ(read(lease_dir() / (prefix_ + "77")), id("c1") + "\r\neth0");
  EXPECT_EQ(bridge_ports(), 1U);
  ASSERT_TRUE(list().del(CniRuntime{}, call(id("c1"), ns1), first->raw));
}

TEST_F(BridgePluginTest, DelRemovesTheVethAndTheLeaseAndRepeatsHarmlessly) {
  const std::string ns = netns("c1");
  auto added = list().add(CniRuntime{}, call(id("c1"), ns));
  ASSERT_TRUE(added) << added.error().message();
  const std::string host_veth = added->interfaces[1].name;
  ASSERT_TRUE(link_exists(host_veth));
  ASSERT_TRUE(list().del(CniRuntime{}, call(id("c1"), ns), added->raw));
  EXPECT_FALSE(link_exists(host_veth));
  EXPECT_EQ(in_netns(ns, kLinks), "lo\n");
  EXPECT_TRUE(leases().empty());
  EXPECT_TRUE(list().del(CniRuntime{}, call(id("c1"), ns), added->raw));
  // With the namespace gone as well (a restart that finds the container's record only).
  namespaces_.clear();
  EXPECT_TRUE(list().del(CniRuntime{}, call(id("c1"), ns), added->raw));
  EXPECT_TRUE(list().del(CniRuntime{}, call(id("c1"), ns), nullptr));
}

TEST_F(BridgePluginTest, DelBeforeTheNamespaceEndsLeavesThePairToItsTeardown) {
  const std::string ns = netns("c1");
  auto added = list().add(CniRuntime{}, call(id("c1"), ns));
  ASSERT_TRUE(added) << added.error().message();
  const std::string host_veth = added->interfaces[1].name;
  CniCall ending = call(id("c1"), ns);
  ending.namespace_ends = true;
  ASSERT_TRUE(list().del(CniRuntime{}, ending, added->raw));
  // The address is free at once; the pair is still there until the namespace goes, without it.
  EXPECT_TRUE(leases().empty());
  EXPECT_EQ(in_netns(ns, "ip link show eth0 >/dev/null && echo present"), "present\n");
  EXPECT_EQ(in_netns(ns, "ip -4 -o addr show dev eth0"), "");
  namespaces_.clear();
  // The kernel takes the namespace, and both ends of the pair with it, down in the background.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (link_exists(host_veth) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_FALSE(link_exists(host_veth));
  EXPECT_EQ(bridge_ports(), 0U);
}

TEST_F(BridgePluginTest, DelWithTheNamespaceGoneDeletesTheHostEndLeftBehind) {
  const std::string ns = netns("c1");
  auto added = list().add(CniRuntime{}, call(id("c1"), ns));
  ASSERT_TRUE(added) << added.error().message();
  const std::string host_veth = added->interfaces[1].name;
  // The container's end moved out of the namespace before it went: its pair outlives it.
  const std::string moved = "kbm-" + suffix_;
  ASSERT_EQ(in_netns(ns, "ip link set eth0 name " + moved + " && ip link set " + moved +
                             " netns 1 && echo moved"),
            "moved\n");
  namespaces_.clear();
  ASSERT_TRUE(link_exists(host_veth));
  ASSERT_TRUE(link_exists(moved));
  ASSERT_TRUE(list().del(CniRuntime{}, call(id("c1"), ns), added->raw));
  EXPECT_FALSE(link_exists(host_veth));
  EXPECT_FALSE(link_exists(moved));
  EXPECT_TRUE(leases().empty());
}

TEST_F(BridgePluginTest, AFailedAddLeavesNothing) {
  // The bridge runs in keeld, then portmap is nowhere: the list's cleanup undoes the bridge's work.
  const std::string ns = netns("c1");
  CniRuntime runtime;
  runtime.bin_dirs = {(dir_ / "nobin").string()};
  CniCall c = call(id("c1"), ns);
  c.capability_args["portMappings"] =
      nlohmann::json::parse(R"([{"hostPort":18080,"containerPort":80,"protocol":"tcp"}])");
  auto added = list({.ports = true, .mac = false}).add(runtime, c);
  ASSERT_FALSE(added);
  EXPECT_THAT(added.error().message(), HasSubstr("CNI plugin \"portmap\" not found in"));
  EXPECT_EQ(in_netns(ns, kLinks), "lo\n");
  EXPECT_TRUE(leases().empty());
  EXPECT_EQ(bridge_ports(), 0U);

  // A namespace that is not one fails before anything is made.
  auto nowhere = list().add(CniRuntime{}, call(id("c2"), (dir_ / "no-such-ns").string()));
  ASSERT_FALSE(nowhere);
  EXPECT_TRUE(leases().empty());
  EXPECT_EQ(bridge_ports(), 0U);
}

}  // namespace
}  // namespace keel::manager::network
