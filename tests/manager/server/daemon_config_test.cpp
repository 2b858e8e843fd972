// Pins keeld's configuration file: docker's daemon.json keys, defaults, and one line naming the
// key for anything unknown or malformed.
#include "manager/server/daemon_config.h"

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "manager/registry/insecure_registries.h"

namespace keel::manager::server {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(DaemonConfig, EmptyObjectIsTheDefaults) {
  auto c = parse_daemon_config("{}", "/x/y.json");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_TRUE(c->registry_mirrors.empty());
  EXPECT_TRUE(c->insecure_registries.empty());
  EXPECT_EQ(c->max_concurrent_downloads, 3);
  EXPECT_EQ(c->max_concurrent_uploads, 5);
}

TEST(DaemonConfig, ReadsEveryKey) {
  auto c = parse_daemon_config(R"({
    "registry-mirrors": ["https://mirror.example.com/", "http://127.0.0.1:5001"],
    "insecure-registries": ["myreg:5000", "10.0.0.0/8", "fd00::/8"],
    "max-concurrent-downloads": 7,
    "max-concurrent-uploads": 2
  })",
                               "/x/y.json");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_THAT(c->registry_mirrors,
              ElementsAre("https://mirror.example.com", "http://127.0.0.1:5001"));
  EXPECT_THAT(c->insecure_registries, ElementsAre("myreg:5000", "10.0.0.0/8", "fd00::/8"));
  EXPECT_EQ(c->max_concurrent_downloads, 7);
  EXPECT_EQ(c->max_concurrent_uploads, 2);
}

TEST(DaemonConfig, UnknownKeyIsRefusedByName) {
  auto c = parse_daemon_config(R"({"max-concurrent-downloads": 2, "foo": 1})", "/x/y.json");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message(), "config file /x/y.json: unknown key \"foo\"");
}

TEST(DaemonConfig, BadValuesNameTheirKey) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"max-concurrent-downloads": 0})", "\"max-concurrent-downloads\""},
      {R"({"max-concurrent-downloads": "3"})", "\"max-concurrent-downloads\""},
      {R"({"max-concurrent-uploads": 2.5})", "\"max-concurrent-uploads\""},
      {R"({"registry-mirrors": "https://m"})", "\"registry-mirrors\""},
      {R"({"registry-mirrors": ["ftp://m"]})", "\"registry-mirrors\""},
      {R"({"registry-mirrors": ["mirror.example.com"]})", "\"registry-mirrors\""},
      {R"({"insecure-registries": ["10.0.0.0/33"]})", "\"insecure-registries\""},
      {R"({"insecure-registries": ["http://myreg:5000"]})", "\"insecure-registries\""},
      {R"({"insecure-registries": [5000]})", "\"insecure-registries\""},
  };
  for (const auto& [text, key] : cases) {
    auto c = parse_daemon_config(text, "/x/y.json");
    ASSERT_FALSE(c) << text;
    EXPECT_THAT(c.error().message(), HasSubstr("config file /x/y.json: " + std::string(key)))
        << text;
    EXPECT_EQ(c.error().message().find('\n'), std::string::npos) << text;
  }
}

TEST(DaemonConfig, NotJsonOrNotAnObjectIsRefused) {
  EXPECT_THAT(parse_daemon_config("{", "/c.json").error().message(),
              HasSubstr("config file /c.json: not valid JSON"));
  EXPECT_THAT(parse_daemon_config("[]", "/c.json").error().message(),
              HasSubstr("config file /c.json: must be a JSON object"));
}

TEST(DaemonConfig, MissingDefaultFileIsDefaultsButAMissingNamedFileIsAnError) {
  const std::string missing = "/nonexistent-keel-config/keeld.json";
  auto defaults = load_daemon_config(missing, false);
  ASSERT_TRUE(defaults) << defaults.error().message();
  EXPECT_EQ(defaults->max_concurrent_downloads, 3);
  auto named = load_daemon_config(missing, true);
  ASSERT_FALSE(named);
  EXPECT_THAT(named.error().message(), HasSubstr("config file " + missing));
}

TEST(DaemonConfig, LoadsAFile) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("keel-daemon-config-" + std::to_string(::getpid()) + ".json");
  std::ofstream(path) << R"({"max-concurrent-uploads": 9})";
  auto c = load_daemon_config(path.string(), true);
  std::filesystem::remove(path);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->max_concurrent_uploads, 9);
}

TEST(InsecureRegistries, HostPortAndCidrMatch) {
  const std::vector<std::string> entries = {"myreg:5000", "10.1.0.0/16", "fd00::/8"};
  EXPECT_TRUE(registry::is_listed_insecure("myreg:5000", entries));
  EXPECT_FALSE(registry::is_listed_insecure("myreg:5001", entries));
  EXPECT_TRUE(registry::is_listed_insecure("10.1.2.3:5000", entries));
  EXPECT_TRUE(registry::is_listed_insecure("10.1.2.3", entries));
  EXPECT_FALSE(registry::is_listed_insecure("10.2.0.1:5000", entries));
  EXPECT_TRUE(registry::is_listed_insecure("[fd12::1]:5000", entries));
  EXPECT_FALSE(registry::is_listed_insecure("example.com", entries));
}

}  // namespace
}  // namespace keel::manager::server
