// CNI results and plugin errors as SPEC.md defines them.
#include "manager/network/cni_result.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace keel::manager::network {
namespace {

using ::testing::HasSubstr;

constexpr const char* kBridgeResult = R"({
  "cniVersion": "1.0.0",
  "interfaces": [
    {"name": "keel0", "mac": "de:ad:be:ef:00:01"},
    {"name": "veth1234", "mac": "de:ad:be:ef:00:02"},
    {"name": "eth0", "mac": "0a:58:ac:1e:00:05", "sandbox": "/run/keel/netns/abc"}
  ],
  "ips": [{"address": "172.30.0.5/16", "gateway": "172.30.0.1", "interface": 2}],
  "routes": [{"dst": "0.0.0.0/0"}],
  "dns": {"nameservers": ["10.0.0.2"], "search": ["example.org"]}
})";

TEST(ParseCniResult, ReadsInterfacesIpsRoutesAndDns) {
  auto result = parse_cni_result(kBridgeResult);
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_EQ(result->cni_version, "1.0.0");
  ASSERT_EQ(result->interfaces.size(), 3U);
  EXPECT_EQ(result->interfaces[2].sandbox, "/run/keel/netns/abc");
  ASSERT_EQ(result->ips.size(), 1U);
  EXPECT_EQ(result->ips[0].address, "172.30.0.5/16");
  EXPECT_EQ(result->ips[0].gateway, "172.30.0.1");
  EXPECT_EQ(result->ips[0].interface, 2);
  ASSERT_EQ(result->routes.size(), 1U);
  EXPECT_EQ(result->routes[0].dst, "0.0.0.0/0");
  EXPECT_EQ(result->dns.nameservers, std::vector<std::string>{"10.0.0.2"});
  EXPECT_EQ(result->dns.search, std::vector<std::string>{"example.org"});
  const CniIp* ip = result->container_ip("/run/keel/netns/abc");
  ASSERT_NE(ip, nullptr);
  EXPECT_EQ(result->mac_of(*ip), "0a:58:ac:1e:00:05");
}

TEST(ParseCniResult, RefusesWhatIsNotAResult) {
  EXPECT_THAT(parse_cni_result("plugin crashed\n").error().message(),
              HasSubstr("CNI result is not JSON: plugin crashed"));
  EXPECT_FALSE(parse_cni_result(R"({"ips": [{"gateway": "1.2.3.4"}]})"));
}

TEST(CniPluginError, UsesTheErrorJsonAndStderr) {
  const Error e = cni_plugin_error(
      "bridge", "ADD",
      R"({"cniVersion":"1.0.0","code":7,"msg":"invalid subnet","details":"bad\nmask"})",
      "warning: x\n", 1);
  EXPECT_EQ(e.kind(), Errc::kInvalidArgument);
  EXPECT_EQ(e.message(),
            "CNI plugin \"bridge\" ADD: invalid subnet (code 7; bad mask; stderr: warning: x; "
            "exit status 1)");
}

TEST(CniPluginError, TryAgainLaterIsUnavailable) {
  EXPECT_EQ(cni_plugin_error("x", "DEL", R"({"code":11,"msg":"busy"})", "", 1).kind(),
            Errc::kUnavailable);
}

TEST(CniPluginError, WithoutJsonKeepsStdoutStderrAndSignal) {
  const Error e = cni_plugin_error("portmap", "ADD", "", "panic: oops\ngoroutine 1", 137);
  EXPECT_EQ(e.message(),
            "CNI plugin \"portmap\" ADD: no error message (stderr: panic: oops goroutine 1; "
            "killed by signal 9)");
}

}  // namespace
}  // namespace keel::manager::network
