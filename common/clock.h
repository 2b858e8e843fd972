// Wall-clock time as nanoseconds since the Unix epoch: the unit every record and event stores.
#pragma once

#include <chrono>
#include <cstdint>

namespace keel {

[[nodiscard]] inline std::int64_t unix_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace keel
