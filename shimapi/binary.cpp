// start_shim and delete_shim: run the shim binary with containerd's flags, collect its stdout.
#include "shimapi/binary.h"

#include <fcntl.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/unique_fd.h"
#include "containerd/task/v2/shim.pb.h"
#include "shimapi/spawn.h"

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

}  // namespace

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
