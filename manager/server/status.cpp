#include "manager/server/status.h"

namespace keel::manager::server {

grpc::Status to_status(const Error& error) {
  grpc::StatusCode code = grpc::StatusCode::INTERNAL;
  switch (error.kind()) {
    case Errc::kInvalidArgument:
      code = grpc::StatusCode::INVALID_ARGUMENT;
      break;
    case Errc::kNotFound:
      code = grpc::StatusCode::NOT_FOUND;
      break;
    case Errc::kAlreadyExists:
      code = grpc::StatusCode::ALREADY_EXISTS;
      break;
    case Errc::kFailedPrecondition:
      code = grpc::StatusCode::FAILED_PRECONDITION;
      break;
    case Errc::kPermissionDenied:
      code = grpc::StatusCode::PERMISSION_DENIED;
      break;
    case Errc::kUnavailable:
      code = grpc::StatusCode::UNAVAILABLE;
      break;
    case Errc::kInternal:
      break;
  }
  return grpc::Status(code, error.message());
}

}  // namespace keel::manager::server
