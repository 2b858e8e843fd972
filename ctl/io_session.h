// A container's or an exec's stdio over Tasks.Attach / Tasks.Exec: output copied to stdout and
// stderr, stdin copied in, the local terminal raw with its size forwarded (-t), docker's detach
// keys, and received signals forwarded to the container (--sig-proxy).
#pragma once

#include <optional>
#include <string>

#include "ctl/client.h"
#include "ctl/rpc/status.h"
#include "keel/v1/tasks.pb.h"

namespace keel::ctl {

struct IoOptions {
  bool tty = false;
  // Copy keelctl's stdin into the stream (-i); close_stdin is sent at end of file.
  bool send_stdin = false;
  // Raw bytes of the detach sequence; used with tty and stdin.
  std::string detach_keys = "\x10\x11";
  // Non-empty: signals keelctl receives are sent to this container with Tasks.Kill.
  std::string proxy_to;
};

struct IoResult {
  // The detach keys were typed: the container keeps running.
  bool detached = false;
  // The process's exit code, when the stream carried it.
  std::optional<int> exit_code;
  // Set when a signal ended the session (not proxied): keelctl exits 128 + signal.
  int signal = 0;
  // Whether any output or an exec id arrived before the stream ended.
  bool started = false;
  std::string exec_id;
  rpc::Status status;
};

// Runs a session to its end. The first request (start) is sent before anything else; a failed
// stream is returned in status, not thrown. Output that cannot be written ends the session with
// output.h's CommandError; the container goes on, as it does when docker's client goes away.
[[nodiscard]] IoResult attach_session(Client& client, const keel::v1::AttachStart& start,
                                      const IoOptions& options);
[[nodiscard]] IoResult exec_session(Client& client, const keel::v1::ExecStart& start,
                                    const IoOptions& options);

}  // namespace keel::ctl
