// What keeld keeps of a container: its identity, what it was created from, where its pieces are
// (bundle, snapshot, log, shim socket) and its last known state. Stored as JSON in the
// containers table; docker's status words and "Up 3 seconds" texts are derived from it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "manager/network/attachment.h"
#include "manager/network/etc_files.h"
#include "manager/network/port_mapping.h"

namespace keel::manager::containers {

// A network the container joined with `network connect` (besides its --network): kept so each
// start attaches it again, as docker does.
struct NetworkConnection {
  std::string network;  // name
  std::vector<std::string> aliases;
  std::string ip;  // --ip, kept for every start; empty: IPAM chooses
};

enum class Status { kCreated, kRunning, kPaused, kRestarting, kExited, kRemoving, kDead };

// docker's words: "created", "running", "paused", "restarting", "exited", "removing", "dead".
[[nodiscard]] const char* status_name(Status status) noexcept;
[[nodiscard]] Result<Status> parse_status(std::string_view name);

struct RestartPolicy {
  std::string name = "no";  // no, on-failure, always, unless-stopped
  int max_retries = 0;      // on-failure only; 0 is unlimited
};

// "no", "always", "unless-stopped", "on-failure", "on-failure:3"; kInvalidArgument otherwise.
[[nodiscard]] Result<RestartPolicy> parse_restart_policy(std::string_view text);

struct ContainerState {
  Status status = Status::kCreated;
  int pid = 0;
  int exit_code = 0;
  bool oom_killed = false;
  std::int64_t started_ns = 0;   // last start
  std::int64_t finished_ns = 0;  // last exit
  int restart_count = 0;
  std::string error;
  // Stopped by stop/kill from a user: restart policies other than "always" leave it alone, and
  // unless-stopped stays down across keeld restarts.
  bool stopped_by_user = false;
};

struct ContainerRecord {
  std::string id;  // 64 hex digits
  std::string name;
  std::string image;     // as the user named it
  std::string image_id;  // "sha256:..."
  std::string config;    // the API's container config as the client sent it (opaque here)
  // The OCI spec as written to the bundle. Stored apart from the record: records found in the
  // store carry it only after ContainerStore::load_spec.
  std::string spec_json;
  std::string snapshot_key;
  std::string bundle;    // <state>/containers/<id>
  std::string log_path;  // the shim's CRI log
  std::string shim_address;
  std::string cgroups_path;
  std::vector<std::string> command;  // entrypoint + cmd, for ps and inspect
  std::map<std::string, std::string> labels;
  RestartPolicy restart;
  bool auto_remove = false;
  bool tty = false;
  bool open_stdin = false;
  int stop_signal = 15;
  int stop_timeout = 10;
  std::vector<std::string> anonymous_volumes;  // host dirs removed by rm -v
  // --network as given ("bridge", "none", "host", a name, "container:ID"), -p as parsed, and
  // while the task runs, its CNI attachment (kept so DEL works after a keeld crash).
  std::string network_mode = "none";
  std::vector<network::PortMapping> ports;
  std::optional<network::Attachment> attachment;
  std::vector<std::string> network_aliases;     // --network-alias, on the --network
  network::DnsOverrides dns;                    // --dns, --dns-search, --dns-option
  std::vector<network::HostEntry> extra_hosts;  // --add-host, as parsed
  std::string ip;                               // --ip, on the --network
  std::string mac_address;                      // --mac-address, normalized
  // network connect's networks, and while the task runs their interfaces (eth1, ...).
  std::vector<NetworkConnection> connected;
  std::vector<network::Attachment> connected_attachments;
  // network disconnect of the --network network: the container keeps its namespace (only lo,
  // besides connected networks) and is not attached to that network again at start.
  // `attachment` is then the bare namespace: network_id empty, no result.
  bool network_disconnected = false;
  std::string hostname;
  std::int64_t created_ns = 0;
  ContainerState state;
};

[[nodiscard]] nlohmann::json to_json(const ContainerRecord& record);
[[nodiscard]] Result<ContainerRecord> record_from_json(const nlohmann::json& json);

// docker ps's STATUS: "Created", "Up 3 seconds", "Up 2 minutes (Paused)", "Restarting (1) 2
// seconds ago", "Exited (7) 2 minutes ago", "Removal In Progress", "Dead".
[[nodiscard]] std::string status_text(const ContainerRecord& record,
                                      std::chrono::system_clock::time_point now);

// A new container id: 64 random hex digits.
[[nodiscard]] std::string new_container_id();
// A docker-style random name ("eager_turing"). The lists make 896 names: from the second
// attempt on, a random number follows ("eager_turing42"), wider with each attempt, as docker's
// name generator does on a retry; otherwise the 897th container would find no free name.
[[nodiscard]] std::string random_name(unsigned attempt = 0);

// Container names as docker allows them: [a-zA-Z0-9][a-zA-Z0-9_.-]+ (a leading '/' dropped).
[[nodiscard]] Result<std::string> validate_name(std::string_view name);

}  // namespace keel::manager::containers
