// The cgroup v2 device filter: device rules to eBPF instructions, then load, attach, and detach
// what was there before, with bpf(2) itself (no libbpf: a few commands, one program type).
#include "runtime/cgroups/device_filter.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/unique_fd.h"

namespace keel::runtime::cgroups {
namespace {

// Registers after the prologue: r2 device type, r3 requested access, r4 major, r5 minor (r1 is
// the context, then scratch); r0 the verdict, 1 allow, 0 deny.
constexpr std::uint8_t kType = BPF_REG_2;
constexpr std::uint8_t kAccess = BPF_REG_3;
constexpr std::uint8_t kMajor = BPF_REG_4;
constexpr std::uint8_t kMinor = BPF_REG_5;
constexpr std::uint8_t kScratch = BPF_REG_1;
constexpr std::uint32_t kAllAccess = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;

bpf_insn insn(std::uint8_t code, std::uint8_t dst, std::uint8_t src, std::int16_t off,
              std::int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}

bpf_insn load_u32(std::uint8_t dst, std::int16_t offset) {  // dst = *(u32*)(r1 + offset)
  return insn(BPF_LDX | BPF_MEM | BPF_W, dst, BPF_REG_1, offset, 0);
}
bpf_insn alu32_imm(std::uint8_t op, std::uint8_t dst, std::int32_t imm) {
  return insn(BPF_ALU | op | BPF_K, dst, 0, 0, imm);
}
bpf_insn mov32_reg(std::uint8_t dst, std::uint8_t src) {
  return insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0);
}
bpf_insn mov64_imm(std::uint8_t dst, std::int32_t imm) {
  return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
}
bpf_insn jump_imm(std::uint8_t op, std::uint8_t dst, std::int32_t imm, std::int16_t off) {
  return insn(BPF_JMP | op | BPF_K, dst, 0, off, imm);
}
bpf_insn jump_reg(std::uint8_t op, std::uint8_t dst, std::uint8_t src, std::int16_t off) {
  return insn(BPF_JMP | op | BPF_X, dst, src, off, 0);
}
bpf_insn exit_insn() {
  return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

// A rule checked and reduced to what the program compares.
struct Rule {
  bool allow = false;
  std::uint32_t type = 0;    // BPF_DEVCG_DEV_*, 0 for "a"
  std::uint32_t access = 0;  // BPF_DEVCG_ACC_*
  std::optional<std::int32_t> major;
  std::optional<std::int32_t> minor;

  [[nodiscard]] bool is_every_device() const {
    return type == 0 && access == kAllAccess && !major && !minor;
  }
};

Result<std::optional<std::int32_t>> device_number(const std::optional<int64_t>& n, size_t index,
                                                  const char* field) {
  if (!n || *n == -1)
    return std::optional<std::int32_t>{};
  if (*n < 0 || *n > INT32_MAX)
    return Error::of(Errc::kInvalidArgument, fmt::format("linux.resources.devices[{}]: {} {} is "
                                                         "not a device number",
                                                         index, field, *n));
  return std::optional<std::int32_t>{static_cast<std::int32_t>(*n)};
}

Result<Rule> parse_rule(const oci::DeviceCgroup& d, size_t index) {
  Rule rule;
  rule.allow = d.allow;
  const std::string type = d.type.value_or("a");
  if (type == "b")
    rule.type = BPF_DEVCG_DEV_BLOCK;
  else if (type == "c")
    rule.type = BPF_DEVCG_DEV_CHAR;
  else if (type != "a")
    return Error::of(
        Errc::kInvalidArgument,
        fmt::format("linux.resources.devices[{}]: type \"{}\" is not a, b or c", index, type));
  const std::string access = d.access.value_or("");
  for (const char c : access) {
    if (c == 'r')
      rule.access |= BPF_DEVCG_ACC_READ;
    else if (c == 'w')
      rule.access |= BPF_DEVCG_ACC_WRITE;
    else if (c == 'm')
      rule.access |= BPF_DEVCG_ACC_MKNOD;
    else
      return Error::of(Errc::kInvalidArgument,
                       fmt::format("linux.resources.devices[{}]: access \"{}\" is not some of rwm",
                                   index, access));
  }
  if (access.empty())  // as runc: no access named means all of them
    rule.access = kAllAccess;
  auto major = device_number(d.major, index, "major");
  if (!major)
    return major.error();
  auto minor = device_number(d.minor, index, "minor");
  if (!minor)
    return minor.error();
  rule.major = *major;
  rule.minor = *minor;
  return rule;
}

// One rule: each test jumps past the block when the request does not match; a match returns the
// rule's verdict.
std::vector<bpf_insn> rule_block(const Rule& rule) {
  std::vector<bpf_insn> tests;
  if (rule.type != 0)
    tests.push_back(jump_imm(BPF_JNE, kType, static_cast<std::int32_t>(rule.type), 0));
  if (rule.access != kAllAccess) {
    tests.push_back(mov32_reg(kScratch, kAccess));
    tests.push_back(alu32_imm(BPF_AND, kScratch, static_cast<std::int32_t>(rule.access)));
    // allow: every requested access is listed (request & listed == request); deny: any is.
    tests.push_back(rule.allow ? jump_reg(BPF_JNE, kScratch, kAccess, 0)
                               : jump_imm(BPF_JEQ, kScratch, 0, 0));
  }
  if (rule.major)
    tests.push_back(jump_imm(BPF_JNE, kMajor, *rule.major, 0));
  if (rule.minor)
    tests.push_back(jump_imm(BPF_JNE, kMinor, *rule.minor, 0));
  const auto size = static_cast<std::int16_t>(tests.size() + 2);
  for (size_t i = 0; i < tests.size(); ++i) {
    if (BPF_CLASS(tests[i].code) == BPF_JMP)
      tests[i].off = static_cast<std::int16_t>(size - static_cast<std::int16_t>(i) - 1);
  }
  tests.push_back(mov64_imm(BPF_REG_0, rule.allow ? 1 : 0));
  tests.push_back(exit_insn());
  return tests;
}

long bpf(int cmd, bpf_attr& attr) {
  return ::syscall(SYS_bpf, cmd, &attr, sizeof attr);
}

Result<UniqueFd> load_program(const std::vector<bpf_insn>& program) {
  static constexpr char kLicense[] = "Apache";
  bpf_attr attr{};
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = reinterpret_cast<std::uint64_t>(program.data());
  attr.insn_cnt = static_cast<std::uint32_t>(program.size());
  attr.license = reinterpret_cast<std::uint64_t>(kLicense);
  std::strncpy(attr.prog_name, "keel_devices", sizeof attr.prog_name - 1);
  const long fd = bpf(BPF_PROG_LOAD, attr);
  if (fd >= 0)
    return UniqueFd(static_cast<int>(fd));
  const int load_errno = errno;
  if (load_errno != EINVAL && load_errno != EACCES)
    return Error::sys("load the eBPF device program", load_errno);
  // Rejected by the verifier: its log says why.
  std::string log(64 * 1024, '\0');
  attr.log_level = 1;
  attr.log_buf = reinterpret_cast<std::uint64_t>(log.data());
  attr.log_size = static_cast<std::uint32_t>(log.size());
  if (const long again = bpf(BPF_PROG_LOAD, attr); again >= 0)
    return UniqueFd(static_cast<int>(again));
  log.resize(std::strlen(log.c_str()));
  while (!log.empty() && log.back() == '\n')
    log.pop_back();
  const auto last = log.find_last_of('\n');
  const std::string verdict = last == std::string::npos ? log : log.substr(last + 1);
  return Error::sys("load the eBPF device program" +
                        (verdict.empty() ? std::string() : " (verifier: " + verdict + ")"),
                    load_errno);
}

// Ids of the device programs attached to the cgroup itself (not inherited).
Result<std::vector<std::uint32_t>> attached_programs(int cgroup_fd) {
  std::vector<std::uint32_t> ids(64);
  bpf_attr attr{};
  attr.query.target_fd = static_cast<std::uint32_t>(cgroup_fd);
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = reinterpret_cast<std::uint64_t>(ids.data());
  attr.query.prog_cnt = static_cast<std::uint32_t>(ids.size());
  if (bpf(BPF_PROG_QUERY, attr) != 0)
    return Error::sys("query the cgroup's device programs");
  ids.resize(attr.query.prog_cnt);
  return ids;
}

Result<void> detach_program(int cgroup_fd, std::uint32_t id) {
  bpf_attr get{};
  get.prog_id = id;
  const long fd = bpf(BPF_PROG_GET_FD_BY_ID, get);
  if (fd < 0) {
    if (errno == ENOENT)  // detached and freed meanwhile
      return {};
    return Error::sys(fmt::format("open device program {}", id));
  }
  UniqueFd prog(static_cast<int>(fd));
  bpf_attr detach{};
  detach.target_fd = static_cast<std::uint32_t>(cgroup_fd);
  detach.attach_bpf_fd = static_cast<std::uint32_t>(prog.get());
  detach.attach_type = BPF_CGROUP_DEVICE;
  if (bpf(BPF_PROG_DETACH, detach) != 0 && errno != ENOENT)
    return Error::sys(fmt::format("detach device program {}", id));
  return {};
}

}  // namespace

Result<std::vector<bpf_insn>> device_filter_program(const std::vector<oci::DeviceCgroup>& rules) {
  std::vector<Rule> parsed;
  parsed.reserve(rules.size());
  for (size_t i = 0; i < rules.size(); ++i) {
    auto rule = parse_rule(rules[i], i);
    if (!rule)
      return rule.error();
    parsed.push_back(*rule);
  }
  // A rule for every device decides all that no later rule matches: earlier ones are dead.
  bool default_allow = false;
  size_t first_live = 0;
  for (size_t i = parsed.size(); i-- > 0;) {
    if (parsed[i].is_every_device()) {
      default_allow = parsed[i].allow;
      first_live = i + 1;
      break;
    }
  }
  std::vector<bpf_insn> program = {
      load_u32(kType, offsetof(bpf_cgroup_dev_ctx, access_type)),
      alu32_imm(BPF_AND, kType, 0xffff),
      load_u32(kAccess, offsetof(bpf_cgroup_dev_ctx, access_type)),
      alu32_imm(BPF_RSH, kAccess, 16),
      load_u32(kMajor, offsetof(bpf_cgroup_dev_ctx, major)),
      load_u32(kMinor, offsetof(bpf_cgroup_dev_ctx, minor)),
  };
  // Last rule first: the first block that matches returns, so the last matching rule wins.
  for (size_t i = parsed.size(); i-- > first_live;) {
    const auto block = rule_block(parsed[i]);
    program.insert(program.end(), block.begin(), block.end());
  }
  program.push_back(mov64_imm(BPF_REG_0, default_allow ? 1 : 0));
  program.push_back(exit_insn());
  return program;
}

Result<void> apply_device_filter(const std::string& cgroup_dir,
                                 const std::vector<oci::DeviceCgroup>& rules) {
  auto program = device_filter_program(rules);
  if (!program)
    return program.error();
  UniqueFd cgroup(::open(cgroup_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!cgroup.valid())
    return Error::sys("open cgroup \"" + cgroup_dir + "\"");
  auto before = attached_programs(cgroup.get());
  if (!before)
    return std::move(before).error().context("cgroup \"" + cgroup_dir + "\"");
  auto prog = load_program(*program);
  if (!prog)
    return prog.error();

  bpf_attr attach{};
  attach.target_fd = static_cast<std::uint32_t>(cgroup.get());
  attach.attach_bpf_fd = static_cast<std::uint32_t>(prog->get());
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf(BPF_PROG_ATTACH, attach) != 0) {
    // A program attached without ALLOW_MULTI (by another manager) excludes ours: replace it.
    if (errno != EPERM || before->empty())
      return Error::sys("attach the eBPF device program to \"" + cgroup_dir + "\"");
    for (const std::uint32_t id : *before)
      KEEL_TRY(detach_program(cgroup.get(), id));
    before->clear();
    if (bpf(BPF_PROG_ATTACH, attach) != 0)
      return Error::sys("attach the eBPF device program to \"" + cgroup_dir + "\"");
  }
  // Ours is in place: the old ones can go. Their rules were ANDed with ours meanwhile.
  for (const std::uint32_t id : *before) {
    if (auto r = detach_program(cgroup.get(), id); !r)
      return std::move(r).error().context("cgroup \"" + cgroup_dir + "\"");
  }
  spdlog::debug("cgroup \"{}\": device program of {} instructions attached", cgroup_dir,
                program->size());
  return {};
}

}  // namespace keel::runtime::cgroups
