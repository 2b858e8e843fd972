// Pins how keeld learns of OOM kills (manager/containers/shim_events.cpp over
// shimapi/event_receiver.cpp): shims' Events/Forward requests on a real socket, answered, and a
// TaskOOM seen before its container's TaskExit.
#include "manager/containers/shim_events.h"

#include <stdlib.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "containerd/events/task.pb.h"
#include "containerd/services/events/ttrpc/v1/events.pb.h"
#include "shimapi/ttrpc/client.h"

namespace keel::manager::containers {
namespace {

namespace stdfs = std::filesystem;
using namespace std::chrono_literals;

class ShimEventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/keel-events-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto events = ShimEvents::listen((dir_ / "events.sock").string());
    ASSERT_TRUE(events) << events.error().message();
    events_ = std::move(*events);
    auto client = ttrpc::Client::connect(events_->address());
    ASSERT_TRUE(client) << client.error().message();
    client_.emplace(std::move(*client));
  }
  void TearDown() override {
    client_.reset();
    events_.reset();
    stdfs::remove_all(dir_);
  }

  // Forwards one event as a shim does; the receiver's answer status.
  ttrpc::Code forward(const std::string& topic, const std::string& type_url,
                      const std::string& value) {
    containerd::services::events::ttrpc::v1::ForwardRequest request;
    request.mutable_envelope()->set_namespace_("keeld");
    request.mutable_envelope()->set_topic(topic);
    request.mutable_envelope()->mutable_event()->set_type_url(type_url);
    request.mutable_envelope()->mutable_event()->set_value(value);
    auto answer = client_->call("containerd.services.events.ttrpc.v1.Events", "Forward",
                                request.SerializeAsString(), 5s);
    EXPECT_TRUE(answer) << answer.error().message();
    return answer ? answer->status.code : ttrpc::Code::kUnknown;
  }
  ttrpc::Code oom(const std::string& id) {
    containerd::events::TaskOOM e;
    e.set_container_id(id);
    return forward("/tasks/oom", "containerd.events.TaskOOM", e.SerializeAsString());
  }
  ttrpc::Code exit(const std::string& id, const std::string& process_id) {
    containerd::events::TaskExit e;
    e.set_container_id(id);
    e.set_id(process_id);
    e.set_exit_status(137);
    return forward("/tasks/exit", "containerd.events.TaskExit", e.SerializeAsString());
  }

  stdfs::path dir_;
  std::unique_ptr<ShimEvents> events_;
  std::optional<ttrpc::Client> client_;
};

TEST_F(ShimEventsTest, AnOomBeforeTheInitsExitMarksTheContainer) {
  EXPECT_EQ(oom("c1"), ttrpc::Code::kOk);
  EXPECT_EQ(exit("c1", "exec-1"), ttrpc::Code::kOk);  // an exec's exit is not the task's
  EXPECT_FALSE(events_->await_exit("c1", 0ms));
  EXPECT_EQ(exit("c1", "c1"), ttrpc::Code::kOk);
  EXPECT_TRUE(events_->await_exit("c1", 5s));
  EXPECT_TRUE(events_->take_oom("c1"));
  EXPECT_FALSE(events_->take_oom("c1")) << "taken once, for one run";
}

TEST_F(ShimEventsTest, AnExitWithoutOomIsNoOom) {
  EXPECT_EQ(exit("c2", "c2"), ttrpc::Code::kOk);
  EXPECT_TRUE(events_->await_exit("c2", 5s));
  EXPECT_FALSE(events_->take_oom("c2"));
}

TEST_F(ShimEventsTest, RefusesOtherMethods) {
  auto answer = client_->call("containerd.task.v2.Task", "State", "", 5s);
  ASSERT_TRUE(answer) << answer.error().message();
  EXPECT_EQ(answer->status.code, ttrpc::Code::kUnimplemented);
}

}  // namespace
}  // namespace keel::manager::containers
