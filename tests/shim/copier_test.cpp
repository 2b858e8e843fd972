// Pins shim/io/copier.cpp: output reaches the fifo, a fifo nobody reads never blocks the writer
// (excess is dropped past the cap), stdin pauses instead of dropping, EOF closes the far end.
#include "shim/io/copier.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <optional>

#include <gtest/gtest.h>

namespace keel::shim::io {
namespace {

struct Pipe {
  UniqueFd r, w;
  Pipe() {
    int p[2];
    EXPECT_EQ(::pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
    r.reset(p[0]);
    w.reset(p[1]);
  }
};

class CopierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto l = EventLoop::create();
    ASSERT_TRUE(l);
    loop_.emplace(std::move(*l));
  }
  void spin(int rounds = 10) {
    for (int i = 0; i < rounds; ++i)
      ASSERT_TRUE(loop_->run_once(0));
  }
  // Writes `n` bytes in chunks, running the loop in between; returns how many went in.
  std::size_t pump(int fd, std::size_t n) {
    const std::string chunk(16384, 'x');
    std::size_t written = 0;
    for (int stalls = 0; written < n && stalls < 100;) {
      const ssize_t w = ::write(fd, chunk.data(), std::min(chunk.size(), n - written));
      if (w > 0) {
        written += static_cast<std::size_t>(w);
        stalls = 0;
      } else {
        ++stalls;
      }
      spin(2);
    }
    return written;
  }
  std::optional<EventLoop> loop_;
};

TEST_F(CopierTest, CopiesAndClosesTheDestinationAtEof) {
  Pipe src, dst;
  bool done = false;
  Copier c(*loop_, std::move(src.r), std::move(dst.w), Copier::WhenFull::kDrop,
           [&] { done = true; });
  ASSERT_EQ(::write(src.w.get(), "hello", 5), 5);
  spin();
  char buf[16] = {};
  EXPECT_EQ(::read(dst.r.get(), buf, sizeof buf), 5);
  EXPECT_EQ(std::string(buf, 5), "hello");
  src.w.reset();
  spin();
  EXPECT_TRUE(done);
  EXPECT_EQ(::read(dst.r.get(), buf, sizeof buf), 0);  // EOF: the copier closed its end
}

TEST_F(CopierTest, UnreadFifoNeverBlocksTheWriter) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("keel-copier-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto fifo = dir / "out";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  UniqueFd dst(::open(fifo.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC));  // as ProcessIo opens it
  ASSERT_TRUE(dst.valid());
  Pipe src;
  Copier c(*loop_, std::move(src.r), std::move(dst), Copier::WhenFull::kDrop, nullptr, 64 * 1024);
  const std::size_t total = 4 * 1024 * 1024;
  EXPECT_EQ(pump(src.w.get(), total), total);  // the container side never stalls
  EXPECT_GT(c.dropped_bytes(), 0U);
  std::filesystem::remove_all(dir);
}

TEST_F(CopierTest, StdinPausesInsteadOfDropping) {
  Pipe src, dst;
  Copier c(*loop_, std::move(src.r), std::move(dst.w), Copier::WhenFull::kPauseReading, nullptr,
           32 * 1024);
  const std::size_t sent = pump(src.w.get(), 1024 * 1024);
  EXPECT_LT(sent, 1024U * 1024U);  // back-pressure reached the writer
  EXPECT_EQ(c.dropped_bytes(), 0U);
  std::size_t got = 0;
  char buf[65536];
  for (int i = 0; i < 200 && got < sent; ++i) {
    const ssize_t n = ::read(dst.r.get(), buf, sizeof buf);
    if (n > 0)
      got += static_cast<std::size_t>(n);
    spin(2);
  }
  EXPECT_EQ(got, sent);  // every byte, none dropped
}

}  // namespace
}  // namespace keel::shim::io
