// Platform parsing, the host's platform, and picking an index entry.
#include "manager/registry/platform.h"

#include <sys/utsname.h>

namespace keel::manager::registry {
namespace {

// containerd's normalisation: the variant a bare architecture implies.
std::string default_variant(std::string_view architecture) {
  if (architecture == "arm64")
    return "v8";
  if (architecture == "arm")
    return "v7";
  return "";
}

std::string normal_arch(std::string_view arch) {
  if (arch == "x86_64" || arch == "x86-64")
    return "amd64";
  if (arch == "aarch64")
    return "arm64";
  if (arch == "i386" || arch == "i686")
    return "386";
  return std::string(arch);
}

Platform platform_of(const nlohmann::json& descriptor) {
  Platform p;
  const auto it = descriptor.find("platform");
  if (it == descriptor.end() || !it->is_object())
    return p;
  p.os = it->value("os", "");
  p.architecture = normal_arch(it->value("architecture", ""));
  p.variant = it->value("variant", "");
  return p;
}

}  // namespace

std::string Platform::str() const {
  return os + "/" + architecture + (variant.empty() ? "" : "/" + variant);
}

Result<Platform> parse_platform(std::string_view text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const auto slash = text.find('/', start);
    parts.emplace_back(text.substr(start, slash - start));
    if (slash == std::string_view::npos)
      break;
    start = slash + 1;
  }
  for (const auto& part : parts) {
    if (part.empty())
      return Error::of(Errc::kInvalidArgument,
                       "platform \"" + std::string(text) + "\": empty component");
  }
  Platform p;
  if (parts.size() == 1) {
    p = Platform{"linux", normal_arch(parts[0]), ""};
  } else if (parts.size() == 2 || parts.size() == 3) {
    p = Platform{parts[0], normal_arch(parts[1]), parts.size() == 3 ? parts[2] : ""};
  } else {
    return Error::of(Errc::kInvalidArgument,
                     "platform \"" + std::string(text) + "\": expected os/architecture[/variant]");
  }
  return p;
}

Platform host_platform() {
  struct utsname uts {};
  if (::uname(&uts) != 0)  // fails only with EFAULT
    return Platform{"linux", "amd64", ""};
  Platform p{"linux", normal_arch(uts.machine), ""};
  p.variant = default_variant(p.architecture);
  return p;
}

Result<nlohmann::json> select_platform(const nlohmann::json& index, const Platform& wanted) {
  const auto manifests = index.find("manifests");
  if (manifests == index.end() || !manifests->is_array())
    return Error::of(Errc::kInvalidArgument, "image index: no manifests");
  const std::string& want_variant = wanted.variant;
  const nlohmann::json* loose = nullptr;  // os and architecture match, variant not asked
  std::vector<std::string> available;
  for (const auto& m : *manifests) {
    if (!m.is_object())
      continue;
    const Platform p = platform_of(m);
    if (p.os.empty() || p.architecture.empty())
      continue;  // attestations and other non-image entries carry no platform
    available.push_back(p.str());
    if (p.os != wanted.os || p.architecture != wanted.architecture)
      continue;
    const std::string have = p.variant.empty() ? default_variant(p.architecture) : p.variant;
    const std::string want =
        want_variant.empty() ? default_variant(wanted.architecture) : want_variant;
    if (have == want)
      return m;
    if (want_variant.empty() && loose == nullptr)
      loose = &m;
  }
  if (loose != nullptr)
    return *loose;
  std::string list;
  for (const auto& a : available)
    list += (list.empty() ? "" : ", ") + a;
  return Error::of(Errc::kNotFound, "no image for platform " + wanted.str() +
                                        " (the index has: " + (list.empty() ? "none" : list) + ")");
}

}  // namespace keel::manager::registry
