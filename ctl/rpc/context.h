// A call's context as grpc::ClientContext gives it: an optional deadline, and TryCancel, which any
// thread may call while another is inside the call.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>

namespace keel::rpc {

class Call;

class ClientContext {
 public:
  ClientContext() = default;
  ClientContext(const ClientContext&) = delete;
  ClientContext& operator=(const ClientContext&) = delete;

  // Set before the call starts. The server learns it as grpc-timeout; keelctl ends the call with
  // DEADLINE_EXCEEDED when it passes, whatever the server does.
  void set_deadline(std::chrono::system_clock::time_point deadline) { deadline_ = deadline; }
  [[nodiscard]] std::optional<std::chrono::system_clock::time_point> deadline() const {
    return deadline_;
  }

  // Ends the call with CANCELLED (unless it already ended): its Read and Write return false and
  // Finish returns the status. Before the call starts, the call starts cancelled.
  void TryCancel();

  // Called by the call this context belongs to, when it starts and when it is destroyed.
  void attach(Call* call);
  void detach(Call* call);

 private:
  std::optional<std::chrono::system_clock::time_point> deadline_;
  std::mutex mutex_;
  Call* call_ = nullptr;
  bool cancelled_ = false;
};

}  // namespace keel::rpc
