// Pieces shared by the container verbs: time conversions, docker's per-container error
// reporting, and the registration hooks of each file.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <google/protobuf/timestamp.pb.h>

#include "ctl/client.h"

namespace keel::ctl {

[[nodiscard]] inline std::chrono::system_clock::time_point from_timestamp(
    const google::protobuf::Timestamp& t) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(t.seconds()) + std::chrono::nanoseconds(t.nanos())));
}

[[nodiscard]] inline google::protobuf::Timestamp to_timestamp(
    std::chrono::system_clock::time_point time) {
  const auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
  google::protobuf::Timestamp out;
  out.set_seconds(ns / 1'000'000'000);
  out.set_nanos(static_cast<int>(ns % 1'000'000'000));
  return out;
}

// docker's toStatusError for a container that failed to start: 127 when the command was not
// found, 126 when it could not be run, else fallback (125 for run, 126 for exec).
[[nodiscard]] int start_failure_exit_code(const std::string& message, int fallback);

// Runs action on each name as docker's multi-container verbs do: a failure prints its message
// on stderr and the others go on; exit 1 at the end if any failed. on_success prints the name
// unless it is empty.
void for_each_container(const std::vector<std::string>& names,
                        const std::function<void(const std::string&)>& action,
                        bool print_names = true);

// Registration of each file's verbs under parent (the app, or the `container` group when
// grouped).
void add_run_verbs(CLI::App& parent, Client& client, bool grouped);
void add_lifecycle_verbs(CLI::App& parent, Client& client, bool grouped);
void add_copy_verbs(CLI::App& parent, Client& client, bool grouped);

}  // namespace keel::ctl
