// The runtime library's create/start/kill/delete with the shim's stdio and errors: what `keel`'s
// CLI would have done with the same arguments, without the process.
#include "shim/linked_runtime.h"

#include <fcntl.h>
#include <malloc.h>
#include <sys/stat.h>

#include "common/unique_fd.h"
#include "runtime/lifecycle/lifecycle.h"
#include "shim/options.h"

namespace keel::shim::linked_runtime {
namespace {

// The runtime's own error, named as the exec path names it ("runtime create: ..."), with the
// kind the shim's callers expect of any runtime failure.
Error failed(const std::string& command, const Error& error) {
  return Error::of(Errc::kInternal, "runtime " + command + ": " + error.message());
}

runtime::StateStore store_of(const RuntimeConfig& config) {
  return runtime::StateStore(config.root);
}

}  // namespace

bool serves(const std::string& binary) {
  struct stat wanted {};
  struct stat own {};
  return ::stat(binary.c_str(), &wanted) == 0 &&
         ::stat(default_runtime_binary().c_str(), &own) == 0 && wanted.st_dev == own.st_dev &&
         wanted.st_ino == own.st_ino;
}

Result<void> create(const RuntimeConfig& config, const std::string& id, const std::string& bundle,
                    const std::string& pid_file, const std::string& console_socket,
                    RuntimeStdio stdio) {
  // -1 is /dev/null, as for the runtime binary: the init must not get the shim's own stdio.
  UniqueFd null_fd;
  if (stdio.in < 0 || stdio.out < 0 || stdio.err < 0) {
    null_fd = UniqueFd(::open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!null_fd.valid())
      return Error::sys("open /dev/null for the init's stdio");
  }
  const auto or_null = [&](int fd) { return fd >= 0 ? fd : null_fd.get(); };
  runtime::CreateOptions options;
  options.id = id;
  options.bundle = bundle;
  options.pid_file = pid_file;
  options.console_socket = console_socket;
  options.init_stdio = {or_null(stdio.in), or_null(stdio.out), or_null(stdio.err)};
  options.reset_signal_dispositions = true;  // the shim ignores SIGPIPE
  auto pid = runtime::create_container(store_of(config), options);
  // The config's parse and the seccomp program were the shim's largest allocations: give the
  // pages back, since a thousand shims would each keep them for the container's life.
  ::malloc_trim(0);
  if (!pid)
    return failed("create", pid.error());
  return {};
}

Result<void> start(const RuntimeConfig& config, const std::string& id) {
  if (auto r = runtime::start_container(store_of(config), id); !r)
    return failed("start", r.error());
  return {};
}

Result<void> kill(const RuntimeConfig& config, const std::string& id, int signal, bool all) {
  if (auto r = runtime::kill_container(store_of(config), id, std::to_string(signal), all); !r)
    return failed("kill", r.error());
  return {};
}

Result<void> remove(const RuntimeConfig& config, const std::string& id, bool force) {
  if (auto r = runtime::delete_container(store_of(config), id, force); !r)
    return failed("delete", r.error());
  return {};
}

}  // namespace keel::shim::linked_runtime
