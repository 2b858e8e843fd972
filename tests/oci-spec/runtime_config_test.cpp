// Pins parse_config/to_json on valid documents (oci-spec/runtime_config*.cpp): runc's spec, a
// document using every field, unknown keys, null values, and load_config on a bundle directory.
#include "oci-spec/runtime_config.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/oci-spec/runc_spec.h"

namespace keel::oci {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

RuntimeConfig parse_ok(std::string_view text) {
  auto config = parse_config(text);
  EXPECT_TRUE(config.has_value()) << (config ? "" : config.error().message());
  return config ? std::move(config).value() : RuntimeConfig{};
}

TEST(ParseConfig, ReadsRuncSpec) {
  const RuntimeConfig c = parse_ok(testdata::kRuncSpec);
  EXPECT_EQ(c.oci_version, "1.0.2-dev");
  ASSERT_TRUE(c.process);
  EXPECT_TRUE(c.process->terminal);
  EXPECT_EQ(c.process->user.uid, 0u);
  EXPECT_EQ(c.process->args, std::vector<std::string>{"sh"});
  EXPECT_EQ(c.process->cwd, "/");
  ASSERT_TRUE(c.process->capabilities);
  EXPECT_EQ(c.process->capabilities->bounding->size(), 3u);
  EXPECT_FALSE(c.process->capabilities->inheritable);
  ASSERT_EQ(c.process->rlimits.size(), 1u);
  EXPECT_EQ(c.process->rlimits[0], (Rlimit{"RLIMIT_NOFILE", 1024, 1024}));
  EXPECT_TRUE(c.process->no_new_privileges);
  EXPECT_EQ(c.root, (Root{"rootfs", true}));
  EXPECT_EQ(c.hostname, "runc");
  ASSERT_EQ(c.mounts.size(), 7u);
  EXPECT_EQ(c.mounts[0].destination, "/proc");
  EXPECT_TRUE(c.mounts[0].options.empty());
  EXPECT_EQ(c.mounts[2].options.back(), "gid=5");
  ASSERT_TRUE(c.linux);
  ASSERT_EQ(c.linux->namespaces.size(), 5u);
  EXPECT_EQ(c.linux->namespaces[1].type, "network");
  EXPECT_FALSE(c.linux->namespaces[1].path);
  ASSERT_TRUE(c.linux->resources);
  ASSERT_EQ(c.linux->resources->devices.size(), 1u);
  EXPECT_FALSE(c.linux->resources->devices[0].allow);
  EXPECT_EQ(c.linux->resources->devices[0].access, "rwm");
  EXPECT_EQ(c.linux->masked_paths.size(), 10u);
  EXPECT_EQ(c.linux->readonly_paths.back(), "/proc/sysrq-trigger");
  EXPECT_TRUE(c.extra.empty());
  EXPECT_TRUE(c.process->extra.empty());
  EXPECT_TRUE(c.linux->extra.empty());
}

// Same text as runc's, key order included, once both are indented alike.
TEST(ToJson, RoundTripsRuncSpecInRuncsKeyOrder) {
  for (std::string_view spec : {testdata::kRuncSpec, testdata::kRuncSpecRootless}) {
    const RuntimeConfig c = parse_ok(spec);
    EXPECT_EQ(to_json(c), ordered_json::parse(spec).dump(2));
    EXPECT_EQ(to_json(c, -1), ordered_json::parse(spec).dump());
  }
}

// Every field this library knows, with values away from the defaults.
constexpr std::string_view kEveryField = R"json({
  "ociVersion": "1.2.0",
  "process": {
    "terminal": true,
    "consoleSize": {"height": 25, "width": 80},
    "user": {"uid": 1000, "gid": 1000, "umask": 18, "additionalGids": [5, 6],
             "username": "someone"},
    "args": ["/bin/app", "--flag"],
    "commandLine": "app.exe --flag",
    "env": ["PATH=/bin", "EMPTY="],
    "cwd": "/work",
    "capabilities": {"bounding": ["CAP_CHOWN"], "effective": [], "inheritable": ["CAP_KILL"],
                     "permitted": ["CAP_CHOWN", "CAP_KILL"], "ambient": ["CAP_BPF"]},
    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 4096, "soft": 1024},
                {"type": "RLIMIT_CORE", "hard": 18446744073709551615, "soft": 0}],
    "noNewPrivileges": true,
    "apparmorProfile": "keel-default",
    "oomScoreAdj": -500,
    "scheduler": {"policy": "SCHED_DEADLINE", "nice": -5, "priority": 3,
                  "flags": ["SCHED_FLAG_RECLAIM"], "runtime": 10, "deadline": 20, "period": 30},
    "selinuxLabel": "system_u:system_r:container_t:s0",
    "ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 4},
    "execCPUAffinity": {"initial": "0", "final": "0-3,7"}
  },
  "root": {"path": "/var/lib/keel/rootfs", "readonly": true},
  "hostname": "box",
  "domainname": "example.test",
  "mounts": [
    {"destination": "/data", "type": "none", "source": "/srv/data",
     "options": ["rbind", "idmap"],
     "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
     "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]},
    {"destination": "relative/dir", "type": "tmpfs", "source": "tmpfs"}
  ],
  "hooks": {
    "prestart": [{"path": "/bin/pre", "args": ["pre", "1"], "env": ["A=1"], "timeout": 5}],
    "createRuntime": [{"path": "/bin/cr"}],
    "createContainer": [{"path": "/bin/cc"}],
    "startContainer": [{"path": "/bin/sc"}],
    "poststart": [{"path": "/bin/ps"}],
    "poststop": [{"path": "/bin/pst", "timeout": 1}]
  },
  "annotations": {"org.example.key": "value", "b": ""},
  "linux": {
    "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
    "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
    "sysctl": {"net.ipv4.ip_forward": "1"},
    "resources": {
      "devices": [{"allow": false, "access": "rwm"},
                  {"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rw"}],
      "memory": {"limit": 536870912, "reservation": 268435456, "swap": -1, "kernel": -1,
                 "kernelTCP": -1, "swappiness": 60, "disableOOMKiller": false,
                 "useHierarchy": true, "checkBeforeUpdate": true},
      "cpu": {"shares": 1024, "quota": 100000, "burst": 5000, "period": 100000,
              "realtimeRuntime": 950000, "realtimePeriod": 1000000, "cpus": "0-3",
              "mems": "0", "idle": 1},
      "pids": {"limit": 32771},
      "blockIO": {"weight": 500, "leafWeight": 300,
                  "weightDevice": [{"major": 8, "minor": 0, "weight": 500, "leafWeight": 300},
                                   {"major": 8, "minor": 16, "weight": 100}],
                  "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 600}],
                  "throttleWriteBpsDevice": [{"major": 8, "minor": 0, "rate": 700}],
                  "throttleReadIOPSDevice": [{"major": 8, "minor": 0, "rate": 80}],
                  "throttleWriteIOPSDevice": [{"major": 8, "minor": 16, "rate": 300}]},
      "hugepageLimits": [{"pageSize": "2MB", "limit": 209715200}],
      "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 500}]},
      "rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}, "rxe3": {"hcaObjects": 1}},
      "unified": {"io.max": "259:0 rbps=2097152", "memory.high": "max"}
    },
    "cgroupsPath": "/keel/box",
    "namespaces": [{"type": "pid"}, {"type": "network", "path": "/var/run/netns/n"},
                   {"type": "mount"}, {"type": "ipc"}, {"type": "uts"}, {"type": "user"},
                   {"type": "cgroup"}, {"type": "time"}],
    "devices": [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438,
                 "uid": 0, "gid": 0},
                {"path": "/dev/fifo", "type": "p", "major": 0, "minor": 0}],
    "netDevices": {"eth1": {"name": "ctr1"}, "eth2": {}},
    "seccomp": {
      "defaultAction": "SCMP_ACT_ERRNO",
      "defaultErrnoRet": 38,
      "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
      "flags": ["SECCOMP_FILTER_FLAG_LOG"],
      "listenerPath": "/run/agent.sock",
      "listenerMetadata": "meta",
      "syscalls": [
        {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
         "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"},
                  {"index": 1, "value": 255, "valueTwo": 8, "op": "SCMP_CMP_MASKED_EQ"}]},
        {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
        {"names": ["ptrace"], "action": "SCMP_ACT_NOTIFY"}
      ]
    },
    "rootfsPropagation": "rslave",
    "maskedPaths": ["/proc/kcore"],
    "readonlyPaths": ["/proc/sys"],
    "mountLabel": "system_u:object_r:container_file_t:s0",
    "intelRdt": {"closID": "guaranteed", "l3CacheSchema": "L3:0=7f0", "memBwSchema": "MB:0=20",
                 "schemata": "L2:0=f", "enableCMT": true, "enableMBM": false},
    "personality": {"domain": "LINUX32", "flags": []},
    "timeOffsets": {"monotonic": {"secs": 100, "nanosecs": 5}, "boottime": {"secs": -7}}
  }
})json";

TEST(ParseConfig, ReadsEveryField) {
  const RuntimeConfig c = parse_ok(kEveryField);
  const Process& p = *c.process;
  EXPECT_EQ(p.console_size, (ConsoleSize{25, 80}));
  EXPECT_EQ(p.user.umask, 18u);
  EXPECT_EQ(p.user.additional_gids, (std::vector<uint32_t>{5, 6}));
  EXPECT_EQ(p.command_line, "app.exe --flag");
  ASSERT_TRUE(p.capabilities->effective);
  EXPECT_TRUE(p.capabilities->effective->empty());
  EXPECT_EQ(p.rlimits[1].hard, UINT64_MAX);
  EXPECT_EQ(p.oom_score_adj, -500);
  EXPECT_EQ(p.scheduler->nice, -5);
  EXPECT_EQ(p.io_priority, (IoPriority{"IOPRIO_CLASS_BE", 4}));
  EXPECT_EQ(p.exec_cpu_affinity->final, "0-3,7");
  EXPECT_EQ(c.mounts[0].uid_mappings[0], (IdMapping{0, 100000, 65536}));
  EXPECT_EQ(c.hooks->prestart[0].timeout, 5);
  EXPECT_EQ(c.hooks->poststop[0].path, "/bin/pst");
  EXPECT_EQ(c.annotations.at("org.example.key"), "value");
  const Linux& l = *c.linux;
  EXPECT_EQ(l.sysctl.at("net.ipv4.ip_forward"), "1");
  EXPECT_EQ(l.resources->memory->swap, -1);
  EXPECT_EQ(l.resources->cpu->cpus, "0-3");
  EXPECT_EQ(l.resources->pids->limit, 32771);
  EXPECT_EQ(l.resources->block_io->weight_device[1].leaf_weight, std::nullopt);
  EXPECT_EQ(l.resources->block_io->throttle_write_iops_device[0].rate, 300u);
  EXPECT_EQ(l.resources->rdma.at("rxe3").hca_objects, 1u);
  EXPECT_EQ(l.resources->unified.at("memory.high"), "max");
  EXPECT_EQ(l.namespaces[1].path, "/var/run/netns/n");
  EXPECT_EQ(l.devices[0].file_mode, 438u);
  EXPECT_EQ(l.net_devices.at("eth1").name, "ctr1");
  EXPECT_FALSE(l.net_devices.at("eth2").name);
  EXPECT_EQ(l.seccomp->default_errno_ret, 38u);
  EXPECT_EQ(l.seccomp->syscalls[1].args[1], (SeccompArg{1, 255, 8, "SCMP_CMP_MASKED_EQ"}));
  EXPECT_EQ(l.intel_rdt->enable_mbm, false);
  EXPECT_EQ(l.personality->domain, "LINUX32");
  EXPECT_EQ(l.time_offsets.at("boottime"), (TimeOffset{-7, 0}));
}

TEST(ToJson, RoundTripsEveryField) {
  const RuntimeConfig c = parse_ok(kEveryField);
  json expected = json::parse(kEveryField);
  // Go's omitempty drops an empty flags list; so does to_json.
  expected["linux"]["personality"].erase("flags");
  EXPECT_EQ(json::parse(to_json(c)), expected);
  EXPECT_EQ(parse_ok(to_json(c)), c);
}

TEST(ParseConfig, KeepsUnknownKeysForRoundTrip) {
  json doc = json::parse(testdata::kRuncSpec);
  doc["vm"] = {{"kernel", {{"path", "/boot/vmlinuz"}}}};
  doc["org.example.future"] = json::array({1, "two", nullptr});
  doc["process"]["futureField"] = 3;
  doc["linux"]["memoryPolicy"] = {{"mode", "MPOL_BIND"}, {"nodes", "0"}};
  const RuntimeConfig c = parse_ok(doc.dump());
  EXPECT_EQ(c.extra.at("vm"), R"({"kernel":{"path":"/boot/vmlinuz"}})");
  EXPECT_EQ(c.extra.at("org.example.future"), R"([1,"two",null])");
  EXPECT_EQ(c.process->extra.at("futureField"), "3");
  EXPECT_EQ(c.linux->extra.at("memoryPolicy"), R"({"mode":"MPOL_BIND","nodes":"0"})");
  EXPECT_EQ(json::parse(to_json(c)), doc);
}

// Go's decoder, hence runc, reads null as "not set".
TEST(ParseConfig, TreatsNullAsAbsent) {
  json doc = json::parse(testdata::kRuncSpec);
  doc["hostname"] = nullptr;
  doc["annotations"] = nullptr;
  doc["process"]["apparmorProfile"] = nullptr;
  doc["linux"]["seccomp"] = nullptr;
  const RuntimeConfig c = parse_ok(doc.dump());
  EXPECT_FALSE(c.hostname);
  EXPECT_FALSE(c.process->apparmor_profile);
  EXPECT_FALSE(c.linux->seccomp);
  EXPECT_TRUE(c.extra.empty());
}

TEST(ParseConfig, AcceptsMinimalDocument) {
  const RuntimeConfig c = parse_ok(R"({"ociVersion": "1.0.0", "root": {"path": "rootfs"}})");
  EXPECT_FALSE(c.process);
  EXPECT_FALSE(c.linux);
  EXPECT_EQ(to_json(c, -1), R"({"ociVersion":"1.0.0","root":{"path":"rootfs"}})");
}

// runc accepts both (a relative destination is taken relative to "/"; unknown capabilities are
// warned about), so Keel must too.
TEST(ParseConfig, AcceptsWhatRuncAccepts) {
  json doc = json::parse(testdata::kRuncSpec);
  doc["mounts"].push_back({{"destination", "data"}, {"type", "tmpfs"}, {"source", "tmpfs"}});
  doc["process"]["capabilities"]["bounding"].push_back("CAP_FROM_A_NEWER_KERNEL");
  doc["linux"]["rootfsPropagation"] = "rprivate";
  doc["hooks"] = {{"poststop", {{{"path", "relative/hook"}}}}};
  EXPECT_TRUE(parse_config(doc.dump()).has_value());
}

class TempBundle : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/keel-oci-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(TempBundle, LoadConfigReadsBundleConfig) {
  std::ofstream(dir_ + "/config.json") << testdata::kRuncSpec;
  auto config = load_config(dir_);
  ASSERT_TRUE(config.has_value()) << config.error().message();
  EXPECT_EQ(config->hostname, "runc");
}

TEST_F(TempBundle, LoadConfigNamesMissingFile) {
  auto config = load_config(dir_);
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().kind(), Errc::kNotFound);
  EXPECT_EQ(config.error().message(),
            "load bundle config: open \"" + dir_ + "/config.json\": No such file or directory");
}

TEST_F(TempBundle, LoadConfigReportsParseErrors) {
  std::ofstream(dir_ + "/config.json") << R"({"ociVersion": 1})";
  auto config = load_config(dir_);
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().message(), "config.json: ociVersion: must be a string, not a number");
}

}  // namespace
}  // namespace keel::oci
