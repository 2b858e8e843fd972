#include "manager/server/version_service.h"

#include <sys/utsname.h>

#include <array>
#include <cctype>
#include <cstdio>
#include <memory>
#include <string>

namespace keel::manager::server {
namespace {

// The runtime's `--version` first line; read once at start-up, not per request.
std::string runtime_version_line(const std::filesystem::path& runtime) {
  const std::string command = "'" + runtime.string() + "' --version 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "re"), ::pclose);
  if (!pipe)
    return {};
  std::array<char, 256> line{};
  if (!std::fgets(line.data(), line.size(), pipe.get()))
    return {};
  std::string text(line.data());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
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
