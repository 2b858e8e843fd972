// The four kinds of gRPC call with protobuf types on them, shaped like grpc++'s synchronous API
// (Read/Write/WritesDone/Finish, a stub method per RPC) so keelctl's commands read as they did.
// Messages need only MessageLite: parse and serialize.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "ctl/rpc/call.h"

namespace keel::rpc {

namespace detail {

// Parses a response; a message that does not parse ends the call as grpc++ does.
template <class Response>
bool parse_into(Call& call, const std::string& bytes, Response* response) {
  if (response->ParseFromString(bytes))
    return true;
  call.fail({StatusCode::INTERNAL, "Failed to parse server response"});
  return false;
}

// The end of a call that answers with one message (unary, client streaming): that message, then
// the status; an OK status without a message is an error, as grpc++ has it.
template <class Response>
Status finish_with_response(Call& call, Response* response) {
  std::string bytes;
  const bool got = call.read(bytes) && parse_into(call, bytes, response);
  Status status = call.finish();
  if (status.ok() && !got)
    return {StatusCode::INTERNAL, "No message returned for unary request"};
  return status;
}

// What the two kinds that read a stream of responses share: Read until false, then Finish.
template <class Response>
class ResponseStream {
 public:
  bool Read(Response* response) {
    std::string bytes;
    return call_->read(bytes) && parse_into(*call_, bytes, response);
  }
  Status Finish() { return call_->finish(); }

 protected:
  explicit ResponseStream(std::unique_ptr<Call> call) : call_(std::move(call)) {}
  Call& call() { return *call_; }

 private:
  std::unique_ptr<Call> call_;
};

}  // namespace detail

// Server streaming: the request goes out at once; Read until false, then Finish.
template <class Response>
class ClientReader : public detail::ResponseStream<Response> {
 public:
  template <class Request>
  ClientReader(const Channel& channel, std::string_view method, ClientContext* context,
               const Request& request)
      : detail::ResponseStream<Response>(Call::start(channel, method, *context)) {
    this->call().write(request.SerializeAsString(), /*last=*/true);
  }
};

// Client streaming: Write the requests, WritesDone, then Finish fills the one response.
template <class Request, class Response>
class ClientWriter {
 public:
  ClientWriter(const Channel& channel, std::string_view method, ClientContext* context,
               Response* response)
      : call_(Call::start(channel, method, *context)), response_(response) {}
  bool Write(const Request& request) { return call_->write(request.SerializeAsString()); }
  bool WritesDone() { return call_->writes_done(); }
  Status Finish() {
    call_->writes_done();
    return detail::finish_with_response(*call_, response_);
  }

 private:
  std::unique_ptr<Call> call_;
  Response* response_;
};

// Bidirectional: Read on one thread while others Write (call.h says how). WritesDone closes the
// request side; Finish waits for the server's status.
template <class Request, class Response>
class ClientReaderWriter : public detail::ResponseStream<Response> {
 public:
  ClientReaderWriter(const Channel& channel, std::string_view method, ClientContext* context)
      : detail::ResponseStream<Response>(Call::start(channel, method, *context)) {}
  bool Write(const Request& request) { return this->call().write(request.SerializeAsString()); }
  bool WritesDone() { return this->call().writes_done(); }
};

// Unary: one request, one response, on the calling thread alone.
template <class Request, class Response>
Status unary_call(const Channel& channel, std::string_view method, ClientContext* context,
                  const Request& request, Response* response) {
  auto call = Call::start(channel, method, *context);
  call->write(request.SerializeAsString(), /*last=*/true);
  return detail::finish_with_response(*call, response);
}

}  // namespace keel::rpc
