// A fake cgroupfs for unit tests: a temp dir whose knob files the test creates up front (writes
// never create files, as on a real cgroupfs) and reads back, plus layouts for v1, v2 and hybrid.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "runtime/cgroups/manager.h"

// The tests spell OCI structs with designated initializers, leaving unset fields to their
// defaults on purpose; GCC 12 warns about every field left out.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

// Fails the test with the error's message when a Result holds an error.
#define KEEL_ASSERT_OK(expr)                                       \
  do {                                                             \
    const auto& keel_r_ = (expr);                                  \
    ASSERT_TRUE(keel_r_.has_value()) << keel_r_.error().message(); \
  } while (0)

namespace keel::runtime::cgroups::testing {

class FakeCgroupFs {
 public:
  FakeCgroupFs() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "keel-cgfs-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr)
      ADD_FAILURE() << "mkdtemp failed";
    root_ = tmpl;
  }
  FakeCgroupFs(const FakeCgroupFs&) = delete;
  FakeCgroupFs& operator=(const FakeCgroupFs&) = delete;
  ~FakeCgroupFs() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  const std::string& root() const { return root_; }
  std::string path(const std::string& rel) const { return root_ + "/" + rel; }

  // Makes directory `rel` (parents too) holding empty files `files`.
  void dir(const std::string& rel, std::initializer_list<std::string> files = {}) const {
    std::filesystem::create_directories(path(rel));
    for (const auto& f : files)
      write(rel + "/" + f, "");
  }
  void write(const std::string& rel, const std::string& content) const {
    std::filesystem::create_directories(std::filesystem::path(path(rel)).parent_path());
    std::ofstream(path(rel), std::ios::trunc) << content;
  }
  std::string read(const std::string& rel) const {
    std::ifstream in(path(rel));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  bool exists(const std::string& rel) const { return std::filesystem::exists(path(rel)); }

  // v1 hierarchies, with cpu,cpuacct and net_cls,net_prio co-mounted.
  Layout v1_layout() const {
    Layout l;
    l.mode = Layout::Mode::kV1;
    for (const char* h : {"blkio", "cpu,cpuacct", "cpuset", "devices", "freezer", "hugetlb",
                          "memory", "net_cls,net_prio", "pids"})
      l.v1_mounts[h] = path(h);
    l.v1_mounts["name=systemd"] = path("systemd");
    return l;
  }
  // This host's shape: v1 controllers (hugetlb not among them) and an unused cgroup2 tree.
  Layout hybrid_layout() const {
    Layout l = v1_layout();
    l.mode = Layout::Mode::kHybrid;
    l.v1_mounts.erase("hugetlb");
    l.unified_mount = path("unified");
    return l;
  }
  Layout v2_layout() const {
    Layout l;
    l.mode = Layout::Mode::kV2;
    l.unified_mount = path("unified");
    return l;
  }

 private:
  std::string root_;
};

}  // namespace keel::runtime::cgroups::testing
