// Streaming gzip decompression with ISA-L's igzip (libisal), which inflates 2.4-2.7 times as
// fast as zlib (what libarchive's gzip filter uses) on this project's hardware: gzip is what
// most registry layers are, and on a local registry inflate was the slowest stage of a pull.
// Concatenated gzip members (pigz, some builders) are inflated one after the other.
#pragma once

#include <cstddef>
#include <memory>
#include <span>

#include "common/error.h"

struct inflate_state;

namespace keel::manager::snapshots {

class GzipInflater {
 public:
  GzipInflater();
  ~GzipInflater();
  GzipInflater(const GzipInflater&) = delete;
  GzipInflater& operator=(const GzipInflater&) = delete;
  GzipInflater(GzipInflater&&) = delete;
  GzipInflater& operator=(GzipInflater&&) = delete;

  // Gives the next compressed bytes; they must stay valid until needs_input() is true again.
  void feed(std::span<const std::byte> input);
  [[nodiscard]] bool needs_input() const;
  // Inflates into `out`; 0 with needs_input() means feed more, 0 with finished() the end.
  [[nodiscard]] Result<std::size_t> inflate(std::span<std::byte> out);
  // A gzip member ended and no input is pending: the stream may end here.
  [[nodiscard]] bool finished() const;

 private:
  std::unique_ptr<inflate_state> state_;
  bool member_done_ = false;
};

}  // namespace keel::manager::snapshots
