// personality(2) for linux.personality.
#include "runtime/security/personality.h"

#include <sys/personality.h>

namespace keel::runtime::security {

Result<void> apply_personality(const oci::Personality& personality) {
  unsigned long persona = 0;
  if (personality.domain == "LINUX") {
    persona = PER_LINUX;
  } else if (personality.domain == "LINUX32") {
    persona = PER_LINUX32;
  } else {
    return Error::of(Errc::kInvalidArgument,
                     "personality: unknown domain \"" + personality.domain + "\"");
  }
  if (::personality(persona) == -1) {
    const int err = errno;
    return Error::sys("personality: set domain \"" + personality.domain + "\"", err);
  }
  return {};
}

}  // namespace keel::runtime::security
