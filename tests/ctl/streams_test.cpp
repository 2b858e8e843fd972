#include "ctl/streams.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "ctl/client.h"

namespace keel::ctl {
namespace {

namespace stdfs = std::filesystem;

std::size_t open_fds() {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : stdfs::directory_iterator("/proc/self/fd"))
    ++count;
  return count;
}

class StreamsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = stdfs::temp_directory_path() /
           ("keelctl-streams-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    stdfs::create_directories(dir_);
  }
  void TearDown() override { stdfs::remove_all(dir_); }
  stdfs::path dir_;
};

TEST_F(StreamsTest, ReadChunksClosesTheFileWhenTheWriterThrows) {
  const stdfs::path file = dir_ / "in";
  std::ofstream(file) << "some bytes";
  const std::size_t before = open_fds();
  EXPECT_THROW(
      read_chunks(file.string(), [](std::string_view) -> bool { throw CommandError("stop", 1); }),
      CommandError);
  EXPECT_EQ(open_fds(), before);
}

TEST_F(StreamsTest, ReadChunksNamesAMissingFile) {
  try {
    read_chunks((dir_ / "absent").string(), [](std::string_view) { return true; });
    ADD_FAILURE() << "no error for a missing file";
  } catch (const CommandError& error) {
    EXPECT_EQ(std::string(error.what()),
              "open " + (dir_ / "absent").string() + ": No such file or directory");
  }
}

TEST_F(StreamsTest, ChunkSinkRenamesOnFinish) {
  const stdfs::path out = dir_ / "out.tar";
  {
    ChunkSink sink(out.string());
    sink.write("abc");
    sink.write("def");
    sink.finish();
  }
  std::ifstream in(out);
  std::string text;
  std::getline(in, text);
  EXPECT_EQ(text, "abcdef");
  EXPECT_FALSE(stdfs::exists(out.string() + ".keelctl-partial"));
}

TEST_F(StreamsTest, ChunkSinkNotFinishedLeavesNothing) {
  const stdfs::path out = dir_ / "out.tar";
  const std::size_t before = open_fds();
  {
    ChunkSink sink(out.string());
    sink.write("abc");
  }
  EXPECT_FALSE(stdfs::exists(out));
  EXPECT_FALSE(stdfs::exists(out.string() + ".keelctl-partial"));
  EXPECT_EQ(open_fds(), before);
}

}  // namespace
}  // namespace keel::ctl
