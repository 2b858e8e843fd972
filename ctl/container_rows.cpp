#include "ctl/container_rows.h"

#include <cstdio>
#include <ctime>

#include "ctl/timestamps.h"

namespace keel::ctl {
namespace {

std::chrono::system_clock::time_point to_time(const Timestamp& t) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(t.seconds()) + std::chrono::nanoseconds(t.nanos())));
}

// Go's time.Time.String() in local time without the monotonic part:
// "2026-01-02 15:04:05 +0100 CET".
std::string go_time(const Timestamp& t) {
  const std::time_t seconds = t.seconds();
  std::tm local{};
  ::localtime_r(&seconds, &local);
  char text[96];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S %z %Z", &local);
  return text;
}

std::string percent(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f%%", value);
  return text;
}

}  // namespace

std::string go_quote(const std::string& text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\v':
        out += "\\v";
        break;
      default:
        if (byte < 0x20 || byte == 0x7f) {
          out += "\\x";
          out += kHex[byte >> 4];
          out += kHex[byte & 0xf];
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string ellipsis(const std::string& text, std::size_t width) {
  // Counted in characters (UTF-8 code points), as the terminal shows them.
  std::vector<std::size_t> starts;
  for (std::size_t i = 0; i < text.size(); ++i)
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80)
      starts.push_back(i);
  if (starts.size() <= width)
    return text;
  if (width == 0)
    return "";
  return text.substr(0, starts[width - 1]) + "…";
}

std::string ps_command(const std::string& command, bool no_trunc) {
  return go_quote(no_trunc ? command : ellipsis(command, 20));
}

Row ps_row(const keel::v1::Container& container, bool no_trunc,
           std::chrono::system_clock::time_point now) {
  std::string image = container.image().empty() ? container.image_id() : container.image();
  if (!no_trunc && image.starts_with("sha256:"))
    image = short_id(image);
  std::string name = container.name();
  if (name.starts_with("/"))
    name.erase(0, 1);
  std::string labels;
  std::map<std::string, std::string> sorted(container.config().labels().begin(),
                                            container.config().labels().end());
  for (const auto& [key, value] : sorted)
    labels += (labels.empty() ? "" : ",") + key + "=" + value;
  std::string mounts;
  for (const auto& mount : container.config().mounts()) {
    std::string shown =
        mount.type() == "volume" && !mount.source().empty() ? mount.source() : mount.target();
    if (!no_trunc)
      shown = ellipsis(shown, 15);
    mounts += (mounts.empty() ? "" : ",") + shown;
  }
  std::string network = container.network_settings().network();
  if (network.empty())
    network = container.config().network().empty() ? "bridge" : container.config().network();
  // docker lists the networks the container is on: without its first one, those connected.
  if (container.network_settings().network_disconnected()) {
    network.clear();
    for (const auto& other : container.network_settings().connected())
      network += (network.empty() ? "" : ",") + other.network();
  }
  // docker shows the ports a running container holds; a stopped one holds none.
  std::string ports;
  if (container.state().status() == "running" || container.state().status() == "paused")
    for (const auto& port : container.network_settings().ports())
      ports += (ports.empty() ? "" : ", ") +
               (port.host_ip().empty() ? std::string("0.0.0.0") : port.host_ip()) + ":" +
               std::to_string(port.host_port()) + "->" + std::to_string(port.container_port()) +
               "/" + port.protocol();
  return Row{{"ID", no_trunc ? container.id() : short_id(container.id())},
             {"Image", image},
             {"Command", ps_command(container.command(), no_trunc)},
             {"CreatedAt", go_time(container.created())},
             {"RunningFor", human_duration(now - to_time(container.created())) + " ago"},
             {"Ports", ports},
             {"State", container.state().status()},
             {"Status", container.status_text()},
             {"Names", name},
             {"Labels", labels},
             {"Mounts", mounts},
             {"Networks", network},
             {"Size", "0B"}};
}

const std::map<std::string, std::string>& ps_headers() {
  static const std::map<std::string, std::string> headers = {
      {"ID", "CONTAINER ID"}, {"RunningFor", "CREATED"}, {"CreatedAt", "CREATED AT"}};
  return headers;
}

std::string binary_size(double bytes) {
  static constexpr const char* kUnits[] = {"B",   "KiB", "MiB", "GiB", "TiB",
                                           "PiB", "EiB", "ZiB", "YiB"};
  std::size_t unit = 0;
  while (bytes >= 1024.0 && unit + 1 < std::size(kUnits)) {
    bytes /= 1024.0;
    ++unit;
  }
  char text[64];
  std::snprintf(text, sizeof text, "%.4g%s", bytes, kUnits[unit]);
  return text;
}

double cpu_percent(const keel::v1::StatsSample& previous, const keel::v1::StatsSample& current) {
  const double cpu_delta =
      static_cast<double>(current.cpu_usage_ns()) - static_cast<double>(previous.cpu_usage_ns());
  const double system_delta =
      static_cast<double>(current.system_cpu_ns()) - static_cast<double>(previous.system_cpu_ns());
  const double online = current.online_cpus() == 0 ? 1.0 : current.online_cpus();
  if (system_delta > 0.0 && cpu_delta > 0.0)
    return cpu_delta / system_delta * online * 100.0;
  return 0.0;
}

Row stats_row(const keel::v1::StatsSample* previous, const keel::v1::StatsSample& current,
              bool no_trunc) {
  const double cpu = previous ? cpu_percent(*previous, current) : 0.0;
  const double memory = static_cast<double>(current.memory_usage());
  const double limit = static_cast<double>(current.memory_limit());
  std::string name = current.name();
  if (name.starts_with("/"))
    name.erase(0, 1);
  const std::string id = no_trunc ? current.id() : short_id(current.id());
  return Row{
      {"Container", id},
      {"ID", id},
      {"Name", name},
      {"CPUPerc", percent(cpu)},
      {"MemUsage", binary_size(memory) + " / " + binary_size(limit)},
      {"MemPerc", percent(limit > 0 ? memory / limit * 100.0 : 0.0)},
      {"NetIO", human_size(static_cast<double>(current.net_rx())) + " / " +
                    human_size(static_cast<double>(current.net_tx()))},
      {"BlockIO", human_size(static_cast<double>(current.block_read())) + " / " +
                      human_size(static_cast<double>(current.block_write()))},
      {"PIDs", std::to_string(current.pids())},
  };
}

const std::map<std::string, std::string>& stats_headers() {
  static const std::map<std::string, std::string> headers = {
      {"ID", "CONTAINER ID"},   {"Container", "CONTAINER"},
      {"CPUPerc", "CPU %"},     {"MemUsage", "MEM USAGE / LIMIT"},
      {"MemPerc", "MEM %"},     {"NetIO", "NET I/O"},
      {"BlockIO", "BLOCK I/O"}, {"PIDs", "PIDS"}};
  return headers;
}

}  // namespace keel::ctl
