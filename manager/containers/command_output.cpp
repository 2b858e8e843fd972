#include "manager/containers/command_output.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/unique_fd.h"

extern char** environ;  // NOLINT(readability-redundant-declaration): posix_spawn wants it

namespace keel::manager::containers {
namespace {

// The spawned child: killed and reaped if the caller returns before waiting, so no path leaves
// a zombie or a stray process behind.
class Child {
 public:
  explicit Child(pid_t pid) : pid_(pid) {}
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  Child(Child&&) = delete;
  Child& operator=(Child&&) = delete;
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      (void)wait();
    }
  }

  // The exit code, 128 + n when killed by signal n.
  Result<int> wait() {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0) {
      if (errno != EINTR)
        return Error::sys("waitpid " + std::to_string(pid_));
    }
    pid_ = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_;
};

// posix_spawn's file actions and attributes, destroyed on every path.
struct SpawnSetup {
  posix_spawn_file_actions_t actions{};
  posix_spawnattr_t attr{};
  SpawnSetup() {
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawnattr_init(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
  SpawnSetup(SpawnSetup&&) = delete;
  SpawnSetup& operator=(SpawnSetup&&) = delete;
  ~SpawnSetup() {
    ::posix_spawnattr_destroy(&attr);
    ::posix_spawn_file_actions_destroy(&actions);
  }
};

}  // namespace

Result<CommandOutput> run_command(const std::vector<std::string>& argv) {
  if (argv.empty())
    return Error::of(Errc::kInvalidArgument, "run: no program");
  const std::string what = "run \"" + argv.front() + "\"";
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return Error::sys(what + ": pipe");
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);

  SpawnSetup setup;
  ::posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(&setup.actions, write_end.get(), STDOUT_FILENO);
  ::posix_spawn_file_actions_addopen(&setup.actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  // keeld's signal mask and ignored SIGPIPE are not the program's.
  sigset_t none;
  sigset_t pipe_only;
  sigemptyset(&none);
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  ::posix_spawnattr_setsigmask(&setup.attr, &none);
  ::posix_spawnattr_setsigdefault(&setup.attr, &pipe_only);
  ::posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& arg : argv)
    args.push_back(const_cast<char*>(arg.c_str()));  // NOLINT: posix_spawn's signature
  args.push_back(nullptr);
  pid_t pid = 0;
  if (const int err =
          ::posix_spawn(&pid, args.front(), &setup.actions, &setup.attr, args.data(), environ);
      err != 0)
    return Error::sys(what, err);
  Child child(pid);
  write_end.reset();  // the child holds the only write end: EOF when it is done

  auto out = fs::read_fd(read_end.get());
  if (!out)
    return std::move(out).error().context(what + ": read its output");
  auto code = child.wait();
  if (!code)
    return std::move(code).error().context(what);
  return CommandOutput{.exit_code = *code, .out = std::move(*out)};
}

}  // namespace keel::manager::containers
