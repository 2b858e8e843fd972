// Conversions between keeld's protobuf timestamps and the clock keelctl prints and parses with.
#pragma once

#include <chrono>
#include <string>

#include "ctl/format.h"
#include "keel/wkt/timestamp.pb.h"

namespace keel::ctl {

// google.protobuf.Timestamp as keelctl's lite messages name it (proto/CMakeLists.txt): the same
// fields and wire bytes.
using Timestamp = keel::wkt::Timestamp;

[[nodiscard]] inline std::chrono::system_clock::time_point from_timestamp(const Timestamp& t) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(t.seconds()) + std::chrono::nanoseconds(t.nanos())));
}

[[nodiscard]] inline Timestamp to_timestamp(std::chrono::system_clock::time_point time) {
  const auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
  Timestamp out;
  out.set_seconds(ns / 1'000'000'000);
  out.set_nanos(static_cast<int>(ns % 1'000'000'000));
  return out;
}

// docker's CREATED cell: "3 hours ago", or "N/A" for a time keeld left unset.
[[nodiscard]] inline std::string created_since(const Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0)
    return "N/A";
  return human_duration(std::chrono::system_clock::now() - from_timestamp(t)) + " ago";
}

}  // namespace keel::ctl
