// Pins CredentialStore (manager/registry/credentials.cpp): docker's config.json in and out,
// Docker Hub's legacy key, keys matched without scheme or path, the file's mode, foreign keys kept.
#include "manager/registry/credentials.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "common/fs.h"

namespace keel::manager::registry {
namespace {

class CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/keel-creds-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/sub/config.json";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string dir_;
  std::string path_;
};

TEST(Base64, RoundTripsAndMatchesDocker) {
  EXPECT_EQ(base64_encode("user:pass"), "dXNlcjpwYXNz");
  EXPECT_EQ(base64_encode("a"), "YQ==");
  auto decoded = base64_decode("YQ==");
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, "a");
  EXPECT_FALSE(base64_decode("abc"));
}

TEST_F(CredentialsTest, MissingFileIsAnEmptyStore) {
  auto store = CredentialStore::load(path_);
  ASSERT_TRUE(store) << store.error().message();
  EXPECT_FALSE(store->find("localhost:5000").has_value());
}

TEST_F(CredentialsTest, SavedAsDockerWritesItOnlyRootCanRead) {
  auto store = CredentialStore::load(path_);
  ASSERT_TRUE(store);
  store->set("docker.io", Credential{"hubuser", "s3cret:with:colons", ""});
  store->set("localhost:5000", Credential{"local", "pw", ""});
  ASSERT_TRUE(store->save());

  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  auto text = fs::read_file(path_);
  ASSERT_TRUE(text);
  const auto doc = nlohmann::json::parse(*text);
  EXPECT_EQ(doc["auths"]["https://index.docker.io/v1/"]["auth"],
            base64_encode("hubuser:s3cret:with:colons"));
  EXPECT_EQ(doc["auths"]["localhost:5000"]["auth"], "bG9jYWw6cHc=");

  auto again = CredentialStore::load(path_);
  ASSERT_TRUE(again);
  auto hub = again->find("docker.io");
  ASSERT_TRUE(hub.has_value());
  EXPECT_EQ(hub->username, "hubuser");
  EXPECT_EQ(hub->password, "s3cret:with:colons");
}

TEST_F(CredentialsTest, ALeftoverTempFileDoesNotLendItsModeAndIsGone) {
  std::filesystem::create_directories(dir_ + "/sub");
  std::ofstream(path_ + ".tmp") << "stale";
  ASSERT_EQ(::chmod((path_ + ".tmp").c_str(), 0644), 0);
  std::ofstream(path_) << "{}";
  ASSERT_EQ(::chmod(path_.c_str(), 0644), 0);
  auto store = CredentialStore::load(path_);
  ASSERT_TRUE(store);
  store->set("localhost:5000", Credential{"local", "pw", ""});
  ASSERT_TRUE(store->save());
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  EXPECT_FALSE(std::filesystem::exists(path_ + ".tmp"));
}

TEST(RegistryDomain, AsDockerNamesALoginServer) {
  EXPECT_EQ(registry_domain(""), "docker.io");
  EXPECT_EQ(registry_domain("https://index.docker.io/v1/"), "docker.io");
  EXPECT_EQ(registry_domain("registry-1.docker.io"), "docker.io");
  EXPECT_EQ(registry_domain("https://localhost:5000/v2/"), "localhost:5000");
  EXPECT_EQ(registry_domain("127.0.0.1:5000"), "127.0.0.1:5000");
  EXPECT_EQ(credential_key(registry_domain("")), "https://index.docker.io/v1/");
}

TEST_F(CredentialsTest, KeysMatchWithoutSchemeOrPathAndForeignKeysSurvive) {
  std::filesystem::create_directories(dir_ + "/sub");
  std::ofstream(path_) << R"({"auths":{"https://localhost:5000/v2/":{"auth":"dTpw"}},)"
                       << R"("credHelpers":{"gcr.io":"gcloud"}})";
  auto store = CredentialStore::load(path_);
  ASSERT_TRUE(store) << store.error().message();
  auto found = store->find("localhost:5000");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->username, "u");
  EXPECT_EQ(found->password, "p");

  EXPECT_TRUE(store->erase("localhost:5000"));
  EXPECT_FALSE(store->erase("localhost:5000"));
  ASSERT_TRUE(store->save());
  const auto doc = nlohmann::json::parse(*fs::read_file(path_));
  EXPECT_TRUE(doc["auths"].empty());
  EXPECT_EQ(doc["credHelpers"]["gcr.io"], "gcloud");
}

TEST_F(CredentialsTest, AFileThatIsNotDockersJsonIsRefusedByName) {
  std::filesystem::create_directories(dir_ + "/sub");
  std::ofstream(path_) << R"({"auths": [1, 2]})";
  auto store = CredentialStore::load(path_);
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message().find(path_), std::string::npos) << store.error().message();
}

}  // namespace
}  // namespace keel::manager::registry
