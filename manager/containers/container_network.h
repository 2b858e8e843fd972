// A container's network as the container service sees it: --network resolved at create (the
// namespace path for the spec, published ports checked, /etc files written), the CNI attachment
// made when its task starts and undone when the task exits or the container is removed, and
// recovery of attachments after a keeld restart, and network connect/disconnect. The CNI work is
// manager/network's.
#pragma once

#include <functional>

#include "common/error.h"
#include "manager/containers/record.h"
#include "manager/containers/run_options.h"
#include "manager/containers/service_state.h"
#include "manager/containers/spec_builder.h"

namespace keel::manager::containers {

// Checks --network and -p against what exists (an unknown network, a port already allocated:
// refused before anything is set up), fills the record's network fields and the spec context's
// namespace path, and writes the container's hosts, hostname and resolv.conf into its bundle
// directory. Mutex held.
[[nodiscard]] Result<void> prepare_network(ServiceState& state, const ImageConfig& image,
                                           const RunOptions& run, ContainerRecord& record,
                                           SpecContext& context);

// Whether the container's network is keeld's to make and wire (a bridge or user network), not
// none, host or another container's.
[[nodiscard]] bool uses_cni(const ContainerRecord& record);

// Before the task starts: the namespace made and wired (CNI ADD), the record saved with the
// attachment so a crash after this point can still undo it, hosts rewritten with the address
// (in place: a task being created beside it may have bound them already). Does nothing for
// none, host and container: modes. on_namespace runs once the runtime may join the namespace
// (not at all when there is none, or it could not be made). A network `connect` event for each
// network joined, as docker publishes at start.
[[nodiscard]] Result<void> attach_network(ServiceState& state, ContainerRecord& record,
                                          const std::function<void()>& on_namespace = {});

// After the task exited, at rm, or at recovery for a container found dead: CNI DEL, the
// namespace unmounted, ports released, the attachment dropped from the record (not saved here).
// Failures are logged; teardown goes on. A network `disconnect` event for each. Mutex held.
void detach_network(ServiceState& state, ContainerRecord& record);

// docker network connect: the network recorded for every start and, while the container runs,
// wired now as one more interface (eth1, ...), its hosts and resolv.conf rewritten (the
// network's DNS server among its nameservers). `ip` (--ip) is the address asked there, on a user
// network only. kAlreadyExists when it is on it already. Saved.
// Mutex held.
[[nodiscard]] Result<void> connect_network(ServiceState& state, ContainerRecord& record,
                                           const std::string& network,
                                           const std::vector<std::string>& aliases,
                                           const std::string& ip = "");
// docker network disconnect: of a network joined by connect, or of the container's --network
// (the container keeps its namespace, with lo and any connected network, and later starts leave
// that network out). A running container loses the interface (CNI DEL; with `force` a failing
// DEL is logged and the interface forgotten all the same); a stopped one only its configuration.
// hosts and resolv.conf follow. kNotFound when the container is not on it. Saved. Mutex held.
[[nodiscard]] Result<void> disconnect_network(ServiceState& state, ContainerRecord& record,
                                              const std::string& network, bool force = false);

}  // namespace keel::manager::containers
