// Test helper: builds layer tars in memory with libarchive (pax, optionally gzip or zstd), and
// private temp dirs that are removed, mounts and all, when the test ends.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>

#include <gtest/gtest.h>

#include "manager/snapshots/layer_stream.h"

namespace keel::manager::snapshots::testing {

enum class Compression { kNone, kGzip, kZstd };

// Entry metadata, set fluently: Meta().perm(0711).owner(7, 8).time(1600000000).
struct Meta {
  mode_t mode = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  time_t mtime = 1700000000;
  std::map<std::string, std::string> xattrs;

  Meta& perm(mode_t m) {
    mode = m;
    return *this;
  }
  Meta& owner(uid_t u, gid_t g) {
    uid = u;
    gid = g;
    return *this;
  }
  Meta& time(time_t t) {
    mtime = t;
    return *this;
  }
  Meta& xattr(const std::string& name, const std::string& value) {
    xattrs[name] = value;
    return *this;
  }
};

class LayerBuilder {
 public:
  explicit LayerBuilder(Compression compression = Compression::kNone)
      : a_(archive_write_new()), compression_(compression) {
    archive_write_set_format_pax_restricted(a_);
    archive_write_open2(a_, &out_, nullptr, &LayerBuilder::write_cb, nullptr, nullptr);
  }
  ~LayerBuilder() { archive_write_free(a_); }
  LayerBuilder(const LayerBuilder&) = delete;
  LayerBuilder& operator=(const LayerBuilder&) = delete;
  LayerBuilder(LayerBuilder&&) = delete;
  LayerBuilder& operator=(LayerBuilder&&) = delete;

  LayerBuilder& dir(const std::string& path, const Meta& m = Meta()) {
    return add(path, AE_IFDIR, m.mode != 0 ? m.mode : 0755, m, "");
  }
  LayerBuilder& file(const std::string& path, const std::string& data, const Meta& m = Meta()) {
    return add(path, AE_IFREG, m.mode != 0 ? m.mode : 0644, m, data);
  }
  LayerBuilder& symlink(const std::string& path, const std::string& target) {
    archive_entry* e = entry(path, AE_IFLNK, 0777, Meta());
    archive_entry_set_symlink(e, target.c_str());
    return write(e, "");
  }
  LayerBuilder& hardlink(const std::string& path, const std::string& target) {
    archive_entry* e = entry(path, AE_IFREG, 0644, Meta());
    archive_entry_set_hardlink(e, target.c_str());
    archive_entry_set_size(e, 0);
    return write(e, "");
  }
  LayerBuilder& node(const std::string& path, mode_t type, unsigned major, unsigned minor,
                     const Meta& m = Meta()) {
    archive_entry* e = entry(path, type, m.mode != 0 ? m.mode : 0600, m);
    archive_entry_set_rdevmajor(e, major);
    archive_entry_set_rdevminor(e, minor);
    return write(e, "");
  }
  // The finished blob: the tar, compressed as asked.
  std::string finish() {
    archive_write_close(a_);
    return compress(out_, compression_);
  }

  // Compresses bytes as one stream with no block padding after it (as registries serve layers).
  static std::string compress(const std::string& data, Compression compression) {
    if (compression == Compression::kNone)
      return data;
    std::string out;
    archive* a = archive_write_new();
    archive_write_set_format_raw(a);
    if (compression == Compression::kGzip) {
      EXPECT_EQ(archive_write_add_filter_gzip(a), ARCHIVE_OK);
    } else {
      EXPECT_EQ(archive_write_add_filter_zstd(a), ARCHIVE_OK);
    }
    archive_write_set_bytes_in_last_block(a, 1);
    archive_write_open2(a, &out, nullptr, &LayerBuilder::write_cb, nullptr, nullptr);
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, "data");
    archive_entry_set_filetype(e, AE_IFREG);
    archive_write_header(a, e);
    archive_write_data(a, data.data(), data.size());
    archive_entry_free(e);
    archive_write_close(a);
    archive_write_free(a);
    return out;
  }

 private:
  static la_ssize_t write_cb(archive*, void* data, const void* buf, size_t size) {
    static_cast<std::string*>(data)->append(static_cast<const char*>(buf), size);
    return static_cast<la_ssize_t>(size);
  }
  archive_entry* entry(const std::string& path, mode_t type, mode_t mode, const Meta& m) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, path.c_str());
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, mode);
    archive_entry_set_uid(e, m.uid);
    archive_entry_set_gid(e, m.gid);
    archive_entry_set_mtime(e, m.mtime, 0);
    for (const auto& [k, v] : m.xattrs)
      archive_entry_xattr_add_entry(e, k.c_str(), v.data(), v.size());
    return e;
  }
  LayerBuilder& add(const std::string& path, mode_t type, mode_t mode, const Meta& m,
                    const std::string& data) {
    archive_entry* e = entry(path, type, mode, m);
    archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
    return write(e, data);
  }
  LayerBuilder& write(archive_entry* e, const std::string& data) {
    EXPECT_EQ(archive_write_header(a_, e), ARCHIVE_OK) << archive_error_string(a_);
    if (!data.empty()) {
      EXPECT_EQ(archive_write_data(a_, data.data(), data.size()),
                static_cast<la_ssize_t>(data.size()));
    }
    archive_entry_free(e);
    return *this;
  }

  archive* a_;
  Compression compression_;
  std::string out_;
};

// A ReadFn over bytes in memory, in small uneven chunks so buffer boundaries get exercised.
inline ReadFn read_from_string(std::string data, std::size_t chunk = 7000) {
  auto pos = std::make_shared<std::size_t>(0);
  auto bytes = std::make_shared<std::string>(std::move(data));
  return [pos, bytes, chunk](std::span<std::byte> buf) -> Result<std::size_t> {
    const std::size_t n = std::min({buf.size(), chunk, bytes->size() - *pos});
    std::memcpy(buf.data(), bytes->data() + *pos, n);
    *pos += n;
    return n;
  };
}

// A private directory under /tmp; lazily unmounts anything left below it, then removes it.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = "/tmp/keel-snapshots-test-XXXXXX";
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  TempDir(TempDir&&) = delete;
  TempDir& operator=(TempDir&&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

inline bool is_root() {
  return ::geteuid() == 0;
}

}  // namespace keel::manager::snapshots::testing
