#include "manager/server/chunk_stream.h"

#include <fcntl.h>
#include <unistd.h>

#include <thread>
#include <vector>

#include "common/unique_fd.h"
#include "manager/server/status.h"

namespace keel::manager::server {

grpc::Status stream_from(grpc::ServerContext* context, grpc::ServerWriter<keel::v1::Chunk>* writer,
                         const std::function<Result<void>(int fd)>& produce) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return to_status(Error::sys("pipe"));
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  Result<void> produced;
  std::thread producer([&, write = std::move(write_end)]() mutable {
    produced = produce(write.get());
    write.reset();  // end of file for the reader below
  });
  std::vector<char> buffer(1 << 20);
  keel::v1::Chunk chunk;
  bool gone = false;
  while (true) {
    const ssize_t n = ::read(read_end.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    chunk.set_data(buffer.data(), static_cast<std::size_t>(n));
    if (context->IsCancelled() || !writer->Write(chunk)) {
      gone = true;
      break;
    }
  }
  read_end.reset();  // a producer still writing gets EPIPE and stops
  producer.join();
  if (!produced)
    return to_status(produced.error());
  if (gone)
    return grpc::Status(grpc::StatusCode::CANCELLED, "the client went away");
  return grpc::Status::OK;
}

}  // namespace keel::manager::server
