// Call status codes (gRPC's numbering, which ttrpc and containerd's errdefs use) and Errc mapping.
#pragma once

#include <string>

#include "common/error.h"

namespace keel::ttrpc {

enum class Code : int {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
};

struct Status {
  Code code = Code::kOk;
  std::string message;

  [[nodiscard]] bool ok() const { return code == Code::kOk; }
  // Errc to code one-to-one (containerd's errgrpc.ToGRPC does the same); message() as message.
  [[nodiscard]] static Status from(const Error& error);
};

[[nodiscard]] Code code_of(Errc kind) noexcept;

}  // namespace keel::ttrpc
