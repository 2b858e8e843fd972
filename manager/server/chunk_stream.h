// Byte streams between gRPC chunk messages and the fd/ReadFn interfaces of the core libraries.
#pragma once

#include <cstring>
#include <functional>
#include <span>
#include <string>

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/sync_stream.h>

#include "common/error.h"
#include "keel/v1/types.pb.h"

namespace keel::manager::server {

// Runs produce(fd) on a thread of its own, writing into a pipe whose other end is sent to the
// client as chunks; a slow client slows the producer, a gone client stops it (EPIPE).
[[nodiscard]] grpc::Status stream_from(grpc::ServerContext* context,
                                       grpc::ServerWriter<keel::v1::Chunk>* writer,
                                       const std::function<Result<void>(int fd)>& produce);

// A ReadFn over the `data` part of the client's messages after the header: each Read of the
// stream fills the buffer the core asks to fill, so an upload is consumed as it arrives.
template <class Message, class Reader>
std::function<Result<std::size_t>(std::span<std::byte>)> message_reader(Reader* reader) {
  struct State {
    std::string pending;
    std::size_t offset = 0;
    bool ended = false;
  };
  auto state = std::make_shared<State>();
  return [reader, state](std::span<std::byte> buffer) -> Result<std::size_t> {
    while (state->offset == state->pending.size() && !state->ended) {
      Message next;
      if (!reader->Read(&next)) {
        state->ended = true;
        break;
      }
      state->pending = std::move(*next.mutable_data());
      state->offset = 0;
    }
    const std::size_t n = std::min(buffer.size(), state->pending.size() - state->offset);
    std::memcpy(buffer.data(), state->pending.data() + state->offset, n);
    state->offset += n;
    return n;
  };
}

}  // namespace keel::manager::server
