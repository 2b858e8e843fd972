#include "ctl/rpc/status.h"

#include <charconv>

namespace keel::rpc {

Status Status::not_connected(std::string message) {
  Status status(StatusCode::UNAVAILABLE, std::move(message));
  status.reached_server_ = false;
  return status;
}

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int high = hex_value(text[i + 1]);
      const int low = hex_value(text[i + 2]);
      if (high >= 0 && low >= 0) {
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

Status status_from_trailers(std::string_view grpc_status, std::string_view grpc_message) {
  int code = 0;
  const auto [end, error] =
      std::from_chars(grpc_status.data(), grpc_status.data() + grpc_status.size(), code);
  if (error != std::errc() || end != grpc_status.data() + grpc_status.size() || code < 0 ||
      code > static_cast<int>(StatusCode::UNAUTHENTICATED))
    return {StatusCode::UNKNOWN, percent_decode(grpc_message)};
  return {static_cast<StatusCode>(code), percent_decode(grpc_message)};
}

StatusCode code_from_http_status(int http_status) {
  switch (http_status) {
    case 400:
      return StatusCode::INTERNAL;
    case 401:
      return StatusCode::UNAUTHENTICATED;
    case 403:
      return StatusCode::PERMISSION_DENIED;
    case 404:
      return StatusCode::UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return StatusCode::UNAVAILABLE;
    default:
      return StatusCode::UNKNOWN;
  }
}

}  // namespace keel::rpc
