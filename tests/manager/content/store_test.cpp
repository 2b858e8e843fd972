// Pins manager/content: digests, verified commits, nothing left behind on failure, stale ingest
// cleanup, labels, listing and removal.
#include "manager/content/store.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/fs.h"

namespace keel::manager::content {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kAbcDigest =
    "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

size_t entries_in(const std::string& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir))
    ++n;
  return n;
}

class ContentStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "keel-content-XXXXXX").string();
    root_ = ::mkdtemp(tmpl.data());
    auto db = store::Database::open(root_ + "/meta.db");
    ASSERT_TRUE(db) << db.error().message();
    db_ = std::make_unique<store::Database>(std::move(db).value());
    reopen();
  }
  void TearDown() override {
    store_.reset();
    db_.reset();
    std::filesystem::remove_all(root_);
  }
  void reopen() {
    store_.reset();
    auto s = Store::open(dir(), *db_);
    ASSERT_TRUE(s) << s.error().message();
    store_ = std::move(s).value();
  }
  std::string dir() const { return root_ + "/content"; }

  std::string root_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<Store> store_;
};

TEST(Digest, ParsesSha256AndRefusesOthersByName) {
  auto d = Digest::parse(kAbcDigest);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->str(), kAbcDigest);
  EXPECT_EQ(d->short_id(), "ba7816bf8f01");
  EXPECT_EQ(Digest::of("abc"), *d);

  auto sha512 = Digest::parse("sha512:abcd");
  ASSERT_FALSE(sha512);
  EXPECT_THAT(sha512.error().message(), HasSubstr("unsupported digest algorithm \"sha512\""));
  for (std::string_view bad :
       {"", "sha256", "sha256:", "ba7816bf",
        "sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a",
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015adX"}) {
    auto r = Digest::parse(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().kind(), Errc::kInvalidArgument);
  }
}

TEST(Digest, StreamingEqualsOneShot) {
  Digester d;
  d.update("a");
  d.update("");
  d.update("bc");
  EXPECT_EQ(d.finish().str(), kAbcDigest);
}

TEST_F(ContentStoreTest, CommitVerifiesAndStoresUnderTheDigest) {
  auto w = store_->writer();
  ASSERT_TRUE(w);
  ASSERT_TRUE(w->write("ab"));
  ASSERT_TRUE(w->write("c"));
  auto info = w->commit(*Digest::parse(kAbcDigest), 3, {{"keel.io/gc.ref", "x"}});
  ASSERT_TRUE(info) << info.error().message();
  EXPECT_EQ(info->size, 3u);
  EXPECT_EQ(info->labels.at("keel.io/gc.ref"), "x");
  EXPECT_EQ(*fs::read_file(dir() + "/blobs/sha256/" + std::string(kAbcDigest.substr(7))), "abc");
  EXPECT_EQ(entries_in(dir() + "/ingest"), 0u);
  EXPECT_TRUE(store_->exists(info->digest));
  EXPECT_EQ(*store_->read_blob(info->digest), "abc");
  EXPECT_TRUE(store_->verify(info->digest));
}

TEST_F(ContentStoreTest, DigestMismatchIsRefusedAndLeavesNothing) {
  auto w = store_->writer();
  ASSERT_TRUE(w);
  ASSERT_TRUE(w->write("abd"));
  auto info = w->commit(*Digest::parse(kAbcDigest), 3);
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().kind(), Errc::kInvalidArgument);
  EXPECT_THAT(info.error().message(),
              HasSubstr(std::string("digest mismatch: expected ") + std::string(kAbcDigest) +
                        ", got " + Digest::of("abd").str()));
  EXPECT_EQ(entries_in(dir() + "/ingest"), 0u);
  EXPECT_EQ(entries_in(dir() + "/blobs/sha256"), 0u);
}

TEST_F(ContentStoreTest, SizeMismatchIsRefusedAndLeavesNothing) {
  auto info = store_->write_blob("abc", Digest::of("abc"));
  ASSERT_TRUE(info);
  ASSERT_TRUE(store_->remove(info->digest));
  auto w = store_->writer();
  ASSERT_TRUE(w->write("abc"));
  auto r = w->commit(Digest::of("abc"), 4);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("expected 4 bytes, got 3"));
  EXPECT_EQ(entries_in(dir() + "/ingest"), 0u);
  EXPECT_EQ(entries_in(dir() + "/blobs/sha256"), 0u);
}

TEST_F(ContentStoreTest, AbandonedWriterRemovesItsIngestFile) {
  {
    auto w = store_->writer();
    ASSERT_TRUE(w);
    ASSERT_TRUE(w->write("partial"));
    EXPECT_EQ(entries_in(dir() + "/ingest"), 1u);
  }
  EXPECT_EQ(entries_in(dir() + "/ingest"), 0u);
}

TEST_F(ContentStoreTest, StaleIngestFilesAreRemovedOnOpen) {
  // What a crash mid-write leaves: an ingest file and no blob.
  ASSERT_TRUE(fs::write_file_atomic(dir() + "/ingest/0123abcd", "half a layer"));
  reopen();
  EXPECT_EQ(entries_in(dir() + "/ingest"), 0u);
  EXPECT_EQ(entries_in(dir() + "/blobs/sha256"), 0u);
}

TEST_F(ContentStoreTest, ResumedIngestGoesOnFromItsBytesAcrossARestart) {
  const Digest digest = Digest::of("abcdef");
  {
    auto w = store_->resume_writer(digest);
    ASSERT_TRUE(w) << w.error().message();
    EXPECT_EQ(w->resumed_from(), 0U);
    ASSERT_TRUE(w->write(std::string_view("abc")));
  }          // dropped mid-download: the bytes stay
  reopen();  // a restart within the day keeps them too
  auto w = store_->resume_writer(digest);
  ASSERT_TRUE(w) << w.error().message();
  EXPECT_EQ(w->resumed_from(), 3U);
  EXPECT_EQ(w->size(), 3U);
  auto busy = store_->resume_writer(digest);
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().kind(), Errc::kAlreadyExists);
  ASSERT_TRUE(w->write(std::string_view("def")));
  auto info = w->commit(digest, 6);
  ASSERT_TRUE(info) << info.error().message();
  EXPECT_EQ(fs::read_file(store_->blob_path(digest)).value(), "abcdef");
  EXPECT_EQ(entries_in(dir() + "/ingest"), 0U);
}

TEST_F(ContentStoreTest, ResumedIngestThatFailsVerificationIsRemoved) {
  const Digest digest = Digest::of("abcdef");
  auto w = store_->resume_writer(digest);
  ASSERT_TRUE(w);
  ASSERT_TRUE(w->write(std::string_view("abcxyz")));
  auto info = w->commit(digest, 6);
  ASSERT_FALSE(info);
  EXPECT_THAT(info.error().message(), HasSubstr("digest mismatch"));
  EXPECT_EQ(entries_in(dir() + "/ingest"), 0U);
}

TEST_F(ContentStoreTest, ResumableIngestUntouchedForADayIsRemovedOnOpen) {
  const Digest digest = Digest::of("abcdef");
  { ASSERT_TRUE(store_->resume_writer(digest)->write(std::string_view("abc"))); }
  const std::string path = dir() + "/ingest/" + digest.hex();
  const timespec old[2] = {{0, UTIME_OMIT}, {::time(nullptr) - 2 * 24 * 3600, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), old, 0), 0);
  reopen();
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(ContentStoreTest, SecondStoreOnTheSameDirIsRefused) {
  auto second = Store::open(dir(), *db_);
  ASSERT_FALSE(second);
  EXPECT_THAT(second.error().message(), HasSubstr("another keeld"));
}

TEST_F(ContentStoreTest, CommitWithoutExpectationsLearnsTheDigest) {
  auto w = store_->writer();
  ASSERT_TRUE(w->write("abc"));
  auto info = w->commit(std::nullopt, std::nullopt);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->digest.str(), kAbcDigest);
}

TEST_F(ContentStoreTest, DuplicateWriteKeepsOneBlob) {
  ASSERT_TRUE(store_->write_blob("abc"));
  ASSERT_TRUE(store_->write_blob("abc", Digest::of("abc")));
  EXPECT_EQ(entries_in(dir() + "/blobs/sha256"), 1u);
  EXPECT_EQ(entries_in(dir() + "/ingest"), 0u);
}

TEST_F(ContentStoreTest, ListInfoRemoveAndLabels) {
  ASSERT_TRUE(store_->write_blob("one"));
  ASSERT_TRUE(store_->write_blob("two"));
  auto listed = store_->list();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_LT(listed->at(0).digest, listed->at(1).digest);

  const Digest one = Digest::of("one");
  ASSERT_TRUE(store_->set_labels(one, {{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(store_->info(one)->labels.size(), 2u);
  ASSERT_TRUE(store_->set_labels(one, {{"a", "3"}}));
  EXPECT_EQ(store_->info(one)->labels, (Labels{{"a", "3"}}));

  ASSERT_TRUE(store_->remove(one));
  auto gone = store_->info(one);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().kind(), Errc::kNotFound);
  EXPECT_THAT(gone.error().message(), HasSubstr(one.str()));
  EXPECT_EQ(store_->remove(one).error().kind(), Errc::kNotFound);
  EXPECT_EQ(store_->list()->size(), 1u);
}

TEST_F(ContentStoreTest, VerifyDetectsABlobChangedOnDisk) {
  auto info = store_->write_blob("abc");
  ASSERT_TRUE(info);
  {
    std::ofstream out(store_->blob_path(info->digest), std::ios::trunc);
    out << "abd";
  }
  auto r = store_->verify(info->digest);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("corrupt"));
}

TEST_F(ContentStoreTest, ReadBlobRefusesOversizedContent) {
  auto info = store_->write_blob(std::string(100, 'x'));
  ASSERT_TRUE(info);
  EXPECT_FALSE(store_->read_blob(info->digest, 10));
}

}  // namespace
}  // namespace keel::manager::content
