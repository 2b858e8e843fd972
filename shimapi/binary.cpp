// start_shim and delete_shim: run the shim binary with containerd's flags, collect its stdout;
// launch_daemon: start's work done in the caller, the daemon spawned directly.
#include "shimapi/binary.h"

#include <fcntl.h>
#include <unistd.h>

#include <optional>
#include <string_view>

#include "common/fs.h"
#include "common/unique_fd.h"
#include "containerd/task/v2/shim.pb.h"
#include "shimapi/shim_socket.h"
#include "shimapi/spawn.h"

extern char** environ;

namespace keel::shimapi {
namespace {

struct Outcome {
  int exit_code = 0;
  std::string out;  // stdout, or stdout and stderr together
};

std::vector<std::string> argv_of(const ShimLaunch& launch, const std::string& action) {
  std::vector<std::string> argv = {launch.shim_binary, "-namespace", launch.ns, "-address",
                                   launch.address,     "-id",        launch.id};
  if (!launch.publish_binary.empty()) {
    argv.emplace_back("-publish-binary");
    argv.push_back(launch.publish_binary);
  }
  if (action.empty())
    return argv;  // the daemon: no action
  if (action == "delete") {
    argv.emplace_back("-bundle");
    argv.push_back(launch.bundle);
  }
  argv.push_back(action);
  return argv;
}

// Runs the shim with `action` and reads its output to EOF. with_stderr: stderr joins stdout
// (start's address is its last line); else stderr is the caller's (delete's stdout is binary).
Result<Outcome> run(const ShimLaunch& launch, const std::string& action, bool with_stderr) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return Error::sys("pipe for the shim's output");
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  SpawnOptions options;
  options.argv = argv_of(launch, action);
  options.stdout_fd = write_end.get();
  options.stderr_fd = with_stderr ? write_end.get() : STDERR_FILENO;
  options.cwd = launch.bundle;
  if (!launch.env.empty())
    options.env = environment_with(launch.env);
  auto pid = spawn(options);
  if (!pid)
    return std::move(pid).error().context("keel-shim " + action);
  write_end.reset();
  auto out = fs::read_fd(read_end.get());
  auto code = wait_exit(*pid);
  if (!code)
    return std::move(code).error();
  if (!out)
    return std::move(out).error().context("reading the output of keel-shim " + action);
  return Outcome{*code, std::move(*out)};
}

// The value of NAME in "NAME=value" entries, or nullopt.
std::optional<std::string> value_in(const std::vector<std::string>& entries,
                                    std::string_view name) {
  for (const auto& e : entries)
    if (e.size() > name.size() && e.compare(0, name.size(), name) == 0 && e[name.size()] == '=')
      return e.substr(name.size() + 1);
  return std::nullopt;
}

// Where the daemon looks for its socket dir, resolved as the shim itself would: its environment
// is launch.env over the caller's. Reads `environ` only (no getenv in threaded keeld).
std::string socket_dir_of(const ShimLaunch& launch) {
  if (auto dir = value_in(launch.env, kSocketDirEnv); dir && !dir->empty())
    return *dir;
  std::vector<std::string> own;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e)
    own.emplace_back(*e);
  if (auto dir = value_in(own, kSocketDirEnv); dir && !dir->empty())
    return *dir;
  return kDefaultSocketDir;
}

}  // namespace

Result<std::string> launch_daemon(const ShimLaunch& launch) {
  const std::string address =
      shim_socket_address(socket_dir_of(launch), launch.address, launch.ns, launch.id);
  auto bound = bind_shim_socket(address);
  if (!bound)
    return std::move(bound).error().context("start shim \"" + launch.id + "\"");
  KEEL_TRY(fs::write_file_atomic(launch.bundle + "/address", address, 0644));
  if (bound->already_served)
    return address;  // as `start` does: the shim for this id already serves
  SpawnOptions options;
  options.argv = argv_of(launch, "");
  options.extra_fds = {bound->listener.get()};
  options.cwd = launch.bundle;
  options.new_session = true;
  options.detach = true;
  if (!launch.env.empty())
    options.env = environment_with(launch.env);
  if (auto pid = spawn(options); !pid) {
    ::unlink(address.substr(address.find("://") + 3).c_str());
    return std::move(pid).error().context("start shim \"" + launch.id + "\"");
  }
  return address;
}

Result<std::string> start_shim(const ShimLaunch& launch) {
  auto ran = run(launch, "start", true);
  if (!ran)
    return std::move(ran).error();
  std::string output = std::move(ran->out);
  while (!output.empty() && (output.back() == '\n' || output.back() == ' '))
    output.pop_back();
  if (ran->exit_code != 0)
    return Error::of(Errc::kInternal, "keel-shim start failed (exit " +
                                          std::to_string(ran->exit_code) + "): " + output);
  // The address is the last line; anything before it is the shim's logging.
  const auto newline = output.rfind('\n');
  return newline == std::string::npos ? output : output.substr(newline + 1);
}

Result<ShimDeleted> delete_shim(const ShimLaunch& launch) {
  auto ran = run(launch, "delete", false);
  if (!ran)
    return std::move(ran).error();
  if (ran->exit_code != 0)
    return Error::of(Errc::kInternal,
                     "keel-shim delete failed (exit " + std::to_string(ran->exit_code) + ")");
  containerd::task::v2::DeleteResponse response;
  if (!response.ParseFromString(ran->out))
    return Error::of(Errc::kInternal, "keel-shim delete: its output is not a DeleteResponse");
  return ShimDeleted{.pid = static_cast<pid_t>(response.pid()),
                     .exit_status = response.exit_status(),
                     .exited_at_ns = response.exited_at().seconds() * 1'000'000'000 +
                                     response.exited_at().nanos()};
}

}  // namespace keel::shimapi
