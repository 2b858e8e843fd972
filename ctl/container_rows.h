// What docker ps and docker stats print, computed from keeld's messages without the daemon.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "ctl/format.h"
#include "keel/v1/containers.pb.h"
#include "keel/v1/tasks.pb.h"

namespace keel::ctl {

// Go's strconv.Quote: "..." with \" \\ \n \t and \xNN for other control bytes.
[[nodiscard]] std::string go_quote(const std::string& text);

// docker's Ellipsis: text cut to width characters, the last one "…", when longer.
[[nodiscard]] std::string ellipsis(const std::string& text, std::size_t width);

// docker ps's COMMAND cell: quoted, and cut to 20 characters unless no_trunc.
[[nodiscard]] std::string ps_command(const std::string& command, bool no_trunc);

// One ps row with docker's fields: ID, Image, Command, CreatedAt, RunningFor, Ports, State,
// Status, Names, Labels, Mounts, Networks, Size.
[[nodiscard]] Row ps_row(const keel::v1::Container& container, bool no_trunc,
                         std::chrono::system_clock::time_point now);

// docker's default ps table and its headers.
inline constexpr const char* kPsTable =
    "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t"
    "{{.Names}}";
[[nodiscard]] const std::map<std::string, std::string>& ps_headers();

// docker's units.BytesSize: binary units, 4 significant digits ("1.465MiB", "7.667GiB").
[[nodiscard]] std::string binary_size(double bytes);

// docker's calculateCPUPercentUnix: the container's CPU time over the host's between two
// samples, times the online CPUs, in percent; 0 when either delta is not positive.
[[nodiscard]] double cpu_percent(const keel::v1::StatsSample& previous,
                                 const keel::v1::StatsSample& current);

// One stats row: Container, ID, Name, CPUPerc, MemUsage, MemPerc, NetIO, BlockIO, PIDs.
// previous is null for a first sample (CPU 0.00%).
[[nodiscard]] Row stats_row(const keel::v1::StatsSample* previous,
                            const keel::v1::StatsSample& current, bool no_trunc);

inline constexpr const char* kStatsTable =
    "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t"
    "{{.BlockIO}}\t{{.PIDs}}";
[[nodiscard]] const std::map<std::string, std::string>& stats_headers();

}  // namespace keel::ctl
