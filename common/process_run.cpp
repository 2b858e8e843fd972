#include "common/process_run.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>

#include "common/unique_fd.h"

namespace keel {
namespace {

// The spawned program: killed and reaped on any early return, so none is left behind.
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
  void kill() {
    if (pid_ > 0)
      ::kill(pid_, SIGKILL);
  }
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

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

Result<Pipe> make_pipe(const std::string& what) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return Error::sys(what + ": pipe");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const auto& s : strings)
    out.push_back(const_cast<char*>(s.c_str()));  // NOLINT: posix_spawn's signature
  out.push_back(nullptr);
  return out;
}

// Feeds input and drains stdout and stderr together, so neither side blocks on a full pipe.
Result<void> pump(UniqueFd& in, UniqueFd& out_fd, UniqueFd& err_fd, const std::string& input,
                  ProcessOutput& output, std::chrono::steady_clock::time_point deadline) {
  std::size_t written = 0;
  if (input.empty())
    in.reset();
  while (out_fd.get() >= 0 || err_fd.get() >= 0) {
    std::array<pollfd, 3> fds{};
    fds[0] = {.fd = in.get(), .events = POLLOUT, .revents = 0};
    fds[1] = {.fd = out_fd.get(), .events = POLLIN, .revents = 0};
    fds[2] = {.fd = err_fd.get(), .events = POLLIN, .revents = 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return Error::of(Errc::kUnavailable, "timed out");
    const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR)
      return Error::sys("poll");
    if (fds[0].revents != 0) {
      const ssize_t n = ::write(in.get(), input.data() + written, input.size() - written);
      if (n > 0)
        written += static_cast<std::size_t>(n);
      if (n < 0 || written == input.size())
        in.reset();  // EOF for the program (EPIPE: it stopped reading; its exit tells why)
    }
    struct Stream {
      std::size_t index;
      UniqueFd* fd;
      std::string* sink;
    };
    for (const Stream& stream :
         {Stream{1, &out_fd, &output.out}, Stream{2, &err_fd, &output.err}}) {
      if (fds[stream.index].revents == 0)
        continue;
      char buffer[8192];
      const ssize_t n = ::read(stream.fd->get(), buffer, sizeof buffer);
      if (n > 0)
        stream.sink->append(buffer, static_cast<std::size_t>(n));
      else if (n == 0 || errno != EINTR)
        stream.fd->reset();
    }
  }
  return {};
}

}  // namespace

Result<ProcessOutput> run_process(const std::vector<std::string>& argv,
                                  const std::vector<std::string>& env, const std::string& input,
                                  std::chrono::milliseconds timeout) {
  if (argv.empty())
    return Error::of(Errc::kInvalidArgument, "run: no program");
  const std::string what = "run \"" + argv.front() + "\"";
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto in = make_pipe(what);
  auto out = make_pipe(what);
  auto err = make_pipe(what);
  if (!in || !out || !err)
    return !in ? std::move(in).error() : !out ? std::move(out).error() : std::move(err).error();

  SpawnSetup setup;
  ::posix_spawn_file_actions_adddup2(&setup.actions, in->read.get(), STDIN_FILENO);
  ::posix_spawn_file_actions_adddup2(&setup.actions, out->write.get(), STDOUT_FILENO);
  ::posix_spawn_file_actions_adddup2(&setup.actions, err->write.get(), STDERR_FILENO);
  // keeld blocks SIGTERM/SIGINT for its signal thread and ignores SIGPIPE: not the program's.
  sigset_t none;
  sigset_t defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  ::posix_spawnattr_setsigmask(&setup.attr, &none);
  ::posix_spawnattr_setsigdefault(&setup.attr, &defaults);
  ::posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  auto args = c_strings(argv);
  auto envp = c_strings(env);
  pid_t pid = 0;
  if (const int e =
          ::posix_spawn(&pid, args.front(), &setup.actions, &setup.attr, args.data(), envp.data());
      e != 0)
    return Error::sys(what, e);
  Child child(pid);
  // Only the child holds these ends now: EOF arrives when it is done.
  in->read.reset();
  out->write.reset();
  err->write.reset();

  ProcessOutput output;
  if (auto pumped = pump(in->write, out->read, err->read, input, output, deadline); !pumped) {
    child.kill();
    return std::move(pumped).error().context(what);
  }
  auto code = child.wait();
  if (!code)
    return std::move(code).error().context(what);
  output.exit_code = *code;
  return output;
}

}  // namespace keel
