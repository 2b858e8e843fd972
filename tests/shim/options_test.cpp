// Pins the shim's command line (shim/options.cpp) as containerd passes it, and exit files.
#include "shim/options.h"

#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "shimapi/exit_file.h"

namespace keel::shim {
namespace {

TEST(ShimOptions, ParsesContainerdsGoStyleFlags) {
  auto o = parse_options({"-namespace", "default", "-address", "/run/c.sock", "-publish-binary",
                          "/usr/bin/containerd", "-id", "web", "-debug", "start"});
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_EQ(o->ns, "default");
  EXPECT_EQ(o->address, "/run/c.sock");
  EXPECT_EQ(o->publish_binary, "/usr/bin/containerd");
  EXPECT_EQ(o->id, "web");
  EXPECT_TRUE(o->debug);
  EXPECT_EQ(o->action, "start");
  auto d = parse_options({"--namespace=ns", "-id=x", "-bundle", "/b", "delete"});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->bundle, "/b");
  EXPECT_EQ(d->action, "delete");
  auto daemon = parse_options(daemon_args(*o));
  ASSERT_TRUE(daemon);
  EXPECT_EQ(daemon->action, "");
  EXPECT_EQ(daemon->publish_binary, "/usr/bin/containerd");
}

TEST(ShimOptions, RefusesUnknownFlagsAndMissingIds) {
  EXPECT_EQ(parse_options({"-namespace", "n", "-id", "x", "-bogus", "1"}).error().message(),
            "unknown flag -bogus");
  EXPECT_FALSE(parse_options({"-namespace", "n", "start"}));
  EXPECT_FALSE(parse_options({"-namespace", "n", "-id", "x", "explode"}));
  EXPECT_FALSE(parse_options({"-namespace"}));
}

TEST(ExitFile, RoundTripsAndReadsGarbageAsAbsent) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("keel-exit-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = shimapi::exit_file_path(dir.string(), "");
  EXPECT_FALSE(shimapi::read_exit_file(path));
  ASSERT_TRUE(shimapi::write_exit_file(path, shimapi::ExitRecord{7, 137, 1234567890123}));
  auto r = shimapi::read_exit_file(path);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->pid, 7);
  EXPECT_EQ(r->status, 137U);
  EXPECT_EQ(r->exited_at_ns, 1234567890123);
  EXPECT_EQ(shimapi::exit_file_path("/s", "e1"), "/s/exit-exec-e1");
  ASSERT_TRUE(shimapi::write_exit_file(path, shimapi::ExitRecord{}));
  std::filesystem::resize_file(path, 1);  // torn: "0"
  EXPECT_FALSE(shimapi::read_exit_file(path));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace keel::shim
