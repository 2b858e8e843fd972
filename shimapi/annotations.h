// Annotations a manager puts in a bundle's config.json for the shim to act on: keys only, so
// keeld can set them without linking the shim that reads them.
#pragma once

namespace keel::shimapi {

// The container's output also goes to this file (an absolute path) in the CRI log format, written
// by the shim itself (shim/io/cri_log.h). Applies to the init process, not to exec processes.
inline constexpr const char* kLogPathAnnotation = "io.keel.shim.log-path";

}  // namespace keel::shimapi
