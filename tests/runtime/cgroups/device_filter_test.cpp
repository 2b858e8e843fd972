// Pins the program runtime/cgroups/device_filter.cpp generates, without root: its shape, and its
// verdicts as a small interpreter of the instructions it uses computes them.
#include "runtime/cgroups/device_filter.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace keel::runtime::cgroups {
namespace {

using ::testing::HasSubstr;

using Rules = std::vector<oci::DeviceCgroup>;

oci::DeviceCgroup rule(bool allow, const char* type, std::optional<int64_t> major,
                       std::optional<int64_t> minor, const char* access) {
  return {allow, type, access, major, minor};
}

const oci::DeviceCgroup kDenyAll{false, std::nullopt, "rwm", std::nullopt, std::nullopt};
const oci::DeviceCgroup kAllowAll{true, "a", "rwm", -1, -1};

constexpr std::uint32_t kBlock = BPF_DEVCG_DEV_BLOCK;
constexpr std::uint32_t kChar = BPF_DEVCG_DEV_CHAR;
constexpr std::uint32_t kR = BPF_DEVCG_ACC_READ;
constexpr std::uint32_t kW = BPF_DEVCG_ACC_WRITE;
constexpr std::uint32_t kM = BPF_DEVCG_ACC_MKNOD;

// Runs `program` on one request as the kernel would; -1 for an instruction it does not know or a
// jump out of the program (the kernel's verifier would refuse both).
int run(const std::vector<bpf_insn>& program, std::uint32_t type, std::uint32_t access,
        std::uint32_t major, std::uint32_t minor) {
  const bpf_cgroup_dev_ctx ctx{(access << 16) | type, major, minor};
  std::uint64_t reg[11] = {};
  for (size_t pc = 0; pc < program.size(); ++pc) {
    const bpf_insn& i = program[pc];
    const auto imm = static_cast<std::uint64_t>(static_cast<std::int64_t>(i.imm));
    const std::uint64_t src = BPF_SRC(i.code) == BPF_X ? reg[i.src_reg] : imm;
    switch (i.code) {
      case BPF_LDX | BPF_MEM | BPF_W: {
        if (i.src_reg != BPF_REG_1 || i.off < 0 || i.off + 4 > static_cast<int>(sizeof ctx))
          return -1;
        std::uint32_t v = 0;
        std::memcpy(&v, reinterpret_cast<const char*>(&ctx) + i.off, sizeof v);
        reg[i.dst_reg] = v;
        break;
      }
      case BPF_ALU | BPF_AND | BPF_K:
        reg[i.dst_reg] = static_cast<std::uint32_t>(reg[i.dst_reg] & src);
        break;
      case BPF_ALU | BPF_RSH | BPF_K:
        reg[i.dst_reg] = static_cast<std::uint32_t>(reg[i.dst_reg]) >> src;
        break;
      case BPF_ALU | BPF_MOV | BPF_X:
        reg[i.dst_reg] = static_cast<std::uint32_t>(src);
        break;
      case BPF_ALU64 | BPF_MOV | BPF_K:
        reg[i.dst_reg] = src;
        break;
      case BPF_JMP | BPF_JNE | BPF_K:
      case BPF_JMP | BPF_JNE | BPF_X:
      case BPF_JMP | BPF_JEQ | BPF_K: {
        const bool equal = reg[i.dst_reg] == src;
        if (equal == (BPF_OP(i.code) == BPF_JEQ))
          pc += static_cast<size_t>(i.off);
        if (i.off < 0 || pc >= program.size())
          return -1;
        break;
      }
      case BPF_JMP | BPF_EXIT:
        return static_cast<int>(reg[BPF_REG_0]);
      default:
        return -1;
    }
  }
  return -1;  // fell off the end
}

std::vector<bpf_insn> program_of(const Rules& rules) {
  auto program = device_filter_program(rules);
  EXPECT_TRUE(program.has_value()) << program.error().message();
  return program ? *program : std::vector<bpf_insn>{};
}

TEST(DeviceFilter, NoRulesDenyEverything) {
  const auto program = program_of({});
  ASSERT_EQ(program.size(), 8u);  // 6 to load the request, r0 = 0, exit
  EXPECT_EQ(program[6].code, BPF_ALU64 | BPF_MOV | BPF_K);
  EXPECT_EQ(program[6].imm, 0);
  EXPECT_EQ(program[7].code, BPF_JMP | BPF_EXIT);
  EXPECT_EQ(run(program, kChar, kR, 1, 3), 0);
}

TEST(DeviceFilter, PrologueSplitsTheRequest) {
  const auto program = program_of({});
  ASSERT_GE(program.size(), 6u);
  for (const size_t i : {0, 2, 4, 5}) {
    EXPECT_EQ(program[i].code, BPF_LDX | BPF_MEM | BPF_W) << i;
    EXPECT_EQ(program[i].src_reg, BPF_REG_1) << i;
  }
  EXPECT_EQ(program[0].off, 0);  // access_type
  EXPECT_EQ(program[1].code, BPF_ALU | BPF_AND | BPF_K);
  EXPECT_EQ(program[1].imm, 0xffff);
  EXPECT_EQ(program[3].code, BPF_ALU | BPF_RSH | BPF_K);
  EXPECT_EQ(program[3].imm, 16);
  EXPECT_EQ(program[4].off, 4);  // major
  EXPECT_EQ(program[5].off, 8);  // minor
}

TEST(DeviceFilter, OneBlockPerRuleAfterTheLastDenyAll) {
  // runc's default shape: deny all, then allow /dev/null. The allow becomes: type, major and
  // minor tests (access rwm needs none), r0 = 1, exit; each test jumps past the block.
  const auto program = program_of({kDenyAll, rule(true, "c", 1, 3, "rwm")});
  ASSERT_EQ(program.size(), 6u + 5u + 2u);
  EXPECT_EQ(program[6].code, BPF_JMP | BPF_JNE | BPF_K);
  EXPECT_EQ(program[6].imm, static_cast<int>(kChar));
  EXPECT_EQ(program[6].off, 4);
  EXPECT_EQ(program[7].imm, 1);
  EXPECT_EQ(program[7].off, 3);
  EXPECT_EQ(program[8].imm, 3);
  EXPECT_EQ(program[8].off, 2);
  EXPECT_EQ(program[9].imm, 1);  // allow
  EXPECT_EQ(program[10].code, BPF_JMP | BPF_EXIT);
  EXPECT_EQ(program[11].imm, 0);  // default: deny
}

TEST(DeviceFilter, RulesBeforeAnEveryDeviceRuleAreLeftOut) {
  const auto with_dead = program_of({rule(true, "c", 1, 3, "rwm"), kAllowAll});
  EXPECT_EQ(with_dead.size(), 8u);
  EXPECT_EQ(with_dead[6].imm, 1);  // default: allow
  EXPECT_EQ(program_of({rule(true, "c", 1, 3, "rwm"), kDenyAll}).size(), 8u);
}

TEST(DeviceFilter, AccessTestIsThreeInstructions) {
  const auto program = program_of({rule(true, "a", std::nullopt, std::nullopt, "r")});
  ASSERT_EQ(program.size(), 6u + 5u + 2u);
  EXPECT_EQ(program[6].code, BPF_ALU | BPF_MOV | BPF_X);
  EXPECT_EQ(program[7].code, BPF_ALU | BPF_AND | BPF_K);
  EXPECT_EQ(program[7].imm, static_cast<int>(kR));
  EXPECT_EQ(program[8].code, BPF_JMP | BPF_JNE | BPF_X);
  EXPECT_EQ(program[8].off, 2);
}

TEST(DeviceFilter, RuncDefaultsAllowOnlyTheListedDevices) {
  const auto program = program_of({kDenyAll, rule(true, "c", std::nullopt, std::nullopt, "m"),
                                   rule(true, "c", 1, 3, "rwm"), rule(true, "c", 136, -1, "rwm")});
  EXPECT_EQ(run(program, kChar, kR | kW, 1, 3), 1);    // /dev/null
  EXPECT_EQ(run(program, kChar, kR, 1, 5), 0);         // /dev/zero
  EXPECT_EQ(run(program, kChar, kM, 1, 5), 1);         // mknod of any char device
  EXPECT_EQ(run(program, kBlock, kM, 8, 0), 0);        // not of a block device
  EXPECT_EQ(run(program, kChar, kR | kW, 136, 7), 1);  // /dev/pts/7
  EXPECT_EQ(run(program, kBlock, kR, 1, 3), 0);        // block 1:3 is not char 1:3
}

TEST(DeviceFilter, LastMatchingRuleWins) {
  const Rules allow_then_deny = {kDenyAll, rule(true, "c", 1, -1, "rwm"),
                                 rule(false, "c", 1, 5, "rwm")};
  EXPECT_EQ(run(program_of(allow_then_deny), kChar, kR, 1, 5), 0);
  EXPECT_EQ(run(program_of(allow_then_deny), kChar, kR, 1, 3), 1);
  const Rules deny_then_allow = {kDenyAll, rule(false, "c", 1, 5, "rwm"),
                                 rule(true, "c", 1, -1, "rwm")};
  EXPECT_EQ(run(program_of(deny_then_allow), kChar, kR, 1, 5), 1);
}

TEST(DeviceFilter, AllowAllWithDenyRulesIsABlacklist) {
  const auto program = program_of({kAllowAll, rule(false, "b", 8, 0, "w")});
  EXPECT_EQ(run(program, kBlock, kR, 8, 0), 1);
  EXPECT_EQ(run(program, kBlock, kW, 8, 0), 0);
  EXPECT_EQ(run(program, kBlock, kR | kW, 8, 0), 0) << "a deny of w refuses an O_RDWR open";
  EXPECT_EQ(run(program, kBlock, kW, 8, 1), 1);
  EXPECT_EQ(run(program, kChar, kW, 8, 0), 1);
}

TEST(DeviceFilter, AllowNeedsEveryRequestedAccess) {
  const auto program = program_of({kDenyAll, rule(true, "c", 1, 3, "r")});
  EXPECT_EQ(run(program, kChar, kR, 1, 3), 1);
  EXPECT_EQ(run(program, kChar, kW, 1, 3), 0);
  EXPECT_EQ(run(program, kChar, kR | kW, 1, 3), 0);
}

TEST(DeviceFilter, TypeAMatchesBlockAndChar) {
  const auto program = program_of({kDenyAll, rule(true, "a", 7, -1, "rwm")});
  EXPECT_EQ(run(program, kChar, kR, 7, 1), 1);
  EXPECT_EQ(run(program, kBlock, kR, 7, 2), 1);
  EXPECT_EQ(run(program, kBlock, kR, 8, 2), 0);
}

TEST(DeviceFilter, BadRulesNameTheirIndex) {
  auto type = device_filter_program({kDenyAll, rule(true, "x", 1, 3, "rwm")});
  ASSERT_FALSE(type);
  EXPECT_EQ(type.error().kind(), Errc::kInvalidArgument);
  EXPECT_EQ(type.error().message(), "linux.resources.devices[1]: type \"x\" is not a, b or c");
  auto access = device_filter_program({rule(true, "c", 1, 3, "rwq")});
  ASSERT_FALSE(access);
  EXPECT_THAT(access.error().message(), HasSubstr("devices[0]: access \"rwq\""));
  auto major = device_filter_program({rule(true, "c", -2, 3, "rwm")});
  ASSERT_FALSE(major);
  EXPECT_THAT(major.error().message(), HasSubstr("major -2"));
}

}  // namespace
}  // namespace keel::runtime::cgroups
