// docker's detach keys: a sequence typed on an attached terminal (ctrl-p ctrl-q by default)
// that leaves the container running. Keys are held back while they match the sequence's start
// and released when the next key breaks the match.
#pragma once

#include <string>
#include <string_view>

namespace keel::ctl {

// "ctrl-p,ctrl-q" -> "\x10\x11"; "ctrl-@", "ctrl-[", ... and single characters ("a") too.
// Throws CommandError for anything else.
[[nodiscard]] std::string parse_detach_keys(const std::string& text);

class DetachKeys {
 public:
  explicit DetachKeys(std::string keys = "\x10\x11") : keys_(std::move(keys)) {}

  // Takes input as read from the terminal and returns what is to be sent on. Once the whole
  // sequence has been seen, detached() is true and the rest of input is dropped.
  [[nodiscard]] std::string feed(std::string_view input);
  [[nodiscard]] bool detached() const { return detached_; }

 private:
  std::string keys_;
  std::size_t matched_ = 0;
  bool detached_ = false;
};

}  // namespace keel::ctl
