#include "ctl/container_attach.h"

#include <unistd.h>

#include "ctl/detach_keys.h"
#include "ctl/services.h"

namespace keel::ctl {

void require_terminal(bool tty, bool interactive) {
  if (tty && interactive && !::isatty(STDIN_FILENO))
    throw CommandError("the input device is not a TTY", 1);
}

std::string detach_sequence(const std::string& text) {
  return parse_detach_keys(text.empty() ? "ctrl-p,ctrl-q" : text);
}

IoResult attach_container(Client& client, const AttachPlan& plan) {
  keel::v1::AttachStart start;
  start.set_id(plan.id);
  start.set_stdin(plan.send_stdin);
  start.set_stdout(true);
  start.set_stderr(true);
  start.set_start(plan.start);
  IoOptions options;
  options.tty = plan.tty;
  options.send_stdin = plan.send_stdin;
  options.detach_keys = plan.detach_keys;
  if (plan.sig_proxy && !plan.tty)
    options.proxy_to = plan.id;
  return attach_session(client, start, options);
}

bool failed_before_start(const IoResult& result) {
  return !result.status.ok() && !result.exit_code && !result.started && !result.detached &&
         result.signal == 0;
}

int session_exit(Client& client, const std::string& id, const IoResult& result) {
  if (result.detached)
    return 0;
  if (result.signal != 0)
    return 128 + result.signal;
  if (result.exit_code)
    return *result.exit_code;
  keel::v1::TaskRequest request;
  request.set_id(id);
  keel::v1::TaskStatus status;
  rpc::ClientContext context;
  client.check(api::Tasks::NewStub(client.channel())->Wait(&context, request, &status));
  return status.exit_code();
}

void attach_existing(Client& client, const keel::v1::Container& container, bool want_stdin,
                     bool start, bool sig_proxy, const std::string& detach_keys) {
  AttachPlan plan;
  plan.id = container.id();
  plan.tty = container.config().tty();
  plan.send_stdin = want_stdin && container.config().open_stdin();
  plan.start = start;
  plan.sig_proxy = sig_proxy;
  require_terminal(plan.tty, plan.send_stdin);
  plan.detach_keys = detach_sequence(detach_keys);
  const IoResult result = attach_container(client, plan);
  if (failed_before_start(result))
    client.check(result.status);
  if (const int code = session_exit(client, plan.id, result); code != 0)
    throw CommandError("", code);
}

}  // namespace keel::ctl
