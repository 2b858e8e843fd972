// Mount option parsing as create does it: once per mount of the config, here the option lists of
// `runc spec`'s mounts, plus a bind mount with recursive attributes.
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "oci-spec/runtime_config.h"
#include "runtime/rootfs/mount_options.h"

namespace {

using keel::runtime::rootfs::parse_mount_options;

void BM_ParseDefaultMounts(benchmark::State& state) {
  const auto mounts = keel::oci::default_config(false).mounts;
  for (auto _ : state) {
    for (const auto& mount : mounts) {
      auto options = parse_mount_options(mount.options);
      if (!options) {
        state.SkipWithError(options.error().message().c_str());
        return;
      }
      benchmark::DoNotOptimize(options);
    }
  }
  state.counters["mounts"] = static_cast<double>(mounts.size());
}
BENCHMARK(BM_ParseDefaultMounts)->Unit(benchmark::kNanosecond);

void BM_ParseRecursiveBind(benchmark::State& state) {
  const std::vector<std::string> options = {"rbind", "rro", "rnosuid", "rnodev", "rprivate"};
  for (auto _ : state) {
    auto parsed = parse_mount_options(options);
    benchmark::DoNotOptimize(parsed);
  }
}
BENCHMARK(BM_ParseRecursiveBind)->Unit(benchmark::kNanosecond);

}  // namespace
