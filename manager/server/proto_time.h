// system_clock <-> google.protobuf.Timestamp, to the nanosecond.
#pragma once

#include <chrono>

#include <google/protobuf/timestamp.pb.h>

namespace keel::manager::server {

inline google::protobuf::Timestamp to_proto(std::chrono::system_clock::time_point time) {
  const auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
  google::protobuf::Timestamp out;
  out.set_seconds(ns / 1'000'000'000);
  out.set_nanos(static_cast<int>(ns % 1'000'000'000));
  return out;
}

inline std::chrono::system_clock::time_point from_proto(const google::protobuf::Timestamp& t) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(t.seconds()) + std::chrono::nanoseconds(t.nanos())));
}

}  // namespace keel::manager::server
