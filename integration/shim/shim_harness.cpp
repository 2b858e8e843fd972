// ShimHarness: environment for the shim (private socket dir and runtime root), start, connect,
// fifos, and the teardown that kills and cleans whatever a failed test left.
#include "integration/shim/shim_harness.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <fstream>

#include "common/fs.h"

namespace keel::shim::testing {

namespace stdfs = std::filesystem;

stdfs::path shim_binary() {
  return stdfs::path(KEEL_BIN_DIR) / "containerd-shim-keel-v2";
}

ShimHarness::ShimHarness(fixtures::Bundle& bundle)
    : bundle_(bundle), socket_dir_(bundle.base() / "s") {
  // The shim inherits these from the test process, as it would from containerd's environment.
  ::setenv("KEEL_SHIM_SOCKET_DIR", socket_dir_.c_str(), 1);
  ::setenv("KEEL_SHIM_ROOT", bundle.root.c_str(), 1);
  const stdfs::path publisher = bundle.base() / "publish.sh";
  {
    std::ofstream script(publisher);
    script << "#!/bin/sh\n"
              "# --address A publish --topic T --namespace NS, the event on stdin\n"
              "cat > /dev/null\n"
              "echo \"$5\" >> \"$(dirname \"$0\")/events.log\"\n";
  }
  ::chmod(publisher.c_str(), 0755);
  std::vector<std::string> argv = {shim_binary().string()};
  for (auto& a : base_args())
    argv.push_back(a);
  argv.push_back("start");
  fixtures::RunOptions o;
  o.cwd = bundle.dir;
  auto r = fixtures::run_command(argv, o);
  if (r.exit_code != 0) {
    ADD_FAILURE() << "shim start failed: " << r;
    return;
  }
  address_ = r.out;
  auto c = ttrpc::Client::connect(address_);
  if (!c) {
    ADD_FAILURE() << "connect " << address_ << ": " << c.error().message();
    return;
  }
  client_.emplace(std::move(*c));
}

std::vector<std::string> ShimHarness::base_args() const {
  return {"-namespace",
          "keel-it",
          "-address",
          (bundle_.base() / "containerd.sock").string(),
          "-publish-binary",
          (bundle_.base() / "publish.sh").string(),
          "-id",
          bundle_.id};
}

ShimHarness::~ShimHarness() {
  client_.reset();
  if (const pid_t pid = shim_pid(); pid > 0 && ::kill(pid, 0) == 0) {
    ::kill(pid, SIGKILL);
    (void)wait_shim_exit();
    (void)run_delete_binary();
  }
  for (auto& [name, fd] : fifos_)
    ::close(fd);
  std::error_code ec;
  stdfs::remove_all(socket_dir_, ec);
}

pid_t ShimHarness::shim_pid() const {
  auto text = fs::read_file(bundle_.dir / "shim.pid");
  if (!text)
    return 0;
  try {
    return static_cast<pid_t>(std::stol(*text));
  } catch (const std::exception&) {
    return 0;
  }
}

stdfs::path ShimHarness::socket_path() const {
  return address_.rfind("unix://", 0) == 0 ? stdfs::path(address_.substr(7)) : stdfs::path();
}

std::string ShimHarness::make_output_fifo(const std::string& name) {
  const stdfs::path path = bundle_.base() / name;
  EXPECT_EQ(::mkfifo(path.c_str(), 0600), 0) << path;
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  EXPECT_GE(fd, 0) << path;
  fifos_.emplace_back(name, fd);
  return path.string();
}

std::string ShimHarness::read_fifo(const std::string& name) {
  for (auto& [n, fd] : fifos_) {
    if (n != name)
      continue;
    std::string out;
    std::array<char, 4096> buf{};
    ssize_t got = 0;
    while ((got = ::read(fd, buf.data(), buf.size())) > 0)
      out.append(buf.data(), static_cast<std::size_t>(got));
    return out;
  }
  return {};
}

bool ShimHarness::wait_shim_exit(std::chrono::milliseconds timeout) {
  const pid_t pid = shim_pid();
  if (pid <= 0)
    return true;
  return fixtures::wait_until(
      [&] {
        fixtures::reap_adopted_children();
        return ::kill(pid, 0) != 0;
      },
      timeout);
}

std::vector<std::string> ShimHarness::published_topics() const {
  std::vector<std::string> topics;
  std::ifstream in(bundle_.base() / "events.log");
  for (std::string line; std::getline(in, line);)
    topics.push_back(line);
  return topics;
}

fixtures::RunResult ShimHarness::run_delete_binary() const {
  std::vector<std::string> argv = {shim_binary().string()};
  for (auto& a : base_args())
    argv.push_back(a);
  argv.push_back("-bundle");
  argv.push_back(bundle_.dir.string());
  argv.push_back("delete");
  fixtures::RunOptions o;
  o.cwd = bundle_.dir;
  return fixtures::run_command(argv, o);
}

}  // namespace keel::shim::testing
