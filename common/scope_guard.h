// Runs a callable at scope exit unless released: the shape of every "undo on failure" in Keel.
#pragma once

#include <utility>

namespace keel {

template <class F>
class ScopeGuard {
 public:
  explicit ScopeGuard(F fn) : fn_(std::move(fn)) {}
  ScopeGuard(const ScopeGuard&) = delete;
  ScopeGuard& operator=(const ScopeGuard&) = delete;
  ScopeGuard(ScopeGuard&&) = delete;
  ScopeGuard& operator=(ScopeGuard&&) = delete;
  ~ScopeGuard() {
    if (active_)
      fn_();
  }
  void release() noexcept { active_ = false; }

 private:
  F fn_;
  bool active_ = true;
};

}  // namespace keel
