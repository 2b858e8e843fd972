// docker run/create flags and their translation into keeld's ContainerConfig. Everything here is
// pure (no daemon), so flag handling is unit-tested; errors throw CommandError with exit code 125
// as docker's flag errors do.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "keel/v1/containers.pb.h"

namespace keel::ctl {

// The flags of docker run/create as typed on the command line.
struct RunFlags {
  bool detach = false;
  bool interactive = false;
  bool tty = false;
  bool remove = false;
  std::string name;
  std::vector<std::string> env;
  std::vector<std::string> env_files;
  std::string working_dir;
  std::string user;
  std::vector<std::string> volumes;
  std::vector<std::string> tmpfs;
  std::optional<std::string> entrypoint;
  std::string hostname;
  std::string memory;
  std::string cpus;
  std::int64_t pids_limit = 0;
  bool read_only = false;
  std::vector<std::string> cap_add;
  std::vector<std::string> cap_drop;
  bool privileged = false;
  std::string network;
  std::vector<std::string> network_aliases;  // --network-alias
  std::vector<std::string> dns;              // --dns
  std::vector<std::string> dns_search;       // --dns-search
  std::vector<std::string> dns_options;      // --dns-option
  std::vector<std::string> extra_hosts;      // --add-host NAME:IP
  std::string ip;                            // --ip
  std::string mac_address;                   // --mac-address
  std::vector<std::string> publish;          // -p, parsed by keeld
  bool publish_all = false;                  // -P
  std::string restart;
  std::vector<std::string> labels;
  std::vector<std::string> security_opts;
  std::string stop_signal;
  std::optional<int> stop_timeout;
  std::string detach_keys;
  bool sig_proxy = true;
  // --pull: "missing" (pull when the image is not here), "always" or "never".
  std::string pull = "missing";
  // The image, then the command and its arguments.
  std::vector<std::string> args;
};

// Registers docker's run/create flags on cmd. with_run adds the flags only run has (-d, --rm is
// shared, --detach-keys, --sig-proxy). Arguments after the image are never read as flags.
void add_run_flags(CLI::App& cmd, RunFlags& flags, bool with_run);

// Looks up a variable of the client's environment (getenv in keelctl, a map in tests).
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// docker's RAMInBytes: "512", "64k", "1.5g", "100MB", "2GiB"; binary multiples.
[[nodiscard]] std::int64_t parse_memory(const std::string& text, const std::string& flag);

// docker's --cpus: a decimal number of CPUs, in thousandths ("1.5" -> 1500).
[[nodiscard]] std::int64_t parse_cpus(const std::string& text);

// "no", "always", "unless-stopped", "on-failure", "on-failure:N".
[[nodiscard]] keel::v1::RestartPolicy parse_restart_policy(const std::string& text);

// -v forms: "/host:/ctr[:opts]" (bind), "name:/ctr[:opts]" (named volume), "/ctr" (anonymous
// volume). opts are comma-separated: ro, rw, z, Z, nocopy and propagation modes. A source
// starting with "." is made absolute against cwd.
[[nodiscard]] keel::v1::VolumeMount parse_volume(const std::string& spec, const std::string& cwd);

// --tmpfs "/run[:size=64m,mode=1777]".
[[nodiscard]] keel::v1::VolumeMount parse_tmpfs(const std::string& spec);

// -e forms: "K=V" as is; "K" takes K from the client's environment and is dropped when unset.
[[nodiscard]] std::optional<std::string> parse_env(const std::string& item,
                                                   const EnvLookup& lookup);

// An --env-file's text: one variable per line, blank lines and '#' comments skipped, "K" alone
// read from the client's environment. Throws for a name with whitespace.
[[nodiscard]] std::vector<std::string> parse_env_file(const std::string& text,
                                                      const EnvLookup& lookup);

// Everything together. read_file reads an --env-file (throws CommandError when it cannot).
[[nodiscard]] keel::v1::ContainerConfig build_container_config(
    const RunFlags& flags, const EnvLookup& lookup,
    const std::function<std::string(const std::string&)>& read_file, const std::string& cwd);

// The real environment, files and working directory of keelctl.
[[nodiscard]] keel::v1::ContainerConfig build_container_config(const RunFlags& flags);

}  // namespace keel::ctl
