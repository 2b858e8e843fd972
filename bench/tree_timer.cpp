// Times commands for bench/run.sh: wall time (CLOCK_MONOTONIC around spawn and wait) and CPU time
// of each command's whole process tree, one command per plan line read from stdin.
//
// Plan line, tab-separated: LABEL KIND PIDFILE ARGV...  (PIDFILE "-" when unused)
//   run     spawn ARGV, wait for it
//   create  as run, then read the container init's pid from PIDFILE and its CPU time so far
//   wait    wait for the init named by PIDFILE (recorded by an earlier create) to exit
// Output line: LABEL wall_ns user_ns sys_ns cpu_ns status init_ns
//   user/sys: the command's tree (for wait: the init's whole life); cpu: what this step cost,
//   i.e. create adds the init's CPU so far and wait subtracts it; init_ns: the part of cpu spent
//   by the container init (create and wait only).
//
// The timer is a child subreaper: a runtime's create leaves the container init (and runc's
// intermediate processes) orphaned, and without PR_SET_CHILD_SUBREAPER they would reparent to the
// host's init and their CPU time would never reach any rusage read here.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace {

struct Cost {
  std::int64_t user_ns = 0;
  std::int64_t sys_ns = 0;
};

struct Init {
  std::int64_t cpu_at_create_ns = 0;
  bool reaped = false;  // reaped by a sweep before its wait step
  int status = 0;
  Cost cost;
};

std::map<pid_t, Init> inits;

// Set by SIGTERM/SIGINT/SIGHUP: finish the command under way, run no more. Stopping mid-command
// would leave a runtime creating a container after run.sh's cleanup has looked.
volatile sig_atomic_t stop_requested = 0;

void request_stop(int) {
  stop_requested = 1;
}

std::int64_t now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
}

std::int64_t tv_ns(const timeval& tv) {
  return tv.tv_sec * 1'000'000'000LL + tv.tv_usec * 1000LL;
}

Cost cost_of(const rusage& ru) {
  return {tv_ns(ru.ru_utime), tv_ns(ru.ru_stime)};
}

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  for (std::string field; std::getline(ss, field, '\t');)
    out.push_back(field);
  return out;
}

// Reaps orphans that have already exited (runtime helpers, or an init that died early) and adds
// their cost to the current step; a tracked init keeps its cost for its own wait step.
void sweep(Cost& cost) {
  int status = 0;
  rusage ru{};
  for (pid_t pid; (pid = ::wait4(-1, &status, WNOHANG, &ru)) > 0;) {
    if (auto it = inits.find(pid); it != inits.end()) {
      it->second = {it->second.cpu_at_create_ns, true, status, cost_of(ru)};
      continue;
    }
    cost.user_ns += tv_ns(ru.ru_utime);
    cost.sys_ns += tv_ns(ru.ru_stime);
  }
}

// sum_exec_runtime (user + system, ns) of a live process; it is current for a sleeping task,
// which an init blocked on its exec fifo is.
std::int64_t cpu_so_far_ns(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/schedstat");
  std::int64_t ns = 0;
  in >> ns;
  return ns;
}

pid_t read_pid(const std::string& path) {
  std::ifstream in(path);
  long pid = 0;
  in >> pid;
  return static_cast<pid_t>(pid);
}

int spawn_and_wait(const std::vector<std::string>& argv, Cost& cost) {
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // The plan arrives on stdin and results leave on stdout: the command gets neither.
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(&actions, 2, 1);
  pid_t pid = 0;
  const int err = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  ::posix_spawn_file_actions_destroy(&actions);
  if (err != 0) {
    std::fprintf(stderr, "tree_timer: %s: %s\n", args[0], std::strerror(err));
    return 127 << 8;
  }
  int status = 0;
  rusage ru{};
  while (::wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {
  }
  cost = cost_of(ru);
  return status;
}

int exit_code(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

int main() {
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    std::perror("tree_timer: PR_SET_CHILD_SUBREAPER");
    return 1;
  }
  // run.sh gone without its cleanup (SIGKILL): stop rather than run the plan unattended.
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  struct sigaction sa {};
  sa.sa_handler = request_stop;
  for (int sig : {SIGTERM, SIGINT, SIGHUP})
    ::sigaction(sig, &sa, nullptr);
  int failures = 0;
  for (std::string line; !stop_requested && std::getline(std::cin, line);) {
    const auto fields = split_tabs(line);
    if (fields.size() < 3 || (fields[1] != "wait" && fields.size() < 4)) {
      std::fprintf(stderr, "tree_timer: bad plan line: %s\n", line.c_str());
      return 2;
    }
    const std::string& label = fields[0];
    const std::string& kind = fields[1];
    Cost cost;
    std::int64_t extra_ns = 0;
    int status = 0;
    const std::int64_t begin = now_ns();
    if (kind == "wait") {
      const pid_t pid = read_pid(fields[2]);
      auto it = inits.find(pid);
      if (pid <= 0 || it == inits.end()) {
        status = 1 << 8;
      } else {
        rusage ru{};
        if (!it->second.reaped) {
          while (::wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {
          }
          it->second.cost = cost_of(ru);
        } else {
          status = it->second.status;
        }
        cost = it->second.cost;
        extra_ns = -it->second.cpu_at_create_ns;
        inits.erase(it);
      }
    } else {
      status = spawn_and_wait({fields.begin() + 3, fields.end()}, cost);
    }
    const std::int64_t wall = now_ns() - begin;
    if (kind == "create" && status == 0) {
      const pid_t pid = read_pid(fields[2]);
      if (pid > 0) {
        extra_ns = cpu_so_far_ns(pid);
        inits[pid] = Init{extra_ns, false, 0, {}};
      }
    }
    Cost swept;
    sweep(swept);
    cost.user_ns += swept.user_ns;
    cost.sys_ns += swept.sys_ns;
    const int code = exit_code(status);
    failures += code != 0;
    const std::int64_t total = cost.user_ns + cost.sys_ns + extra_ns;
    const std::int64_t init_ns = kind == "create" ? extra_ns : kind == "wait" ? total : 0;
    std::printf("%s\t%lld\t%lld\t%lld\t%lld\t%d\t%lld\n", label.c_str(),
                static_cast<long long>(wall), static_cast<long long>(cost.user_ns),
                static_cast<long long>(cost.sys_ns), static_cast<long long>(total), code,
                static_cast<long long>(init_ns));
    std::fflush(stdout);
  }
  // An init whose wait never came (its start failed) still blocks on its fifo: run.sh's delete
  // ends it; only what has already exited is reaped here.
  Cost ignored;
  sweep(ignored);
  return failures == 0 ? 0 : 3;
}
