// Pins the state JSON (oci-spec/state.cpp), the features JSON (oci-spec/features.cpp) and the
// name lists of known_names.cpp against the kernel's numbering.
#include <linux/capability.h>
#include <sys/resource.h>

#include <gtest/gtest.h>

#include "oci-spec/features.h"
#include "oci-spec/state.h"

namespace keel::oci {
namespace {

TEST(StateJson, WritesSpecNamesInSpecOrder) {
  const State state{"1.2.0", "box", "running", 4242, "/bundles/box", {{"k", "v"}}};
  EXPECT_EQ(to_json(state), R"({
  "ociVersion": "1.2.0",
  "id": "box",
  "status": "running",
  "pid": 4242,
  "bundle": "/bundles/box",
  "annotations": {
    "k": "v"
  }
})");
}

TEST(StateJson, OmitsZeroPidAndEmptyAnnotations) {
  const State state{"1.2.0", "box", "stopped", 0, "/b", {}};
  EXPECT_EQ(to_json(state),
            "{\n  \"ociVersion\": \"1.2.0\",\n  \"id\": \"box\",\n  \"status\": \"stopped\",\n"
            "  \"bundle\": \"/b\"\n}");
}

TEST(StateJson, RoundTrips) {
  const State state{"1.2.0", "box", "created", 17, "/bundles/box", {{"a", "1"}, {"b", ""}}};
  auto parsed = parse_state(to_json(state));
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message();
  EXPECT_EQ(*parsed, state);
}

TEST(StateJson, RejectsMissingFieldsAndUnknownStatus) {
  auto no_id = parse_state(R"({"ociVersion": "1.2.0", "status": "created", "bundle": "/b"})");
  ASSERT_FALSE(no_id.has_value());
  EXPECT_EQ(no_id.error().message(), "state: id: is required");

  auto bad_status =
      parse_state(R"({"ociVersion": "1.2.0", "id": "x", "status": "paused", "bundle": "/b"})");
  ASSERT_FALSE(bad_status.has_value());
  EXPECT_EQ(bad_status.error().message(), "state: status: unknown status \"paused\"");

  auto bad_pid = parse_state(
      R"({"ociVersion": "1.2.0", "id": "x", "status": "created", "pid": "1", "bundle": "/b"})");
  ASSERT_FALSE(bad_pid.has_value());
  EXPECT_EQ(bad_pid.error().message(),
            "state: pid: must be an integer from -2147483648 to 2147483647, not a string");

  auto not_json = parse_state("{");
  ASSERT_FALSE(not_json.has_value());
  EXPECT_EQ(not_json.error().kind(), Errc::kInvalidArgument);
  EXPECT_TRUE(not_json.error().message().starts_with("state: invalid JSON: parse error"));
}

TEST(FeaturesJson, WritesOnlyWhatIsSet) {
  Features f;
  f.oci_version_min = "1.0.0";
  f.oci_version_max = "1.2.0";
  EXPECT_EQ(to_json(f), "{\n  \"ociVersionMin\": \"1.0.0\",\n  \"ociVersionMax\": \"1.2.0\"\n}");
}

TEST(FeaturesJson, WritesSpecNames) {
  Features f;
  f.oci_version_min = "1.0.0";
  f.oci_version_max = "1.2.0";
  f.hooks = {"prestart", "poststop"};
  f.mount_options = std::vector<std::string>{};
  Features::Linux& l = f.linux.emplace();
  l.namespaces = {"pid"};
  l.capabilities = {"CAP_CHOWN"};
  l.cgroup = Features::Cgroup{true, true, false, false, std::nullopt};
  Features::Seccomp& s = l.seccomp.emplace();
  s.enabled = true;
  s.actions = {"SCMP_ACT_ALLOW"};
  s.operators = {"SCMP_CMP_EQ"};
  s.archs = {"SCMP_ARCH_X86_64"};
  s.known_flags = {"SECCOMP_FILTER_FLAG_LOG"};
  s.supported_flags = std::vector<std::string>{};
  l.apparmor = Features::Enabled{false};
  l.selinux = Features::Enabled{std::nullopt};
  l.intel_rdt = Features::Enabled{true};
  l.mount_extensions.emplace().idmap = Features::Enabled{true};
  f.annotations = std::map<std::string, std::string>{{"org.example.version", "0.1.0"}};
  f.potentially_unsafe_config_annotations = {"org.example.unsafe."};
  EXPECT_EQ(to_json(f), R"({
  "ociVersionMin": "1.0.0",
  "ociVersionMax": "1.2.0",
  "hooks": [
    "prestart",
    "poststop"
  ],
  "mountOptions": [],
  "linux": {
    "namespaces": [
      "pid"
    ],
    "capabilities": [
      "CAP_CHOWN"
    ],
    "cgroup": {
      "v1": true,
      "v2": true,
      "systemd": false,
      "systemdUser": false
    },
    "seccomp": {
      "enabled": true,
      "actions": [
        "SCMP_ACT_ALLOW"
      ],
      "operators": [
        "SCMP_CMP_EQ"
      ],
      "archs": [
        "SCMP_ARCH_X86_64"
      ],
      "knownFlags": [
        "SECCOMP_FILTER_FLAG_LOG"
      ],
      "supportedFlags": []
    },
    "apparmor": {
      "enabled": false
    },
    "selinux": {},
    "intelRdt": {
      "enabled": true
    },
    "mountExtensions": {
      "idmap": {
        "enabled": true
      }
    }
  },
  "annotations": {
    "org.example.version": "0.1.0"
  },
  "potentiallyUnsafeConfigAnnotations": [
    "org.example.unsafe."
  ]
})");
}

// The runtime turns names into numbers by position: the lists must follow the kernel's order.
TEST(KnownNames, CapabilitiesAreInKernelNumberOrder) {
  const auto& caps = known_capabilities();
  ASSERT_EQ(caps.size(), static_cast<std::size_t>(CAP_LAST_CAP + 1));
  EXPECT_EQ(caps[CAP_CHOWN], "CAP_CHOWN");
  EXPECT_EQ(caps[CAP_NET_BIND_SERVICE], "CAP_NET_BIND_SERVICE");
  EXPECT_EQ(caps[CAP_SYS_ADMIN], "CAP_SYS_ADMIN");
  EXPECT_EQ(caps[CAP_AUDIT_WRITE], "CAP_AUDIT_WRITE");
  EXPECT_EQ(caps[CAP_AUDIT_READ], "CAP_AUDIT_READ");
  EXPECT_EQ(caps[CAP_BPF], "CAP_BPF");
  EXPECT_EQ(caps[CAP_CHECKPOINT_RESTORE], "CAP_CHECKPOINT_RESTORE");
  EXPECT_TRUE(is_known_capability("CAP_KILL"));
  EXPECT_FALSE(is_known_capability("CAP_FROM_A_NEWER_KERNEL"));
}

TEST(KnownNames, RlimitsAreInKernelNumberOrder) {
  const auto& rlimits = known_rlimits();
  ASSERT_EQ(rlimits.size(), static_cast<std::size_t>(RLIMIT_NLIMITS));
  EXPECT_EQ(rlimits[RLIMIT_CPU], "RLIMIT_CPU");
  EXPECT_EQ(rlimits[RLIMIT_NOFILE], "RLIMIT_NOFILE");
  EXPECT_EQ(rlimits[RLIMIT_AS], "RLIMIT_AS");
  EXPECT_EQ(rlimits[RLIMIT_MSGQUEUE], "RLIMIT_MSGQUEUE");
  EXPECT_EQ(rlimits[RLIMIT_RTTIME], "RLIMIT_RTTIME");
}

TEST(KnownNames, ListsTheSpecsNamespacesAndHooks) {
  EXPECT_EQ(known_namespaces(), (std::vector<std::string>{"pid", "network", "mount", "ipc", "uts",
                                                          "user", "cgroup", "time"}));
  EXPECT_EQ(known_hooks().size(), 6u);
  EXPECT_EQ(known_seccomp_actions().size(), 9u);
  EXPECT_EQ(known_seccomp_operators().size(), 7u);
}

}  // namespace
}  // namespace keel::oci
