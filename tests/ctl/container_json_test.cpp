#include "ctl/container_json.h"

#include <gtest/gtest.h>

namespace keel::ctl {
namespace {

TEST(ContainerInspectJson, DockerShape) {
  keel::v1::Container container;
  container.set_id("0123456789abcdef");
  container.set_name("web");
  container.set_image("busybox");
  container.set_image_id("sha256:feed");
  container.set_log_path("/var/log/x.log");
  container.mutable_created()->set_seconds(1'700'000'000);
  container.set_spec_json(
      R"({"hostname":"box","process":{"args":["sh","-c","exit 7"],"env":["PATH=/bin"],"cwd":"/"},)"
      R"("mounts":[{"destination":"/data","source":"/var/lib/keel/volumes/v/_data"}]})");
  auto* state = container.mutable_state();
  state->set_status("exited");
  state->set_exit_code(7);
  state->set_oom_killed(true);
  state->set_restart_count(2);
  auto* config = container.mutable_config();
  config->set_image("busybox");
  config->add_cmd("sh");
  config->set_tty(true);
  config->mutable_resources()->set_memory(64 << 20);
  config->mutable_resources()->set_milli_cpus(1500);
  config->mutable_restart_policy()->set_name("on-failure");
  config->mutable_restart_policy()->set_maximum_retry_count(3);
  config->add_cap_add("NET_ADMIN");
  auto* bind = config->add_mounts();
  bind->set_type("bind");
  bind->set_source("/srv");
  bind->set_target("/srv");
  bind->set_read_only(true);
  auto* volume = config->add_mounts();
  volume->set_type("volume");
  volume->set_source("v");
  volume->set_target("/data");

  const auto json = container_inspect_json(container);
  EXPECT_EQ(json["Id"], "0123456789abcdef");
  EXPECT_EQ(json["Name"], "/web");
  EXPECT_EQ(json["Created"], "2023-11-14T22:13:20.000000000Z");
  EXPECT_EQ(json["Path"], "sh");
  EXPECT_EQ(json["Args"], nlohmann::json({"-c", "exit 7"}));
  EXPECT_EQ(json["Image"], "sha256:feed");
  EXPECT_EQ(json["RestartCount"], 2);
  EXPECT_EQ(json["LogPath"], "/var/log/x.log");
  EXPECT_EQ(json["State"]["Status"], "exited");
  EXPECT_EQ(json["State"]["Running"], false);
  EXPECT_EQ(json["State"]["ExitCode"], 7);
  EXPECT_EQ(json["State"]["OOMKilled"], true);
  EXPECT_EQ(json["State"]["StartedAt"], "0001-01-01T00:00:00Z");
  EXPECT_EQ(json["HostConfig"]["Memory"], 64 << 20);
  EXPECT_EQ(json["HostConfig"]["NanoCpus"], 1'500'000'000LL);
  EXPECT_EQ(json["HostConfig"]["PidsLimit"], nullptr);
  EXPECT_EQ(json["HostConfig"]["RestartPolicy"]["Name"], "on-failure");
  EXPECT_EQ(json["HostConfig"]["RestartPolicy"]["MaximumRetryCount"], 3);
  EXPECT_EQ(json["HostConfig"]["CapAdd"], nlohmann::json({"NET_ADMIN"}));
  EXPECT_EQ(json["HostConfig"]["CapDrop"], nullptr);
  EXPECT_EQ(json["HostConfig"]["Binds"], nlohmann::json({"/srv:/srv:ro", "v:/data"}));
  EXPECT_EQ(json["Config"]["Hostname"], "box");
  EXPECT_EQ(json["Config"]["Env"], nlohmann::json({"PATH=/bin"}));
  EXPECT_EQ(json["Config"]["Cmd"], nlohmann::json({"sh"}));
  EXPECT_EQ(json["Config"]["Entrypoint"], nullptr);
  EXPECT_EQ(json["Config"]["Tty"], true);
  EXPECT_EQ(json["Config"]["WorkingDir"], "/");
  ASSERT_EQ(json["Mounts"].size(), 2U);
  EXPECT_EQ(json["Mounts"][0]["RW"], false);
  EXPECT_EQ(json["Mounts"][1]["Name"], "v");
  EXPECT_EQ(json["Mounts"][1]["Source"], "/var/lib/keel/volumes/v/_data");
}

TEST(ContainerInspectJson, PausedIsRunning) {
  keel::v1::Container container;
  container.set_id("0123456789abcdef");
  container.mutable_state()->set_status("paused");
  const auto json = container_inspect_json(container);
  EXPECT_EQ(json["State"]["Running"], true);
  EXPECT_EQ(json["State"]["Paused"], true);
  EXPECT_EQ(json["Config"]["Hostname"], "0123456789ab");
}

TEST(ContainerInspectJson, ResolverHostsIpAndMacFlags) {
  using json = nlohmann::json;
  keel::v1::Container plain;
  plain.set_id("0123456789abcdef");
  const json none = container_inspect_json(plain);
  EXPECT_EQ(none["HostConfig"]["Dns"], json::array());
  EXPECT_EQ(none["HostConfig"]["ExtraHosts"], nullptr);
  EXPECT_EQ(none["NetworkSettings"]["Networks"]["bridge"]["IPAMConfig"], nullptr);
  EXPECT_FALSE(none["Config"].contains("MacAddress"));

  keel::v1::Container container;
  container.set_id("0123456789abcdef");
  container.mutable_network_settings()->set_network("appnet");
  auto* config = container.mutable_config();
  config->add_dns("10.0.0.53");
  config->add_dns_search("corp.example");
  config->add_dns_options("ndots:2");
  config->add_extra_hosts("db:10.1.2.3");
  config->set_ip("172.31.0.9");
  config->set_mac_address("02:42:ac:1f:00:09");
  const json out = container_inspect_json(container);
  EXPECT_EQ(out["HostConfig"]["Dns"], json::parse(R"(["10.0.0.53"])"));
  EXPECT_EQ(out["HostConfig"]["DnsSearch"], json::parse(R"(["corp.example"])"));
  EXPECT_EQ(out["HostConfig"]["DnsOptions"], json::parse(R"(["ndots:2"])"));
  EXPECT_EQ(out["HostConfig"]["ExtraHosts"], json::parse(R"(["db:10.1.2.3"])"));
  EXPECT_EQ(out["NetworkSettings"]["Networks"]["appnet"]["IPAMConfig"]["IPv4Address"],
            "172.31.0.9");
  EXPECT_EQ(out["Config"]["MacAddress"], "02:42:ac:1f:00:09");
}

TEST(ContainerInspectJson, ADisconnectedFirstNetworkIsNotInNetworks) {
  keel::v1::Container container;
  container.set_id("0123456789abcdef");
  auto* settings = container.mutable_network_settings();
  settings->set_network("bridge");
  settings->set_network_disconnected(true);
  settings->add_connected()->set_network("front");
  const auto out = container_inspect_json(container);
  EXPECT_FALSE(out["NetworkSettings"]["Networks"].contains("bridge"));
  EXPECT_TRUE(out["NetworkSettings"]["Networks"].contains("front"));
}

}  // namespace
}  // namespace keel::ctl
