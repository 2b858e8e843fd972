#include "manager/containers/process_table.h"

#include <unistd.h>

#include <charconv>
#include <chrono>
#include <optional>
#include <set>
#include <sstream>

#include "common/process_run.h"

namespace keel::manager::containers {
namespace {

std::string host_ps() {
  for (const char* candidate : {"/usr/bin/ps", "/bin/ps", "/usr/local/bin/ps"})
    if (::access(candidate, X_OK) == 0)
      return candidate;
  return "/usr/bin/ps";
}

// The row's cells: one per title, the last one the rest of the line.
std::vector<std::string> cells_of(const std::string& line, std::size_t columns) {
  std::istringstream fields(line);
  std::vector<std::string> cells;
  std::string cell;
  for (std::size_t i = 0; i + 1 < columns && fields >> cell; ++i)
    cells.push_back(cell);
  std::string rest;
  std::getline(fields, rest);
  const auto first = rest.find_first_not_of(' ');
  cells.push_back(first == std::string::npos ? "" : rest.substr(first));
  return cells;
}

}  // namespace

Result<ProcessTable> parse_ps_output(std::string_view output, const std::vector<int>& pids) {
  std::istringstream lines{std::string(output)};
  std::string header;
  std::getline(lines, header);
  std::istringstream titles(header);
  ProcessTable table;
  std::optional<std::size_t> pid_column;
  for (std::string title; titles >> title;) {
    if (title == "PID")
      pid_column = table.titles.size();
    table.titles.push_back(title);
  }
  if (!pid_column)
    return Error::of(Errc::kInvalidArgument, "Couldn't find PID field in ps output");
  const std::set<int> wanted(pids.begin(), pids.end());
  for (std::string line; std::getline(lines, line);) {
    auto cells = cells_of(line, table.titles.size());
    if (cells.size() <= *pid_column)
      continue;
    const std::string& text = cells[*pid_column];
    int pid = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
    if (ec != std::errc() || end == text.data() || !wanted.contains(pid))
      continue;
    table.processes.push_back(std::move(cells));
  }
  return table;
}

// ps reads /proc once; a ps that takes longer than this is stuck.
constexpr std::chrono::seconds kPsDeadline{30};

Result<ProcessTable> ps_table(const std::vector<int>& pids,
                              const std::vector<std::string>& ps_args) {
  std::vector<std::string> argv = {host_ps()};
  if (ps_args.empty())
    argv.emplace_back("-ef");
  argv.insert(argv.end(), ps_args.begin(), ps_args.end());
  auto output = run_process(argv, {}, "", kPsDeadline);
  if (!output)
    return std::move(output).error();
  if (output->exit_code != 0)
    return Error::of(Errc::kInvalidArgument,
                     "ps failed with exit code " + std::to_string(output->exit_code));
  return parse_ps_output(output->out, pids);
}

}  // namespace keel::manager::containers
