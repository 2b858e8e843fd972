// run_container: create + start, then (unless detached) wait for the init as its parent,
// forwarding the signals a terminal user sends, and remove the container afterwards as runc does.
#include <optional>

#include "runtime/lifecycle/console_relay.h"
#include "runtime/lifecycle/lifecycle.h"
#include "runtime/lifecycle/lifecycle_internal.h"

namespace keel::runtime {
namespace {

// A run that failed half-way removes what it created; should that fail too, the user hears both.
void discard_failed(const StateStore& store, const std::string& id) {
  if (auto r = delete_container(store, id, true); !r)
    warn(r.error());
}

}  // namespace

Result<int> run_container(const StateStore& store, const CreateOptions& options, bool detach,
                          bool keep) {
  // Blocked before the init exists, so no signal between create and the wait is lost. The init
  // unblocks everything before it execs.
  std::optional<ForwardedSignals> signals;
  if (!detach)
    signals.emplace();

  // In the foreground a process.terminal without --console-socket is the caller's terminal.
  std::optional<ConsoleRelay> relay;
  CreateOptions create = options;
  if (!detach && options.console_socket.empty()) {
    auto made = ConsoleRelay::make();
    if (!made)
      return made.error();
    relay.emplace(std::move(*made));
    create.console_fd = relay->console_socket();
  }
  auto pid = create_container(store, create);
  if (!pid)
    return pid.error();
  if (relay) {
    auto attached = relay->attach();
    if (!attached) {
      discard_failed(store, options.id);
      return attached.error();
    }
    if (!*attached)
      relay.reset();
  }
  if (auto r = start_container(store, options.id); !r) {
    discard_failed(store, options.id);
    return r.error();
  }
  if (detach)
    return 0;

  auto code = relay ? relay->relay_until_exit(*pid, signals->signals()) : signals->wait_for(*pid);
  if (!code)
    return code.error();
  if (!keep) {
    if (auto r = delete_container(store, options.id, true); !r)
      warn(r.error());
  }
  return *code;
}

}  // namespace keel::runtime
