// keeld's gRPC API as a client sees it: a channel to a test's keeld and the generated stubs.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "integration/fixtures/keeld.h"
#include "keel/v1/content.grpc.pb.h"
#include "keel/v1/events.grpc.pb.h"
#include "keel/v1/images.grpc.pb.h"
#include "keel/v1/snapshots.grpc.pb.h"
#include "keel/v1/version.grpc.pb.h"

namespace keel::it {

// A connected channel to `keeld`'s socket; fails the test (ADD_FAILURE) when it does not connect.
inline std::shared_ptr<grpc::Channel> channel_to(const fixtures::Keeld& keeld) {
  auto channel = grpc::CreateChannel(keeld.grpc_target(), grpc::InsecureChannelCredentials());
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10)))
    ADD_FAILURE() << "cannot connect to " << keeld.grpc_target();
  return channel;
}

// A context whose call fails with DEADLINE_EXCEEDED after `timeout`, so a hung keeld fails the
// test instead of hanging it.
inline std::unique_ptr<grpc::ClientContext> context_with_deadline(
    std::chrono::seconds timeout = std::chrono::seconds(30)) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + timeout);
  return context;
}

}  // namespace keel::it
