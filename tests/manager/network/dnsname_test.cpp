// What keeld hands the dnsname plugin: names in CNI_ARGS, aliases as runtimeConfig, the
// aliases it accepts, where the plugin's state lives, and the cleanup of that state.
#include "manager/network/dnsname.h"

#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/fs.h"

namespace keel::manager::network {
namespace {

using ::testing::HasSubstr;

TEST(DnsnameCniArgs, NamesTheContainerForThePlugin) {
  EXPECT_EQ(cni_args("web"), "IgnoreUnknown=1;K8S_POD_NAME=web");
  EXPECT_EQ(cni_args(""), "IgnoreUnknown=1");
}

TEST(DnsnameAliases, AreKeyedByTheNetworksName) {
  EXPECT_EQ(aliases_capability("appnet", {"db", "cache"}),
            nlohmann::json::parse(R"({"appnet": ["db", "cache"]})"));
}

TEST(DnsnameState, LivesUnderKeeldsStateDirectory) {
  EXPECT_EQ(dnsname_network_dir("/run/keel", "appnet"),
            "/run/keel/dnsname/containers/cni/dnsname/appnet");
}

TEST(ValidateAlias, AcceptsDnsNames) {
  for (const char* alias : {"db", "web-1", "my_db", "api.internal", "a1.b2.c3", "X"})
    EXPECT_TRUE(validate_alias(alias)) << alias;
}

TEST(ValidateAlias, RefusesWhatAHostsFileLineCannotHold) {
  for (const char* alias : {"", "two words", "tab\there", "semi;colon", "a..b", ".lead", "trail.",
                            "slash/x", "new\nline"}) {
    auto checked = validate_alias(alias);
    ASSERT_FALSE(checked) << alias;
    EXPECT_EQ(checked.error().kind(), Errc::kInvalidArgument);
    EXPECT_THAT(checked.error().message(), HasSubstr("invalid network alias"));
  }
}

TEST(ValidateAlias, RefusesOverlongLabelsAndNames) {
  EXPECT_TRUE(validate_alias(std::string(63, 'a')));
  EXPECT_FALSE(validate_alias(std::string(64, 'a')));
  std::string long_name;
  while (long_name.size() < 254)
    long_name += "abcdefg.";
  long_name += "x";
  EXPECT_FALSE(validate_alias(long_name));
}

TEST(RemoveDnsServer, RemovesTheDirectoryAndIgnoresAStalePidFile) {
  char tmpl[] = "/tmp/keel-dnsname-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::filesystem::path dir = std::filesystem::path(tmpl) / "net";
  ASSERT_TRUE(fs::mkdir_all(dir.string(), 0700));
  // Our own pid: not a dnsmasq, so it must not be signalled.
  ASSERT_TRUE(
      fs::write_file_atomic((dir / "pidfile").string(), std::to_string(::getpid()) + "\n", 0644));
  ASSERT_TRUE(fs::write_file_atomic((dir / "addnhosts").string(), "10.0.0.2 web\n", 0644));
  EXPECT_TRUE(remove_dns_server(dir));
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_TRUE(remove_dns_server(dir)) << "a second removal finds nothing to do";
  std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace keel::manager::network
