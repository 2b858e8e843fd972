// TrashBin: rename into the bin, one thread removing what is queued.
#include "common/trash_bin.h"

#include <time.h>

#include <cstdio>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "common/fs.h"

namespace keel {
namespace {

void remove_now(const std::string& path) {
  if (auto removed = fs::remove_all(path); !removed)
    spdlog::warn("{}", removed.error().message());
}

// Unique across keeld's runs too: what an earlier run left may still sit in the bin.
std::string bin_name(const std::string& path, std::uint64_t n) {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  const auto ns = static_cast<std::uint64_t>(now.tv_sec) * 1'000'000'000U +
                  static_cast<std::uint64_t>(now.tv_nsec);
  return std::filesystem::path(path).filename().string() + "-" + std::to_string(ns) + "-" +
         std::to_string(n);
}

}  // namespace

TrashBin::TrashBin(std::string dir) : dir_(std::move(dir)), thread_([this] { run(); }) {}

Result<std::unique_ptr<TrashBin>> TrashBin::open(const std::string& dir) {
  KEEL_TRY(fs::mkdir_all(dir, 0700));
  std::unique_ptr<TrashBin> bin(new TrashBin(dir));
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::lock_guard lock(bin->mutex_);
    bin->queue_.push_back(entry.path().string());
  }
  if (ec)
    return Error::sys("list \"" + dir + "\"", ec.value());
  bin->wake_.notify_all();
  return bin;
}

TrashBin::~TrashBin() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::string TrashBin::place_for(const std::string& path) {
  std::lock_guard lock(mutex_);
  return dir_ + "/" + bin_name(path, ++discarded_);
}

void TrashBin::queue(std::string path_in_bin) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(path_in_bin));
  }
  wake_.notify_all();
}

Result<void> TrashBin::discard(const std::string& path) {
  std::string target = place_for(path);
  if (::rename(path.c_str(), target.c_str()) != 0) {
    if (errno == ENOENT)
      return {};
    const Error e = Error::sys("move \"" + path + "\" to \"" + target + "\"");
    spdlog::warn("{}: removing it in place", e.message());
    return fs::remove_all(path);
  }
  queue(std::move(target));
  return {};
}

void TrashBin::drain() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [&] { return queue_.empty() && !removing_; });
}

void TrashBin::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty())
      return;  // stopping, nothing left
    const std::string path = std::move(queue_.front());
    queue_.pop_front();
    removing_ = true;
    lock.unlock();
    remove_now(path);
    lock.lock();
    removing_ = false;
    if (queue_.empty())
      idle_.notify_all();
  }
}

}  // namespace keel
