// The shim's per-request cost below the task service: a containerd Create request as it travels
// (CreateTaskRequest inside a ttrpc Request inside a frame), built and encoded, decoded from a
// byte stream that arrives in pieces, and carried across a socketpair.
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include <benchmark/benchmark.h>

#include "common/unique_fd.h"
#include "containerd/task/v2/shim.pb.h"
#include "shimapi/ttrpc/frame.h"
#include "ttrpc/request.pb.h"

namespace {

using keel::ttrpc::encode_frame;
using keel::ttrpc::FrameDecoder;
using keel::ttrpc::MessageType;

// What containerd 1.6 sends for `ctr run` of an image with one overlay snapshot.
std::string create_request_payload() {
  containerd::task::v2::CreateTaskRequest create;
  const std::string state = "/run/containerd/io.containerd.runtime.v2.task/default/bench";
  create.set_id("bench");
  create.set_bundle(state);
  auto* mount = create.add_rootfs();
  mount->set_type("overlay");
  mount->set_source("overlay");
  mount->add_options("index=off");
  mount->add_options(
      "workdir=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/12/work");
  mount->add_options(
      "upperdir=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/12/fs");
  mount->add_options(
      "lowerdir=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/1/fs");
  create.set_stdout("/run/containerd/fifo/123/bench-stdout");
  create.set_stderr("/run/containerd/fifo/123/bench-stderr");
  ::ttrpc::Request request;
  request.set_service("containerd.task.v2.Task");
  request.set_method("Create");
  request.set_payload(create.SerializeAsString());
  request.set_timeout_nano(0);
  return request.SerializeAsString();
}

std::string encoded_create_frame(std::uint32_t stream_id) {
  auto frame = encode_frame(stream_id, MessageType::kRequest, 0, create_request_payload());
  return frame ? *frame : std::string();
}

void BM_EncodeCreateRequest(benchmark::State& state) {
  std::uint32_t stream = 1;
  for (auto _ : state) {
    auto frame = encode_frame(stream, MessageType::kRequest, 0, create_request_payload());
    benchmark::DoNotOptimize(frame);
    stream += 2;
  }
}
BENCHMARK(BM_EncodeCreateRequest);

// 64 frames fed in 1500-byte pieces; each decoded frame parsed down to the CreateTaskRequest.
void BM_DecodeCreateRequests(benchmark::State& state) {
  std::string stream;
  for (std::uint32_t i = 0; i < 64; ++i)
    stream += encoded_create_frame(2 * i + 1);
  for (auto _ : state) {
    FrameDecoder decoder;
    int parsed = 0;
    for (std::size_t at = 0; at < stream.size(); at += 1500) {
      decoder.feed(std::string_view(stream).substr(at, 1500));
      while (auto frame = decoder.next()) {
        ::ttrpc::Request request;
        containerd::task::v2::CreateTaskRequest create;
        if (request.ParseFromString(frame->data) && create.ParseFromString(request.payload()))
          ++parsed;
      }
    }
    if (parsed != 64) {
      state.SkipWithError("a frame did not decode");
      return;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * 64));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * stream.size()));
}
BENCHMARK(BM_DecodeCreateRequests);

// One frame written to a socketpair and read back and decoded: the syscalls a request costs.
void BM_SocketpairRoundTrip(benchmark::State& state) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    state.SkipWithError("socketpair");
    return;
  }
  keel::UniqueFd writer(fds[0]);
  keel::UniqueFd reader(fds[1]);
  const std::string frame = encoded_create_frame(1);
  std::string buffer(64 * 1024, '\0');
  for (auto _ : state) {
    if (::write(writer.get(), frame.data(), frame.size()) != static_cast<ssize_t>(frame.size())) {
      state.SkipWithError("write");
      return;
    }
    FrameDecoder decoder;
    std::optional<keel::ttrpc::Frame> decoded;
    while (!decoded) {
      const ssize_t n = ::read(reader.get(), buffer.data(), buffer.size());
      if (n <= 0) {
        state.SkipWithError("read");
        return;
      }
      decoder.feed(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
      decoded = decoder.next();
    }
    benchmark::DoNotOptimize(decoded);
  }
}
BENCHMARK(BM_SocketpairRoundTrip);

}  // namespace
