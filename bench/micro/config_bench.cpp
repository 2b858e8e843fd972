// config.json cost on every create: parsing plus validation of the document `runc spec` writes,
// and each half alone.
#include <string>

#include <benchmark/benchmark.h>

#include "oci-spec/runtime_config.h"

namespace {

// default_config is runc 1.1's `runc spec` (hostname and ociVersion aside), 2-space indented as
// runc writes it.
const std::string& runc_default_json() {
  static const std::string json = keel::oci::to_json(keel::oci::default_config(false));
  return json;
}

void BM_ParseConfig(benchmark::State& state) {
  const std::string& json = runc_default_json();
  for (auto _ : state) {
    auto config = keel::oci::parse_config(json);
    if (!config) {
      state.SkipWithError(config.error().message().c_str());
      return;
    }
    benchmark::DoNotOptimize(config);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * json.size()));
}
BENCHMARK(BM_ParseConfig)->Unit(benchmark::kMicrosecond);

void BM_ValidateConfig(benchmark::State& state) {
  auto config = keel::oci::parse_config(runc_default_json());
  if (!config) {
    state.SkipWithError(config.error().message().c_str());
    return;
  }
  for (auto _ : state)
    benchmark::DoNotOptimize(keel::oci::validate(*config).has_value());
}
BENCHMARK(BM_ValidateConfig)->Unit(benchmark::kMicrosecond);

}  // namespace
