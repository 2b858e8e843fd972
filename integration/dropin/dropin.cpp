// The drop-in tests' shared pieces: tools, the offline busybox image, temp dirs, cgroup parents
// and the leftovers check.
#include "integration/dropin/dropin.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "integration/fixtures/host.h"
#include "integration/fixtures/rootfs.h"
#include "integration/fixtures/wait.h"

namespace keel::dropin {
namespace {

namespace stdfs = std::filesystem;

stdfs::path make_temp_dir(const std::string& prefix) {
  std::string tmpl = (stdfs::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr)
    throw std::runtime_error("mkdtemp " + tmpl);
  return tmpl;
}

void must(const std::vector<std::string>& argv) {
  const auto r = run(argv);
  if (r.exit_code != 0) {
    std::ostringstream text;
    text << r;
    throw std::runtime_error(text.str());
  }
}

// Builds the image: umoci init/new/unpack, busybox into the unpacked rootfs, repack, config.
BusyboxImage build_image(const stdfs::path& dir) {
  BusyboxImage image{dir / "layout", dir / "busybox-oci.tar"};
  const std::string ref = image.layout.string() + ":latest";
  const stdfs::path unpacked = dir / "unpacked";
  must({"umoci", "init", "--layout", image.layout.string()});
  must({"umoci", "new", "--image", ref});
  must({"umoci", "unpack", "--image", ref, unpacked.string()});
  fixtures::make_busybox_rootfs(dir / "busybox");
  must({"cp", "-a", (dir / "busybox").string() + "/.", (unpacked / "rootfs").string()});
  must({"umoci", "repack", "--image", ref, unpacked.string()});
  must({"umoci", "config", "--image", ref, "--config.env", "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
        "--config.cmd", "sh"});
  must({"tar", "-C", image.layout.string(), "-cf", image.archive.string(), "."});
  stdfs::remove_all(unpacked);
  stdfs::remove_all(dir / "busybox");
  return image;
}

std::vector<std::string> cmdline_of(const stdfs::path& proc) {
  std::ifstream in(proc / "cmdline");
  std::vector<std::string> args;
  for (std::string arg; std::getline(in, arg, '\0');)
    args.push_back(arg);
  return args;
}

}  // namespace

stdfs::path keel_path() {
  return stdfs::path(KEEL_BIN_DIR) / "keel";
}

bool keel_has_command(const std::string& command) {
  const auto help = fixtures::run_command({keel_path().string(), "--help"});
  return help.out.find("\n  " + command + " ") != std::string::npos;
}

std::string tool_path(const std::string& name) {
  if (name.find('/') != std::string::npos)
    return name;
  for (const char* dir : {"/usr/bin", "/usr/sbin", "/usr/libexec/podman", "/bin", "/sbin"}) {
    const auto candidate = stdfs::path(dir) / name;
    if (::access(candidate.c_str(), X_OK) == 0)
      return candidate;
  }
  return "";
}

std::string missing_tool(const std::vector<std::string>& tools) {
  for (const auto& tool : tools) {
    if (tool_path(tool).empty())
      return tool;
  }
  return "";
}

const BusyboxImage& busybox_image() {
  // Lives for the process: tests share one image; the directory goes at exit.
  static const TempDir dir("keel-dropin-image");
  static const BusyboxImage image = build_image(dir.path());
  return image;
}

TempDir::TempDir(const std::string& prefix) : path_(make_temp_dir(prefix)) {}

TempDir::~TempDir() {
  if (const auto mounts = fixtures::mounts_under(path_); !mounts.empty()) {
    std::cerr << "keel dropin: not removing " << path_ << ", still mounted: " << mounts.front()
              << '\n';
    return;
  }
  std::error_code ec;
  stdfs::remove_all(path_, ec);
}

CgroupParent::CgroupParent() {
  static std::atomic<unsigned> counter{0};
  path_ = fmt::format("/keel-dropin-{}-{}", ::getpid(), ++counter);
}

CgroupParent::~CgroupParent() {
  // Deepest first: a container's cgroup below the parent, then the parent.
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& dir : children()) {
      std::ifstream procs(dir / "cgroup.procs");
      for (pid_t pid = 0; procs >> pid;)
        ::kill(pid, SIGKILL);
      // EBUSY until the killed processes have left it.
      (void)fixtures::wait_until([&] { return ::rmdir(dir.c_str()) == 0 || errno != EBUSY; },
                                 std::chrono::seconds(1));
    }
  }
  for (const auto& dir : fixtures::cgroup_dirs(path_))
    ::rmdir(dir.c_str());
}

std::vector<stdfs::path> CgroupParent::children() const {
  std::vector<stdfs::path> out;
  for (const auto& parent : fixtures::cgroup_dirs(path_)) {
    std::error_code ec;
    for (const auto& entry : stdfs::recursive_directory_iterator(parent, ec)) {
      if (entry.is_directory(ec))
        out.push_back(entry.path());
    }
  }
  // Deepest first, so a removal loop empties a directory before its parent.
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.string().size() > b.string().size(); });
  return out;
}

void expect_nothing_left(const stdfs::path& dir, const stdfs::path& state_root,
                         const CgroupParent& cgroups,
                         const std::vector<std::string>& tool_cgroups) {
  for (const auto& m : fixtures::host_mounts()) {
    if (m.line.find(dir.string()) != std::string::npos)
      ADD_FAILURE() << "mount left: " << m.line;
  }
  std::error_code ec;
  for (const auto& entry : stdfs::recursive_directory_iterator(state_root, ec)) {
    if (entry.is_directory(ec) && stdfs::exists(entry.path() / "state.json"))
      ADD_FAILURE() << "container state left: " << entry.path();
  }
  for (const auto& child : cgroups.children()) {
    if (std::find(tool_cgroups.begin(), tool_cgroups.end(), child.filename()) == tool_cgroups.end())
      ADD_FAILURE() << "cgroup left: " << child;
  }
  for (const auto& child : fixtures::live_children())
    ADD_FAILURE() << "process left: " << child;
}

std::vector<pid_t> processes_mentioning(const std::string& needle, const stdfs::path& dir) {
  std::vector<pid_t> found;
  std::error_code ec;
  for (const auto& entry : stdfs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos)
      continue;
    bool has_needle = false;
    bool has_dir = false;
    for (const auto& arg : cmdline_of(entry.path())) {
      has_needle = has_needle || arg.find(needle) != std::string::npos;
      has_dir = has_dir || arg.find(dir.string()) != std::string::npos;
    }
    if (has_needle && has_dir)
      found.push_back(std::stoi(name));
  }
  return found;
}

fixtures::RunResult run(std::vector<std::string> argv, fixtures::RunOptions options) {
  if (const std::string path = tool_path(argv.at(0)); !path.empty())
    argv[0] = path;
  return fixtures::run_command(argv, std::move(options));
}

}  // namespace keel::dropin
