// Pins the images table: a record keeps the index its name was pulled through, and a database
// written before that column existed is migrated in place with its rows intact.
#include "manager/images/image_store.h"

#include <array>
#include <string_view>

#include <gtest/gtest.h>

#include "manager/store/database.h"

namespace keel::manager::images {
namespace {

content::Digest digest_of_hex(char c) {
  auto d = content::Digest::parse("sha256:" + std::string(64, c));
  EXPECT_TRUE(d);
  return *d;
}

ImageRecord record(const std::string& name) {
  ImageRecord r;
  r.name = name;
  r.target.digest = digest_of_hex('a');
  r.target.media_type = "application/vnd.oci.image.manifest.v1+json";
  r.target.size = 123;
  r.config_digest = digest_of_hex('c');
  r.size = 4096;
  return r;
}

TEST(ImageStore, KeepsTheIndexANameWasPulledThrough) {
  auto db = store::Database::open(":memory:");
  ASSERT_TRUE(db) << db.error().message();
  auto images = ImageStore::open(*db);
  ASSERT_TRUE(images) << images.error().message();

  ImageRecord through_index = record("docker.io/library/multi:1");
  through_index.index_digest = digest_of_hex('e');
  ASSERT_TRUE(images->put(through_index));
  ASSERT_TRUE(images->put(record("docker.io/library/single:1")));

  const auto multi = images->find("docker.io/library/multi:1");
  ASSERT_TRUE(multi && *multi);
  EXPECT_EQ((*multi)->index_digest, digest_of_hex('e'));
  EXPECT_EQ((*multi)->target.digest, digest_of_hex('a'));
  const auto single = images->find("docker.io/library/single:1");
  ASSERT_TRUE(single && *single);
  EXPECT_FALSE((*single)->index_digest);

  // Replacing the name with a pull that met no index forgets the old one.
  ASSERT_TRUE(images->put(record("docker.io/library/multi:1")));
  const auto replaced = images->find("docker.io/library/multi:1");
  ASSERT_TRUE(replaced && *replaced);
  EXPECT_FALSE((*replaced)->index_digest);
}

TEST(ImageStore, MigratesATableFromBeforeIndexDigests) {
  auto db = store::Database::open(":memory:");
  ASSERT_TRUE(db) << db.error().message();
  // Version 1 of the images component, as an older keeld left it, with one row.
  constexpr std::array<std::string_view, 1> kVersion1 = {
      "CREATE TABLE images ("
      " name TEXT PRIMARY KEY NOT NULL, manifest_digest TEXT NOT NULL, media_type TEXT NOT NULL,"
      " manifest_size INTEGER NOT NULL, config_digest TEXT NOT NULL, size INTEGER NOT NULL,"
      " dangling INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL,"
      " updated_at INTEGER NOT NULL);"
      "CREATE TABLE image_labels ("
      " name TEXT NOT NULL REFERENCES images(name) ON DELETE CASCADE, key TEXT NOT NULL,"
      " value TEXT NOT NULL, PRIMARY KEY (name, key))"};
  ASSERT_TRUE(db->migrate("images", kVersion1));
  ASSERT_TRUE(db->run("INSERT INTO images VALUES(?1, ?2, ?3, 123, ?4, 4096, 0, 1, 2)",
                      "docker.io/library/old:1", digest_of_hex('a').str(),
                      "application/vnd.oci.image.manifest.v1+json", digest_of_hex('c').str()));

  auto images = ImageStore::open(*db);
  ASSERT_TRUE(images) << images.error().message();
  const auto old = images->find("docker.io/library/old:1");
  ASSERT_TRUE(old && *old) << (old ? "no row" : old.error().message());
  EXPECT_EQ((*old)->config_digest, digest_of_hex('c'));
  EXPECT_EQ((*old)->size, 4096);
  EXPECT_FALSE((*old)->index_digest);
}

}  // namespace
}  // namespace keel::manager::images
