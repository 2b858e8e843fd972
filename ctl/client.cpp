#include "ctl/client.h"

namespace keel::ctl {

std::shared_ptr<rpc::Channel> Client::channel() {
  if (!channel_)
    channel_ = std::make_shared<rpc::Channel>(address_);
  return channel_;
}

void Client::check(const rpc::Status& status, int exit_code) const {
  if (status.ok())
    return;
  // UNAVAILABLE is also keeld's own answer (a registry it cannot reach): only a call that never
  // got to keeld means keeld is not there.
  if (status.error_code() == rpc::StatusCode::UNAVAILABLE && !status.reached_server())
    throw CommandError("Cannot connect to keeld at unix://" + address_ + ". Is keeld running?",
                       exit_code);
  throw CommandError("Error response from daemon: " + status.error_message(), exit_code);
}

}  // namespace keel::ctl
