// parse_net_dev and read_net_dev: /proc/net/dev's rows as counters.
#include "manager/network/net_dev.h"

#include <algorithm>
#include <array>
#include <charconv>

#include "common/fs.h"

namespace keel::manager::network {
namespace {

constexpr std::string_view kBlanks = " \t";

std::string_view trim(std::string_view text) {
  const auto begin = text.find_first_not_of(kBlanks);
  if (begin == std::string_view::npos)
    return {};
  return text.substr(begin, text.find_last_not_of(kBlanks) - begin + 1);
}

Result<InterfaceCounters> parse_row(std::string_view line) {
  const auto colon = line.find(':');
  if (colon == std::string_view::npos)
    return Error::of(Errc::kInvalidArgument, "net/dev row without a colon: " + std::string(line));
  InterfaceCounters row;
  row.name = std::string(trim(line.substr(0, colon)));
  std::array<std::uint64_t, 16> numbers{};
  std::string_view rest = line.substr(colon + 1);
  for (auto& number : numbers) {
    rest = rest.substr(std::min(rest.size(), rest.find_first_not_of(kBlanks)));
    const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), number);
    if (ec != std::errc() || end == rest.data())
      return Error::of(Errc::kInvalidArgument,
                       "net/dev row of " + row.name + " without its 16 counters");
    rest.remove_prefix(static_cast<std::size_t>(end - rest.data()));
  }
  row.rx_bytes = numbers[0];
  row.rx_packets = numbers[1];
  row.rx_errors = numbers[2];
  row.rx_dropped = numbers[3];
  row.tx_bytes = numbers[8];
  row.tx_packets = numbers[9];
  row.tx_errors = numbers[10];
  row.tx_dropped = numbers[11];
  return row;
}

}  // namespace

Result<std::vector<InterfaceCounters>> parse_net_dev(std::string_view text) {
  std::vector<InterfaceCounters> rows;
  int line_number = 0;
  while (!text.empty()) {
    const auto newline = text.find('\n');
    const std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    if (++line_number <= 2 || trim(line).empty())
      continue;
    auto row = parse_row(line);
    if (!row)
      return std::move(row).error();
    if (row->name != "lo")
      rows.push_back(std::move(*row));
  }
  return rows;
}

Result<std::vector<InterfaceCounters>> read_net_dev(int pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/net/dev";
  auto text = fs::read_file(path);
  if (!text)
    return std::move(text).error().context("read " + path);
  auto rows = parse_net_dev(*text);
  if (!rows)
    return std::move(rows).error().context(path);
  return rows;
}

}  // namespace keel::manager::network
