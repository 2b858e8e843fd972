#include "manager/server/version_service.h"

#include <sys/utsname.h>

#include <cctype>
#include <chrono>
#include <string>

#include "common/process_run.h"

namespace keel::manager::server {
namespace {

// The runtime's `--version` first line; read once at start-up, not per request.
// Empty when the runtime cannot be run: the version is informational.
std::string runtime_version_line(const std::filesystem::path& runtime) {
  auto output = run_process({runtime.string(), "--version"}, {}, "", std::chrono::seconds(10));
  if (!output)
    return {};
  std::string text = output->out.substr(0, output->out.find('\n'));
  while (!text.empty() && text.back() == '\r')
    text.pop_back();
  return text;
}

}  // namespace

VersionService::VersionService(std::filesystem::path runtime) {
  cached_.set_version(KEEL_VERSION);
  cached_.set_api_version("v1");
  cached_.set_runtime(runtime.string());
  cached_.set_runtime_version(runtime_version_line(runtime));
  struct utsname uts {};
  if (::uname(&uts) == 0) {
    // Go's GOOS spelling, as docker reports it ("linux").
    std::string os = uts.sysname;
    for (char& c : os)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    cached_.set_os(os);
    cached_.set_arch(uts.machine);
    cached_.set_kernel(uts.release);
  }
}

grpc::Status VersionService::Version(grpc::ServerContext*, const keel::v1::VersionRequest*,
                                     keel::v1::VersionResponse* response) {
  *response = cached_;
  return grpc::Status::OK;
}

}  // namespace keel::manager::server
