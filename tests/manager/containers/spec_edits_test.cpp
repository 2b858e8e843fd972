// Pins manager/containers/spec_edits: docker update's limits and docker exec's process on the
// oci-spec types.
#include "manager/containers/spec_edits.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "manager/containers/capabilities.h"

namespace keel::manager::containers {
namespace {

using ::testing::ElementsAre;

TEST(SpecEdits, AnUpdateWithoutLimitsHasNoResources) {
  EXPECT_FALSE(resources_of({}));
}

TEST(SpecEdits, ResourcesJsonHoldsOnlyTheLimitsGiven) {
  auto resources = resources_of({.memory_bytes = 0, .milli_cpus = 0, .pids_limit = -1});
  ASSERT_TRUE(resources);
  EXPECT_EQ(nlohmann::json::parse(resources_json(*resources)),
            nlohmann::json::parse(R"({"pids": {"limit": -1}})"));
}

TEST(SpecEdits, ApplyKeepsTheOtherLimitsOfTheSpec) {
  oci::RuntimeConfig config;
  config.linux = oci::Linux{};
  config.linux->resources = oci::Resources{};
  config.linux->resources->memory = oci::Memory{};
  config.linux->resources->memory->limit = 1;
  config.linux->resources->memory->swap = 2;
  config.linux->resources->cpu = oci::Cpu{};
  config.linux->resources->cpu->shares = 512;
  apply_resources(config, *resources_of({.memory_bytes = 10, .milli_cpus = 1500, .pids_limit = 0}));
  const auto& resources = *config.linux->resources;
  EXPECT_EQ(resources.memory->limit, 10);
  EXPECT_EQ(resources.memory->swap, 2);
  EXPECT_EQ(resources.cpu->shares, 512u);
  EXPECT_EQ(resources.cpu->quota, 150000);
  EXPECT_EQ(resources.cpu->period, 100000u);
  EXPECT_FALSE(resources.pids);
}

TEST(SpecEdits, ExecProcessReplacesCommandUserAndMergesEnvironment) {
  oci::Process base;
  base.args = {"/init"};
  base.env = {"PATH=/bin", "A=1"};
  base.cwd = "/";
  base.terminal = true;
  base.console_size = oci::ConsoleSize{.height = 24, .width = 80};
  base.user.uid = 1000;
  base.user.umask = 022;
  base.no_new_privileges = true;
  ExecRequest request;
  request.cmd = {"sh", "-c", "id"};
  request.env = {"A=2", "B=3"};
  request.working_dir = "/tmp";
  const auto process = exec_process(
      base, request, ResolvedUser{.uid = 0, .gid = 0, .additional_gids = {10}, .home = "/"});
  EXPECT_THAT(process.args, ElementsAre("sh", "-c", "id"));
  EXPECT_THAT(process.env, ElementsAre("PATH=/bin", "A=2", "B=3"));
  EXPECT_EQ(process.cwd, "/tmp");
  EXPECT_FALSE(process.terminal);
  EXPECT_FALSE(process.console_size);
  EXPECT_EQ(process.user.uid, 0u);
  EXPECT_FALSE(process.user.umask);
  EXPECT_THAT(process.user.additional_gids, ElementsAre(10u));
  EXPECT_TRUE(process.no_new_privileges);
  EXPECT_FALSE(process.capabilities);
  const auto json = nlohmann::json::parse(process_json(process));
  EXPECT_EQ(json["args"], nlohmann::json({"sh", "-c", "id"}));
  EXPECT_EQ(json["user"]["additionalGids"], nlohmann::json({10}));
}

TEST(SpecEdits, PrivilegedExecGetsEveryCapabilityButAmbient) {
  oci::Process base;
  base.capabilities = oci::Capabilities{};
  base.capabilities->ambient = std::vector<std::string>{"CAP_CHOWN"};
  ExecRequest request;
  request.cmd = {"true"};
  request.privileged = true;
  const auto process = exec_process(base, request, std::nullopt);
  ASSERT_TRUE(process.capabilities);
  EXPECT_EQ(process.capabilities->effective, all_capabilities());
  EXPECT_EQ(process.capabilities->bounding, all_capabilities());
  EXPECT_FALSE(process.capabilities->ambient);
}

}  // namespace
}  // namespace keel::manager::containers
