// Global flags shared by every keel command (runc's: --root --log --log-format --debug
// --systemd-cgroup), and the action a command's callback leaves for main to run.
#pragma once

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

#include "common/error.h"
#include "runtime/lifecycle/state_store.h"

namespace keel::cli {

struct Globals {
  std::string root = "/run/keel";
  std::string log_path;
  std::string log_format = "text";
  bool debug = false;
  bool systemd_cgroup = false;
  std::string rootless = "auto";
  std::string criu;
  // Set by the chosen command; returns the process exit code.
  std::function<Result<int>()> action;

  [[nodiscard]] runtime::StateStore store() const { return runtime::StateStore(root); }
};

// Wraps a Result<void> operation as an action exiting 0.
template <class F>
std::function<Result<int>()> exits_zero(F fn) {
  return [fn]() -> Result<int> {
    if (auto r = fn(); !r)
      return std::move(r).error();
    return 0;
  };
}

// Registers the command argv names, or every command (see command_table.cpp).
void add_commands(CLI::App& app, Globals& g, int argc, const char* const* argv);

void add_create(CLI::App& app, Globals& g);
void add_start(CLI::App& app, Globals& g);
void add_run(CLI::App& app, Globals& g);
void add_state(CLI::App& app, Globals& g);
void add_kill(CLI::App& app, Globals& g);
void add_delete(CLI::App& app, Globals& g);
void add_list(CLI::App& app, Globals& g);
void add_spec(CLI::App& app, Globals& g);
void add_features(CLI::App& app, Globals& g);
void add_exec(CLI::App& app, Globals& g);
void add_pause(CLI::App& app, Globals& g);
void add_resume(CLI::App& app, Globals& g);
void add_update(CLI::App& app, Globals& g);
void add_ps(CLI::App& app, Globals& g);
void add_events(CLI::App& app, Globals& g);

}  // namespace keel::cli
