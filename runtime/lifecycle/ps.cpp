// container_ps: runc's `ps`. The pids come from the container's cgroup; the table is the host's
// own `ps` output filtered to them, so its columns are whatever the ps arguments ask for.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <sstream>

#include "common/fs.h"
#include "common/unique_fd.h"
#include "runtime/cgroups/manager.h"
#include "runtime/lifecycle/lifecycle.h"

extern char** environ;  // NOLINT(readability-redundant-declaration): posix_spawnp wants it

namespace keel::runtime {
namespace {

Result<std::vector<pid_t>> container_pids(const StateStore& store, const std::string& id) {
  auto dir = store.open(id);
  if (!dir)
    return dir.error();
  auto record = dir->load();
  if (!record)
    return record.error();
  if (dir->status(*record) == Status::kStopped)
    return Error::of(Errc::kFailedPrecondition, "container \"" + id + "\" is not running");
  if (record->cgroup_paths.v1.empty() && record->cgroup_paths.unified.empty())
    return std::vector<pid_t>{record->pid};  // rootless without a cgroup: the init is all we know
  auto manager = cgroups::open_manager(record->cgroup_paths);
  if (!manager)
    return manager.error();
  return (*manager)->pids();
}

// Runs `ps args...` from the host's PATH and returns its stdout.
Result<std::string> run_ps(const std::vector<std::string>& args) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return Error::sys("pipe");
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  std::vector<char*> argv{const_cast<char*>("ps")};
  for (const auto& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDOUT_FILENO);
  pid_t pid = 0;
  const int err = ::posix_spawnp(&pid, "ps", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0)
    return Error::sys("run \"ps\"", err);
  write_end.reset();
  auto out = fs::read_fd(read_end.get());
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!out)
    return std::move(out).error().context("read \"ps\" output");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return Error::of(
        Errc::kInternal,
        "\"ps\" exited with status " +
            std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)));
  return *out;
}

std::vector<std::string> fields(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string f; in >> f;)
    out.push_back(f);
  return out;
}

// The header line and the lines whose PID column holds one of `pids`.
Result<std::string> filter_table(const std::string& text, const std::vector<pid_t>& pids) {
  std::istringstream in(text);
  std::string header;
  std::getline(in, header);
  const auto names = fields(header);
  const auto col = std::find(names.begin(), names.end(), "PID");
  if (col == names.end())
    return Error::of(Errc::kInvalidArgument, "\"ps\" output has no PID column");
  const auto index = static_cast<size_t>(col - names.begin());
  std::string out = header + "\n";
  for (std::string line; std::getline(in, line);) {
    const auto f = fields(line);
    if (f.size() <= index)
      continue;
    pid_t pid = 0;
    const auto& s = f[index];
    if (std::from_chars(s.data(), s.data() + s.size(), pid).ec != std::errc())
      continue;
    if (std::binary_search(pids.begin(), pids.end(), pid))
      out += line + "\n";
  }
  return out;
}

}  // namespace

Result<std::string> container_ps(const StateStore& store, const std::string& id, PsFormat format,
                                 const std::vector<std::string>& ps_args) {
  auto pids = container_pids(store, id);
  if (!pids)
    return pids.error();
  std::sort(pids->begin(), pids->end());
  if (format == PsFormat::kJson) {  // ps arguments apply to the table only, as in runc
    std::string out = "[";
    for (size_t i = 0; i < pids->size(); ++i)
      out += (i ? "," : "") + std::to_string((*pids)[i]);
    return out + "]\n";
  }
  auto table = run_ps(ps_args.empty() ? std::vector<std::string>{"-ef"} : ps_args);
  if (!table)
    return table.error();
  return filter_table(*table, *pids);
}

}  // namespace keel::runtime
