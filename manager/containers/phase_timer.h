// Times the steps of one container operation (create, start, an exit, rm) and logs them as one
// debug line, "container <id>: start: mount 0.1 ms, shim launch 9.8 ms, ...", from which
// bench/manager.sh splits the run --rm path. Costs two clock reads per step when not logged.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

namespace keel::manager::containers {

class PhaseTimer {
 public:
  PhaseTimer(std::string_view operation, std::string id)
      : operation_(operation), id_(std::move(id)), last_(Clock::now()) {}
  ~PhaseTimer() {
    if (!spdlog::should_log(spdlog::level::debug) || laps_.empty())
      return;
    std::string text;
    for (const auto& [name, ms] : laps_)
      text += fmt::format("{}{} {:.2f} ms", text.empty() ? "" : ", ", name, ms);
    spdlog::debug("container {}: {}: {}", id_, operation_, text);
  }
  PhaseTimer(const PhaseTimer&) = delete;
  PhaseTimer& operator=(const PhaseTimer&) = delete;
  PhaseTimer(PhaseTimer&&) = delete;
  PhaseTimer& operator=(PhaseTimer&&) = delete;

  void set_id(std::string id) { id_ = std::move(id); }
  // Ends the current step, named `name`, and begins the next.
  void lap(std::string_view name) {
    const auto now = Clock::now();
    laps_.emplace_back(name, std::chrono::duration<double, std::milli>(now - last_).count());
    last_ = now;
  }
  // A step not worth its own name (waiting for the mutex, say) ends here, untimed.
  void skip() { last_ = Clock::now(); }

 private:
  using Clock = std::chrono::steady_clock;
  std::string_view operation_;
  std::string id_;
  Clock::time_point last_;
  std::vector<std::pair<std::string_view, double>> laps_;
};

}  // namespace keel::manager::containers
