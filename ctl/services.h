// keeld's services (proto/keel/v1/*.proto) as keelctl calls them: one typed method per RPC, named
// and shaped as grpc_cpp_plugin's stubs were (Service::NewStub(channel)->Method(&context, ...)),
// each a line that names its path. Content and Snapshots are keeld's internal services; keelctl
// has no verb for them.
#pragma once

#include <memory>

#include "ctl/rpc/call_kinds.h"
#include "keel/v1/containers.pb.h"
#include "keel/v1/events.pb.h"
#include "keel/v1/images.pb.h"
#include "keel/v1/networks.pb.h"
#include "keel/v1/registry.pb.h"
#include "keel/v1/tasks.pb.h"
#include "keel/v1/version.pb.h"

namespace keel::ctl::api {

// What every service's stub holds: the channel, and the four call kinds bound to it.
class StubBase {
 public:
  explicit StubBase(std::shared_ptr<rpc::Channel> channel) : channel_(std::move(channel)) {}

 protected:
  template <class Request, class Response>
  rpc::Status unary(const char* path, rpc::ClientContext* context, const Request& request,
                    Response* response) const {
    return rpc::unary_call(*channel_, path, context, request, response);
  }
  template <class Response, class Request>
  std::unique_ptr<rpc::ClientReader<Response>> server_streaming(const char* path,
                                                                rpc::ClientContext* context,
                                                                const Request& request) const {
    return std::make_unique<rpc::ClientReader<Response>>(*channel_, path, context, request);
  }
  template <class Request, class Response>
  std::unique_ptr<rpc::ClientWriter<Request, Response>> client_streaming(
      const char* path, rpc::ClientContext* context, Response* response) const {
    return std::make_unique<rpc::ClientWriter<Request, Response>>(*channel_, path, context,
                                                                  response);
  }
  template <class Request, class Response>
  std::unique_ptr<rpc::ClientReaderWriter<Request, Response>> bidi_streaming(
      const char* path, rpc::ClientContext* context) const {
    return std::make_unique<rpc::ClientReaderWriter<Request, Response>>(*channel_, path, context);
  }

 private:
  std::shared_ptr<rpc::Channel> channel_;
};

struct Containers {
  class Stub : public StubBase {
   public:
    using StubBase::StubBase;
    rpc::Status Create(rpc::ClientContext* c, const v1::CreateContainerRequest& in,
                       v1::Container* out) const {
      return unary("/keel.v1.Containers/Create", c, in, out);
    }
    rpc::Status Get(rpc::ClientContext* c, const v1::ContainerRequest& in,
                    v1::Container* out) const {
      return unary("/keel.v1.Containers/Get", c, in, out);
    }
    rpc::Status List(rpc::ClientContext* c, const v1::ListContainersRequest& in,
                     v1::ListContainersResponse* out) const {
      return unary("/keel.v1.Containers/List", c, in, out);
    }
    rpc::Status Rename(rpc::ClientContext* c, const v1::RenameContainerRequest& in,
                       v1::Container* out) const {
      return unary("/keel.v1.Containers/Rename", c, in, out);
    }
    rpc::Status Update(rpc::ClientContext* c, const v1::UpdateContainerRequest& in,
                       v1::Container* out) const {
      return unary("/keel.v1.Containers/Update", c, in, out);
    }
    rpc::Status Remove(rpc::ClientContext* c, const v1::RemoveContainerRequest& in,
                       v1::Empty* out) const {
      return unary("/keel.v1.Containers/Remove", c, in, out);
    }
    rpc::Status Diff(rpc::ClientContext* c, const v1::ContainerRequest& in,
                     v1::DiffResponse* out) const {
      return unary("/keel.v1.Containers/Diff", c, in, out);
    }
    rpc::Status Commit(rpc::ClientContext* c, const v1::CommitContainerRequest& in,
                       v1::Image* out) const {
      return unary("/keel.v1.Containers/Commit", c, in, out);
    }
    auto Export(rpc::ClientContext* c, const v1::ContainerRequest& in) const {
      return server_streaming<v1::Chunk>("/keel.v1.Containers/Export", c, in);
    }
    auto CopyFrom(rpc::ClientContext* c, const v1::CopyFromRequest& in) const {
      return server_streaming<v1::Chunk>("/keel.v1.Containers/CopyFrom", c, in);
    }
    auto CopyTo(rpc::ClientContext* c, v1::Empty* out) const {
      return client_streaming<v1::CopyToRequest>("/keel.v1.Containers/CopyTo", c, out);
    }
    auto Logs(rpc::ClientContext* c, const v1::LogsRequest& in) const {
      return server_streaming<v1::LogEntry>("/keel.v1.Containers/Logs", c, in);
    }
  };
  static std::unique_ptr<Stub> NewStub(std::shared_ptr<rpc::Channel> channel) {
    return std::make_unique<Stub>(std::move(channel));
  }
};

struct Events {
  class Stub : public StubBase {
   public:
    using StubBase::StubBase;
    auto Subscribe(rpc::ClientContext* c, const v1::SubscribeRequest& in) const {
      return server_streaming<v1::Event>("/keel.v1.Events/Subscribe", c, in);
    }
  };
  static std::unique_ptr<Stub> NewStub(std::shared_ptr<rpc::Channel> channel) {
    return std::make_unique<Stub>(std::move(channel));
  }
};

struct Images {
  class Stub : public StubBase {
   public:
    using StubBase::StubBase;
    rpc::Status List(rpc::ClientContext* c, const v1::ListImagesRequest& in,
                     v1::ListImagesResponse* out) const {
      return unary("/keel.v1.Images/List", c, in, out);
    }
    rpc::Status Get(rpc::ClientContext* c, const v1::GetImageRequest& in, v1::Image* out) const {
      return unary("/keel.v1.Images/Get", c, in, out);
    }
    rpc::Status Tag(rpc::ClientContext* c, const v1::TagImageRequest& in, v1::Image* out) const {
      return unary("/keel.v1.Images/Tag", c, in, out);
    }
    rpc::Status Remove(rpc::ClientContext* c, const v1::RemoveImageRequest& in,
                       v1::RemoveImageResponse* out) const {
      return unary("/keel.v1.Images/Remove", c, in, out);
    }
    rpc::Status History(rpc::ClientContext* c, const v1::GetImageRequest& in,
                        v1::HistoryResponse* out) const {
      return unary("/keel.v1.Images/History", c, in, out);
    }
    auto Import(rpc::ClientContext* c, v1::Image* out) const {
      return client_streaming<v1::ImportRequest>("/keel.v1.Images/Import", c, out);
    }
    auto Load(rpc::ClientContext* c, v1::LoadResponse* out) const {
      return client_streaming<v1::Chunk>("/keel.v1.Images/Load", c, out);
    }
    auto Save(rpc::ClientContext* c, const v1::SaveRequest& in) const {
      return server_streaming<v1::Chunk>("/keel.v1.Images/Save", c, in);
    }
    rpc::Status Prune(rpc::ClientContext* c, const v1::PruneRequest& in,
                      v1::PruneResponse* out) const {
      return unary("/keel.v1.Images/Prune", c, in, out);
    }
    auto Pull(rpc::ClientContext* c, const v1::PullRequest& in) const {
      return server_streaming<v1::PullProgress>("/keel.v1.Images/Pull", c, in);
    }
    auto Push(rpc::ClientContext* c, const v1::PushRequest& in) const {
      return server_streaming<v1::PushProgress>("/keel.v1.Images/Push", c, in);
    }
  };
  static std::unique_ptr<Stub> NewStub(std::shared_ptr<rpc::Channel> channel) {
    return std::make_unique<Stub>(std::move(channel));
  }
};

struct Networks {
  class Stub : public StubBase {
   public:
    using StubBase::StubBase;
    rpc::Status Create(rpc::ClientContext* c, const v1::CreateNetworkRequest& in,
                       v1::Network* out) const {
      return unary("/keel.v1.Networks/Create", c, in, out);
    }
    rpc::Status Get(rpc::ClientContext* c, const v1::NetworkRequest& in, v1::Network* out) const {
      return unary("/keel.v1.Networks/Get", c, in, out);
    }
    rpc::Status List(rpc::ClientContext* c, const v1::ListNetworksRequest& in,
                     v1::ListNetworksResponse* out) const {
      return unary("/keel.v1.Networks/List", c, in, out);
    }
    rpc::Status Remove(rpc::ClientContext* c, const v1::NetworkRequest& in, v1::Empty* out) const {
      return unary("/keel.v1.Networks/Remove", c, in, out);
    }
    rpc::Status Prune(rpc::ClientContext* c, const v1::PruneNetworksRequest& in,
                      v1::PruneNetworksResponse* out) const {
      return unary("/keel.v1.Networks/Prune", c, in, out);
    }
    rpc::Status Connect(rpc::ClientContext* c, const v1::ConnectNetworkRequest& in,
                        v1::Empty* out) const {
      return unary("/keel.v1.Networks/Connect", c, in, out);
    }
    rpc::Status Disconnect(rpc::ClientContext* c, const v1::DisconnectNetworkRequest& in,
                           v1::Empty* out) const {
      return unary("/keel.v1.Networks/Disconnect", c, in, out);
    }
  };
  static std::unique_ptr<Stub> NewStub(std::shared_ptr<rpc::Channel> channel) {
    return std::make_unique<Stub>(std::move(channel));
  }
};

struct Registry {
  class Stub : public StubBase {
   public:
    using StubBase::StubBase;
    rpc::Status Login(rpc::ClientContext* c, const v1::LoginRequest& in,
                      v1::LoginResponse* out) const {
      return unary("/keel.v1.Registry/Login", c, in, out);
    }
    rpc::Status Logout(rpc::ClientContext* c, const v1::LogoutRequest& in,
                       v1::LogoutResponse* out) const {
      return unary("/keel.v1.Registry/Logout", c, in, out);
    }
    rpc::Status ListTags(rpc::ClientContext* c, const v1::ListTagsRequest& in,
                         v1::ListTagsResponse* out) const {
      return unary("/keel.v1.Registry/ListTags", c, in, out);
    }
  };
  static std::unique_ptr<Stub> NewStub(std::shared_ptr<rpc::Channel> channel) {
    return std::make_unique<Stub>(std::move(channel));
  }
};

struct Tasks {
  class Stub : public StubBase {
   public:
    using StubBase::StubBase;
    rpc::Status Start(rpc::ClientContext* c, const v1::TaskRequest& in, v1::TaskStatus* out) const {
      return unary("/keel.v1.Tasks/Start", c, in, out);
    }
    rpc::Status Kill(rpc::ClientContext* c, const v1::KillRequest& in, v1::Empty* out) const {
      return unary("/keel.v1.Tasks/Kill", c, in, out);
    }
    rpc::Status Stop(rpc::ClientContext* c, const v1::StopRequest& in, v1::TaskStatus* out) const {
      return unary("/keel.v1.Tasks/Stop", c, in, out);
    }
    rpc::Status Restart(rpc::ClientContext* c, const v1::StopRequest& in,
                        v1::TaskStatus* out) const {
      return unary("/keel.v1.Tasks/Restart", c, in, out);
    }
    rpc::Status Pause(rpc::ClientContext* c, const v1::TaskRequest& in, v1::Empty* out) const {
      return unary("/keel.v1.Tasks/Pause", c, in, out);
    }
    rpc::Status Resume(rpc::ClientContext* c, const v1::TaskRequest& in, v1::Empty* out) const {
      return unary("/keel.v1.Tasks/Resume", c, in, out);
    }
    rpc::Status Wait(rpc::ClientContext* c, const v1::TaskRequest& in, v1::TaskStatus* out) const {
      return unary("/keel.v1.Tasks/Wait", c, in, out);
    }
    auto Exec(rpc::ClientContext* c) const {
      return bidi_streaming<v1::ExecRequest, v1::IoMessage>("/keel.v1.Tasks/Exec", c);
    }
    auto Attach(rpc::ClientContext* c) const {
      return bidi_streaming<v1::AttachRequest, v1::IoMessage>("/keel.v1.Tasks/Attach", c);
    }
    rpc::Status Top(rpc::ClientContext* c, const v1::TopRequest& in, v1::TopResponse* out) const {
      return unary("/keel.v1.Tasks/Top", c, in, out);
    }
    auto Stats(rpc::ClientContext* c, const v1::StatsRequest& in) const {
      return server_streaming<v1::StatsSample>("/keel.v1.Tasks/Stats", c, in);
    }
  };
  static std::unique_ptr<Stub> NewStub(std::shared_ptr<rpc::Channel> channel) {
    return std::make_unique<Stub>(std::move(channel));
  }
};

struct Version {
  class Stub : public StubBase {
   public:
    using StubBase::StubBase;
    rpc::Status Version(rpc::ClientContext* c, const v1::VersionRequest& in,
                        v1::VersionResponse* out) const {
      return unary("/keel.v1.Version/Version", c, in, out);
    }
  };
  static std::unique_ptr<Stub> NewStub(std::shared_ptr<rpc::Channel> channel) {
    return std::make_unique<Stub>(std::move(channel));
  }
};

}  // namespace keel::ctl::api
