#include "manager/network/host_link.h"

#include <chrono>

#include "common/fs.h"
#include "common/process_run.h"

namespace keel::manager::network {

bool link_exists(const std::string& name) {
  return !name.empty() && name.find('/') == std::string::npos &&
         fs::exists("/sys/class/net/" + name);
}

Result<void> delete_link(const std::string& name) {
  if (!link_exists(name))
    return {};
  // iproute2's ip, as the plugins themselves rely on the host's tools.
  auto out = run_process({"/usr/sbin/ip", "link", "delete", name, "type", "bridge"},
                         {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, "", std::chrono::seconds(10));
  if (!out)
    return std::move(out).error().context("deleting bridge " + name);
  if (out->exit_code != 0 && link_exists(name))
    return Error::of(Errc::kInternal, "deleting bridge " + name + ": ip link delete: " + out->err);
  return {};
}

}  // namespace keel::manager::network
