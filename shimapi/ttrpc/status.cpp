// Errc to ttrpc status code.
#include "shimapi/ttrpc/status.h"

namespace keel::ttrpc {

Code code_of(Errc kind) noexcept {
  switch (kind) {
    case Errc::kInvalidArgument:
      return Code::kInvalidArgument;
    case Errc::kNotFound:
      return Code::kNotFound;
    case Errc::kAlreadyExists:
      return Code::kAlreadyExists;
    case Errc::kFailedPrecondition:
      return Code::kFailedPrecondition;
    case Errc::kPermissionDenied:
      return Code::kPermissionDenied;
    case Errc::kUnavailable:
      return Code::kUnavailable;
    case Errc::kInternal:
      break;
  }
  return Code::kInternal;
}

Status Status::from(const Error& error) {
  return Status{code_of(error.kind()), error.message()};
}

}  // namespace keel::ttrpc
