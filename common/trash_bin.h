// Directories nobody needs any more, removed by a thread of their own so that whoever discards
// them does not wait for the filesystem: on a busy ext4 (journal commits, online discard)
// unlinking the dozen files of a container's directory took 19-36 ms, more than the rest of its
// removal. A directory is first renamed into the bin, one rename that takes it out of its
// namespace at once (nothing new can meet it), then removed in the background. What a process
// that died left in the bin is removed once the bin is opened again.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/error.h"

namespace keel {

class TrashBin {
 public:
  // `dir` (made if missing) must be on the filesystem of what gets discarded.
  [[nodiscard]] static Result<std::unique_ptr<TrashBin>> open(const std::string& dir);
  TrashBin(const TrashBin&) = delete;
  TrashBin& operator=(const TrashBin&) = delete;
  TrashBin(TrashBin&&) = delete;
  TrashBin& operator=(TrashBin&&) = delete;
  // Removes what is still queued, then joins the thread.
  ~TrashBin();

  // Moves `path` into the bin and queues its removal; a path that does not exist is no error.
  // A rename that fails (another filesystem) falls back to removing `path` here and now.
  [[nodiscard]] Result<void> discard(const std::string& path);
  // For a caller that renames by itself (inside a transaction, say): a name in the bin, unique
  // across runs, for `path`; then queue() what it moved there.
  [[nodiscard]] std::string place_for(const std::string& path);
  void queue(std::string path_in_bin);
  // Returns once everything discarded so far is removed.
  void drain();

 private:
  explicit TrashBin(std::string dir);
  void run();

  const std::string dir_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<std::string> queue_;
  bool removing_ = false;
  bool stopping_ = false;
  std::uint64_t discarded_ = 0;
  std::thread thread_;  // last: it runs once the members above exist
};

}  // namespace keel
