// Pins how keeld learns of OOM kills (manager/containers/shim_events.cpp over
// shimapi/event_receiver.cpp): shims' Events/Forward requests on a real socket, answered, and a
// TaskOOM seen before its container's TaskExit.
#include "manager/containers/shim_events.h"

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

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
    events_->set_exit_handler(
        [this](const std::string& id, const std::string& exec_id, const TaskExit& exit) {
          // The receiver's thread answers the shim after the handler: the test reads after.
          exits_.push_back({id, exec_id, exit});
        });
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
    e.set_pid(4242);
    e.mutable_exited_at()->set_seconds(1700000000);
    e.mutable_exited_at()->set_nanos(5);
    return forward("/tasks/exit", "containerd.events.TaskExit", e.SerializeAsString());
  }

  struct Reported {
    std::string id;
    std::string exec_id;
    TaskExit exit;
  };

  stdfs::path dir_;
  std::vector<Reported> exits_;
  std::unique_ptr<ShimEvents> events_;
  std::optional<ttrpc::Client> client_;
};

TEST_F(ShimEventsTest, AnOomBeforeTheInitsExitIsRecordedBeforeTheExitIsHandled) {
  EXPECT_EQ(oom("c1"), ttrpc::Code::kOk);
  EXPECT_EQ(exit("c1", "exec-1"), ttrpc::Code::kOk);
  EXPECT_EQ(exit("c1", "c1"), ttrpc::Code::kOk);
  ASSERT_EQ(exits_.size(), 2U);
  EXPECT_EQ(exits_[0].exec_id, "exec-1") << "an exec's exit names its process";
  EXPECT_EQ(exits_[1].id, "c1");
  EXPECT_EQ(exits_[1].exec_id, "") << "the init's exit has no exec id";
  EXPECT_EQ(exits_[1].exit.exit_status, 137);
  EXPECT_EQ(exits_[1].exit.pid, 4242);
  EXPECT_EQ(exits_[1].exit.exited_at_ns, 1'700'000'000'000'000'005LL);
  EXPECT_TRUE(events_->take_oom("c1"));
  EXPECT_FALSE(events_->take_oom("c1")) << "taken once, for one run";
}

TEST_F(ShimEventsTest, AnExitWithoutOomIsNoOom) {
  EXPECT_EQ(exit("c2", "c2"), ttrpc::Code::kOk);
  EXPECT_EQ(exits_.size(), 1U);
  EXPECT_FALSE(events_->take_oom("c2"));
}

TEST_F(ShimEventsTest, RefusesOtherMethods) {
  auto answer = client_->call("containerd.task.v2.Task", "State", "", 5s);
  ASSERT_TRUE(answer) << answer.error().message();
  EXPECT_EQ(answer->status.code, ttrpc::Code::kUnimplemented);
}

}  // namespace
}  // namespace keel::manager::containers
