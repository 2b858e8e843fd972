#include "manager/containers/volumes.h"

#include "common/fs.h"
#include "manager/containers/record.h"
#include "manager/containers/spec_builder.h"

namespace keel::manager::containers {

Result<void> provision_volumes(const std::filesystem::path& root, const ImageConfig& image,
                               RunOptions& run, std::vector<std::string>& anonymous) {
  for (const auto& key : volumes_needed(image, run)) {
    if (run.volume_dirs.contains(key))
      continue;
    const bool named = !key.starts_with('/');
    const std::string volume_name = named ? key : new_container_id();
    const auto volume_dir = root / "volumes" / volume_name / "_data";
    KEEL_TRY(fs::mkdir_all(volume_dir.string(), 0755));
    if (!named)
      anonymous.push_back((root / "volumes" / volume_name).string());
    run.volume_dirs[key] = volume_dir.string();
  }
  return {};
}

}  // namespace keel::manager::containers
