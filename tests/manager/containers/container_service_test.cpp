// Pins manager/containers/container_service and its task supervisor through a fake shim: the
// records and events of create, start, exit, restart policies, stop, exec, update, --rm and
// commit, without keel-shim or keel. The snapshotter is real (overlay mounts): root only.
#include "manager/containers/container_service.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "manager/content/store.h"
#include "manager/events/event_bus.h"
#include "manager/images/image_service.h"
#include "manager/images/snapshot_layers.h"
#include "manager/snapshots/snapshotter.h"
#include "tests/manager/containers/fake_shim.h"
#include "tests/manager/snapshots/layer_builder.h"
#include "tests/manager/store/sync_counting_vfs.h"

namespace keel::manager::containers {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsSupersetOf;
using ::testing::Not;
namespace layers = snapshots::testing;

// A keeld's worth of stores on a private root, one busybox-like image "base", and the service
// over the fake shims. Everything is removed (containers first, mounts and all) at the end.
class ServiceUnderTest {
 public:
  ServiceUnderTest() {
    auto db = store::Database::open(dir_ / "meta.db");
    EXPECT_TRUE(db) << db.error().message();
    db_ = std::make_unique<store::Database>(std::move(db).value());
    auto content = content::Store::open(dir_ / "content", *db_);
    EXPECT_TRUE(content) << content.error().message();
    content_ = std::move(content).value();
    auto snapshotter = snapshots::Snapshotter::open(*db_, dir_ / "root");
    EXPECT_TRUE(snapshotter) << snapshotter.error().message();
    snapshotter_ = std::move(snapshotter).value();
    layers_ = std::make_unique<images::SnapshotLayers>(*snapshotter_);
    auto images = images::ImageService::open(*db_, *content_, *layers_);
    EXPECT_TRUE(images) << images.error().message();
    images_ = std::move(images).value();
    images::ImportOptions import;
    import.ref = "base";
    import.changes = {"CMD [\"/bin/sh\"]", "ENV A=1"};
    const std::string rootfs = layers::LayerBuilder()
                                   .dir("bin")
                                   .file("bin/sh", "#!fake\n", layers::Meta().perm(0755))
                                   .dir("etc")
                                   .file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n")
                                   .file("etc/group", "root:x:0:\n")
                                   .finish();
    auto image = images_->import_rootfs(layers::read_from_string(rootfs), import);
    EXPECT_TRUE(image) << image.error().message();
    open();
  }
  ServiceUnderTest(const ServiceUnderTest&) = delete;
  ServiceUnderTest& operator=(const ServiceUnderTest&) = delete;
  ServiceUnderTest(ServiceUnderTest&&) = delete;
  ServiceUnderTest& operator=(ServiceUnderTest&&) = delete;
  ~ServiceUnderTest() {
    if (service_)
      if (auto all = service_->list())
        for (const auto& record : *all)
          (void)service_->remove(record.id, true, true);
    service_.reset();
    images_.reset();
    layers_.reset();
    snapshotter_.reset();
    content_.reset();
    db_.reset();
  }

  // A new service on the same stores: keeld restarting.
  void open() {
    service_.reset();
    ServiceOptions options;
    options.root = dir_ / "root";
    options.state = dir_ / "state";
    options.runtime = "/nonexistent/keel";
    options.shim = "/nonexistent/keel-shim";
    auto service =
        ContainerService::open(options, *db_, *images_, *snapshotter_, bus_, shims_.connector());
    ASSERT_TRUE(service) << service.error().message();
    service_ = std::move(service).value();
  }

  ContainerService& service() { return *service_; }
  void close() { service_.reset(); }
  testing::FakeShims& shims() { return shims_; }
  images::ImageService& images() { return *images_; }

  ContainerRecord create(RestartPolicy restart = {}, bool auto_remove = false) {
    CreateRequest request;
    request.image = "base";
    request.restart = std::move(restart);
    request.auto_remove = auto_remove;
    auto record = service_->create(request);
    EXPECT_TRUE(record) << record.error().message();
    return record ? *record : ContainerRecord{};
  }
  ContainerRecord record(const std::string& id) {
    auto record = service_->get(id);
    EXPECT_TRUE(record) << record.error().message();
    return record ? *record : ContainerRecord{};
  }
  // Polls the record until pred holds (the supervisor records exits on its own threads).
  bool eventually(const std::string& id, const std::function<bool(const ContainerRecord&)>& pred) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (auto current = service_->get(id); current && pred(*current))
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  // The container events so far, as "action" or "action key=value" for the attribute asked.
  std::vector<std::string> actions(const std::string& id, const std::string& attribute = "") {
    auto subscription = bus_.subscribe([&](const events::Event& e) { return e.id == id; },
                                       events::Clock::time_point{});
    std::vector<std::string> out;
    while (auto event = subscription->next(std::chrono::milliseconds(0))) {
      std::string text = event->action;
      if (!attribute.empty() && event->attributes.contains(attribute))
        text += " " + attribute + "=" + event->attributes.at(attribute);
      out.push_back(text);
    }
    return out;
  }
  // The events once there are `count` of them (or 10 s passed): a record is saved before its
  // event is published, so a poll of the record can see an exit before its "die" is out.
  std::vector<std::string> actions_once(const std::string& id, std::size_t count) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    auto out = actions(id);
    while (out.size() < count && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      out = actions(id);
    }
    return out;
  }

 private:
  layers::TempDir temp_;
  std::filesystem::path dir_ = temp_.path();
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<content::Store> content_;
  std::unique_ptr<snapshots::Snapshotter> snapshotter_;
  std::unique_ptr<images::SnapshotLayers> layers_;
  std::unique_ptr<images::ImageService> images_;
  events::EventBus bus_;
  testing::FakeShims shims_;
  std::unique_ptr<ContainerService> service_;
};

class ContainerServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!layers::is_root())
      GTEST_SKIP() << "needs root (overlay mounts of the container rootfs)";
    sut_ = std::make_unique<ServiceUnderTest>();
  }
  void TearDown() override { sut_.reset(); }
  std::unique_ptr<ServiceUnderTest> sut_;
};

TEST_F(ContainerServiceTest, CreateWritesTheBundleAndARecordInCreated) {
  const auto created = sut_->create();
  EXPECT_EQ(created.state.status, Status::kCreated);
  EXPECT_TRUE(std::filesystem::exists(created.bundle + "/config.json"));
  EXPECT_TRUE(std::filesystem::exists(created.bundle + "/init-stdout"));
  EXPECT_EQ(created.command, (std::vector<std::string>{"/bin/sh"}));
  EXPECT_TRUE(std::filesystem::exists(created.bundle + "/rootfs/bin/sh"));
  EXPECT_EQ(sut_->shims().launches(created.id), 0);
  EXPECT_THAT(sut_->actions(created.id), ElementsAre("create"));
}

TEST_F(ContainerServiceTest, StartLaunchesAShimAndRecordsTheInitRunning) {
  const auto created = sut_->create();
  auto started = sut_->service().start(created.id);
  ASSERT_TRUE(started) << started.error().message();
  EXPECT_EQ(started->state.status, Status::kRunning);
  EXPECT_GT(started->state.pid, 0);
  EXPECT_EQ(sut_->shims().launches(created.id), 1);
  auto init = sut_->shims().process(created.id);
  ASSERT_TRUE(init);
  EXPECT_EQ(init->stdio.stdout_path, created.bundle + "/init-stdout");
  EXPECT_EQ(init->stdio.stderr_path, created.bundle + "/init-stderr");
  EXPECT_EQ(sut_->record(created.id).state.status, Status::kRunning);
  EXPECT_THAT(sut_->actions(created.id), ElementsAre("create", "start"));
}

// Holds each launch (up to a deadline) until `wanted` launches have begun, and counts how many
// were in progress at once.
class LaunchGate {
 public:
  explicit LaunchGate(int wanted) : wanted_(wanted) {}
  void enter() {
    std::unique_lock lock(mutex_);
    ++arrived_;
    ++inside_;
    most_ = std::max(most_, inside_);
    changed_.notify_all();
    changed_.wait_for(lock, std::chrono::seconds(5), [&] { return arrived_ >= wanted_; });
    --inside_;
  }
  int most() {
    std::lock_guard lock(mutex_);
    return most_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int wanted_;
  int arrived_ = 0;
  int inside_ = 0;
  int most_ = 0;
};

TEST_F(ContainerServiceTest, StartsOfDifferentContainersOverlap) {
  const auto first = sut_->create();
  const auto second = sut_->create();
  LaunchGate gate(2);
  sut_->shims().on_launch = [&](const std::string&) { gate.enter(); };
  Result<ContainerRecord> first_started = Error::of(Errc::kInternal, "not run");
  std::thread other([&] { first_started = sut_->service().start(first.id); });
  auto second_started = sut_->service().start(second.id);
  other.join();
  sut_->shims().on_launch = nullptr;
  ASSERT_TRUE(first_started) << first_started.error().message();
  ASSERT_TRUE(second_started) << second_started.error().message();
  EXPECT_EQ(gate.most(), 2);  // both shims were being launched at once
  EXPECT_EQ(sut_->record(first.id).state.status, Status::kRunning);
  EXPECT_EQ(sut_->record(second.id).state.status, Status::kRunning);
}

TEST_F(ContainerServiceTest, RemoveWaitsForAStartOfTheSameContainerInFlight) {
  const auto created = sut_->create();
  std::mutex mutex;
  std::condition_variable changed;
  bool launching = false;
  sut_->shims().on_launch = [&](const std::string&) {
    {
      std::lock_guard lock(mutex);
      launching = true;
    }
    changed.notify_all();
    // Long enough for the rm below to arrive while the start is still in its launch.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  };
  Result<ContainerRecord> started = Error::of(Errc::kInternal, "not run");
  std::thread starter([&] { started = sut_->service().start(created.id); });
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(10), [&] { return launching; }));
  }
  auto removed = sut_->service().remove(created.id, true, true);
  starter.join();
  sut_->shims().on_launch = nullptr;
  ASSERT_TRUE(started) << started.error().message();
  ASSERT_TRUE(removed) << removed.error().message();
  // rm saw the container running (the start done), so it killed the task before removing it.
  EXPECT_THAT(sut_->shims().signals(created.id), ElementsAre(SIGKILL));
  EXPECT_TRUE(sut_->shims().shut_down(created.id));
  EXPECT_FALSE(sut_->service().get(created.id));
  EXPECT_FALSE(std::filesystem::exists(created.bundle));
  EXPECT_THAT(sut_->actions(created.id), ElementsAre("create", "start", "die", "destroy"));
}

TEST_F(ContainerServiceTest, ConcurrentCreatesWithOneNameLetOneWin) {
  constexpr int kCreates = 4;
  std::vector<Result<ContainerRecord>> results(kCreates, Error::of(Errc::kInternal, "not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kCreates; ++i)
    threads.emplace_back([&, i] {
      CreateRequest request;
      request.image = "base";
      request.name = "only-one";
      results[i] = sut_->service().create(request);
    });
  for (auto& thread : threads)
    thread.join();
  int created = 0;
  for (const auto& result : results) {
    if (result) {
      ++created;
      continue;
    }
    EXPECT_EQ(result.error().kind(), Errc::kAlreadyExists) << result.error().message();
  }
  EXPECT_EQ(created, 1);
  auto all = sut_->service().list();
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 1u);
}

TEST_F(ContainerServiceTest, AnExitIsRecordedWithItsCodeAndTheShimIsReleased) {
  const auto created = sut_->create();
  ASSERT_TRUE(sut_->service().start(created.id));
  sut_->shims().exit(created.id, 3);
  auto done = sut_->service().wait(created.id, {});
  ASSERT_TRUE(done) << done.error().message();
  EXPECT_EQ(done->state.status, Status::kExited);
  EXPECT_EQ(done->state.exit_code, 3);
  EXPECT_EQ(done->state.pid, 0);
  EXPECT_TRUE(sut_->shims().shut_down(created.id));
  EXPECT_THAT(sut_->actions(created.id, "exitCode"),
              ElementsAre("create", "start", "die exitCode=3"));
}

TEST_F(ContainerServiceTest, OnFailureRestartsUntilMaxRetriesThenStaysExited) {
  const auto created = sut_->create(RestartPolicy{.name = "on-failure", .max_retries = 2});
  ASSERT_TRUE(sut_->service().start(created.id));
  sut_->shims().exit(created.id, 1);
  ASSERT_TRUE(sut_->shims().wait_running(created.id, 2));
  EXPECT_TRUE(sut_->eventually(created.id, [](const ContainerRecord& r) {
    return r.state.status == Status::kRunning && r.state.restart_count == 1;
  }));
  sut_->shims().exit(created.id, 1);
  ASSERT_TRUE(sut_->shims().wait_running(created.id, 3));
  EXPECT_TRUE(sut_->eventually(created.id, [](const ContainerRecord& r) {
    return r.state.status == Status::kRunning && r.state.restart_count == 2;
  }));
  sut_->shims().exit(created.id, 1);
  EXPECT_TRUE(sut_->eventually(created.id, [](const ContainerRecord& r) {
    return r.state.status == Status::kExited && r.state.exit_code == 1;
  }));
  EXPECT_EQ(sut_->shims().launches(created.id), 3);
  EXPECT_THAT(sut_->actions_once(created.id, 7),
              ElementsAre("create", "start", "die", "start", "die", "start", "die"));
}

TEST_F(ContainerServiceTest, ASuccessfulExitIsNotRestartedOnFailure) {
  const auto created = sut_->create(RestartPolicy{.name = "on-failure", .max_retries = 0});
  ASSERT_TRUE(sut_->service().start(created.id));
  sut_->shims().exit(created.id, 0);
  EXPECT_TRUE(sut_->eventually(
      created.id, [](const ContainerRecord& r) { return r.state.status == Status::kExited; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // past the first back-off
  EXPECT_EQ(sut_->shims().launches(created.id), 1);
}

TEST_F(ContainerServiceTest, StopSendsTheStopSignalAndKeepsAnAlwaysPolicyDown) {
  const auto created = sut_->create(RestartPolicy{.name = "always", .max_retries = 0});
  ASSERT_TRUE(sut_->service().start(created.id));
  auto stopped = sut_->service().stop(created.id, 10);
  ASSERT_TRUE(stopped) << stopped.error().message();
  EXPECT_EQ(stopped->state.status, Status::kExited);
  EXPECT_EQ(stopped->state.exit_code, 128 + SIGTERM);
  EXPECT_TRUE(stopped->state.stopped_by_user);
  EXPECT_THAT(sut_->shims().signals(created.id), ElementsAre(SIGTERM));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // past the first back-off
  EXPECT_EQ(sut_->shims().launches(created.id), 1);
  EXPECT_THAT(sut_->actions(created.id, "signal"),
              ElementsAre("create", "start", "kill signal=15", "die", "stop"));
}

TEST_F(ContainerServiceTest, StopEscalatesToSigkillAfterTheTimeout) {
  sut_->shims().dies_of = [](int signal) { return signal == SIGKILL; };
  const auto created = sut_->create();
  ASSERT_TRUE(sut_->service().start(created.id));
  auto stopped = sut_->service().stop(created.id, 0);
  ASSERT_TRUE(stopped) << stopped.error().message();
  EXPECT_EQ(stopped->state.exit_code, 128 + SIGKILL);
  EXPECT_THAT(sut_->shims().signals(created.id), ElementsAre(SIGTERM, SIGKILL));
}

TEST_F(ContainerServiceTest, AutoRemoveDropsTheRecordAndWaitStillGetsTheExit) {
  const auto created = sut_->create({}, true);
  ASSERT_TRUE(sut_->service().start(created.id));
  sut_->shims().exit(created.id, 5);
  auto done = sut_->service().wait(created.id, {});
  ASSERT_TRUE(done) << done.error().message();
  EXPECT_EQ(done->state.exit_code, 5);
  EXPECT_FALSE(sut_->service().get(created.id));
  EXPECT_FALSE(std::filesystem::exists(created.bundle));
  EXPECT_THAT(sut_->actions(created.id), ElementsAre("create", "start", "die", "destroy"));
}

TEST_F(ContainerServiceTest, ExecRunsTheContainersProcessWithTheRequestOnTop) {
  const auto created = sut_->create();
  ASSERT_TRUE(sut_->service().start(created.id));
  ExecRequest request;
  request.cmd = {"ls", "-l"};
  request.env = {"A=2", "B=3"};
  request.working_dir = "/etc";
  request.user = "0:0";
  request.privileged = true;
  auto handle = sut_->service().exec(created.id, request);
  ASSERT_TRUE(handle) << handle.error().message();
  EXPECT_TRUE(std::filesystem::exists(handle->stdio.stdout_path));
  auto added = sut_->shims().process(created.id, handle->exec_id);
  ASSERT_TRUE(added);
  const auto process = nlohmann::json::parse(added->process_json);
  EXPECT_EQ(process["args"], nlohmann::json({"ls", "-l"}));
  EXPECT_THAT(process["env"].get<std::vector<std::string>>(), IsSupersetOf({"A=2", "B=3"}));
  EXPECT_THAT(process["env"].get<std::vector<std::string>>(), Not(Contains("A=1")));
  EXPECT_EQ(process["cwd"], "/etc");
  EXPECT_EQ(process["user"]["uid"], 0);
  EXPECT_THAT(process["capabilities"]["effective"].get<std::vector<std::string>>(),
              Contains("CAP_SYS_ADMIN"));

  ASSERT_TRUE(sut_->service().start_exec(*handle));
  EXPECT_GT(handle->pid, 0);
  sut_->shims().exit(created.id, 7, handle->exec_id);
  auto code = sut_->service().wait_exec(*handle);
  ASSERT_TRUE(code) << code.error().message();
  EXPECT_EQ(*code, 7);
  EXPECT_FALSE(std::filesystem::exists(handle->stdio.stdout_path));
  EXPECT_FALSE(sut_->shims().process(created.id, handle->exec_id));
  EXPECT_THAT(sut_->actions(created.id), ElementsAre("create", "start", "exec_start"));
}

TEST_F(ContainerServiceTest, ADetachedExecIsReapedByTheService) {
  const auto created = sut_->create();
  ASSERT_TRUE(sut_->service().start(created.id));
  ExecRequest request;
  request.cmd = {"sleep", "1"};
  auto handle = sut_->service().exec(created.id, request);
  ASSERT_TRUE(handle) << handle.error().message();
  ASSERT_TRUE(sut_->service().start_exec(*handle));
  ASSERT_TRUE(sut_->service().detach_exec(*handle));
  sut_->shims().exit(created.id, 0, handle->exec_id);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (sut_->shims().process(created.id, handle->exec_id) &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_FALSE(sut_->shims().process(created.id, handle->exec_id));
  EXPECT_FALSE(std::filesystem::exists(handle->stdio.stdout_path));
}

TEST_F(ContainerServiceTest, ExecRefusesAStoppedContainer) {
  const auto created = sut_->create();
  ExecRequest request;
  request.cmd = {"true"};
  auto handle = sut_->service().exec(created.id, request);
  ASSERT_FALSE(handle);
  EXPECT_EQ(handle.error().kind(), Errc::kFailedPrecondition);
}

TEST_F(ContainerServiceTest, UpdateSendsOnlyTheNewLimitsAndKeepsThemForTheNextStart) {
  const auto created = sut_->create();
  ASSERT_TRUE(sut_->service().start(created.id));
  auto updated = sut_->service().update(created.id, 64 << 20, 500, 0, std::nullopt);
  ASSERT_TRUE(updated) << updated.error().message();
  const auto updates = sut_->shims().updates(created.id);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(updates[0]),
            nlohmann::json::parse(R"({"memory": {"limit": 67108864},
                                      "cpu": {"quota": 50000, "period": 100000}})"));
  auto on_disk = fs::read_file(created.bundle + "/config.json");
  ASSERT_TRUE(on_disk);
  const auto spec = nlohmann::json::parse(*on_disk);
  EXPECT_EQ(spec["linux"]["resources"]["memory"]["limit"], 64 << 20);
  EXPECT_EQ(spec["linux"]["resources"]["cpu"]["quota"], 50000);
  EXPECT_EQ(nlohmann::json::parse(updated->spec_json), spec);
  // The stored spec has the new limits too: the next start and inspect read them there.
  auto inspected = sut_->service().inspect(created.id);
  ASSERT_TRUE(inspected) << inspected.error().message();
  EXPECT_EQ(nlohmann::json::parse(inspected->spec_json), spec);
  EXPECT_THAT(sut_->actions(created.id), ElementsAre("create", "start", "update"));
}

TEST_F(ContainerServiceTest, InspectCarriesTheSpecThatGetAndListLeaveOut) {
  const auto created = sut_->create();
  auto on_disk = fs::read_file(created.bundle + "/config.json");
  ASSERT_TRUE(on_disk);
  auto inspected = sut_->service().inspect(created.id);
  ASSERT_TRUE(inspected) << inspected.error().message();
  EXPECT_EQ(inspected->spec_json, *on_disk);
  auto got = sut_->service().get(created.id);
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_EQ(got->id, created.id);
  EXPECT_TRUE(got->spec_json.empty());
  auto all = sut_->service().list();
  ASSERT_TRUE(all) << all.error().message();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_TRUE(all->front().spec_json.empty());
  EXPECT_FALSE(sut_->service().inspect(std::string(64, 'f')));
}

TEST_F(ContainerServiceTest, RemoveForceKillsARunningContainer) {
  const auto created = sut_->create();
  ASSERT_TRUE(sut_->service().start(created.id));
  auto refused = sut_->service().remove(created.id, false, false);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind(), Errc::kFailedPrecondition);
  ASSERT_TRUE(sut_->service().remove(created.id, true, true));
  EXPECT_THAT(sut_->shims().signals(created.id), ElementsAre(SIGKILL));
  EXPECT_FALSE(sut_->service().get(created.id));
  EXPECT_FALSE(std::filesystem::exists(created.bundle));
}

// rm -f of a running container asks the disk for one synced commit, the snapshot's removal,
// which makes its "removing" durable before any file goes: each one more was an fsync that every
// other write of keeld waited behind.
TEST_F(ContainerServiceTest, ForcedRemovalSyncsTheDatabaseForOneCommitOnly) {
  sut_.reset();
  store::testing::SyncCountingVfs vfs;  // before the database opens, and outliving it
  sut_ = std::make_unique<ServiceUnderTest>();
  const auto created = sut_->create();
  ASSERT_TRUE(sut_->service().start(created.id));
  // What one synced commit costs here: the rename is one synced write of the record.
  const std::size_t before_rename = vfs.syncs();
  ASSERT_TRUE(sut_->service().rename(created.id, "renamed"));
  const std::size_t one_commit = vfs.syncs() - before_rename;
  ASSERT_GT(one_commit, 0U);

  const std::size_t before_rm = vfs.syncs();
  ASSERT_TRUE(sut_->service().remove(created.id, true, true));
  EXPECT_EQ(vfs.syncs() - before_rm, one_commit);
  EXPECT_FALSE(sut_->service().get(created.id));
  EXPECT_FALSE(std::filesystem::exists(created.bundle));
  sut_.reset();
}

TEST_F(ContainerServiceTest, ARestartedServiceWatchesRunningContainersAgain) {
  const auto created = sut_->create();
  ASSERT_TRUE(sut_->service().start(created.id));
  sut_->open();  // keeld restarts; the task keeps running under its shim
  EXPECT_EQ(sut_->record(created.id).state.status, Status::kRunning);
  sut_->shims().exit(created.id, 9);
  EXPECT_TRUE(sut_->eventually(created.id, [](const ContainerRecord& r) {
    return r.state.status == Status::kExited && r.state.exit_code == 9;
  }));
}

TEST_F(ContainerServiceTest, AnExitWhileTheServiceWasDownIsRecordedAtOpen) {
  const auto created = sut_->create();
  ASSERT_TRUE(sut_->service().start(created.id));
  sut_->close();
  sut_->shims().exit(created.id, 4);
  sut_->open();
  const auto record = sut_->record(created.id);
  EXPECT_EQ(record.state.status, Status::kExited);
  EXPECT_EQ(record.state.exit_code, 4);
}

// After a reboot an --rm container's shim is gone: recovery records the lost exit and removes
// the container, as docker does, whether or not its last state reached the disk.
TEST_F(ContainerServiceTest, AnRmContainerWhoseShimVanishedIsRemovedAtOpen) {
  const auto created = sut_->create({}, true);
  ASSERT_TRUE(sut_->service().start(created.id));
  sut_->close();
  sut_->shims().vanish(created.id);
  sut_->open();
  EXPECT_FALSE(sut_->service().get(created.id));
  EXPECT_FALSE(std::filesystem::exists(created.bundle));
}

TEST_F(ContainerServiceTest, ShutdownStopsWatchersAndPendingRestarts) {
  const auto running = sut_->create();
  ASSERT_TRUE(sut_->service().start(running.id));
  const auto restarting = sut_->create(RestartPolicy{.name = "always", .max_retries = 0});
  ASSERT_TRUE(sut_->service().start(restarting.id));
  sut_->shims().exit(restarting.id, 1);
  ASSERT_TRUE(sut_->eventually(restarting.id, [](const ContainerRecord& r) {
    return r.state.status == Status::kRestarting || r.state.restart_count > 0;
  }));
  sut_->service().shutdown();
  EXPECT_EQ(sut_->shims().waiting(), 0);  // no thread of keeld blocks in a shim
  const int launches = sut_->shims().launches(restarting.id);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(sut_->shims().launches(restarting.id), launches);  // no restart after shutdown
  sut_->open();  // so the teardown's rm -f has watchers to see the kills
}

TEST_F(ContainerServiceTest, CommitResumesTheContainerItPaused) {
  const auto created = sut_->create();
  ASSERT_TRUE(sut_->service().start(created.id));
  ASSERT_TRUE(fs::write_file_atomic(created.bundle + "/rootfs/etc/added", "new\n"));
  auto image = sut_->service().commit(created.id, "committed", {}, "a message", "", true);
  ASSERT_TRUE(image) << image.error().message();
  EXPECT_EQ(image->layers.size(), 2u);
  EXPECT_EQ(sut_->record(created.id).state.status, Status::kRunning);
  EXPECT_THAT(sut_->actions(created.id),
              ElementsAre("create", "start", "pause", "unpause", "commit"));
}

TEST_F(ContainerServiceTest, GcRootsHoldTheImageOfEveryContainer) {
  const auto created = sut_->create();
  auto roots = sut_->service().gc_roots();
  ASSERT_TRUE(roots) << roots.error().message();
  auto image = sut_->images().get("base");
  ASSERT_TRUE(image);
  EXPECT_TRUE(roots->content.contains(image->id));
  EXPECT_TRUE(sut_->service().image_in_use(image->id.str()));
}

}  // namespace
}  // namespace keel::manager::containers
