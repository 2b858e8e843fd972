// A named network namespace: a fresh netns kept alive by a bind mount of its nsfs file at a
// path keeld owns (<state>/netns/<container-id>), the path handed to the runtime in the spec
// and to CNI plugins as CNI_NETNS. Made from a short-lived thread so that keeld's own threads
// never change namespace.
#pragma once

#include <functional>
#include <string>

#include "common/error.h"

namespace keel::manager::network {

class NetNs {
 public:
  // Creates the file and the namespace bound on it, its lo up; kAlreadyExists when the path is
  // already a namespace (a container started twice without teardown).
  [[nodiscard]] static Result<NetNs> create(const std::string& path);
  // Unmounts and unlinks the namespace at `path`; nothing there is not an error. For teardown
  // of a namespace whose owner is gone (keeld restarted).
  [[nodiscard]] static Result<void> remove(const std::string& path);
  // Whether `path` is a bound network namespace.
  [[nodiscard]] static bool exists(const std::string& path);
  // Runs `work` on a thread of its own that entered the namespace at `path` and ends with it:
  // setns moves only the calling thread, and a thread of keeld's (a pool's) must never be left
  // in a container's namespace. kNotFound when `path` is no namespace.
  [[nodiscard]] static Result<void> run_inside(const std::string& path,
                                               const std::function<Result<void>()>& work);

  NetNs(NetNs&& other) noexcept;
  NetNs& operator=(NetNs&&) = delete;
  NetNs(const NetNs&) = delete;
  NetNs& operator=(const NetNs&) = delete;
  // Removes the namespace unless release()d.
  ~NetNs();

  [[nodiscard]] const std::string& path() const { return path_; }
  // The namespace now outlives this object (the container's record holds its path).
  void release() noexcept { path_.clear(); }

 private:
  explicit NetNs(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace keel::manager::network
