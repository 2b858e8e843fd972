// `start` and `delete`, the shim binary contract of containerd's runtime v2 (runtime/v2/README.md):
// both run with the bundle as working directory.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/fs.h"
#include "containerd/task/v2/shim.pb.h"
#include "shim/commands.h"
#include "shim/linked_runtime.h"
#include "shim/mount.h"
#include "shim/runtime_client.h"
#include "shim/task.h"
#include "shimapi/exit_file.h"
#include "shimapi/shim_socket.h"
#include "shimapi/spawn.h"

namespace keel::shim {
namespace {

Result<std::string> working_dir() {
  std::error_code ec;
  auto cwd = std::filesystem::current_path(ec);
  if (ec)
    return Error::of(Errc::kInternal, "getcwd: " + ec.message());
  return cwd.string();
}

// containerd writes the runtime options on start's stdin; they are read so its writer never sees
// EPIPE, and not needed: Create carries them again.
void drain_stdin() {
  struct stat st {};
  if (::fstat(STDIN_FILENO, &st) != 0 || !(S_ISFIFO(st.st_mode) || S_ISREG(st.st_mode)))
    return;
  // A failed read leaves nothing to do: the options are not used, and containerd's writer then
  // gets EPIPE, which it ignores for a shim that went on to start.
  (void)fs::read_fd(STDIN_FILENO);
}

}  // namespace

std::string socket_address(const ShimOptions& o) {
  return shimapi::shim_socket_address(socket_dir(), o.address, o.ns, o.id);
}

Result<int> run_start(const ShimOptions& o) {
  drain_stdin();
  auto cwd = working_dir();
  if (!cwd)
    return std::move(cwd).error();
  const std::string address = socket_address(o);
  const std::string path = address.substr(7);
  auto bound = shimapi::bind_shim_socket(address);
  if (!bound)
    return std::move(bound).error().context("start shim \"" + o.id + "\"");
  KEEL_TRY(fs::write_file_atomic(*cwd + "/address", address, 0644));
  if (bound->already_served) {  // a shim for this id already serves: hand out its address
    std::fputs(address.c_str(), stdout);
    return 0;
  }
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  shimapi::SpawnOptions s;
  s.argv = {ec ? std::string("/proc/self/exe") : self.string()};
  for (auto& a : daemon_args(o))
    s.argv.push_back(a);
  s.extra_fds = {bound->listener.get()};
  s.cwd = *cwd;
  s.new_session = true;
  auto pid = shimapi::spawn(s);
  if (!pid) {
    ::unlink(path.c_str());
    return std::move(pid).error().context("start shim \"" + o.id + "\"");
  }
  std::fputs(address.c_str(), stdout);
  return 0;
}

Result<int> run_delete(const ShimOptions& o) {
  std::string bundle = o.bundle;
  if (bundle.empty()) {
    auto cwd = working_dir();
    if (!cwd)
      return std::move(cwd).error();
    bundle = *cwd;
  }
  RuntimeConfig rc{default_runtime_binary(), default_runtime_root(o.ns), bundle + "/runtime.log"};
  if (auto saved = fs::read_file(runtime_file_path(bundle))) {
    auto j = nlohmann::json::parse(*saved, nullptr, false);
    if (j.is_object()) {
      rc.binary = j.value("binary", rc.binary);
      rc.root = j.value("root", rc.root);
    }
  }
  rc.linked = linked_runtime::serves(rc.binary);
  RuntimeClient runtime(rc);
  // containerd also runs `delete` after a clean Shutdown: a container already gone is no news.
  // Without a state directory under the runtime's root there is nothing for the runtime to do,
  // and its exec is saved (each container pays this once).
  struct stat st {};
  const bool gone = ::stat((rc.root + "/" + o.id).c_str(), &st) != 0 && errno == ENOENT;
  if (auto r = gone ? Result<void>() : runtime.remove(o.id, true);
      !r && r.error().message().find("does not exist") == std::string::npos)
    std::fprintf(stderr, "keel-shim: delete \"%s\": %s\n", o.id.c_str(),
                 r.error().message().c_str());
  if (auto r = unmount_rootfs(bundle + "/rootfs"); !r)
    std::fprintf(stderr, "keel-shim: %s\n", r.error().message().c_str());
  if (auto address = fs::read_file(bundle + "/address");
      address && address->rfind("unix://", 0) == 0)
    ::unlink(address->substr(7).c_str());

  shimapi::ExitRecord exit{0, 128 + 9, unix_now_ns()};
  if (auto text = fs::read_file(bundle + "/init.pid")) {
    // A pid file cut short (the runtime died writing it) leaves pid 0, which containerd accepts
    // for a task whose process it never saw: worth a line, not a failed delete.
    pid_t pid = 0;
    const auto parsed = std::from_chars(text->data(), text->data() + text->size(), pid);
    if (parsed.ec == std::errc() && pid > 0)
      exit.pid = pid;
    else
      std::fprintf(stderr, "keel-shim: delete \"%s\": init.pid \"%s\" holds no pid\n", o.id.c_str(),
                   text->c_str());
  }
  if (auto recorded = shimapi::read_exit_file(shimapi::exit_file_path(bundle, "")))
    exit = *recorded;  // the shim died after the container: its real status
  containerd::task::v2::DeleteResponse resp;
  resp.set_pid(static_cast<std::uint32_t>(exit.pid));
  resp.set_exit_status(exit.status);
  resp.mutable_exited_at()->set_seconds(exit.exited_at_ns / 1000000000);
  resp.mutable_exited_at()->set_nanos(static_cast<std::int32_t>(exit.exited_at_ns % 1000000000));
  const std::string out = resp.SerializeAsString();
  KEEL_TRY(fs::write_all(STDOUT_FILENO, out));
  return 0;
}

}  // namespace keel::shim
