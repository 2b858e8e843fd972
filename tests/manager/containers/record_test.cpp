// Pins the container record's pure parts (manager/containers/record.cpp): docker's ps status
// texts, status words, restart policies and the JSON the store keeps.
#include "manager/containers/record.h"

#include <set>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace keel::manager::containers {
namespace {

using std::chrono::system_clock;
using namespace std::chrono_literals;

constexpr std::int64_t kStartNs = 1700000000LL * 1000000000;

system_clock::time_point at(std::chrono::nanoseconds after_start) {
  return system_clock::time_point(std::chrono::duration_cast<system_clock::duration>(
      std::chrono::nanoseconds(kStartNs) + after_start));
}

ContainerRecord with_state(Status status, int exit_code = 0) {
  ContainerRecord r;
  r.state.status = status;
  r.state.exit_code = exit_code;
  r.state.started_ns = kStartNs;
  r.state.finished_ns = kStartNs;
  return r;
}

TEST(StatusText, ReadsAsDockerPsPrintsIt) {
  EXPECT_EQ(status_text(with_state(Status::kCreated), at(1h)), "Created");
  EXPECT_EQ(status_text(with_state(Status::kRunning), at(3s)), "Up 3 seconds");
  EXPECT_EQ(status_text(with_state(Status::kRunning), at(500ms)), "Up Less than a second");
  EXPECT_EQ(status_text(with_state(Status::kRunning), at(61s)), "Up About a minute");
  EXPECT_EQ(status_text(with_state(Status::kRunning), at(3h)), "Up 3 hours");
  EXPECT_EQ(status_text(with_state(Status::kPaused), at(2min)), "Up 2 minutes (Paused)");
  EXPECT_EQ(status_text(with_state(Status::kExited, 7), at(2min)), "Exited (7) 2 minutes ago");
  EXPECT_EQ(status_text(with_state(Status::kExited, 137), at(1s)), "Exited (137) 1 second ago");
  EXPECT_EQ(status_text(with_state(Status::kRestarting, 1), at(2s)),
            "Restarting (1) 2 seconds ago");
  EXPECT_EQ(status_text(with_state(Status::kRemoving), at(1s)), "Removal In Progress");
  EXPECT_EQ(status_text(with_state(Status::kDead), at(1s)), "Dead");
}

TEST(StatusWords, RoundTripAndRefuseUnknownOnes) {
  for (Status s : {Status::kCreated, Status::kRunning, Status::kPaused, Status::kRestarting,
                   Status::kExited, Status::kRemoving, Status::kDead})
    EXPECT_EQ(*parse_status(status_name(s)), s);
  EXPECT_EQ(std::string(status_name(Status::kExited)), "exited");
  EXPECT_FALSE(parse_status("sleeping"));
}

TEST(RestartPolicy, AcceptsDockersForms) {
  EXPECT_EQ(parse_restart_policy("no")->name, "no");
  EXPECT_EQ(parse_restart_policy("")->name, "no");
  EXPECT_EQ(parse_restart_policy("always")->name, "always");
  auto on_failure = parse_restart_policy("on-failure:3");
  ASSERT_TRUE(on_failure);
  EXPECT_EQ(on_failure->name, "on-failure");
  EXPECT_EQ(on_failure->max_retries, 3);
  EXPECT_FALSE(parse_restart_policy("always:3"));
  EXPECT_FALSE(parse_restart_policy("on-failure:x"));
  EXPECT_FALSE(parse_restart_policy("sometimes"));
}

TEST(RecordJson, KeepsEveryField) {
  ContainerRecord r = with_state(Status::kExited, 7);
  r.id = std::string(64, 'a');
  r.name = "web";
  r.image = "busybox";
  r.command = {"sh", "-c", "exit 7"};
  r.labels = {{"k", "v"}};
  r.restart = {"on-failure", 2};
  r.state.oom_killed = true;
  r.shim_address = "unix:///run/s/x";
  auto back = record_from_json(to_json(r));
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->id, r.id);
  EXPECT_EQ(back->name, "web");
  EXPECT_EQ(back->command, r.command);
  EXPECT_EQ(back->labels, r.labels);
  EXPECT_EQ(back->restart.max_retries, 2);
  EXPECT_EQ(back->state.status, Status::kExited);
  EXPECT_EQ(back->state.exit_code, 7);
  EXPECT_TRUE(back->state.oom_killed);
  EXPECT_EQ(back->shim_address, r.shim_address);
  EXPECT_FALSE(record_from_json(nlohmann::json{{"name", "x"}}));  // no id
}

TEST(RecordJson, KeepsDnsExtraHostsIpAndMac) {
  ContainerRecord r = with_state(Status::kCreated, 0);
  r.id = std::string(64, 'c');
  r.name = "web";
  r.network_mode = "appnet";
  r.dns = {.servers = {"10.0.0.53"}, .search = {"corp.example"}, .options = {"ndots:2"}};
  r.extra_hosts = {{.address = "host-gateway", .names = {"gw"}}};
  r.ip = "172.31.0.9";
  r.mac_address = "02:42:ac:1f:00:09";
  auto back = record_from_json(to_json(r));
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->dns.servers, r.dns.servers);
  EXPECT_EQ(back->dns.search, r.dns.search);
  EXPECT_EQ(back->dns.options, r.dns.options);
  ASSERT_EQ(back->extra_hosts.size(), 1U);
  EXPECT_EQ(back->extra_hosts[0].address, "host-gateway");
  EXPECT_EQ(back->extra_hosts[0].names, std::vector<std::string>{"gw"});
  EXPECT_EQ(back->ip, r.ip);
  EXPECT_EQ(back->mac_address, r.mac_address);
}

TEST(RecordJson, KeepsAliasesAndConnectedNetworks) {
  ContainerRecord r = with_state(Status::kRunning, 0);
  r.id = std::string(64, 'b');
  r.name = "db";
  r.network_mode = "appnet";
  r.network_aliases = {"database", "pg"};
  r.connected = {{.network = "backend", .aliases = {"store"}, .ip = "10.89.0.7"}};
  r.network_disconnected = true;
  network::Attachment eth1;
  eth1.network = "backend";
  eth1.ifname = "eth1";
  eth1.name = "db";
  eth1.aliases = {"store"};
  r.connected_attachments = {eth1};
  auto back = record_from_json(to_json(r));
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->network_aliases, r.network_aliases);
  ASSERT_EQ(back->connected.size(), 1U);
  EXPECT_EQ(back->connected[0].network, "backend");
  EXPECT_EQ(back->connected[0].aliases, std::vector<std::string>{"store"});
  EXPECT_EQ(back->connected[0].ip, "10.89.0.7");
  EXPECT_TRUE(back->network_disconnected);
  ASSERT_EQ(back->connected_attachments.size(), 1U);
  EXPECT_EQ(back->connected_attachments[0].ifname, "eth1");
  EXPECT_EQ(back->connected_attachments[0].name, "db");
  EXPECT_EQ(back->connected_attachments[0].aliases, std::vector<std::string>{"store"});
}

TEST(ContainerId, IsSixtyFourHexDigitsAndFresh) {
  const std::string a = new_container_id();
  EXPECT_EQ(a.size(), 64U);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a, new_container_id());
}

TEST(RandomName, FindsAFreeNameWhenThePlainOnesAreAllTaken) {
  std::set<std::string> taken;
  // As create picks names: retry with a growing number until one is free. 2000 containers
  // are more than the 896 plain names.
  for (int i = 0; i < 2000; ++i) {
    std::string name;
    unsigned attempt = 0;
    do {
      name = random_name(attempt++);
      ASSERT_LT(attempt, 50u) << "no free name after " << i << " containers";
    } while (taken.contains(name));
    EXPECT_TRUE(validate_name(name)) << name;
    taken.insert(name);
  }
  EXPECT_EQ(taken.size(), 2000u);
}

}  // namespace
}  // namespace keel::manager::containers
