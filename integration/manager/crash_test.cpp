// keeld SIGKILLed in the middle of a load: the archive is streamed through Images.Load by the test
// itself, so the kill lands at a known point. A keeld restarted on the same dirs opens the store,
// lists no partial image, keeps no ingest file and no corrupt blob, and loads normally again.
#include <gtest/gtest.h>

#include "integration/manager/archives.h"
#include "integration/manager/grpc_client.h"
#include "integration/manager/manager_test.h"

namespace keel::it {
namespace {

namespace stdfs = std::filesystem;

constexpr size_t kLayerSize = 24 << 20;
constexpr size_t kChunk = 256 << 10;

// A layer of one big file; `fill` makes the two layers differ.
std::string big_layer(char fill) {
  return TarBuilder().file("big", std::string(kLayerSize, fill)).finish();
}

enum class KillPoint {
  kFirstLayerStreaming,   // config stored, layer 1 half in ingest
  kSecondLayerStreaming,  // config and layer 1 stored, layer 2 half in ingest
};

class CrashDuringLoad : public ManagerTest {
 protected:
  void kill_during_load(KillPoint point) {
    const auto layer1 = big_layer('1');
    const auto layer2 = big_layer('2');
    const auto image = docker_archive({layer1, layer2}, "it/crash:1");
    // docker_archive writes the config, then the layers in order, then manifest.json.
    const std::string layer1_hex = hex_of(image.diff_ids[0]);
    const size_t layer1_end = image.archive.find(layer1) + layer1.size();
    const size_t stop_at = point == KillPoint::kFirstLayerStreaming
                               ? image.archive.find(layer1) + layer1.size() / 2
                               : layer1_end + layer2.size() / 2;
    ASSERT_NE(image.archive.find(layer1), std::string::npos);

    auto channel = channel_to(keeld_);
    auto images = keel::v1::Images::NewStub(channel);
    grpc::ClientContext context;
    keel::v1::LoadResponse response;
    auto writer = images->Load(&context, &response);
    for (size_t offset = 0; offset < stop_at; offset += kChunk) {
      keel::v1::Chunk chunk;
      chunk.set_data(image.archive.substr(offset, std::min(kChunk, stop_at - offset)));
      ASSERT_TRUE(writer->Write(chunk)) << "keeld stopped reading at " << offset;
    }
    // Wait until keeld has taken in what was sent: the half layer sits in ingest (and, for the
    // second point, layer 1 is already a blob).
    const bool reached = fixtures::wait_until([&] {
      const auto files = keeld_.store_files();
      if (files.ingest.empty())
        return false;
      std::error_code ec;
      std::uintmax_t ingested = 0;
      for (const auto& name : files.ingest)
        ingested += stdfs::file_size(keeld_.root() / "content" / "ingest" / name, ec);
      const bool layer1_stored = files.blobs.contains(layer1_hex);
      return point == KillPoint::kFirstLayerStreaming
                 ? !layer1_stored && ingested >= layer1.size() / 4
                 : layer1_stored && ingested >= layer2.size() / 4;
    });
    ASSERT_TRUE(reached) << "keeld did not get to the kill point\n" << keeld_.log();
    const auto at_kill = keeld_.store_files();
    keeld_.kill();
    writer->WritesDone();
    const auto status = writer->Finish();
    EXPECT_FALSE(status.ok()) << "a load cut off by a crash cannot succeed";
    EXPECT_FALSE(at_kill.ingest.empty());

    ASSERT_NO_FATAL_FAILURE(keeld_.start());
    const auto reopened = keeld_.store_files();
    EXPECT_TRUE(reopened.ingest.empty()) << "stray ingest files after restart";
    EXPECT_TRUE(image_ids().empty()) << "a partial image is listed";
    EXPECT_EQ(keeld_.ctl({"image", "inspect", "it/crash:1"}).exit_code, 1);
    // Every blob kept is whole: its bytes hash to its name.
    for (const auto& hex : reopened.blobs) {
      const auto path = keeld_.root() / "content" / "blobs" / "sha256" / hex;
      EXPECT_EQ(hex_of(digest_of(read_file(path))), hex) << "corrupt blob " << path;
    }
    // No layer snapshot was made from half a layer; every snapshot dir is one keeld knows.
    auto snapshots = keel::v1::Snapshots::NewStub(channel_to(keeld_));
    keel::v1::ListSnapshotsResponse listed;
    ASSERT_TRUE(snapshots->List(context_with_deadline().get(), {}, &listed).ok());
    EXPECT_EQ(listed.snapshots_size(), 0);
    EXPECT_TRUE(reopened.snapshots.empty());

    // A normal load of the same archive works on the reopened store, and rmi then leaves it
    // empty: whatever the crash left is collected with it.
    const auto loaded = load(image.archive);
    ASSERT_EQ(loaded.exit_code, 0) << loaded << keeld_.log();
    EXPECT_EQ(image_ids(), std::vector<std::string>({image.config_digest}));
    const auto listed_snapshots = keeld_.store_files().snapshots;
    EXPECT_EQ(listed_snapshots.size(), 2U);
    keeld_.ctl_ok({"rmi", "it/crash:1"});
    const auto empty = keeld_.store_files();
    EXPECT_TRUE(empty.blobs.empty()) << empty.blobs.size() << " blob(s) left";
    EXPECT_TRUE(empty.snapshots.empty());
  }
};

TEST_F(CrashDuringLoad, KilledWhileTheFirstLayerStreams) {
  kill_during_load(KillPoint::kFirstLayerStreaming);
}

TEST_F(CrashDuringLoad, KilledWhileTheSecondLayerStreams) {
  kill_during_load(KillPoint::kSecondLayerStreaming);
}

}  // namespace
}  // namespace keel::it
