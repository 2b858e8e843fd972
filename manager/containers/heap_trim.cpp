#include "manager/containers/heap_trim.h"

#include <malloc.h>

namespace keel::manager::containers {

HeapTrim::Scope HeapTrim::enter() {
  std::lock_guard lock(mutex_);
  ++in_flight_;
  return Scope(*this);
}

int HeapTrim::trims() const {
  std::lock_guard lock(mutex_);
  return trims_;
}

void HeapTrim::leave() {
  {
    std::lock_guard lock(mutex_);
    if (--in_flight_ > 0)
      return;
    const auto now = std::chrono::steady_clock::now();
    if (trims_ > 0 && now - last_ < kMinInterval)
      return;
    last_ = now;
    ++trims_;
  }
  // Outside the mutex: an operation that starts meanwhile need not wait for it.
  ::malloc_trim(0);
}

}  // namespace keel::manager::containers
