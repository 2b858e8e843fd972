// The images table: name -> target manifest descriptor, with the config digest (the image id)
// and unpacked size denormalised so listing needs no blob reads. Names are full references;
// an image without any name (docker's <none>:<none>) is kept under its manifest digest with
// `dangling` set, so it stays visible and protected from GC until removed.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "manager/images/oci.h"
#include "manager/store/database.h"

namespace keel::manager::images {

struct ImageRecord {
  std::string name;  // "docker.io/library/busybox:latest", or the manifest digest if dangling
  Descriptor target;
  // The OCI index or Docker manifest list the name resolved to at its registry, when it was one
  // and `target` is the platform's manifest chosen from it: the name's repo digest, as docker
  // shows it.
  std::optional<content::Digest> index_digest;
  content::Digest config_digest;
  std::int64_t size = 0;  // sum of the layers' uncompressed sizes
  bool dangling = false;
  std::int64_t created_at_ns = 0;
  std::int64_t updated_at_ns = 0;
  std::map<std::string, std::string> labels;
};

class ImageStore {
 public:
  // Migrates the "images" component. The Database must outlive the ImageStore.
  [[nodiscard]] static Result<ImageStore> open(store::Database& db);

  // Callers that combine several of these hold a store::Transaction around them.
  [[nodiscard]] Result<std::optional<ImageRecord>> find(std::string_view name);
  [[nodiscard]] Result<std::vector<ImageRecord>> list();
  // Insert or replace by name; created_at is kept when replacing.
  [[nodiscard]] Result<void> put(const ImageRecord& record);
  // true if a row was removed.
  [[nodiscard]] Result<bool> remove(std::string_view name);

  [[nodiscard]] store::Database& db() noexcept { return *db_; }

 private:
  explicit ImageStore(store::Database& db) : db_(&db) {}
  store::Database* db_;
};

}  // namespace keel::manager::images
