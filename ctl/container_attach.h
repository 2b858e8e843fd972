// Joining a container's stdio from the verbs: the terminal check and detach keys that run,
// start, attach and exec share, and the one attach of run, start -a and attach.
#pragma once

#include <string>

#include "ctl/client.h"
#include "ctl/io_session.h"
#include "keel/v1/containers.pb.h"

namespace keel::ctl {

// docker's "the input device is not a TTY" (exit 1) for -it without a terminal on stdin.
void require_terminal(bool tty, bool interactive);

// --detach-keys as raw bytes; empty text is docker's default, ctrl-p,ctrl-q.
[[nodiscard]] std::string detach_sequence(const std::string& text);

// What run, start -a and attach ask of an attach.
struct AttachPlan {
  std::string id;
  bool tty = false;
  bool send_stdin = false;
  // Start the container once attached (run, start -a): no output is missed.
  bool start = false;
  // Forward the signals keelctl receives to the container; never with a tty, where they are
  // keys the container reads.
  bool sig_proxy = true;
  // Raw bytes, from detach_sequence.
  std::string detach_keys;
};

// Attaches as planned and runs the session to its end.
[[nodiscard]] IoResult attach_container(Client& client, const AttachPlan& plan);

// Whether the stream failed before the container ran anything: no exit code, no output, not
// detached and not ended by a signal. Such a failure is the daemon's error, not an exit status.
[[nodiscard]] bool failed_before_start(const IoResult& result);

// docker's exit status of a session: the container's code, 0 when detached, 128 + signal when a
// signal ended it. A stream that broke without an exit code asks Tasks.Wait.
[[nodiscard]] int session_exit(Client& client, const std::string& id, const IoResult& result);

// `start -a` and `attach` on an existing container: its config says whether it has a tty and
// whether stdin may be sent (want_stdin is -i, or not --no-stdin). Throws CommandError with the
// container's exit status when it is not 0.
void attach_existing(Client& client, const keel::v1::Container& container, bool want_stdin,
                     bool start, bool sig_proxy, const std::string& detach_keys);

}  // namespace keel::ctl
