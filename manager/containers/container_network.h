// A container's network as the container service sees it: --network resolved at create (the
// namespace path for the spec, published ports checked, /etc files written), the CNI attachment
// made when its task starts and undone when the task exits or the container is removed, and
// recovery of attachments after a keeld restart, and network connect/disconnect. The CNI work is
// manager/network's.
#pragma once

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

// Before the task is created: the namespace made and wired (CNI ADD), the record saved with the
// attachment so a crash after this point can still undo it, hosts rewritten with the address.
// Does nothing for none, host and container: modes. Mutex held.
[[nodiscard]] Result<void> attach_network(ServiceState& state, ContainerRecord& record);

// After the task exited, at rm, or at recovery for a container found dead: CNI DEL, the
// namespace unmounted, ports released, the attachment dropped from the record (not saved here).
// Failures are logged; teardown goes on. Mutex held.
void detach_network(ServiceState& state, ContainerRecord& record);

// docker network connect: the network recorded for every start and, while the container runs,
// wired now as one more interface (eth1, ...). kAlreadyExists when it is on it already. Saved.
// Mutex held.
[[nodiscard]] Result<void> connect_network(ServiceState& state, ContainerRecord& record,
                                           const std::string& network,
                                           const std::vector<std::string>& aliases);
// docker network disconnect of a network joined by connect: its interface deleted, the network
// forgotten. kNotFound when the container is not on it. Saved. Mutex held.
[[nodiscard]] Result<void> disconnect_network(ServiceState& state, ContainerRecord& record,
                                              const std::string& network);

}  // namespace keel::manager::containers
