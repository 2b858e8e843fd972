// keel::Error -> grpc::Status: the kind picks the code clients branch on, the message is the
// one line a person reads ("image "busybox:1" not found").
#pragma once

#include <grpcpp/support/status.h>

#include "common/error.h"

namespace keel::manager::server {

[[nodiscard]] grpc::Status to_status(const Error& error);

// Runs body and turns an escaping exception into INTERNAL, so a bug in one request never takes
// the daemon down.
template <class Body>
grpc::Status guarded(Body&& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    return grpc::Status(grpc::StatusCode::INTERNAL, e.what());
  }
}

}  // namespace keel::manager::server
