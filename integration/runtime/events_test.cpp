// Pins `events`: --stats prints one sample in runc's shape; the stream reports an OOM kill in the
// container as {"type":"oom"} while it happens, and ends when the container stops.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/fs.h"
#include "common/unique_fd.h"
#include "integration/fixtures/fixtures.h"

namespace keel::fixtures {
namespace {

using Clock = std::chrono::steady_clock;

// `<runtime> --root <root> args...` with stdout on a pipe, read line by line as it comes. The
// command itself is the fixtures' (reaped and killed by them); sh only moves stdout to fd 3.
class StreamingRuntime {
 public:
  StreamingRuntime(const Bundle& bundle, const std::vector<std::string>& args)
      : command_(start(bundle, args, out_)) {}

  // The next line, or nullopt at EOF or the deadline.
  std::optional<std::string> next_line(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      if (const auto nl = buffer_.find('\n'); nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0)
        return std::nullopt;
      struct pollfd p {
        out_.get(), POLLIN, 0
      };
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
        continue;
      char chunk[4096];
      const ssize_t n = ::read(out_.get(), chunk, sizeof chunk);
      if (n <= 0)
        return std::nullopt;
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

  // Waits for it to exit by itself; at the deadline it is killed and a failure recorded.
  RunResult wait(std::chrono::milliseconds timeout) { return command_.wait(timeout); }

 private:
  static RunningCommand start(const Bundle& bundle, const std::vector<std::string>& args,
                              UniqueFd& read_end) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
      throw std::runtime_error("pipe2");
    read_end.reset(fds[0]);
    UniqueFd write_end(fds[1]);
    std::vector<std::string> argv = {
        "/bin/sh",           "-c", "exec \"$0\" \"$@\" >&3", runtime_path().string(), "--root",
        bundle.root.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    RunOptions options;
    options.extra_fds = {write_end.get()};
    return start_command(argv, options);
  }

  UniqueFd out_;  // before command_: start() fills it
  RunningCommand command_;
  std::string buffer_;
};

nlohmann::json parse_event(const std::string& line) {
  try {
    return nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception& e) {
    ADD_FAILURE() << "event is not JSON (" << e.what() << "): " << line;
    return {};
  }
}

TEST(Events, StatsPrintsOneSampleInRuncsShape) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.config["linux"]["resources"]["memory"] = {{"limit", 48 << 20}};
  bundle.config["linux"]["resources"]["pids"] = {{"limit", 30}};
  ASSERT_NO_FATAL_FAILURE(run_detached(bundle, until_released()));
  const RunResult events = run_runtime(bundle, {"events", "--stats", bundle.id});
  ASSERT_EQ(events.exit_code, 0) << events;
  ASSERT_EQ(std::count(events.out.begin(), events.out.end(), '\n'), 1) << events;
  const auto event = parse_event(events.out);
  EXPECT_EQ(event.value("type", ""), "stats") << event;
  EXPECT_EQ(event.value("id", ""), bundle.id) << event;
  const auto& data = event["data"];
  for (const char* key : {"cpu", "memory", "pids", "blkio"})
    EXPECT_TRUE(data.contains(key)) << key << " missing: " << event;
  EXPECT_EQ(data["memory"]["usage"].value("limit", 0ULL), 48ULL << 20) << event;
  EXPECT_GT(data["memory"]["usage"].value("usage", 0ULL), 0ULL) << event;
  EXPECT_EQ(data["pids"].value("limit", 0), 30) << event;
  EXPECT_GE(data["pids"].value("current", 0), 1) << event;
  EXPECT_GT(data["cpu"]["usage"].value("total", 0ULL), 0ULL) << event;
  force_delete(bundle);
  leaks.expect_none();
}

TEST(Events, ReportsAnOomKillAndEndsWhenTheContainerStops) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  bundle.config["linux"]["resources"]["memory"] = {{"limit", 32 << 20}};
  // dd's 64 MiB buffer cannot fit: the OOM killer ends dd, the init lives on and reports.
  ASSERT_NO_FATAL_FAILURE(
      run_detached(bundle, {"sh", "-c",
                            "while [ ! -e /tmp/go ]; do sleep 0.05; done;"
                            "dd if=/dev/zero of=/dev/null bs=64M count=1; echo $? > /tmp/rc;"
                            "while [ ! -e /tmp/release ]; do sleep 0.05; done"}));
  {  // the stream closes before the leak check
    StreamingRuntime events(bundle, {"events", "--interval", "100ms", bundle.id});
    // The first stats sample says the stream, and with it the OOM listener, is up.
    const auto first = events.next_line(std::chrono::seconds(10));
    ASSERT_TRUE(first.has_value()) << "no event within 10s";
    EXPECT_EQ(parse_event(*first).value("type", ""), "stats") << *first;

    ASSERT_TRUE(fs::open(bundle.host_path("/tmp/go"), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    std::optional<nlohmann::json> oom;
    const auto deadline = Clock::now() + std::chrono::seconds(20);
    while (!oom && Clock::now() < deadline) {
      const auto line = events.next_line(std::chrono::seconds(1));
      if (!line)
        continue;
      auto event = parse_event(*line);
      if (event.value("type", "") == "oom")
        oom = std::move(event);
    }
    ASSERT_TRUE(oom.has_value()) << "no oom event within 20s; dd's status: "
                                 << read_text(bundle.host_path("/tmp/rc"));
    EXPECT_EQ(oom->value("id", ""), bundle.id) << *oom;
    EXPECT_TRUE(wait_until([&] { return !read_text(bundle.host_path("/tmp/rc")).empty(); }));
    EXPECT_EQ(read_text(bundle.host_path("/tmp/rc")), "137\n") << "dd was not SIGKILLed";

    release(bundle);
    const RunResult done = events.wait(std::chrono::seconds(10));
    EXPECT_EQ(done.exit_code, 0) << "events did not end cleanly with the container:" << done;
  }
  force_delete(bundle);
  leaks.expect_none();
}

TEST(Events, RefusesAStoppedContainer) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  ASSERT_NO_FATAL_FAILURE(run_detached(bundle, {"true"}));
  ASSERT_TRUE(wait_for_status(bundle, bundle.id, "stopped"));
  const RunResult events = run_runtime(bundle, {"events", "--stats", bundle.id});
  expect_error_line(events, "is not running");
  force_delete(bundle);
  leaks.expect_none();
}

TEST(Events, RefusesABadInterval) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto bundle = busybox_bundle();
  const RunResult events = run_runtime(bundle, {"events", "--interval", "soon", bundle.id});
  expect_error_line(events, "--interval \"soon\": not a duration");
  leaks.expect_none();
}

}  // namespace
}  // namespace keel::fixtures
