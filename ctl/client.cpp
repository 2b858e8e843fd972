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
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE &&
      (status.error_message().find("connect") != std::string::npos ||
       status.error_message().find("No such file") != std::string::npos ||
       status.error_message().find("unix:") != std::string::npos))
    throw CommandError("Cannot connect to keeld at unix://" + address_ + ". Is keeld running?",
                       exit_code);
  throw CommandError("Error response from daemon: " + status.error_message(), exit_code);
}

}  // namespace keel::ctl
