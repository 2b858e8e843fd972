// Shared helpers of keeld's integration tests.
#include "integration/manager/manager_test.h"

#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "integration/manager/archives.h"

namespace keel::it {

namespace stdfs = std::filesystem;

TempDir::TempDir() {
  std::string tmpl = "/tmp/keel-it-work-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr)
    throw std::runtime_error("mkdtemp " + tmpl + ": " + std::strerror(errno));  // NOLINT
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  stdfs::remove_all(path_, ec);
}

void write_file(const stdfs::path& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  if (!out.flush())
    throw std::runtime_error("writing " + path.string());
}

std::string read_file(const stdfs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty())
      lines.push_back(line);
  }
  return lines;
}

std::set<std::string> tree_of(const stdfs::path& dir) {
  std::set<std::string> paths;
  std::error_code ec;
  for (auto it = stdfs::recursive_directory_iterator(dir, ec);
       !ec && it != stdfs::recursive_directory_iterator(); it.increment(ec))
    paths.insert(it->path().lexically_relative(dir).string());
  return paths;
}

const std::string& busybox_rootfs_tar() {
  static const std::string tar = [] {
    TempDir dir;
    fixtures::make_busybox_rootfs(dir / "rootfs");
    return tar_directory(dir / "rootfs");
  }();
  return tar;
}

void ManagerTest::SetUp() {
  KEEL_SKIP_UNLESS_ROOT();
  ASSERT_NO_FATAL_FAILURE(keeld_.start());
}

void ManagerTest::TearDown() {
  if (::geteuid() == 0)
    keeld_.expect_no_leaks();
}

std::vector<std::string> ManagerTest::image_ids() const {
  return lines_of(keeld_.ctl_ok({"images", "-a", "-q", "--no-trunc"}));
}

fixtures::RunResult ManagerTest::load(const std::string& archive) const {
  const auto path = work_ / "load.tar";
  write_file(path, archive);
  return keeld_.ctl({"load", "-i", path.string()});
}

}  // namespace keel::it
