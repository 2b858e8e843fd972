// Compiles an OCI seccomp profile with libseccomp and loads it, from libseccomp or as raw BPF.
// Implements config-linux.md "Seccomp"; runc's libcontainer/seccomp is the behaviour to match.
#include "runtime/security/seccomp.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <climits>
#include <cstdint>
#include <optional>
#include <utility>

namespace keel::runtime::security {
namespace {

constexpr unsigned kMaxArgs = 6;  // a Linux syscall has at most six arguments
// Above this many syscall rules libseccomp's binary-tree layout wins over a linear scan; with zero
// rules libseccomp <= 2.5.4 builds a broken tree, which the threshold also avoids. runc uses 32
// too, counted as here per syscall name: a profile groups its names, docker's ~300 in 11 entries.
constexpr size_t kBinaryTreeMinRules = 32;

size_t syscall_name_count(const oci::Seccomp& profile) {
  size_t count = 0;
  for (const auto& rule : profile.syscalls)
    count += rule.names.size();
  return count;
}

struct ActionName {
  std::string_view name;
  uint32_t action;  // SCMP_ACT_*; ERRNO and TRACE with a zero return value
  bool takes_errno;
};

constexpr ActionName kActions[] = {
    {"SCMP_ACT_KILL", SCMP_ACT_KILL, false},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, false},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true},
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true},
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG, false},
    {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false},
};

struct OpName {
  std::string_view name;
  scmp_compare op;
};

constexpr OpName kOps[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

Error invalid(std::string what) {
  return Error::of(Errc::kInvalidArgument, std::move(what));
}

std::string quoted(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  out += s;
  out += '"';
  return out;
}

// Errors here and in parse_op/add_rule name the value only; the caller prefixes the field
// ("seccomp: syscall \"mkdir\"") on the error path, so a good profile builds no message strings.
Result<uint32_t> parse_action(const std::string& name, const std::optional<uint32_t>& errno_ret) {
  for (const auto& a : kActions) {
    if (a.name != name)
      continue;
    if (!errno_ret)
      return a.takes_errno ? a.action | EPERM : a.action;  // the spec's default errno is EPERM
    // config-linux.md: an errnoRet on an action without one MUST be an error.
    if (!a.takes_errno) {
      return invalid("errnoRet needs SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not " + quoted(name));
    }
    if (*errno_ret > 0xffff) {  // SECCOMP_RET_DATA is 16 bits; a larger value would be cut
      return invalid("errnoRet " + std::to_string(*errno_ret) + " is out of range (0-65535)");
    }
    return a.action | *errno_ret;
  }
  return invalid("unknown action " + quoted(name));
}

Result<scmp_compare> parse_op(const std::string& name) {
  for (const auto& o : kOps)
    if (o.name == name)
      return o.op;
  return invalid("unknown operator " + quoted(name));
}

// "SCMP_ARCH_X86_64" -> libseccomp's token for "x86_64"; 0 when unknown.
uint32_t resolve_arch(std::string_view name) {
  constexpr std::string_view kPrefix = "SCMP_ARCH_";
  std::array<char, 32> lower{};
  if (!name.starts_with(kPrefix) || name.size() - kPrefix.size() >= lower.size())
    return 0;
  name.remove_prefix(kPrefix.size());
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    lower[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return ::seccomp_arch_resolve_name(lower.data());
}

struct FlagName {
  std::string_view name;
  unsigned kernel_flag;
};

constexpr FlagName kFlags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};

// Sets the libseccomp attribute behind one SECCOMP_FILTER_FLAG_*; returns the kernel flag.
Result<unsigned> set_flag(scmp_filter_ctx ctx, const std::string& name) {
  const FlagName* flag = nullptr;
  for (const auto& f : kFlags)
    if (f.name == name)
      flag = &f;
  if (flag == nullptr)
    return invalid("seccomp: unknown flag " + quoted(name));

  int rc = 0;
  switch (flag->kernel_flag) {
    case SECCOMP_FILTER_FLAG_TSYNC:
      rc = ::seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
      break;
    case SECCOMP_FILTER_FLAG_LOG:
      rc = ::seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1);
      break;
    case SECCOMP_FILTER_FLAG_SPEC_ALLOW:
      rc = ::seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1);
      break;
    default:
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
      rc = ::seccomp_attr_set(ctx, SCMP_FLTATR_CTL_WAITKILL, 1);
      break;
#else
      return Error::of(Errc::kFailedPrecondition,
                       "seccomp: flag " + quoted(name) + " needs libseccomp 2.6 or later");
#endif
  }
  if (rc != 0)
    return Error::sys("seccomp: set flag " + quoted(name), -rc);
  return flag->kernel_flag;
}

// One syscalls[] entry for one syscall number. Implements runc's reading of args: conditions on
// distinct indexes are ANDed in one rule; if any index repeats, each condition is its own rule,
// so any one matching applies the action.
Result<void> add_rule(scmp_filter_ctx ctx, int nr, uint32_t action,
                      const std::vector<oci::SeccompArg>& args) {
  std::array<scmp_arg_cmp, kMaxArgs> conds{};
  std::array<unsigned, kMaxArgs> per_index{};
  bool repeats = false;
  for (const auto& arg : args) {
    if (arg.index >= kMaxArgs) {
      return invalid("argument index " + std::to_string(arg.index) + " is out of range (0-5)");
    }
    repeats = repeats || per_index[arg.index]++ > 0;
  }

  auto make_cond = [&](const oci::SeccompArg& arg) -> Result<scmp_arg_cmp> {
    auto op = parse_op(arg.op);
    if (!op)
      return std::move(op).error();
    // MASKED_EQ reads (arg & value) == valueTwo; the other ops ignore datum_b.
    return scmp_arg_cmp{arg.index, *op, arg.value, arg.value_two};
  };
  auto add = [&](unsigned count, const scmp_arg_cmp* arr) -> Result<void> {
    // Not the _exact variant: libseccomp rewrites the rule for each architecture in the filter,
    // e.g. socketcall(2) multiplexing on x86, and skips architectures without the syscall.
    if (const int rc = ::seccomp_rule_add_array(ctx, action, nr, count, arr); rc != 0)
      return Error::sys("add rule", -rc);
    return {};
  };

  if (repeats) {
    for (const auto& arg : args) {
      auto cond = make_cond(arg);
      if (!cond)
        return std::move(cond).error();
      KEEL_TRY(add(1, &*cond));
    }
    return {};
  }
  for (size_t i = 0; i < args.size(); ++i) {
    auto cond = make_cond(args[i]);
    if (!cond)
      return std::move(cond).error();
    conds[i] = *cond;
  }
  return add(static_cast<unsigned>(args.size()), conds.data());
}

Error in_rule(Error error, std::string_view name) {
  return std::move(error).context("seccomp: syscall " + quoted(name));
}

Result<void> add_syscall_rule(scmp_filter_ctx ctx, const oci::SyscallRule& rule,
                              uint32_t default_action, std::vector<std::string>& ignored,
                              bool& notifies) {
  const std::string_view first = rule.names.empty() ? std::string_view() : rule.names.front();
  auto action = parse_action(rule.action, rule.errno_ret);
  if (!action)
    return in_rule(std::move(action).error(), first);
  for (const auto& arg : rule.args)  // a bad op is an error even when no name resolves
    if (auto op = parse_op(arg.op); !op)
      return in_rule(std::move(op).error(), first);
  // libseccomp refuses a rule that repeats the default action; runc skips it, as it changes
  // nothing.
  if (*action == default_action)
    return {};
  for (const auto& name : rule.names) {
    if (name.empty())
      return in_rule(invalid("empty syscall name"), name);
    const int nr = ::seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) {
      // Newer than this libseccomp, or from another platform: runc ignores such names so one
      // profile serves many hosts.
      ignored.push_back(name);
      continue;
    }
    if (auto added = add_rule(ctx, nr, *action, rule.args); !added)
      return in_rule(std::move(added).error(), name);
    notifies = notifies || *action == SCMP_ACT_NOTIFY;
  }
  return {};
}

Result<void> set_attr(scmp_filter_ctx ctx, scmp_filter_attr attr, uint32_t value,
                      std::string_view what) {
  if (const int rc = ::seccomp_attr_set(ctx, attr, value); rc != 0)
    return Error::sys("seccomp: set " + std::string(what), -rc);
  return {};
}

}  // namespace

SeccompFilter::SeccompFilter(SeccompFilter&& other) noexcept
    : ctx_(std::exchange(other.ctx_, nullptr)),
      load_flags_(other.load_flags_),
      uses_notify_(other.uses_notify_),
      ignored_syscalls_(std::move(other.ignored_syscalls_)) {}

SeccompFilter& SeccompFilter::operator=(SeccompFilter&& other) noexcept {
  if (this != &other) {
    if (ctx_ != nullptr)
      ::seccomp_release(ctx_);
    ctx_ = std::exchange(other.ctx_, nullptr);
    load_flags_ = other.load_flags_;
    uses_notify_ = other.uses_notify_;
    ignored_syscalls_ = std::move(other.ignored_syscalls_);
  }
  return *this;
}

SeccompFilter::~SeccompFilter() {
  if (ctx_ != nullptr)
    ::seccomp_release(ctx_);
}

Result<SeccompFilter> compile_seccomp(const oci::Seccomp& profile) {
  auto default_action = parse_action(profile.default_action, profile.default_errno_ret);
  if (!default_action)
    return std::move(default_action).error().context("seccomp: defaultAction");
  if (*default_action == SCMP_ACT_NOTIFY)
    return invalid("seccomp: defaultAction: SCMP_ACT_NOTIFY cannot be the default action");

  SeccompFilter filter;
  filter.ctx_ = ::seccomp_init(*default_action);
  if (filter.ctx_ == nullptr)
    return invalid("seccomp: init filter with default action " + quoted(profile.default_action));
  scmp_filter_ctx ctx = filter.ctx_;

  // Kernel errno values instead of libseccomp's catch-all ECANCELED, so a failed load says why.
  KEEL_TRY(set_attr(ctx, SCMP_FLTATR_API_SYSRAWRC, 1, "raw return codes"));
  // no_new_privs is process.noNewPrivileges, applied by the caller; libseccomp would force it on.
  KEEL_TRY(set_attr(ctx, SCMP_FLTATR_CTL_NNP, 0, "no_new_privs"));
  if (syscall_name_count(profile) > kBinaryTreeMinRules)
    KEEL_TRY(set_attr(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2, "binary tree optimization"));

  for (const auto& arch_name : profile.architectures) {
    const uint32_t arch = resolve_arch(arch_name);
    if (arch == 0)
      return invalid("seccomp: unknown architecture " + quoted(arch_name));
    // The native architecture is in every new filter already.
    if (const int rc = ::seccomp_arch_add(ctx, arch); rc != 0 && rc != -EEXIST)
      return Error::sys("seccomp: add architecture " + quoted(arch_name), -rc);
  }

  for (const auto& flag_name : profile.flags) {
    auto flag = set_flag(ctx, flag_name);
    if (!flag)
      return std::move(flag).error();
    filter.load_flags_ |= *flag;
  }

  for (const auto& rule : profile.syscalls) {
    KEEL_TRY(add_syscall_rule(ctx, rule, *default_action, filter.ignored_syscalls_,
                              filter.uses_notify_));
  }
  if (filter.uses_notify_) {
    filter.load_flags_ |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    // TSYNC reports a thread it could not sync as a positive return, which NEW_LISTENER also uses
    // for the fd; TSYNC_ESRCH makes that failure ESRCH instead.
    if ((filter.load_flags_ & SECCOMP_FILTER_FLAG_TSYNC) != 0)
      filter.load_flags_ |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
  }
  return filter;
}

Result<UniqueFd> load_seccomp(SeccompFilter& filter) {
  if (filter.ctx_ == nullptr)
    return invalid("seccomp: load filter: no filter compiled");
  if (const int rc = ::seccomp_load(filter.ctx_); rc != 0)
    return Error::sys("seccomp: load filter", -rc);
  if (!filter.uses_notify_)
    return UniqueFd();
  // libseccomp keeps the listener from the load; the caller owns it from here on.
  const int fd = ::seccomp_notify_fd(filter.ctx_);
  if (fd < 0)
    return Error::sys("seccomp: get notify fd", -fd);
  return UniqueFd(fd);
}

Result<std::string> export_bpf(const SeccompFilter& filter) {
  if (filter.ctx_ == nullptr)
    return invalid("seccomp: export BPF: no filter compiled");
  UniqueFd mem(::memfd_create("keel-seccomp-bpf", MFD_CLOEXEC));
  if (!mem.valid())
    return Error::sys("seccomp: export BPF: memfd_create");
  if (const int rc = ::seccomp_export_bpf(filter.ctx_, mem.get()); rc != 0)
    return Error::sys("seccomp: export BPF", -rc);
  struct stat st {};
  if (::fstat(mem.get(), &st) != 0)
    return Error::sys("seccomp: export BPF: fstat");
  std::string bpf(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < bpf.size()) {
    const ssize_t n =
        ::pread(mem.get(), bpf.data() + done, bpf.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return Error::sys("seccomp: export BPF: read");
    if (n == 0)
      return Error::of(Errc::kInternal, "seccomp: export BPF: short read");
    done += static_cast<size_t>(n);
  }
  return bpf;
}

Result<SeccompProgram> to_program(const SeccompFilter& filter) {
  auto bpf = export_bpf(filter);
  if (!bpf)
    return std::move(bpf).error();
  return SeccompProgram{std::move(*bpf), filter.load_flags(), filter.uses_notify()};
}

Result<UniqueFd> load_bpf(std::string_view bpf, unsigned flags) {
  constexpr size_t kInsn = sizeof(sock_filter);
  if (bpf.empty() || bpf.size() % kInsn != 0 || bpf.size() / kInsn > USHRT_MAX) {
    return invalid("seccomp: load BPF: size " + std::to_string(bpf.size()) +
                   " is not a whole program of 8-byte instructions");
  }
  // The kernel copies the program from user memory, so the buffer needs no particular alignment.
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(bpf.size() / kInsn);
  prog.filter = reinterpret_cast<sock_filter*>(const_cast<char*>(bpf.data()));
  const long rc = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
  if (rc < 0)
    return Error::sys("seccomp: load BPF");
  if ((flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) != 0)
    return UniqueFd(static_cast<int>(rc));
  if (rc > 0) {  // TSYNC without TSYNC_ESRCH: the id of a thread that could not be synced
    return Error::with_errno(Errc::kUnavailable,
                             "seccomp: load BPF: thread " + std::to_string(rc) + " not synced",
                             ESRCH);
  }
  return UniqueFd();
}

}  // namespace keel::runtime::security
