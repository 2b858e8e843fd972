// SeccompCache and prepare_seccomp: compiled seccomp programs stored under the state root.
#include "runtime/security/seccomp_cache.h"

#include <fcntl.h>
#include <seccomp.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "common/fs.h"
#include "common/sha256.h"

namespace keel::runtime::security {
namespace {

constexpr char kMagic[8] = {'K', 'E', 'E', 'L', 'B', 'P', 'F', '1'};
constexpr size_t kHexDigest = 64;

// Native byte order: the cache never leaves the host that wrote it.
struct FileHeader {
  char magic[8];
  char key[kHexDigest];
  std::uint32_t load_flags;
  std::uint32_t uses_notify;
  std::uint32_t bpf_size;
  std::uint32_t reserved;
  char bpf_digest[kHexDigest];
};
static_assert(sizeof(FileHeader) == 152);

// Bounds what a reader allocates for a file it does not trust yet: a seccomp program holds at most
// BPF_MAXINSNS (4096) instructions of 8 bytes.
constexpr size_t kMaxBpfBytes = 4096 * 8;

// The profile as key material: every field, each string length-prefixed and each list counted,
// so two different profiles never encode alike. Not its JSON: building and printing that tree
// took a quarter of a cache hit's instructions and heap pages of its own.
class ProfileEncoder {
 public:
  std::string take(const oci::Seccomp& profile) && {
    put(profile.default_action);
    put(profile.default_errno_ret);
    put(profile.architectures);
    put(profile.flags);
    put(profile.listener_path);
    put(profile.listener_metadata);
    put(profile.syscalls.size());
    for (const auto& rule : profile.syscalls) {
      put(rule.names);
      put(rule.action);
      put(rule.errno_ret);
      put(rule.args.size());
      for (const auto& arg : rule.args) {
        put(arg.index);
        put(arg.value);
        put(arg.value_two);
        put(arg.op);
      }
    }
    return std::move(out_);
  }

 private:
  void put(std::uint64_t n) {
    out_ += std::to_string(n);
    out_ += ';';
  }
  void put(std::string_view text) {
    put(text.size());
    out_ += text;
  }
  template <typename T>
  void put(const std::optional<T>& value) {
    put(value ? 1U : 0U);
    if (value)
      put(*value);
  }
  void put(const std::vector<std::string>& list) {
    put(list.size());
    for (const auto& item : list)
      put(item);
  }

  std::string out_;
};

// How many members aggregate T has: the most initializers T{...} accepts.
struct AnyMember {
  // Only ever named in unevaluated context; defined because the members' constructors use it.
  template <typename T>
  operator T() const {  // NOLINT(google-explicit-constructor): converts to each member's type
    return T{};
  }
};
template <typename T, typename... Given>
constexpr size_t member_count() {
  if constexpr (requires { T{Given{}..., AnyMember{}}; })
    return member_count<T, Given..., AnyMember>();
  else
    return sizeof...(Given);
}
// A member added to these types must join the encoding above (and the version in key()).
static_assert(member_count<oci::Seccomp>() == 7);
static_assert(member_count<oci::SyscallRule>() == 4);
static_assert(member_count<oci::SeccompArg>() == 4);

std::string executable_identity() {
  struct stat st {};
  if (::stat("/proc/self/exe", &st) != 0)
    return "unknown";
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
         std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec);
}

Result<std::string> read_entry(int fd, size_t size) {
  std::string data(size, '\0');
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(fd, data.data() + done, size - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return Error::sys("read");
    if (n == 0)
      return Error::of(Errc::kInternal, "short read");
    done += static_cast<size_t>(n);
  }
  return data;
}

// Why the entry at `path` cannot be trusted for `key`, or the program it holds.
Result<SeccompProgram> load_entry(const std::string& path, const std::string& key) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (!fd.valid())
    return Error::sys("open");
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    return Error::sys("fstat");
  if (!S_ISREG(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 022) != 0)
    return Error::of(Errc::kPermissionDenied, "not a regular file owned and writable by us alone");
  const auto size = static_cast<size_t>(st.st_size);
  if (size <= sizeof(FileHeader) || size > sizeof(FileHeader) + kMaxBpfBytes)
    return Error::of(Errc::kInternal, "size " + std::to_string(size) + " out of range");
  auto data = read_entry(fd.get(), size);
  if (!data)
    return data.error();
  FileHeader header{};
  std::memcpy(&header, data->data(), sizeof header);
  if (std::memcmp(header.magic, kMagic, sizeof kMagic) != 0)
    return Error::of(Errc::kInternal, "not a keel seccomp cache entry");
  if (key.size() != kHexDigest || std::memcmp(header.key, key.data(), kHexDigest) != 0)
    return Error::of(Errc::kInternal, "holds another key");
  if (header.bpf_size != size - sizeof header || header.bpf_size % 8 != 0)
    return Error::of(Errc::kInternal, "program size disagrees with the file size");
  SeccompProgram program{data->substr(sizeof header), header.load_flags, header.uses_notify != 0};
  if (sha256_hex(program.bpf) != std::string_view(header.bpf_digest, kHexDigest))
    return Error::of(Errc::kInternal, "program digest mismatch");
  return program;
}

}  // namespace

std::string SeccompCache::key(const oci::Seccomp& profile) {
  struct utsname uts {};
  // uname fails only with EFAULT, impossible with our buffer.
  (void)::uname(&uts);
  const scmp_version* version = ::seccomp_version();
  std::string material = "keel seccomp cache 2\n";
  material += "arch " + std::to_string(::seccomp_arch_native()) + " " + uts.machine + "\n";
  material += "kernel " + std::string(uts.release) + "\n";
  material += "libseccomp " + std::to_string(version->major) + "." +
              std::to_string(version->minor) + "." + std::to_string(version->micro) + "\n";
  material += "keel " + executable_identity() + "\n";
  material += ProfileEncoder().take(profile);
  return sha256_hex(material);
}

std::optional<SeccompProgram> SeccompCache::find(const std::string& key) const {
  const std::string file = path(key);
  auto program = load_entry(file, key);
  if (!program) {
    if (program.error().kind() != Errc::kNotFound)
      spdlog::debug("seccomp cache: ignoring \"{}\": {}", file, program.error().message());
    return std::nullopt;
  }
  return std::move(*program);
}

Result<void> SeccompCache::store(const std::string& key, const SeccompProgram& program) const {
  if (key.size() != kHexDigest)
    return Error::of(Errc::kInvalidArgument, "seccomp cache: key is not a hex sha256");
  if (program.bpf.empty() || program.bpf.size() > kMaxBpfBytes || program.bpf.size() % 8 != 0)
    return Error::of(Errc::kInvalidArgument,
                     "seccomp cache: program of " + std::to_string(program.bpf.size()) + " bytes");
  // The state root too (0700, as the state store makes it) when this is the first create under
  // it: the store runs before the container's directory is made, and the first container would
  // otherwise leave nothing cached for the second.
  if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) {
    if (errno != ENOENT)
      return Error::sys("seccomp cache: mkdir \"" + dir_ + "\"");
    if (auto r = fs::mkdir_all(dir_, 0700); !r)
      return std::move(r).error().context("seccomp cache: mkdir \"" + dir_ + "\"");
  }
  FileHeader header{};
  std::memcpy(header.magic, kMagic, sizeof kMagic);
  std::memcpy(header.key, key.data(), kHexDigest);
  header.load_flags = program.load_flags;
  header.uses_notify = program.uses_notify ? 1 : 0;
  header.bpf_size = static_cast<std::uint32_t>(program.bpf.size());
  const std::string digest = sha256_hex(program.bpf);
  std::memcpy(header.bpf_digest, digest.data(), kHexDigest);
  std::string data(reinterpret_cast<const char*>(&header), sizeof header);
  data += program.bpf;

  // A name of our own: containers started at once with one profile all fill the same entry.
  const std::string file = path(key);
  const std::string tmp = file + "." + std::to_string(::getpid()) + ".tmp";
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid())
    return Error::sys("seccomp cache: create \"" + tmp + "\"");
  auto written = fs::write_all(fd.get(), data);
  if (written && ::fchmod(fd.get(), 0600) != 0)
    written = Error::sys("chmod");
  if (written && ::rename(tmp.c_str(), file.c_str()) != 0)
    written = Error::sys("rename to \"" + file + "\"");
  if (!written) {
    ::unlink(tmp.c_str());
    return std::move(written).error().context("seccomp cache: write \"" + tmp + "\"");
  }
  return {};
}

Result<SeccompProgram> prepare_seccomp(const oci::Seccomp& profile, const std::string& cache_dir) {
  std::optional<SeccompCache> cache;
  std::string key;
  if (!cache_dir.empty()) {
    cache.emplace(cache_dir);
    key = SeccompCache::key(profile);
    if (auto hit = cache->find(key))
      return std::move(*hit);
  }
  auto filter = compile_seccomp(profile);
  if (!filter)
    return std::move(filter).error();
  for (const auto& name : filter->ignored_syscalls())
    spdlog::debug("seccomp: syscall \"{}\" unknown here, rule skipped", name);
  auto program = to_program(*filter);
  if (!program)
    return std::move(program).error();
  if (cache) {
    if (auto r = cache->store(key, *program); !r)
      spdlog::debug("{}", r.error().message());
  }
  return program;
}

}  // namespace keel::runtime::security
