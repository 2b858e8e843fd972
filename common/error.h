// Errors that carry errno and a context chain, printed as one line ("outer: inner: strerror").
#pragma once

#include <cerrno>
#include <string>
#include <vector>

#include "common/expected.h"

namespace keel {

// Errc is for callers that decide (exit codes, gRPC/ttrpc status codes); message() is for people.
enum class Errc {
  kInternal,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kPermissionDenied,
  kUnavailable,
};

class Error {
 public:
  Error() = default;
  // Kind derived from errno (ENOENT -> kNotFound, EEXIST -> kAlreadyExists, EPERM -> ...).
  static Error sys(std::string what, int errnum = errno);
  static Error of(Errc kind, std::string what);
  // Rebuilds an error received from elsewhere (the container's init) with the same errno.
  static Error with_errno(Errc kind, std::string what, int errnum);

  // Prepends "outer: ".
  Error context(std::string outer) &&;
  Error& add_context(std::string outer);

  [[nodiscard]] std::string message() const;
  // The chain without the errno text.
  [[nodiscard]] std::string what() const;
  [[nodiscard]] int errnum() const noexcept { return errnum_; }
  [[nodiscard]] Errc kind() const noexcept { return kind_; }

 private:
  Errc kind_ = Errc::kInternal;
  int errnum_ = 0;
  std::vector<std::string> chain_;  // outermost first
};

template <class T>
using Result = Expected<T, Error>;

[[nodiscard]] const char* errc_name(Errc kind) noexcept;

}  // namespace keel

// Propagates an error from an expression returning Result<...>, adding nothing.
#define KEEL_TRY(expr)                           \
  do {                                           \
    if (auto keel_try_r_ = (expr); !keel_try_r_) \
      return std::move(keel_try_r_).error();     \
  } while (0)
