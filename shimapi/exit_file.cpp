// Exit files: write atomically, parse leniently (a torn or foreign file reads as absent).
#include "shimapi/exit_file.h"

#include <sstream>

#include "common/fs.h"

namespace keel::shimapi {

std::string exit_file_path(const std::string& state_dir, const std::string& exec_id) {
  return state_dir + "/exit-" + (exec_id.empty() ? std::string("init") : "exec-" + exec_id);
}

Result<void> write_exit_file(const std::string& path, const ExitRecord& record) {
  std::ostringstream out;
  out << record.pid << ' ' << record.status << ' ' << record.exited_at_ns << '\n';
  return fs::write_file_atomic(path, out.str(), 0600);
}

std::optional<ExitRecord> read_exit_file(const std::string& path) {
  auto text = fs::read_file(path);
  if (!text)
    return std::nullopt;
  std::istringstream in(*text);
  ExitRecord r;
  if (!(in >> r.pid >> r.status >> r.exited_at_ns))
    return std::nullopt;
  return r;
}

}  // namespace keel::shimapi
