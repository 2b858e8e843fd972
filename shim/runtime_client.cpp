// RuntimeClient: argv building, spawn, exit code, and the runtime's error line (its stderr, or
// for create/exec whose stderr is the container's, the last error in the json log).
#include "shim/runtime_client.h"

#include <fcntl.h>
#include <unistd.h>

#include <sstream>

#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "shim/linked_runtime.h"
#include "shimapi/spawn.h"

namespace keel::shim {
namespace {

Result<std::pair<UniqueFd, UniqueFd>> make_pipe() {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0)
    return Error::sys("pipe2");
  return std::make_pair(UniqueFd(p[0]), UniqueFd(p[1]));
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
    s.pop_back();
  return s;
}

}  // namespace

std::string RuntimeClient::last_logged_error() const {
  auto text = fs::read_file(config_.log_path);
  if (!text)
    return {};
  std::istringstream in(*text);
  std::string line, last;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.value("level", "") == "error")
      last = j.value("msg", "");
  }
  return last;
}

Result<std::string> RuntimeClient::run(const std::vector<std::string>& args,
                                       const std::string& stdin_data) {
  std::vector<std::string> argv = {config_.binary, "--root", config_.root};
  argv.insert(argv.end(), args.begin(), args.end());
  auto out = make_pipe();
  auto err = make_pipe();
  auto in = make_pipe();
  if (!out || !err || !in)
    return Error::sys("pipe2");
  if (!stdin_data.empty())
    KEEL_TRY(fs::write_all(in->second.get(), stdin_data));  // small JSON: fits the pipe buffer
  in->second.reset();
  shimapi::SpawnOptions o;
  o.argv = argv;
  o.stdin_fd = in->first.get();
  o.stdout_fd = out->second.get();
  o.stderr_fd = err->second.get();
  auto pid = shimapi::spawn(o);
  if (!pid)
    return std::move(pid).error();
  out->second.reset();
  err->second.reset();
  auto stdout_text = fs::read_fd(out->first.get());
  auto stderr_text = fs::read_fd(err->first.get());
  auto code = shimapi::wait_exit(*pid);
  if (!code)
    return std::move(code).error();
  if (*code != 0) {
    std::string why = trim(stderr_text ? *stderr_text : std::string());
    return Error::of(Errc::kInternal, "runtime " + args.front() + " (exit " +
                                          std::to_string(*code) + ")" +
                                          (why.empty() ? "" : ": " + why));
  }
  return stdout_text ? *stdout_text : std::string();
}

Result<void> RuntimeClient::run_with_stdio(const std::vector<std::string>& args,
                                           RuntimeStdio stdio) {
  std::vector<std::string> argv = {config_.binary,   "--root",       config_.root, "--log",
                                   config_.log_path, "--log-format", "json"};
  argv.insert(argv.end(), args.begin(), args.end());
  shimapi::SpawnOptions o;
  o.argv = argv;
  o.stdin_fd = stdio.in;
  o.stdout_fd = stdio.out;
  o.stderr_fd = stdio.err;
  auto pid = shimapi::spawn(o);
  if (!pid)
    return std::move(pid).error();
  auto code = shimapi::wait_exit(*pid);
  if (!code)
    return std::move(code).error();
  if (*code != 0) {
    const std::string why = last_logged_error();
    return Error::of(Errc::kInternal, "runtime " + args.front() + " (exit " +
                                          std::to_string(*code) + ")" +
                                          (why.empty() ? "" : ": " + why));
  }
  return {};
}

Result<void> RuntimeClient::create(const std::string& id, const std::string& bundle,
                                   const std::string& pid_file, const std::string& console_socket,
                                   RuntimeStdio stdio) {
  if (config_.linked)
    return linked_runtime::create(config_, id, bundle, pid_file, console_socket, stdio);
  std::vector<std::string> args = {"create", "--bundle", bundle, "--pid-file", pid_file};
  if (!console_socket.empty()) {
    args.push_back("--console-socket");
    args.push_back(console_socket);
  }
  args.push_back(id);
  return run_with_stdio(args, stdio);
}

Result<void> RuntimeClient::start(const std::string& id) {
  if (config_.linked)
    return linked_runtime::start(config_, id);
  KEEL_TRY(run({"start", id}));
  return {};
}

Result<void> RuntimeClient::exec(const std::string& id, const std::string& process_file,
                                 const std::string& pid_file, const std::string& console_socket,
                                 RuntimeStdio stdio) {
  std::vector<std::string> args = {"exec",     "--process",  process_file,
                                   "--detach", "--pid-file", pid_file};
  if (!console_socket.empty()) {
    args.push_back("--tty");
    args.push_back("--console-socket");
    args.push_back(console_socket);
  }
  args.push_back(id);
  return run_with_stdio(args, stdio);
}

Result<void> RuntimeClient::kill(const std::string& id, int signal, bool all) {
  if (config_.linked)
    return linked_runtime::kill(config_, id, signal, all);
  std::vector<std::string> args = {"kill"};
  if (all)
    args.push_back("--all");
  args.push_back(id);
  args.push_back(std::to_string(signal));
  KEEL_TRY(run(args));
  return {};
}

Result<void> RuntimeClient::remove(const std::string& id, bool force) {
  if (config_.linked)
    return linked_runtime::remove(config_, id, force);
  std::vector<std::string> args = {"delete"};
  if (force)
    args.push_back("--force");
  args.push_back(id);
  KEEL_TRY(run(args));
  return {};
}

Result<void> RuntimeClient::pause(const std::string& id) {
  KEEL_TRY(run({"pause", id}));
  return {};
}

Result<void> RuntimeClient::resume(const std::string& id) {
  KEEL_TRY(run({"resume", id}));
  return {};
}

Result<void> RuntimeClient::update(const std::string& id, const std::string& resources_json) {
  KEEL_TRY(run({"update", "--resources", "-", id}, resources_json));
  return {};
}

Result<std::string> RuntimeClient::stats(const std::string& id) {
  return run({"events", "--stats", id});
}

Result<std::vector<pid_t>> RuntimeClient::ps(const std::string& id) {
  auto out = run({"ps", "--format", "json", id});
  if (!out)
    return std::move(out).error();
  auto j = nlohmann::json::parse(*out, nullptr, false);
  if (!j.is_array())
    return Error::of(Errc::kInternal, "runtime ps: output is not a JSON array of pids");
  std::vector<pid_t> pids;
  for (const auto& p : j)
    if (p.is_number_integer())
      pids.push_back(p.get<pid_t>());
  return pids;
}

}  // namespace keel::shim
