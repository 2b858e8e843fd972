#include "manager/network/host_local_ipam.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string_view>

#include "common/fs.h"
#include "common/unique_fd.h"

namespace keel::manager::network {
namespace {

constexpr std::string_view kLineBreak = "\r\n";
// host-local numbers the range sets of its configuration; keeld's networks have one.
constexpr const char* kLastReservedFile = "last_reserved_ip.0";

// Go's strings.TrimSpace for the ASCII whitespace ids and lease files hold.
std::string_view trim_space(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n\v\f";
  const auto begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos)
    return {};
  return text.substr(begin, text.find_last_not_of(kSpace) - begin + 1);
}

// The directory's "lock" file held with flock(LOCK_EX), as host-local holds it around every
// allocation and release.
class DirLock {
 public:
  static Result<DirLock> take(const std::string& dir) {
    const std::string path = dir + "/lock";
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0750));
    if (fd.get() < 0)
      return Error::sys("opening " + path);
    int rc = 0;
    while ((rc = ::flock(fd.get(), LOCK_EX)) != 0 && errno == EINTR) {
    }
    if (rc != 0)
      return Error::sys("locking " + path);
    return DirLock(std::move(fd));
  }
  // Closing the descriptor drops the lock.

 private:
  explicit DirLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

// Calls `each(path, owner)` for every lease file of `dir` with its trimmed content.
template <class F>
void for_each_lease(const std::string& dir, F each) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file(ec))
      continue;
    auto content = fs::read_file(entry.path().string());
    if (content)
      each(entry.path(), trim_space(*content));
  }
}

std::string owner_line(const std::string& container_id, const std::string& ifname) {
  return std::string(trim_space(container_id)) + std::string(kLineBreak) + ifname;
}

std::vector<std::uint32_t> leased_locked(const std::string& dir, const std::string& container_id,
                                         const std::string& ifname) {
  const std::string owner = owner_line(container_id, ifname);
  const std::string_view legacy = trim_space(container_id);
  std::vector<std::uint32_t> found;
  for_each_lease(dir, [&](const std::filesystem::path& path, std::string_view content) {
    if (content != owner && content != legacy)
      return;
    if (auto ip = parse_ipv4(path.filename().string()))
      found.push_back(*ip);
  });
  return found;
}

// host-local's Reserve: the lease file made exclusively (false when the address is taken), then
// the address noted as the last one leased.
Result<bool> reserve(const std::string& dir, std::uint32_t ip, const std::string& owner) {
  const std::string path = dir + "/" + ipv4_to_string(ip);
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (fd.get() < 0) {
    if (errno == EEXIST)
      return false;
    return Error::sys("creating lease " + path);
  }
  if (auto written = fs::write_all(fd.get(), owner); !written) {
    ::unlink(path.c_str());
    return std::move(written).error().context("writing lease " + path);
  }
  const std::string last = dir + "/" + kLastReservedFile;
  UniqueFd last_fd(::open(last.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (last_fd.get() < 0)
    return Error::sys("opening " + last);
  KEEL_TRY(fs::write_all(last_fd.get(), ipv4_to_string(ip)));
  return true;
}

std::optional<std::uint32_t> last_reserved(const std::string& dir) {
  auto text = fs::read_file(dir + "/" + kLastReservedFile);
  if (!text)
    return std::nullopt;
  auto ip = parse_ipv4(*text);
  if (!ip)
    return std::nullopt;
  return *ip;
}

Result<std::uint32_t> address_in(const std::string& field, const std::string& text,
                                 const Ipv4Net& subnet) {
  auto ip = parse_ipv4(text);
  if (!ip)
    return std::move(ip).error().context(field);
  if (!subnet.contains(*ip))
    return Error::of(Errc::kInvalidArgument,
                     field + " " + text + " is outside subnet " + subnet.str());
  return *ip;
}

}  // namespace

Result<Ipv4Range> Ipv4Range::from_json(const std::string& subnet, const std::string& gateway,
                                       const std::string& range_start,
                                       const std::string& range_end) {
  auto net = parse_subnet(subnet);
  if (!net)
    return std::move(net).error();
  Ipv4Range range{.subnet = *net,
                  .start = net->host(1),
                  .end = (net->address | ~net->mask()) - 1,
                  .gateway = net->host(1)};
  if (!gateway.empty()) {
    auto ip = address_in("gateway", gateway, *net);
    if (!ip)
      return std::move(ip).error();
    range.gateway = *ip;
  }
  if (!range_start.empty()) {
    auto ip = address_in("rangeStart", range_start, *net);
    if (!ip)
      return std::move(ip).error();
    range.start = *ip;
  }
  if (!range_end.empty()) {
    auto ip = address_in("rangeEnd", range_end, *net);
    if (!ip)
      return std::move(ip).error();
    range.end = *ip;
  }
  if (range.start > range.end)
    return Error::of(Errc::kInvalidArgument, "range " + range.str() + " is empty");
  return range;
}

std::string Ipv4Range::str() const {
  return ipv4_to_string(start) + "-" + ipv4_to_string(end);
}

Result<std::uint32_t> lease_address(const std::string& dir, const Ipv4Range& range,
                                    const std::string& container_id, const std::string& ifname,
                                    std::optional<std::uint32_t> requested) {
  KEEL_TRY(fs::mkdir_all(dir, 0755));
  auto lock = DirLock::take(dir);
  if (!lock)
    return std::move(lock).error();
  const std::string owner = owner_line(container_id, ifname);
  if (requested) {
    const std::string text = ipv4_to_string(*requested);
    if (!range.contains(*requested))
      return Error::of(Errc::kInvalidArgument,
                       "requested IP address " + text + " is outside the range " + range.str());
    if (*requested == range.gateway)
      return Error::of(Errc::kInvalidArgument,
                       "requested IP address " + text + " is the network's gateway");
    auto reserved = reserve(dir, *requested, owner);
    if (!reserved)
      return std::move(reserved).error();
    if (!*reserved)
      return Error::of(Errc::kAlreadyExists, "requested IP address " + text + " is already in use");
    return *requested;
  }
  for (const std::uint32_t held : leased_locked(dir, container_id, ifname))
    if (range.contains(held))
      return Error::of(Errc::kAlreadyExists, ipv4_to_string(held) + " has been allocated to " +
                                                 container_id +
                                                 ", duplicate allocation is not allowed");
  // Round-robin from the address after the last one leased, as host-local goes, so that a
  // container restarting in a loop does not get the address its predecessor just left.
  const std::uint64_t size = std::uint64_t{range.end} - range.start + 1;
  const auto last = last_reserved(dir);
  const std::uint64_t first = last && range.contains(*last) ? (*last - range.start + 1) % size : 0;
  for (std::uint64_t i = 0; i < size; ++i) {
    const auto ip = static_cast<std::uint32_t>(range.start + (first + i) % size);
    if (ip == range.gateway)
      continue;
    auto reserved = reserve(dir, ip, owner);
    if (!reserved)
      return std::move(reserved).error();
    if (*reserved)
      return ip;
  }
  return Error::of(Errc::kUnavailable, "no IP addresses available in range " + range.str());
}

Result<void> release_addresses(const std::string& dir, const std::string& container_id,
                               const std::string& ifname) {
  if (!fs::exists(dir))
    return {};
  auto lock = DirLock::take(dir);
  if (!lock)
    return std::move(lock).error();
  // The id-only form of older plugins only when no lease names the interface, as host-local.
  for (const std::string& owner :
       {owner_line(container_id, ifname), std::string(trim_space(container_id))}) {
    bool removed = false;
    for_each_lease(dir, [&](const std::filesystem::path& path, std::string_view content) {
      if (content == owner && ::unlink(path.c_str()) == 0)
        removed = true;
    });
    if (removed)
      break;
  }
  return {};
}

Result<std::size_t> release_leases_not_held(const std::string& dir,
                                            const std::set<std::string>& holders) {
  if (!fs::exists(dir))
    return std::size_t{0};
  auto lock = DirLock::take(dir);
  if (!lock)
    return std::move(lock).error();
  std::size_t released = 0;
  std::optional<Error> failed;
  for_each_lease(dir, [&](const std::filesystem::path& path, std::string_view content) {
    // Leases only: the lock and last_reserved_ip files are not named after an address.
    if (!parse_ipv4(path.filename().string()))
      return;
    const std::string_view id = content.substr(0, content.find(kLineBreak));
    if (holders.contains(std::string(trim_space(id))))
      return;
    if (::unlink(path.c_str()) == 0)
      ++released;
    else if (errno != ENOENT && !failed)
      failed = Error::sys("removing lease " + path.string());
  });
  if (failed)
    return std::move(*failed);
  return released;
}

std::vector<std::uint32_t> leased_addresses(const std::string& dir, const std::string& container_id,
                                            const std::string& ifname) {
  if (!fs::exists(dir))
    return {};
  auto lock = DirLock::take(dir);
  if (!lock)
    return {};
  return leased_locked(dir, container_id, ifname);
}

}  // namespace keel::manager::network
