#include "manager/containers/cgroup_files.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/fs.h"

namespace keel::manager::containers {
namespace {

bool pure_v2(const std::string& root) {
  return std::filesystem::exists(root + "/cgroup.controllers");
}

std::uint64_t read_number(const std::string& path) {
  auto text = fs::read_file(path);
  if (!text)
    return 0;
  try {
    if (text->starts_with("max"))
      return 0;
    return std::stoull(*text);
  } catch (const std::exception&) {
    return 0;
  }
}

// "key value" lines: the value of key, 0 when absent.
std::uint64_t keyed(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  std::string k;
  std::uint64_t v = 0;
  while (in >> k >> v)
    if (k == key)
      return v;
  return 0;
}

}  // namespace

std::uint64_t oom_kills(const std::string& cgroups_path, const std::string& cgroup_root) {
  if (pure_v2(cgroup_root))
    return keyed(cgroup_root + cgroups_path + "/memory.events", "oom_kill");
  return keyed(cgroup_root + "/memory" + cgroups_path + "/memory.oom_control", "oom_kill");
}

Result<CgroupFigures> cgroup_figures(const std::string& cgroups_path,
                                     const std::string& cgroup_root) {
  CgroupFigures f;
  if (pure_v2(cgroup_root)) {
    const std::string dir = cgroup_root + cgroups_path;
    if (!std::filesystem::exists(dir))
      return Error::of(Errc::kNotFound, "cgroup " + dir + " is gone");
    f.cpu_usage_ns = keyed(dir + "/cpu.stat", "usage_usec") * 1000;
    f.memory_usage = read_number(dir + "/memory.current");
    f.memory_limit = read_number(dir + "/memory.max");
    f.pids = read_number(dir + "/pids.current");
    std::ifstream io(dir + "/io.stat");
    std::string line;
    while (std::getline(io, line)) {
      std::istringstream fields(line);
      std::string field;
      while (fields >> field) {
        if (field.starts_with("rbytes="))
          f.block_read += std::stoull(field.substr(7));
        else if (field.starts_with("wbytes="))
          f.block_write += std::stoull(field.substr(7));
      }
    }
    return f;
  }
  const std::string memory = cgroup_root + "/memory" + cgroups_path;
  if (!std::filesystem::exists(memory))
    return Error::of(Errc::kNotFound, "cgroup " + memory + " is gone");
  f.cpu_usage_ns = read_number(cgroup_root + "/cpuacct" + cgroups_path + "/cpuacct.usage");
  f.memory_usage = read_number(memory + "/memory.usage_in_bytes");
  f.memory_limit = read_number(memory + "/memory.limit_in_bytes");
  f.pids = read_number(cgroup_root + "/pids" + cgroups_path + "/pids.current");
  std::ifstream io(cgroup_root + "/blkio" + cgroups_path + "/blkio.throttle.io_service_bytes");
  std::string device;
  std::string op;
  std::uint64_t value = 0;
  while (io >> device) {
    if (device == "Total") {
      io >> value;
      continue;
    }
    if (!(io >> op >> value))
      break;
    if (op == "Read")
      f.block_read += value;
    else if (op == "Write")
      f.block_write += value;
  }
  return f;
}

std::uint64_t host_cpu_ns() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  in >> cpu;
  std::uint64_t total = 0;
  std::uint64_t value = 0;
  for (int i = 0; i < 8 && (in >> value); ++i)
    total += value;
  const long ticks = ::sysconf(_SC_CLK_TCK);
  return total * (1'000'000'000ULL / static_cast<std::uint64_t>(ticks > 0 ? ticks : 100));
}

std::uint32_t online_cpus() {
  const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<std::uint32_t>(n) : 1;
}

}  // namespace keel::manager::containers
