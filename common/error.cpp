// Error construction and formatting.
#include "common/error.h"

#include <string.h>

#include <utility>

namespace keel {
namespace {

Errc kind_from_errno(int errnum) {
  switch (errnum) {
    case ENOENT:
    case ESRCH:
      return Errc::kNotFound;
    case EEXIST:
      return Errc::kAlreadyExists;
    case EPERM:
    case EACCES:
      return Errc::kPermissionDenied;
    case EINVAL:
      return Errc::kInvalidArgument;
    case EBUSY:
    case EAGAIN:
      return Errc::kUnavailable;
    default:
      return Errc::kInternal;
  }
}

}  // namespace

Error Error::sys(std::string what, int errnum) {
  return with_errno(kind_from_errno(errnum), std::move(what), errnum);
}

Error Error::of(Errc kind, std::string what) {
  return with_errno(kind, std::move(what), 0);
}

Error Error::with_errno(Errc kind, std::string what, int errnum) {
  Error e;
  e.kind_ = kind;
  e.errnum_ = errnum;
  e.chain_.push_back(std::move(what));
  return e;
}

Error Error::context(std::string outer) && {
  add_context(std::move(outer));
  return std::move(*this);
}

Error& Error::add_context(std::string outer) {
  chain_.insert(chain_.begin(), std::move(outer));
  return *this;
}

std::string Error::what() const {
  std::string out;
  for (const auto& part : chain_) {
    if (part.empty())
      continue;
    if (!out.empty())
      out += ": ";
    out += part;
  }
  return out;
}

std::string Error::message() const {
  std::string out = what();
  if (errnum_ != 0) {
    const char* desc = ::strerrordesc_np(errnum_);
    if (!out.empty())
      out += ": ";
    out += desc != nullptr ? desc : "unknown error";
  }
  return out;
}

const char* errc_name(Errc kind) noexcept {
  switch (kind) {
    case Errc::kInternal:
      return "internal";
    case Errc::kInvalidArgument:
      return "invalid argument";
    case Errc::kNotFound:
      return "not found";
    case Errc::kAlreadyExists:
      return "already exists";
    case Errc::kFailedPrecondition:
      return "failed precondition";
    case Errc::kPermissionDenied:
      return "permission denied";
    case Errc::kUnavailable:
      return "unavailable";
  }
  return "unknown";
}

}  // namespace keel
