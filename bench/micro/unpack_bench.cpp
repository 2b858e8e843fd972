// Layer unpack as keeld pays it for every layer it pulls, imports or loads: one streaming pass that
// decompresses, hashes and writes. The layer is busybox-size (the busybox binary and one hardlink
// per applet, gzip as registries serve it), read from a file as from the content store.
#include <fcntl.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include <benchmark/benchmark.h>

#include "common/archive_handle.h"
#include "common/fs.h"
#include "common/scope_guard.h"
#include "manager/snapshots/layer_stream.h"
#include "manager/snapshots/unpack.h"

namespace {

namespace snapshots = keel::manager::snapshots;

// A pax tar, gzip-compressed, of /bin/busybox and 400 hardlinks to it; empty without busybox.
std::string busybox_layer() {
  auto binary = keel::fs::read_file("/bin/busybox");
  if (!binary)
    return {};
  std::string out;
  keel::ArchiveWriter writer(archive_write_new());
  archive_write_set_format_pax_restricted(writer.get());
  archive_write_add_filter_gzip(writer.get());
  archive_write_open2(
      writer.get(), &out, nullptr,
      [](archive*, void* sink, const void* data, size_t size) -> la_ssize_t {
        static_cast<std::string*>(sink)->append(static_cast<const char*>(data), size);
        return static_cast<la_ssize_t>(size);
      },
      nullptr, nullptr);
  auto add = [&](const std::string& path, mode_t type, mode_t perm, const std::string& data,
                 const char* hardlink) {
    keel::ArchiveEntry entry(archive_entry_new());
    archive_entry_set_pathname(entry.get(), path.c_str());
    archive_entry_set_filetype(entry.get(), type);
    archive_entry_set_perm(entry.get(), perm);
    archive_entry_set_mtime(entry.get(), 1700000000, 0);
    if (hardlink != nullptr)
      archive_entry_set_hardlink(entry.get(), hardlink);
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(data.size()));
    archive_write_header(writer.get(), entry.get());
    if (!data.empty())
      archive_write_data(writer.get(), data.data(), data.size());
  };
  add("bin", AE_IFDIR, 0755, "", nullptr);
  add("bin/busybox", AE_IFREG, 0755, *binary, nullptr);
  for (int i = 0; i < 400; ++i)
    add("bin/applet" + std::to_string(i), AE_IFREG, 0755, "", "bin/busybox");
  add("etc", AE_IFDIR, 0755, "", nullptr);
  add("etc/passwd", AE_IFREG, 0644, "root:x:0:0:root:/root:/bin/sh\n", nullptr);
  archive_write_close(writer.get());
  return out;
}

void BM_UnpackBusyboxLayer(benchmark::State& state) {
  const std::string blob = busybox_layer();
  if (blob.empty()) {
    state.SkipWithError("no /bin/busybox");
    return;
  }
  std::string dir = (std::filesystem::temp_directory_path() / "keel-bench-unpack-XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr) {
    state.SkipWithError("mkdtemp");
    return;
  }
  const keel::ScopeGuard remove_dir([&dir] {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  });
  const std::string file = dir + "/layer.tar.gz";
  const std::string target = dir + "/layer";
  if (auto written = keel::fs::write_file_atomic(file, blob, 0644); !written) {
    state.SkipWithError(written.error().message().c_str());
    return;
  }
  std::uint64_t tar_bytes = 0;
  for (auto _ : state) {
    auto fd = keel::fs::open(file, O_RDONLY | O_CLOEXEC);
    if (!fd) {
      state.SkipWithError(fd.error().message().c_str());
      break;
    }
    auto unpacked = snapshots::unpack_layer(snapshots::read_from_fd(fd->get()), target);
    if (!unpacked) {
      state.SkipWithError(unpacked.error().message().c_str());
      break;
    }
    tar_bytes = unpacked->digests.uncompressed_size;
    state.PauseTiming();
    std::filesystem::remove_all(target);
    state.ResumeTiming();
  }
  // Bytes of the uncompressed tar per second; the gzip blob's rate is this times its ratio.
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * tar_bytes));
  state.counters["gzip_bytes"] = static_cast<double>(blob.size());
}
BENCHMARK(BM_UnpackBusyboxLayer)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
