// A private directory under /tmp for one test's files (certificates, keys), removed with it.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>

namespace keel::it {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/keel-registry-it-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr)
      throw std::runtime_error("mkdtemp under /tmp");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace keel::it
