// Pins shim/io/cri_log.cpp: CRI records for full, partial, mixed and over-long lines, the
// RFC3339Nano clock, the config.json annotation, and a Copier that logs with no fifo at all.
#include "shim/io/cri_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include <gtest/gtest.h>

#include "common/fs.h"
#include "shim/io/copier.h"

namespace keel::shim::io {
namespace {

constexpr std::string_view kT = "2026-11-23T09:01:43.5Z";

std::string feed_all(CriLineFormatter& f, std::initializer_list<std::string_view> chunks) {
  std::string out;
  for (auto c : chunks)
    f.feed(c, kT, out);
  return out;
}

TEST(CriLineFormatter, FullLinesAreFRecordsWithoutTheNewline) {
  CriLineFormatter f("stdout");
  EXPECT_EQ(feed_all(f, {"a\nbc\n\n"}), std::string(kT) + " stdout F a\n" + std::string(kT) +
                                            " stdout F bc\n" + std::string(kT) + " stdout F \n");
  EXPECT_EQ(f.pending_bytes(), 0U);
}

TEST(CriLineFormatter, ATerminalsCarriageReturnBeforeTheNewlineIsDropped) {
  CriLineFormatter f("stdout");
  EXPECT_EQ(feed_all(f, {"a\r\n"}), std::string(kT) + " stdout F a\n");
}

TEST(CriLineFormatter, AnUnterminatedTailWaitsThenFlushesAsP) {
  CriLineFormatter f("stderr");
  EXPECT_EQ(feed_all(f, {"x\nhal", "f"}), std::string(kT) + " stderr F x\n");
  EXPECT_EQ(f.pending_bytes(), 4U);
  std::string out;
  f.flush("T2", out);
  EXPECT_EQ(out, "T2 stderr P half\n");
  out.clear();
  f.flush("T3", out);
  EXPECT_EQ(out, "");  // nothing pending, nothing written
}

TEST(CriLineFormatter, ChunksJoinIntoOneLineStampedWhenItEnds) {
  CriLineFormatter f("stdout");
  std::string out;
  f.feed("he", "T1", out);
  f.feed("llo\nwor", "T2", out);
  f.feed("ld\n", "T3", out);
  EXPECT_EQ(out, "T2 stdout F hello\nT3 stdout F world\n");
}

TEST(CriLineFormatter, LongLinesSplitIntoPRecordsOfTheLimitThenF) {
  CriLineFormatter f("stdout", 4);
  std::string out;
  f.feed("abcdefghij\n", "T", out);
  EXPECT_EQ(out, "T stdout P abcd\nT stdout P efgh\nT stdout F ij\n");
}

TEST(CriLineFormatter, ALineOfExactlyTheLimitIsOneF) {
  CriLineFormatter f("stdout", 4);
  std::string out;
  f.feed("abcd", "T1", out);
  EXPECT_EQ(out, "");
  f.feed("\nabcde", "T2", out);
  EXPECT_EQ(out, "T2 stdout F abcd\nT2 stdout P abcd\n");
  f.flush("T3", out);
  EXPECT_EQ(out, "T2 stdout F abcd\nT2 stdout P abcd\nT3 stdout P e\n");
}

TEST(CriLineFormatter, TheDefaultLimitIs16KiB) {
  CriLineFormatter f("stdout");
  std::string out;
  f.feed(std::string(16 * 1024 + 1, 'z') + "\n", "T", out);
  EXPECT_EQ(out, "T stdout P " + std::string(16 * 1024, 'z') + "\nT stdout F z\n");
}

TEST(Rfc3339Nano, FormatsUtcWithGoTrimmedFraction) {
  EXPECT_EQ(rfc3339_nano(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(rfc3339_nano(1'795'424'503'000'000'000), "2026-11-23T09:01:43Z");
  EXPECT_EQ(rfc3339_nano(1'795'424'503'120'000'000), "2026-11-23T09:01:43.12Z");
  EXPECT_EQ(rfc3339_nano(1'795'424'503'000'000'001), "2026-11-23T09:01:43.000000001Z");
  EXPECT_EQ(rfc3339_nano(1'795'424'503'999'999'999), "2026-11-23T09:01:43.999999999Z");
}

class CriLogFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/keel-cri-log-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(CriLogFileTest, BundleAnnotationNamesTheLogPath) {
  const auto bundle = dir_.string();
  ASSERT_TRUE(fs::write_file_atomic(bundle + "/config.json", R"({"ociVersion":"1.0.2"})"));
  auto none = cri_log_path_of_bundle(bundle);
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, "");
  ASSERT_TRUE(fs::write_file_atomic(
      bundle + "/config.json", R"({"annotations":{"io.keel.shim.log-path":"/var/log/c.log"}})"));
  auto path = cri_log_path_of_bundle(bundle);
  ASSERT_TRUE(path);
  EXPECT_EQ(*path, "/var/log/c.log");
  ASSERT_TRUE(fs::write_file_atomic(bundle + "/config.json",
                                    R"({"annotations":{"io.keel.shim.log-path":"rel.log"}})"));
  auto relative = cri_log_path_of_bundle(bundle);
  ASSERT_FALSE(relative);
  EXPECT_EQ(relative.error().kind(), Errc::kInvalidArgument);
}

TEST_F(CriLogFileTest, OnlyTheTopLevelAnnotationsCount) {
  const auto bundle = dir_.string();
  // A nested "annotations" key (here inside process) is not the config's; the real one may come
  // after any amount of other configuration.
  ASSERT_TRUE(fs::write_file_atomic(bundle + "/config.json", R"({
    "process": {"args": ["true"], "annotations": {"io.keel.shim.log-path": "/wrong.log"}},
    "linux": {"seccomp": {"syscalls": [{"names": ["a", "b"], "action": "SCMP_ACT_ALLOW"}]}},
    "annotations": {"other": "x", "io.keel.shim.log-path": "/var/log/right.log"}
  })"));
  auto path = cri_log_path_of_bundle(bundle);
  ASSERT_TRUE(path) << path.error().message();
  EXPECT_EQ(*path, "/var/log/right.log");

  ASSERT_TRUE(fs::write_file_atomic(
      bundle + "/config.json",
      R"({"process": {"annotations": {"io.keel.shim.log-path": "/wrong.log"}}})"));
  auto none = cri_log_path_of_bundle(bundle);
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, "");

  ASSERT_TRUE(fs::write_file_atomic(bundle + "/config.json", R"({"annotations": {)"));
  auto broken = cri_log_path_of_bundle(bundle);
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().kind(), Errc::kInvalidArgument);
}

TEST_F(CriLogFileTest, OpensAppendOnlyWithMode0640) {
  const auto path = (dir_ / "c.log").string();
  const mode_t old = ::umask(0);
  auto file = CriLogFile::open(path);
  ::umask(old);
  ASSERT_TRUE(file);
  (*file)->append("one\n");
  auto again = CriLogFile::open(path);
  ASSERT_TRUE(again);
  (*again)->append("two\n");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640U);
  EXPECT_EQ(*fs::read_file(path), "one\ntwo\n");
}

TEST_F(CriLogFileTest, ACopierWithNoFifoStillLogsAndFlushesAtEof) {
  auto l = EventLoop::create();
  ASSERT_TRUE(l);
  EventLoop loop = std::move(*l);
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
  UniqueFd r(p[0]), w(p[1]);
  const auto path = (dir_ / "c.log").string();
  auto file = CriLogFile::open(path);
  ASSERT_TRUE(file);
  bool done = false;
  Copier c(loop, std::move(r), UniqueFd(), Copier::WhenFull::kDrop, [&] { done = true; });
  c.set_log(std::make_unique<CriLogStream>(*file, "stderr"));
  ASSERT_EQ(::write(w.get(), "a\nb", 3), 3);
  w.reset();
  for (int i = 0; i < 10 && !done; ++i)
    ASSERT_TRUE(loop.run_once(0));
  ASSERT_TRUE(done);
  auto text = fs::read_file(path);
  ASSERT_TRUE(text);
  EXPECT_NE(text->find(" stderr F a\n"), std::string::npos) << *text;
  EXPECT_TRUE(text->ends_with(" stderr P b\n")) << *text;
}

}  // namespace
}  // namespace keel::shim::io
