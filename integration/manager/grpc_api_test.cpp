// keeld's API through its own generated C++ client over the unix socket: Version, Images (import,
// list, get, tag, remove) with their status codes, Snapshots' conflicts, and Events in order.
#include <chrono>
#include <thread>

#include <google/protobuf/timestamp.pb.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "integration/manager/archives.h"
#include "integration/manager/grpc_client.h"
#include "integration/manager/manager_test.h"

namespace keel::it {
namespace {

using grpc::StatusCode;

class GrpcApi : public ManagerTest {
 protected:
  void SetUp() override {
    ManagerTest::SetUp();
    if (IsSkipped() || HasFatalFailure())
      return;
    channel_ = channel_to(keeld_);
    images_ = keel::v1::Images::NewStub(channel_);
  }

  void TearDown() override {
    images_.reset();
    channel_.reset();
    ManagerTest::TearDown();
  }

  // Imports `tar` through Images.Import, streamed in 64 KiB chunks after the header.
  grpc::Status import(const std::string& tar, const std::string& ref,
                      const std::vector<std::string>& changes, keel::v1::Image& image) {
    auto context = context_with_deadline();
    auto writer = images_->Import(context.get(), &image);
    keel::v1::ImportRequest header;
    header.mutable_header()->set_ref(ref);
    for (const auto& change : changes)
      header.mutable_header()->add_changes(change);
    header.mutable_header()->set_message("from the gRPC test");
    EXPECT_TRUE(writer->Write(header));
    for (size_t offset = 0; offset < tar.size(); offset += 64 << 10) {
      keel::v1::ImportRequest part;
      part.set_data(tar.substr(offset, 64 << 10));
      if (!writer->Write(part))
        break;
    }
    writer->WritesDone();
    return writer->Finish();
  }

  grpc::Status get(const std::string& ref, keel::v1::Image& image) {
    keel::v1::GetImageRequest request;
    request.set_ref(ref);
    return images_->Get(context_with_deadline().get(), request, &image);
  }

  grpc::Status tag(const std::string& source, const std::string& target, keel::v1::Image& image) {
    keel::v1::TagImageRequest request;
    request.set_source(source);
    request.set_target(target);
    return images_->Tag(context_with_deadline().get(), request, &image);
  }

  grpc::Status remove(const std::vector<std::string>& refs, bool force,
                      keel::v1::RemoveImageResponse& response) {
    keel::v1::RemoveImageRequest request;
    for (const auto& ref : refs)
      request.add_refs(ref);
    request.set_force(force);
    return images_->Remove(context_with_deadline().get(), request, &response);
  }

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<keel::v1::Images::Stub> images_;
};

// Status code and a message a person can read, or the status printed when not.
::testing::AssertionResult has_code(const grpc::Status& status, StatusCode code) {
  if (status.error_code() == code && (code == StatusCode::OK || !status.error_message().empty()))
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "status " << status.error_code() << " \"" << status.error_message() << "\", expected "
         << code << " with a message";
}

TEST_F(GrpcApi, VersionNamesKeeldAndTheApi) {
  auto version = keel::v1::Version::NewStub(channel_);
  keel::v1::VersionResponse response;
  ASSERT_TRUE(
      has_code(version->Version(context_with_deadline().get(), {}, &response), StatusCode::OK));
  EXPECT_EQ(response.api_version(), "v1");
  EXPECT_FALSE(response.version().empty());
  // docker reports "linux"; uname's "Linux" names the same.
  EXPECT_TRUE(response.os() == "linux" || response.os() == "Linux") << response.os();
  EXPECT_FALSE(response.arch().empty());
  EXPECT_FALSE(response.kernel().empty());

  // keelctl version reports the same server version.
  const auto out = keeld_.ctl_ok({"version"});
  EXPECT_NE(out.find(response.version()), std::string::npos) << out;
}

TEST_F(GrpcApi, ImagesImportListGetTagRemoveWithStatusCodes) {
  const std::string tar = busybox_rootfs_tar();
  keel::v1::Image imported;
  ASSERT_TRUE(has_code(import(tar, "it/api:1", {"ENV FROM=grpc", "CMD [\"sh\"]"}, imported),
                       StatusCode::OK));
  const std::string id = imported.id();
  EXPECT_EQ(std::vector<std::string>(imported.repo_tags().begin(), imported.repo_tags().end()),
            std::vector<std::string>({"docker.io/it/api:1"}));
  EXPECT_EQ(id, digest_of(imported.config_json()));
  ASSERT_EQ(imported.diff_ids_size(), 1);
  EXPECT_EQ(imported.diff_ids(0), digest_of(tar));
  const auto config = nlohmann::json::parse(imported.config_json(), nullptr, false);
  EXPECT_EQ(config["config"]["Env"], nlohmann::json({"FROM=grpc"}));
  EXPECT_EQ(config["config"]["Cmd"], nlohmann::json({"sh"}));

  keel::v1::ListImagesRequest list_request;
  keel::v1::ListImagesResponse listed;
  ASSERT_TRUE(has_code(images_->List(context_with_deadline().get(), list_request, &listed),
                       StatusCode::OK));
  ASSERT_EQ(listed.images_size(), 1);
  EXPECT_EQ(listed.images(0).id(), id);
  EXPECT_EQ(listed.images(0).target().digest(), imported.target().digest());

  // Get by short name, full name, id, id prefix with and without "sha256:".
  for (const std::string& ref : std::vector<std::string>{"it/api:1", "docker.io/it/api:1", id,
                                                         id.substr(7, 12), id.substr(0, 7 + 12)}) {
    keel::v1::Image got;
    EXPECT_TRUE(has_code(get(ref, got), StatusCode::OK)) << ref;
    EXPECT_EQ(got.id(), id) << ref;
  }
  keel::v1::Image unused;
  EXPECT_TRUE(has_code(get("it/missing:1", unused), StatusCode::NOT_FOUND));
  EXPECT_TRUE(has_code(get("it/api:2", unused), StatusCode::NOT_FOUND));
  EXPECT_TRUE(has_code(get("Upper/Case:1", unused), StatusCode::INVALID_ARGUMENT));
  EXPECT_TRUE(has_code(get("it/api:bad tag", unused), StatusCode::INVALID_ARGUMENT));

  // Tag: a missing source, an invalid target, a target with a digest; then the real one.
  EXPECT_TRUE(has_code(tag("it/missing:1", "it/api:2", unused), StatusCode::NOT_FOUND));
  EXPECT_TRUE(has_code(tag("it/api:1", "Upper/Case:1", unused), StatusCode::INVALID_ARGUMENT));
  EXPECT_TRUE(has_code(tag("it/api:1", "it/api@" + imported.target().digest(), unused),
                       StatusCode::INVALID_ARGUMENT));
  keel::v1::Image tagged;
  ASSERT_TRUE(has_code(tag("it/api:1", "it/api:2", tagged), StatusCode::OK));
  EXPECT_EQ(tagged.id(), id);
  EXPECT_EQ(std::set<std::string>(tagged.repo_tags().begin(), tagged.repo_tags().end()),
            (std::set<std::string>{"docker.io/it/api:1", "docker.io/it/api:2"}));

  // Remove: missing → NOT_FOUND; by id while two names point at it → FAILED_PRECONDITION, and
  // the refused request changed nothing.
  keel::v1::RemoveImageResponse removed;
  EXPECT_TRUE(has_code(remove({"it/missing:1"}, false, removed), StatusCode::NOT_FOUND));
  EXPECT_TRUE(has_code(remove({id}, false, removed), StatusCode::FAILED_PRECONDITION));
  keel::v1::Image still;
  EXPECT_TRUE(has_code(get("it/api:2", still), StatusCode::OK));

  removed.Clear();
  ASSERT_TRUE(has_code(remove({"it/api:2"}, false, removed), StatusCode::OK));
  EXPECT_EQ(std::vector<std::string>(removed.untagged().begin(), removed.untagged().end()),
            std::vector<std::string>({"docker.io/it/api:2"}));
  EXPECT_EQ(removed.deleted_size(), 0);
  EXPECT_TRUE(has_code(get("it/api:1", still), StatusCode::OK));

  removed.Clear();
  ASSERT_TRUE(has_code(remove({"it/api:1"}, false, removed), StatusCode::OK));
  EXPECT_EQ(std::vector<std::string>(removed.deleted().begin(), removed.deleted().end()),
            std::vector<std::string>({id}));
  EXPECT_GT(removed.space_reclaimed(), 0);
  EXPECT_TRUE(has_code(get(id, unused), StatusCode::NOT_FOUND));
  listed.Clear();
  list_request.set_all(true);
  ASSERT_TRUE(images_->List(context_with_deadline().get(), list_request, &listed).ok());
  EXPECT_EQ(listed.images_size(), 0);
}

TEST_F(GrpcApi, SnapshotConflictsAndMissingKeys) {
  const auto layer = TarBuilder().file("f", "x\n").finish();
  ASSERT_EQ(load(docker_archive({layer}, "it/snap:1").archive).exit_code, 0);
  const std::string chain = digest_of(layer);
  auto snapshots = keel::v1::Snapshots::NewStub(channel_);

  keel::v1::SnapshotRequest stat;
  stat.set_key(chain);
  keel::v1::SnapshotInfo info;
  ASSERT_TRUE(
      has_code(snapshots->Stat(context_with_deadline().get(), stat, &info), StatusCode::OK));
  EXPECT_EQ(info.kind(), keel::v1::SNAPSHOT_KIND_COMMITTED);
  stat.set_key("it-missing");
  EXPECT_TRUE(
      has_code(snapshots->Stat(context_with_deadline().get(), stat, &info), StatusCode::NOT_FOUND));

  keel::v1::PrepareSnapshotRequest prepare;
  prepare.set_key("it-active");
  prepare.set_parent(chain);
  keel::v1::MountsResponse mounts;
  ASSERT_TRUE(has_code(snapshots->Prepare(context_with_deadline().get(), prepare, &mounts),
                       StatusCode::OK));
  mounts.Clear();
  EXPECT_TRUE(has_code(snapshots->Prepare(context_with_deadline().get(), prepare, &mounts),
                       StatusCode::ALREADY_EXISTS));
  prepare.set_key("it-orphan");
  prepare.set_parent("sha256:" + std::string(64, '0'));
  EXPECT_TRUE(has_code(snapshots->Prepare(context_with_deadline().get(), prepare, &mounts),
                       StatusCode::NOT_FOUND));

  // The layer has a child now: removing it is refused until the child is gone.
  keel::v1::SnapshotRequest remove;
  remove.set_key(chain);
  keel::v1::Empty empty;
  EXPECT_TRUE(has_code(snapshots->Remove(context_with_deadline().get(), remove, &empty),
                       StatusCode::FAILED_PRECONDITION));
  remove.set_key("it-active");
  EXPECT_TRUE(
      has_code(snapshots->Remove(context_with_deadline().get(), remove, &empty), StatusCode::OK));
  EXPECT_TRUE(has_code(snapshots->Remove(context_with_deadline().get(), remove, &empty),
                       StatusCode::NOT_FOUND));
}

TEST_F(GrpcApi, EventsArriveInOrder) {
  keel::v1::Image imported;
  ASSERT_TRUE(has_code(import(TarBuilder().file("f", "x\n").finish(), "it/ev:1", {}, imported),
                       StatusCode::OK));
  const std::string id = imported.id();

  // Subscribed from a moment after the import: events from then on, whether they happened
  // before the subscription reached keeld or after.
  const auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  google::protobuf::Timestamp since;
  since.set_seconds(now / 1'000'000'000);
  since.set_nanos(static_cast<int>(now % 1'000'000'000));
  auto events = keel::v1::Events::NewStub(channel_);
  keel::v1::SubscribeRequest subscribe;
  *subscribe.mutable_range()->mutable_since() = since;
  auto* filter = subscribe.add_filters();
  filter->set_key("type");
  filter->set_value("image");
  auto context = context_with_deadline();
  auto reader = events->Subscribe(context.get(), subscribe);

  keel::v1::Image tagged;
  ASSERT_TRUE(tag("it/ev:1", "it/ev:2", tagged).ok());
  keel::v1::RemoveImageResponse removed;
  ASSERT_TRUE(remove({"it/ev:2"}, false, removed).ok());
  ASSERT_TRUE(remove({"it/ev:1"}, false, removed).ok());

  std::vector<std::string> seen;
  keel::v1::Event event;
  while (seen.size() < 4 && reader->Read(&event)) {
    seen.push_back(event.action() + " " + event.id() + " " +
                   (event.attributes().contains("name") ? event.attributes().at("name") : ""));
    EXPECT_EQ(event.type(), "image");
    EXPECT_GE(event.time().seconds(), since.seconds());
  }
  context->TryCancel();
  (void)reader->Finish();
  EXPECT_EQ(seen, (std::vector<std::string>{
                      "tag " + id + " it/ev:2", "untag docker.io/it/ev:2 docker.io/it/ev:2",
                      "untag docker.io/it/ev:1 docker.io/it/ev:1", "delete " + id + " "}));
}

}  // namespace
}  // namespace keel::it
