#include "ctl/rpc/context.h"

#include "ctl/rpc/call.h"

namespace keel::rpc {

void ClientContext::TryCancel() {
  std::lock_guard lock(mutex_);
  cancelled_ = true;
  if (call_ != nullptr)
    call_->cancel();
}

void ClientContext::attach(Call* call) {
  std::lock_guard lock(mutex_);
  call_ = call;
  if (cancelled_)
    call->cancel();
}

void ClientContext::detach(Call* call) {
  std::lock_guard lock(mutex_);
  if (call_ == call)
    call_ = nullptr;
}

}  // namespace keel::rpc
