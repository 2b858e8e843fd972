// A gRPC call's outcome as keelctl sees it: the codes and accessors of grpc::Status, so code that
// checked grpc's status reads the same, plus whether the call ever reached the server.
#pragma once

#include <string>
#include <string_view>

namespace keel::rpc {

// The gRPC status codes, numbered as on the wire (grpc-status) and named as in grpc::StatusCode.
enum class StatusCode {
  OK = 0,
  CANCELLED = 1,
  UNKNOWN = 2,
  INVALID_ARGUMENT = 3,
  DEADLINE_EXCEEDED = 4,
  NOT_FOUND = 5,
  ALREADY_EXISTS = 6,
  PERMISSION_DENIED = 7,
  RESOURCE_EXHAUSTED = 8,
  FAILED_PRECONDITION = 9,
  ABORTED = 10,
  OUT_OF_RANGE = 11,
  UNIMPLEMENTED = 12,
  INTERNAL = 13,
  UNAVAILABLE = 14,
  DATA_LOSS = 15,
  UNAUTHENTICATED = 16,
};

class Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  // A call that could not connect to the server at all: UNAVAILABLE, and reached_server() false.
  static Status not_connected(std::string message);

  [[nodiscard]] bool ok() const noexcept { return code_ == StatusCode::OK; }
  [[nodiscard]] StatusCode error_code() const noexcept { return code_; }
  [[nodiscard]] const std::string& error_message() const noexcept { return message_; }
  // False only when the socket was missing or refused us, or closed before the server's HTTP/2
  // settings arrived: the one case keelctl reports as "Is keeld running?". A server's own
  // UNAVAILABLE (a registry it cannot reach) keeps true.
  [[nodiscard]] bool reached_server() const noexcept { return reached_server_; }

 private:
  StatusCode code_ = StatusCode::OK;
  std::string message_;
  bool reached_server_ = true;
};

// The status a response's trailers carry: grpc-status (a decimal code; anything else is UNKNOWN)
// and grpc-message, percent-encoded on the wire.
[[nodiscard]] Status status_from_trailers(std::string_view grpc_status,
                                          std::string_view grpc_message);

// grpc-message's encoding undone: %XX becomes the byte; a malformed escape stays as it is.
[[nodiscard]] std::string percent_decode(std::string_view text);

// The code for a response that ended without grpc-status, from its HTTP status, as gRPC's
// HTTP-to-gRPC table maps it (404 UNIMPLEMENTED, 503 UNAVAILABLE, ...).
[[nodiscard]] StatusCode code_from_http_status(int http_status);

}  // namespace keel::rpc
