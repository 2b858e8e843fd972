// Gives the heap's free memory back to the system once a burst of removals is over.
//
// Why: `rm -f` of 1000 containers left keeld's RSS 21 MB higher, and 22 MB more after the next
// thousand, all of it free heap that glibc keeps (malloc_trim(0) took the anonymous RSS from
// 52 MB back to 10 MB). The requests' allocations of a burst interleave with longer-lived ones
// on several threads' arenas, so free() alone can hand little back. One trim when the last
// removal in flight ends, at most once a second, costs little and only once per burst.
#pragma once

#include <chrono>
#include <mutex>
#include <utility>

namespace keel::manager::containers {

class HeapTrim {
 public:
  static constexpr std::chrono::seconds kMinInterval{1};

  // One operation in flight for as long as it lives.
  class Scope {
   public:
    explicit Scope(HeapTrim& trim) : trim_(&trim) {}
    ~Scope() {
      if (trim_ != nullptr)
        trim_->leave();
    }
    Scope(Scope&& other) noexcept : trim_(std::exchange(other.trim_, nullptr)) {}
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
    Scope& operator=(Scope&&) = delete;

   private:
    HeapTrim* trim_;
  };

  [[nodiscard]] Scope enter();
  // How many trims ran so far.
  [[nodiscard]] int trims() const;

 private:
  void leave();

  mutable std::mutex mutex_;
  int in_flight_ = 0;
  int trims_ = 0;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace keel::manager::containers
