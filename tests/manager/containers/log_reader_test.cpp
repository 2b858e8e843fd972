// Pins the CRI log reader (manager/containers/log_reader.cpp): record parsing, P+F joining,
// stream split, --tail, --since, -t and follow until the container exits.
#include "manager/containers/log_reader.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace keel::manager::containers {
namespace {

namespace stdfs = std::filesystem;
using ::testing::ElementsAre;

constexpr std::int64_t kT0 = 1700000000LL * 1000000000;  // 2023-11-14T22:13:20Z

class LogReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/keel-log-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = (dir_ / "ctr.log").string();
  }
  void TearDown() override { stdfs::remove_all(dir_); }

  void append(const std::string& text) {
    std::ofstream out(path_, std::ios::app);
    out << text;
  }
  std::vector<std::string> read(const LogOptions& o, bool timestamps = false) {
    std::vector<std::string> lines;
    auto r = read_log(path_, o, [&](const LogEntry& e) {
      lines.push_back(format_entry(e, timestamps));
      return true;
    });
    EXPECT_TRUE(r) << r.error().message();
    return lines;
  }

  stdfs::path dir_;
  std::string path_;
};

// A sample log: stdout "one", "two" split over P+F, stderr "err"; one second apart.
const char* kSample =
    "2023-11-14T22:13:20Z stdout F one\n"
    "2023-11-14T22:13:21.5Z stdout P tw\n"
    "2023-11-14T22:13:22Z stderr F err\n"
    "2023-11-14T22:13:23.123456789Z stdout F o\n";

TEST(CriRecord, ParsesTheFourFields) {
  auto r = parse_cri_record("2023-11-14T22:13:20.25Z stderr P hello world");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->time_ns, kT0 + 250000000);
  EXPECT_EQ(r->stream, LogStream::kStderr);
  EXPECT_TRUE(r->partial);
  EXPECT_EQ(r->message, "hello world");
  auto empty = parse_cri_record("2023-11-14T22:13:20Z stdout F");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->message, "");
  EXPECT_FALSE(parse_cri_record("garbage"));
  EXPECT_FALSE(parse_cri_record("2023-11-14T22:13:20Z stdin F x"));
  EXPECT_FALSE(parse_cri_record("2023-11-14T22:13:20Z stdout X x"));
}

TEST(LogTime, AcceptsWhatDockerLogsSinceAccepts) {
  EXPECT_EQ(*parse_rfc3339("2023-11-14T22:13:20Z"), kT0);
  EXPECT_EQ(*parse_rfc3339("2023-11-14T23:13:20+01:00"), kT0);
  EXPECT_EQ(*parse_rfc3339("2023-11-14T22:13:20.000000001Z"), kT0 + 1);
  EXPECT_FALSE(parse_rfc3339("2023-11-14 22:13:20"));
  EXPECT_FALSE(parse_rfc3339("2023-13-14T22:13:20Z"));
  const std::int64_t now = kT0 + 3600LL * 1000000000;
  EXPECT_EQ(*parse_log_time("1h", now), kT0);
  EXPECT_EQ(*parse_log_time("59m60s", now), kT0);
  EXPECT_EQ(*parse_log_time("1700000000", now), kT0);
  EXPECT_EQ(*parse_log_time("1700000000.5", now), kT0 + 500000000);
  EXPECT_EQ(*parse_log_time("2023-11-14", now), kT0 - (22 * 3600 + 13 * 60 + 20) * 1000000000LL);
  EXPECT_FALSE(parse_log_time("yesterday", now));
}

TEST(CriLogParser, JoinsPartialRecordsPerStreamAcrossFeeds) {
  CriLogParser parser;
  std::vector<LogEntry> out;
  const std::string text = kSample;
  // Byte by byte: a record may be cut anywhere by a read.
  for (char c : text)
    parser.feed(std::string_view(&c, 1), out);
  ASSERT_EQ(out.size(), 3U);
  EXPECT_EQ(out[0].line, "one\n");
  EXPECT_EQ(out[1].line, "err\n");
  EXPECT_EQ(out[1].stream, LogStream::kStderr);
  EXPECT_EQ(out[2].line, "two\n");
  EXPECT_EQ(out[2].timestamp, "2023-11-14T22:13:23.123456789Z");
  parser.feed("2023-11-14T22:13:24Z stdout P unterminated\n", out);
  EXPECT_EQ(out.size(), 3U);
  parser.finish(out);
  ASSERT_EQ(out.size(), 4U);
  EXPECT_EQ(out[3].line, "unterminated");  // no newline: the container never wrote one
}

TEST_F(LogReaderTest, SplitsStreamsAndPrintsTimestamps) {
  append(kSample);
  LogOptions o;
  EXPECT_THAT(read(o), ElementsAre("one\n", "err\n", "two\n"));
  o.show_stderr = false;
  EXPECT_THAT(read(o), ElementsAre("one\n", "two\n"));
  o.show_stderr = true;
  o.show_stdout = false;
  EXPECT_THAT(read(o, true), ElementsAre("2023-11-14T22:13:22Z err\n"));
}

TEST_F(LogReaderTest, TailAndSinceSelectTheLastLines) {
  append(kSample);
  LogOptions o;
  o.tail = 2;
  EXPECT_THAT(read(o), ElementsAre("err\n", "two\n"));
  o.tail = 0;
  EXPECT_TRUE(read(o).empty());
  o.tail.reset();
  o.since_ns = kT0 + 1000000000;  // after "one"
  EXPECT_THAT(read(o), ElementsAre("err\n", "two\n"));
  o.since_ns = 0;
  o.until_ns = kT0 + 2000000000;
  EXPECT_THAT(read(o), ElementsAre("one\n", "err\n"));
}

TEST_F(LogReaderTest, MissingLogIsNotFoundUnlessFollowing) {
  auto r = read_log(path_, {}, [](const LogEntry&) { return true; });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), Errc::kNotFound);
}

TEST_F(LogReaderTest, FollowDeliversAppendedLinesUntilTheContainerExits) {
  append("2023-11-14T22:13:20Z stdout F first\n");
  std::atomic<bool> running{true};
  std::vector<std::string> lines;
  std::mutex mu;
  LogOptions o;
  o.follow = true;
  std::thread reader([&] {
    auto r = read_log(
        path_, o,
        [&](const LogEntry& e) {
          std::lock_guard lock(mu);
          lines.push_back(e.line);
          return true;
        },
        [&] { return running.load(); });
    EXPECT_TRUE(r) << r.error().message();
  });
  auto count = [&] {
    std::lock_guard lock(mu);
    return lines.size();
  };
  auto wait_for = [&](std::size_t n) {
    for (int i = 0; i < 500 && count() < n; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return count() >= n;
  };
  EXPECT_TRUE(wait_for(1));
  append("2023-11-14T22:13:21Z stdout P sec");
  append("ond\n2023-11-14T22:13:21Z stdout F \n");
  EXPECT_TRUE(wait_for(2));
  append("2023-11-14T22:13:22Z stdout P last-without-newline\n");
  running = false;  // the container exited: the reader drains and returns
  reader.join();
  EXPECT_THAT(lines, ElementsAre("first\n", "second\n", "last-without-newline"));
}

TEST_F(LogReaderTest, SinkReturningFalseStopsReading) {
  append(kSample);
  int calls = 0;
  ASSERT_TRUE(read_log(path_, {}, [&](const LogEntry&) { return ++calls < 1; }));
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace keel::manager::containers
