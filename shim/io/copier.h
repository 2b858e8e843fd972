// One direction of a process's stdio, copied on the event loop through a bounded buffer:
// container output to a fifo (dropping past the cap, so a slow or absent reader never blocks
// the container) or a client's stdin to the container (pausing reads when the buffer is full).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "common/unique_fd.h"
#include "shim/event_loop.h"
#include "shim/io/cri_log.h"

namespace keel::shim::io {

class Copier {
 public:
  enum class WhenFull { kDrop, kPauseReading };
  static constexpr std::size_t kDefaultCap = 256 * 1024;

  // `src` and `dst` become non-blocking and are owned here. `on_done` runs once, after src hit
  // EOF (or EIO from a pty master whose slave side is closed) and what was buffered went out or
  // could not; dst is closed by then, so a fifo reader sees EOF.
  Copier(EventLoop& loop, UniqueFd src, UniqueFd dst, WhenFull when_full,
         std::function<void()> on_done, std::size_t cap = kDefaultCap);
  Copier(const Copier&) = delete;
  Copier& operator=(const Copier&) = delete;
  Copier(Copier&&) = delete;
  Copier& operator=(Copier&&) = delete;
  ~Copier();

  // Every byte read from src also goes to `log`, whatever the fifo takes or drops; the log gets
  // its unterminated tail when src ends. With a log, `dst` may be empty (no fifo).
  void set_log(std::unique_ptr<CriLogStream> log) { log_ = std::move(log); }

  // Reads what src holds now, writes what dst takes now, then finishes (CloseIO, process exit).
  void finish();
  [[nodiscard]] bool done() const { return done_; }
  [[nodiscard]] std::size_t dropped_bytes() const { return dropped_; }

 private:
  void on_src(std::uint32_t events);
  void on_dst(std::uint32_t events);
  // Returns false when src reached EOF or failed.
  bool read_src();
  void write_dst();
  void update_interest();
  void end();

  EventLoop& loop_;
  UniqueFd src_;
  UniqueFd dst_;
  WhenFull when_full_;
  std::function<void()> on_done_;
  std::size_t cap_;
  std::string buf_;
  std::unique_ptr<CriLogStream> log_;
  std::size_t dropped_ = 0;
  bool src_watched_ = false;
  bool dst_watched_ = false;
  bool dst_broken_ = false;  // reader gone (EPIPE): output is discarded from now on
  bool done_ = false;
};

}  // namespace keel::shim::io
