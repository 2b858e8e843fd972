// Pins the exact error line for each rule parse_config enforces (oci-spec/validate*.cpp and the
// type checks of runtime_config*.cpp): runc's spec with one change, and the message it must give.
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "oci-spec/runtime_config.h"
#include "tests/oci-spec/runc_spec.h"

namespace keel::oci {
namespace {

using nlohmann::json;

struct BadCase {
  const char* name;
  const char* pointer;  // JSON pointer into runc's spec
  const char* value;    // JSON text to put there; nullptr removes the member
  const char* message;
};

void PrintTo(const BadCase& c, std::ostream* os) {
  *os << c.name;
}

class BadDocument : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadDocument, GivesExactMessage) {
  const BadCase& c = GetParam();
  json doc = json::parse(testdata::kRuncSpec);
  const json::json_pointer pointer(c.pointer);
  if (c.value == nullptr)
    doc[pointer.parent_pointer()].erase(pointer.back());
  else
    doc[pointer] = json::parse(c.value);
  auto config = parse_config(doc.dump());
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().kind(), Errc::kInvalidArgument);
  EXPECT_EQ(config.error().message(), c.message);
}

constexpr BadCase kTypeCases[] = {
    {"OciVersionNumber", "/ociVersion", "1",
     "config.json: ociVersion: must be a string, not a number"},
    {"TerminalString", "/process/terminal", R"("yes")",
     "config.json: process.terminal: must be a boolean, not a string"},
    {"ProcessArray", "/process", "[]", "config.json: process: must be an object, not an array"},
    {"ArgsString", "/process/args", R"("sh")",
     "config.json: process.args: must be an array, not a string"},
    {"ArgsElementNumber", "/process/args", R"(["sh", 5])",
     "config.json: process.args[1]: must be a string, not a number"},
    {"UidNegative", "/process/user/uid", "-1",
     "config.json: process.user.uid: must be an integer from 0 to 4294967295, not -1"},
    {"UidFraction", "/process/user/uid", "1.5",
     "config.json: process.user.uid: must be an integer from 0 to 4294967295, not 1.5"},
    {"UidTooLarge", "/process/user/uid", "4294967296",
     "config.json: process.user.uid: must be an integer from 0 to 4294967295, not 4294967296"},
    {"UidString", "/process/user/uid", R"("0")",
     "config.json: process.user.uid: must be an integer from 0 to 4294967295, not a string"},
    {"RlimitHardNegative", "/process/rlimits/0/hard", "-1",
     "config.json: process.rlimits[0].hard: must be an integer from 0 to 18446744073709551615, "
     "not -1"},
    {"MemoryLimitString", "/linux/resources/memory", R"({"limit": "1G"})",
     "config.json: linux.resources.memory.limit: must be an integer from -9223372036854775808 to "
     "9223372036854775807, not a string"},
    {"AnnotationNumber", "/annotations", R"({"a.b": 1})",
     "config.json: annotations[\"a.b\"]: must be a string, not a number"},
    {"LinuxArray", "/linux", "[]", "config.json: linux: must be an object, not an array"},
    {"NamespaceNotObject", "/linux/namespaces/0", R"("pid")",
     "config.json: linux.namespaces[0]: must be an object, not a string"},
    {"MountsObject", "/mounts", "{}", "config.json: mounts: must be an array, not an object"},
    {"SysctlValueBool", "/linux/sysctl", R"({"net.core.somaxconn": true})",
     "config.json: linux.sysctl[\"net.core.somaxconn\"]: must be a string, not a boolean"},
    {"RdmaEntryNumber", "/linux/resources/rdma", R"({"mlx5_1": {"hcaHandles": -3}})",
     "config.json: linux.resources.rdma[\"mlx5_1\"].hcaHandles: must be an integer from 0 to "
     "4294967295, not -3"},
    {"BlkioWeightTooLarge", "/linux/resources/blockIO", R"({"weight": 70000})",
     "config.json: linux.resources.blockIO.weight: must be an integer from 0 to 65535, not 70000"},
    {"SeccompArgIndexString", "/linux/seccomp",
     R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"],
        "action": "SCMP_ACT_ALLOW", "args": [{"index": "0", "value": 1, "op": "SCMP_CMP_EQ"}]}]})",
     "config.json: linux.seccomp.syscalls[0].args[0].index: must be an integer from 0 to "
     "4294967295, not a string"},
};

INSTANTIATE_TEST_SUITE_P(WrongType, BadDocument, ::testing::ValuesIn(kTypeCases),
                         [](const auto& test) { return std::string(test.param.name); });

constexpr BadCase kRuleCases[] = {
    {"NoOciVersion", "/ociVersion", nullptr, "config.json: ociVersion: is required"},
    {"NoRoot", "/root", nullptr, "config.json: root: is required"},
    {"EmptyRootPath", "/root/path", R"("")", "config.json: root.path: is required"},
    {"NoRootPath", "/root/path", nullptr, "config.json: root.path: is required"},
    {"EmptyArgs", "/process/args", "[]",
     "config.json: process.args: must be a non-empty array of strings"},
    {"NoArgs", "/process/args", nullptr,
     "config.json: process.args: must be a non-empty array of strings"},
    {"ArgWithNul", "/process/args", R"(["sh", "a\u0000b"])",
     "config.json: process.args[1]: must not contain a NUL character"},
    {"NoCwd", "/process/cwd", nullptr, "config.json: process.cwd: is required"},
    {"RelativeCwd", "/process/cwd", R"("tmp")",
     "config.json: process.cwd: must be an absolute path, not \"tmp\""},
    {"EnvWithoutEquals", "/process/env/1", R"("TERM")",
     "config.json: process.env[1]: must be \"NAME=value\", not \"TERM\""},
    {"EnvEmptyName", "/process/env/0", R"("=x")",
     "config.json: process.env[0]: must be \"NAME=value\", not \"=x\""},
    {"UnknownRlimit", "/process/rlimits/0/type", R"("RLIMIT_FOO")",
     "config.json: process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\""},
    {"DuplicateRlimit", "/process/rlimits",
     R"([{"type": "RLIMIT_CORE", "hard": 0, "soft": 0},
         {"type": "RLIMIT_NOFILE", "hard": 1, "soft": 1},
         {"type": "RLIMIT_CORE", "hard": 1, "soft": 1}])",
     "config.json: process.rlimits[2].type: duplicate rlimit \"RLIMIT_CORE\""},
    {"SoftAboveHard", "/process/rlimits/0/soft", "2048",
     "config.json: process.rlimits[0].soft: 2048 exceeds the hard limit 1024"},
    {"BadCapabilityName", "/process/capabilities/effective/1", R"("kill")",
     "config.json: process.capabilities.effective[1]: invalid capability name \"kill\""},
    {"OomScoreAdjOutOfRange", "/process/oomScoreAdj", "1001",
     "config.json: process.oomScoreAdj: must be from -1000 to 1000, not 1001"},
    {"UnknownIoClass", "/process/ioPriority", R"({"class": "IOPRIO_CLASS_FAST", "priority": 0})",
     "config.json: process.ioPriority.class: unknown I/O priority class \"IOPRIO_CLASS_FAST\""},
    {"IoPriorityOutOfRange", "/process/ioPriority",
     R"({"class": "IOPRIO_CLASS_BE", "priority": 8})",
     "config.json: process.ioPriority.priority: must be from 0 to 7, not 8"},
    {"UnknownSchedPolicy", "/process/scheduler", R"({"policy": "SCHED_FAST"})",
     "config.json: process.scheduler.policy: unknown scheduling policy \"SCHED_FAST\""},
    {"UnknownSchedFlag", "/process/scheduler",
     R"({"policy": "SCHED_OTHER", "flags": ["SCHED_FLAG_RECLAIM", "SCHED_FLAG_X"]})",
     "config.json: process.scheduler.flags[1]: unknown scheduling flag \"SCHED_FLAG_X\""},
    {"BadCpuList", "/process/execCPUAffinity", R"({"final": "all"})",
     "config.json: process.execCPUAffinity.final: invalid CPU list \"all\""},
    {"NoMountDestination", "/mounts/3/destination", nullptr,
     "config.json: mounts[3].destination: is required"},
    {"MountUidMapsAlone", "/mounts/0/uidMappings",
     R"([{"containerID": 0, "hostID": 1, "size": 1}])",
     "config.json: mounts[0].uidMappings: must be set together with gidMappings"},
    {"NoHookPath", "/hooks", R"({"createRuntime": [{"path": "/bin/true"}, {"args": ["x"]}]})",
     "config.json: hooks.createRuntime[1].path: is required"},
    {"HookTimeoutZero", "/hooks", R"({"prestart": [{"path": "/bin/true", "timeout": 0}]})",
     "config.json: hooks.prestart[0].timeout: must be greater than zero, not 0"},
    {"UnknownNamespace", "/linux/namespaces/2/type", R"("foo")",
     "config.json: linux.namespaces[2].type: unknown namespace \"foo\""},
    {"NoNamespaceType", "/linux/namespaces/2/type", nullptr,
     "config.json: linux.namespaces[2].type: is required"},
    {"DuplicateNamespace", "/linux/namespaces/4", R"({"type": "pid", "path": "/proc/1/ns/pid"})",
     "config.json: linux.namespaces[4].type: duplicate namespace \"pid\""},
    {"UnknownClock", "/linux/timeOffsets", R"({"monotonic": {"secs": 1}, "realtime": {"secs": 1}})",
     "config.json: linux.timeOffsets[\"realtime\"]: unknown clock \"realtime\" (want monotonic or "
     "boottime)"},
    {"UnknownDeviceType", "/linux/devices", R"([{"type": "x", "path": "/dev/x"}])",
     "config.json: linux.devices[0].type: unknown device type \"x\" (want c, b, u or p)"},
    {"NoDevicePath", "/linux/devices", R"([{"type": "c", "major": 1, "minor": 3}])",
     "config.json: linux.devices[0].path: is required"},
    {"UnknownCgroupDeviceType", "/linux/resources/devices/0/type", R"("p")",
     "config.json: linux.resources.devices[0].type: unknown device type \"p\" (want a, c or b)"},
    {"BadCgroupDeviceAccess", "/linux/resources/devices/0/access", R"("rwx")",
     "config.json: linux.resources.devices[0].access: invalid access \"rwx\" (want a combination "
     "of r, w and m)"},
    {"SwappinessOutOfRange", "/linux/resources/memory", R"({"swappiness": 101})",
     "config.json: linux.resources.memory.swappiness: must be from 0 to 100, not 101"},
    {"UnknownPropagation", "/linux/rootfsPropagation", R"("recursive")",
     "config.json: linux.rootfsPropagation: unknown propagation \"recursive\""},
    {"UnknownSeccompDefault", "/linux/seccomp", R"({"defaultAction": "SCMP_ACT_EXPLODE"})",
     "config.json: linux.seccomp.defaultAction: unknown seccomp action \"SCMP_ACT_EXPLODE\""},
    {"NoSeccompDefault", "/linux/seccomp", R"({"architectures": ["SCMP_ARCH_X86_64"]})",
     "config.json: linux.seccomp.defaultAction: is required"},
    {"UnknownSeccompArch", "/linux/seccomp",
     R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_Z80"]})",
     "config.json: linux.seccomp.architectures[1]: unknown seccomp architecture \"SCMP_ARCH_Z80\""},
    {"UnknownSeccompFlag", "/linux/seccomp",
     R"({"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_FAST"]})",
     "config.json: linux.seccomp.flags[0]: unknown seccomp flag \"SECCOMP_FILTER_FLAG_FAST\""},
    {"UnknownSyscallAction", "/linux/seccomp",
     R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "deny"}]})",
     "config.json: linux.seccomp.syscalls[0].action: unknown seccomp action \"deny\""},
    {"UnknownSeccompOp", "/linux/seccomp",
     R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"],
        "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_LIKE"}]}]})",
     "config.json: linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator "
     "\"SCMP_CMP_LIKE\""},
    {"SeccompArgIndexTooLarge", "/linux/seccomp",
     R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"],
        "action": "SCMP_ACT_ERRNO", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]})",
     "config.json: linux.seccomp.syscalls[0].args[0].index: must be from 0 to 5, not 6"},
    {"ErrnoRetWithAllow", "/linux/seccomp",
     R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"],
        "action": "SCMP_ACT_ALLOW", "errnoRet": 1}]})",
     "config.json: linux.seccomp.syscalls[0].errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take "
     "an errno, not \"SCMP_ACT_ALLOW\""},
    {"DefaultErrnoRetWithKill", "/linux/seccomp",
     R"({"defaultAction": "SCMP_ACT_KILL", "defaultErrnoRet": 1})",
     "config.json: linux.seccomp.defaultErrnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an "
     "errno, not \"SCMP_ACT_KILL\""},
    {"ListenerMetadataAlone", "/linux/seccomp",
     R"({"defaultAction": "SCMP_ACT_ALLOW", "listenerMetadata": "x"})",
     "config.json: linux.seccomp.listenerMetadata: must not be set without listenerPath"},
    {"UnknownPersonality", "/linux/personality", R"({"domain": "LINUX64"})",
     "config.json: linux.personality.domain: unknown personality domain \"LINUX64\""},
};

INSTANTIATE_TEST_SUITE_P(BrokenRule, BadDocument, ::testing::ValuesIn(kRuleCases),
                         [](const auto& test) { return std::string(test.param.name); });

TEST(ParseConfig, ReportsInvalidJsonWithParserPosition) {
  auto config = parse_config(R"({"ociVersion": "1.0.0",})");
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().kind(), Errc::kInvalidArgument);
  EXPECT_EQ(config.error().message(),
            "config.json: invalid JSON: parse error at line 1, column 24: syntax error while "
            "parsing object key - unexpected '}'; expected string literal");
}

TEST(ParseConfig, ReportsEmptyInput) {
  auto config = parse_config("");
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(
      config.error().message(),
      "config.json: invalid JSON: parse error at line 1, column 1: syntax error while parsing "
      "value - unexpected end of input; expected '[', '{', or a literal");
}

TEST(ParseConfig, RejectsNonObjectDocument) {
  auto config = parse_config("[1, 2]");
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().message(), "config.json: must be an object, not an array");
}

TEST(ParseConfig, ErrorIsOneLine) {
  auto config = parse_config("{\n\"ociVersion\": \n}");
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().message().find('\n'), std::string::npos);
}

std::string nested_arrays(int depth) {
  return std::string(static_cast<std::size_t>(depth), '[') +
         std::string(static_cast<std::size_t>(depth), ']');
}

// Unknown keys are kept as re-serialized text; serializing recurses per level, so a hostile
// document must not be able to exhaust the stack through them.
TEST(ParseConfig, BoundsNestingOfUnknownKeys) {
  const std::string head = R"({"ociVersion": "1.0.0", "root": {"path": "r"}, "x": )";
  EXPECT_TRUE(parse_config(head + nested_arrays(256) + "}").has_value());
  for (int depth : {257, 200000}) {
    auto config = parse_config(head + nested_arrays(depth) + "}");
    ASSERT_FALSE(config.has_value());
    EXPECT_EQ(config.error().message(), "config.json: x: nested deeper than 256 levels");
  }
}

// validate() on a struct built in code gives the same messages as parse_config.
TEST(Validate, ChecksConfigsBuiltInCode) {
  RuntimeConfig config = default_config(false);
  ASSERT_TRUE(validate(config).has_value());
  config.linux->namespaces.push_back(Namespace{"network", "/var/run/netns/x"});
  auto result = validate(config);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message(), "config.json: linux.namespaces[" +
                                          std::to_string(config.linux->namespaces.size() - 1) +
                                          "].type: duplicate namespace \"network\"");
}

}  // namespace
}  // namespace keel::oci
