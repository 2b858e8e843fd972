// PrivateContainerd: config.toml, daemon start/stop, image import, ctr helpers and the final
// sweep that makes a failed test leave nothing on the host either.
#include "integration/shim/private_containerd.h"

#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "common/fs.h"

namespace keel::shim::testing {

namespace stdfs = std::filesystem;

namespace {

stdfs::path make_dir() {
  std::string tmpl = (stdfs::temp_directory_path() / "keel-ctd-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr)
    throw std::runtime_error("mkdtemp " + tmpl);
  return tmpl;
}

bool on_path(const std::string& name) {
  return fixtures::run_command({"/bin/sh", "-c", "command -v " + name}).exit_code == 0;
}

}  // namespace

bool PrivateContainerd::available() {
  return on_path("containerd") && on_path("ctr");
}

bool keel_has_command(const std::string& command) {
  // `keel <unknown> --help` prints the main help and succeeds: look in the command table.
  const auto help =
      fixtures::run_command({(stdfs::path(KEEL_BIN_DIR) / "keel").string(), "--help"});
  return help.out.find("\n  " + command + " ") != std::string::npos ||
         help.out.find("\n  " + command + ",") != std::string::npos;
}

PrivateContainerd::PrivateContainerd() : dir_(make_dir()) {
  write_config();
  start_daemon();
  if (!ready_)
    return;
  import_image();
}

void PrivateContainerd::write_config() {
  const std::string d = dir_.string();
  std::ofstream cfg(dir_ / "config.toml");
  cfg << "version = 2\n"
      << "root = \"" << d << "/root\"\n"
      << "state = \"" << d << "/state\"\n"
      << "disabled_plugins = [\"io.containerd.grpc.v1.cri\", \"io.containerd.snapshotter.v1.aufs\","
         " \"io.containerd.snapshotter.v1.btrfs\", \"io.containerd.snapshotter.v1.zfs\","
         " \"io.containerd.snapshotter.v1.devmapper\", \"io.containerd.internal.v1.tracing\","
         " \"io.containerd.tracing.processor.v1.otlp\"]\n"
      << "[grpc]\n  address = \"" << d << "/containerd.sock\"\n"
      << "[ttrpc]\n  address = \"" << d << "/containerd.sock.ttrpc\"\n"
      << "[debug]\n  address = \"" << d << "/debug.sock\"\n"
      << "[metrics]\n  address = \"\"\n"
      << "[plugins.\"io.containerd.internal.v1.opt\"]\n  path = \"" << d << "/opt\"\n";
}

void PrivateContainerd::start_daemon() {
  const char* path = std::getenv("PATH");  // NOLINT(concurrency-mt-unsafe)
  std::vector<std::string> argv = {
      "/usr/bin/env",
      std::string("PATH=") + KEEL_BIN_DIR + ":" + (path != nullptr ? path : "/usr/bin:/bin"),
      "KEEL_SHIM_SOCKET_DIR=" + (dir_ / "s").string(),
      "KEEL_SHIM_ROOT=" + (dir_ / "keel").string(),
      "containerd",
      "--config",
      (dir_ / "config.toml").string()};
  fixtures::RunOptions o;
  o.cwd = dir_;
  o.timeout = std::chrono::hours(1);
  daemon_.emplace(fixtures::start_command(argv, o));
  ready_ =
      fixtures::wait_until([&] { return ctr({"version"}, std::chrono::seconds(5)).exit_code == 0; },
                           std::chrono::seconds(20));
  EXPECT_TRUE(ready_) << "containerd did not come up in " << dir_;
}

void PrivateContainerd::kill_daemon() {
  if (!daemon_)
    return;
  ::kill(daemon_->pid(), SIGKILL);
  (void)daemon_->wait(std::chrono::seconds(20));
  daemon_.reset();
}

void PrivateContainerd::import_image() {
  const stdfs::path tar = dir_ / "image.tar";
  const stdfs::path script =
      stdfs::path(KEEL_SOURCE_DIR) / "integration/shim/make-busybox-image.sh";
  auto made = fixtures::run_command(
      {script.string(), fixtures::busybox_template().string(), tar.string(), kImage});
  ASSERT_EQ(made.exit_code, 0) << made;
  auto imported = ctr({"images", "import", tar.string()});
  ASSERT_EQ(imported.exit_code, 0) << imported;
  stdfs::remove(tar);
}

fixtures::RunResult PrivateContainerd::ctr(const std::vector<std::string>& args,
                                           std::chrono::milliseconds timeout) {
  std::vector<std::string> argv = {"ctr", "--address", address()};
  argv.insert(argv.end(), args.begin(), args.end());
  // ctr's fifos default to /run/containerd/fifo: keep them in the private dir too.
  const std::size_t verb = args.size() > 1 && args[0] == "task" && args[1] == "exec" ? 2 : 1;
  if (!args.empty() && (args[0] == "run" || verb == 2))
    argv.insert(argv.begin() + 3 + static_cast<std::ptrdiff_t>(verb),
                {"--fifo-dir", (dir_ / "fifo").string()});
  argv.insert(argv.begin(), "/usr/bin/env");
  fixtures::RunOptions o;
  o.timeout = timeout;
  return fixtures::run_command(argv, o);
}

fixtures::RunningCommand PrivateContainerd::start_ctr(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/usr/bin/env", "ctr", "--address", address()};
  argv.insert(argv.end(), args.begin(), args.end());
  fixtures::RunOptions o;
  o.timeout = std::chrono::minutes(5);
  return fixtures::start_command(argv, o);
}

fixtures::RunResult PrivateContainerd::ctr_in_tty(const std::string& ctr_args,
                                                  const std::string& stty) {
  std::string args = ctr_args;
  for (const std::string verb : {"run ", "task exec "})
    if (args.rfind(verb, 0) == 0)
      args.insert(verb.size(), "--fifo-dir " + (dir_ / "fifo").string() + " ");
  const std::string command = "stty " + stty + "; ctr --address " + address() + " " + args;
  fixtures::RunOptions o;
  o.timeout = std::chrono::seconds(60);
  return fixtures::run_command({"/usr/bin/env", "script", "-qec", command, "/dev/null"}, o);
}

std::string PrivateContainerd::new_id() {
  ids_.push_back(fixtures::unique_id());
  return ids_.back();
}

void PrivateContainerd::run_detached(const std::string& id, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"run",       "-d",
                                   "--runtime", kRuntime,
                                   "--cgroup",  std::string(fixtures::kCgroupParent) + "/" + id,
                                   kImage,      id};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = ctr(argv);
  ASSERT_EQ(r.exit_code, 0) << r;
}

std::string PrivateContainerd::task_status(const std::string& id) {
  auto r = ctr({"task", "ls"});
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    std::istringstream cols(line);
    std::string task, pid, status;
    if (cols >> task >> pid >> status && task == id)
      return status;
  }
  return {};
}

pid_t PrivateContainerd::task_pid(const std::string& id) {
  auto r = ctr({"task", "ls"});
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    std::istringstream cols(line);
    std::string task;
    pid_t pid = 0;
    if (cols >> task >> pid && task == id)
      return pid;
  }
  return 0;
}

bool PrivateContainerd::wait_task_status(const std::string& id, const std::string& status) {
  return fixtures::wait_until([&] { return task_status(id) == status; }, std::chrono::seconds(30));
}

std::vector<pid_t> PrivateContainerd::shim_pids() const {
  std::vector<pid_t> pids;
  std::error_code ec;
  for (const auto& entry : stdfs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos)
      continue;
    const std::string cmdline = fixtures::read_text(entry.path() / "cmdline");
    if (cmdline.find("keel-shim") != std::string::npos &&
        cmdline.find(address()) != std::string::npos)
      pids.push_back(static_cast<pid_t>(std::stoi(name)));
  }
  return pids;
}

void PrivateContainerd::expect_clean() {
  fixtures::reap_adopted_children();
  EXPECT_TRUE(fixtures::wait_until([&] {
    fixtures::reap_adopted_children();
    return shim_pids().empty();
  })) << "keel-shim processes left: "
      << shim_pids().size();
  for (const auto& m : fixtures::mounts_under(dir_ / "state"))
    ADD_FAILURE() << "mount left: " << m;
  for (const auto& id : ids_) {
    const std::string cg = std::string(fixtures::kCgroupParent) + "/" + id;
    for (const auto& d : fixtures::cgroup_dirs(cg))
      ADD_FAILURE() << "cgroup left: " << d;
  }
  std::error_code ec;
  for (const auto& sub : {"s", "keel"})
    for (const auto& entry : stdfs::directory_iterator(dir_ / sub, ec))
      ADD_FAILURE() << "left in the shim's dirs: " << entry.path();
  for (const auto& entry :
       stdfs::directory_iterator(dir_ / "state/io.containerd.runtime.v2.task/default", ec))
    ADD_FAILURE() << "bundle left: " << entry.path();
}

PrivateContainerd::~PrivateContainerd() {
  if (daemon_) {
    for (const auto& id : ids_) {
      (void)ctr({"task", "kill", "-s", "KILL", id}, std::chrono::seconds(10));
      (void)fixtures::wait_until([&] { return task_status(id) != "RUNNING"; },
                                 std::chrono::seconds(5));
      (void)ctr({"task", "delete", "-f", id}, std::chrono::seconds(10));
      (void)ctr({"container", "delete", id}, std::chrono::seconds(10));
    }
  }
  kill_daemon();
  for (pid_t pid : shim_pids())
    ::kill(pid, SIGKILL);
  (void)fixtures::wait_until([&] {
    fixtures::reap_adopted_children();
    return shim_pids().empty();
  });
  for (const auto& id : ids_) {
    const std::string cg = std::string(fixtures::kCgroupParent) + "/" + id;
    for (const auto& d : fixtures::cgroup_dirs(cg)) {
      std::ifstream procs(d / "cgroup.procs");
      for (pid_t pid = 0; procs >> pid;)
        ::kill(pid, SIGKILL);
    }
    for (const auto& d : fixtures::cgroup_dirs(cg)) {
      // EBUSY until the killed processes have left it.
      (void)fixtures::wait_until([&] { return ::rmdir(d.c_str()) == 0 || errno != EBUSY; },
                                 std::chrono::seconds(1));
    }
  }
  auto mounts = fixtures::mounts_under(dir_);
  for (auto it = mounts.rbegin(); it != mounts.rend(); ++it)
    ::umount2(it->c_str(), MNT_DETACH);
  if (!fixtures::mounts_under(dir_).empty())
    return;  // never remove across a mount
  std::error_code ec;
  stdfs::remove_all(dir_, ec);
}

}  // namespace keel::shim::testing
