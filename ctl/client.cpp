#include "ctl/client.h"

namespace keel::ctl {

std::shared_ptr<grpc::Channel> Client::channel() {
  if (!channel_) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(64 << 20);
    args.SetMaxSendMessageSize(64 << 20);
    channel_ =
        grpc::CreateCustomChannel("unix:" + address_, grpc::InsecureChannelCredentials(), args);
  }
  return channel_;
}

void Client::check(const grpc::Status& status, int exit_code) const {
  if (status.ok())
    return;
  // UNAVAILABLE is also keeld's own answer (a registry it cannot reach): only a channel that never
  // got to keeld means keeld is not there.
  const bool reached_keeld = channel_ && channel_->GetState(false) == GRPC_CHANNEL_READY;
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE && !reached_keeld &&
      (status.error_message().find("connect") != std::string::npos ||
       status.error_message().find("No such file") != std::string::npos ||
       status.error_message().find("unix:") != std::string::npos))
    throw CommandError("Cannot connect to keeld at unix://" + address_ + ". Is keeld running?",
                       exit_code);
  throw CommandError("Error response from daemon: " + status.error_message(), exit_code);
}

}  // namespace keel::ctl
