// parse_options and the defaults that depend on the environment.
#include "shim/options.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "shimapi/binary.h"

namespace keel::shim {

Result<ShimOptions> parse_options(const std::vector<std::string>& args) {
  ShimOptions o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    if (a.empty() || a[0] != '-') {
      if (a != "start" && a != "delete")
        return Error::of(Errc::kInvalidArgument, "unknown action \"" + a + "\"");
      o.action = a;
      continue;
    }
    a.erase(0, a.rfind("--", 0) == 0 ? 2 : 1);
    std::string value;
    bool has_value = false;
    if (auto eq = a.find('='); eq != std::string::npos) {
      value = a.substr(eq + 1);
      a.resize(eq);
      has_value = true;
    }
    if (a == "debug") {
      o.debug = !has_value || value == "true" || value == "1";
      continue;
    }
    if (a == "v" || a == "version") {
      o.action = "version";
      continue;
    }
    if (!has_value) {
      if (i + 1 >= args.size())
        return Error::of(Errc::kInvalidArgument, "flag -" + a + " needs a value");
      value = args[++i];
    }
    if (a == "namespace")
      o.ns = value;
    else if (a == "id")
      o.id = value;
    else if (a == "address")
      o.address = value;
    else if (a == "publish-binary")
      o.publish_binary = value;
    else if (a == "bundle")
      o.bundle = value;
    else if (a == "socket")
      continue;  // accepted for compatibility; the socket comes as fd 3
    else
      return Error::of(Errc::kInvalidArgument, "unknown flag -" + a);
  }
  if (o.action != "version" && (o.ns.empty() || o.id.empty()))
    return Error::of(Errc::kInvalidArgument, "-namespace and -id are required");
  return o;
}

std::vector<std::string> daemon_args(const ShimOptions& o) {
  std::vector<std::string> args = {"-namespace", o.ns, "-id", o.id, "-address", o.address};
  if (!o.publish_binary.empty()) {
    args.push_back("-publish-binary");
    args.push_back(o.publish_binary);
  }
  if (o.debug)
    args.push_back("-debug");
  return args;
}

namespace {

std::string env_or(const char* name, std::string fallback) {
  const char* v = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): one thread
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

}  // namespace

std::string socket_dir() {
  return env_or(shimapi::kSocketDirEnv, shimapi::kDefaultSocketDir);
}

std::string default_runtime_root(const std::string& ns) {
  return env_or(shimapi::kRuntimeRootEnv, "/run/containerd/keel/" + ns);
}

std::string default_runtime_binary() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec)
    return "keel";
  return (self.parent_path() / "keel").string();
}

}  // namespace keel::shim
