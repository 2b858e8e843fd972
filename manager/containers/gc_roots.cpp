// What containers hold on to, for the image service: rmi's in-use check and the GC's roots.
#include <algorithm>

#include "manager/containers/container_service.h"
#include "manager/containers/container_service_impl.h"

namespace keel::manager::containers {

bool ContainerService::image_in_use(const std::string& image_id) {
  auto all = impl_->state.store.list();
  if (!all)
    return true;  // unknown: refuse rather than break a container
  return std::any_of(all->begin(), all->end(),
                     [&](const ContainerRecord& r) { return r.image_id == image_id; });
}

Result<images::GcRoots> ContainerService::gc_roots() {
  auto all = impl_->state.store.list();
  if (!all)
    return std::move(all).error();
  images::GcRoots roots;
  for (const auto& record : *all) {
    auto image = impl_->state.images.get(record.image_id);
    if (!image)
      continue;
    for (const auto& chain : images::chain_ids(image->config.diff_ids))
      roots.snapshots.insert(chain);
    roots.content.insert(image->target.digest);
    roots.content.insert(image->id);
    for (const auto& layer : image->layers)
      roots.content.insert(layer.digest);
  }
  return roots;
}

}  // namespace keel::manager::containers
