// The compiled-filter cache: a seccomp profile compiles once per runtime state root, later
// containers with the same profile load the stored BPF (~11 ms of libseccomp work → ~1 ms).
#pragma once

#include <optional>
#include <string>

#include "common/error.h"
#include "oci-spec/runtime_config.h"
#include "runtime/security/seccomp.h"

namespace keel::runtime::security {

// Where `keel --root R` keeps its cache: R/@seccomp-cache. '@' is outside the container id
// alphabet (state_store.cpp), so no id can name it: `keel state`, `delete --force` and `list`
// never see the cache as a container.
inline constexpr const char* kSeccompCacheDir = "@seccomp-cache";

// One file per key, <dir>/<key>.bpf, mode 0600 in a 0700 directory. A file holds the key again,
// the load flags and the program with its digest; one whose key, size or digest disagrees, or that
// is not a regular file owned by us and writable by us alone, is a miss and gets replaced.
class SeccompCache {
 public:
  explicit SeccompCache(std::string dir) : dir_(std::move(dir)) {}

  // sha256 (hex) over what decides the program: the profile's canonical JSON, the native
  // architecture, the kernel release and libseccomp's version, and this executable (a rebuilt
  // keel may compile differently).
  [[nodiscard]] static std::string key(const oci::Seccomp& profile);

  [[nodiscard]] std::string path(const std::string& key) const { return dir_ + "/" + key + ".bpf"; }
  [[nodiscard]] std::optional<SeccompProgram> find(const std::string& key) const;
  // Written to a temp file and renamed over the entry: readers see the old file or the new one.
  [[nodiscard]] Result<void> store(const std::string& key, const SeccompProgram& program) const;

 private:
  std::string dir_;
};

// The program for `profile`: from the cache in `cache_dir` when it has it, else compiled (bad
// profiles fail here), exported and stored. A cache that cannot be written costs time, never
// correctness: it is logged and skipped. An empty cache_dir compiles without a cache.
[[nodiscard]] Result<SeccompProgram> prepare_seccomp(const oci::Seccomp& profile,
                                                     const std::string& cache_dir);

}  // namespace keel::runtime::security
