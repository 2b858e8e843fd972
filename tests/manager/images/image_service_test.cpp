// Pins manager/images/image_service: import, list/get/tag/rmi, history, save/load round trips,
// docker-archive and OCI-archive loads, tampered blobs, and GC. Layers go through a fake
// LayerApplier that hashes what the real snapshotter would unpack, so these tests need no mounts.
#include "manager/images/image_service.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "manager/images/decompress.h"
#include "manager/images/media_types.h"

namespace keel::manager::images {
namespace {

using content::Digest;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Records snapshots as files <dir>/<chain hex> holding the diff_id.
class FakeApplier : public LayerApplier {
  struct Staged : StagedLayer {
    AppliedLayer layer;
    [[nodiscard]] const AppliedLayer& unpacked() const override { return layer; }
  };

 public:
  explicit FakeApplier(std::string dir) : dir_(std::move(dir)) {
    std::filesystem::create_directories(dir_);
  }
  bool has(const Digest& chain_id) override { return fs::exists(dir_ + "/" + chain_id.hex()); }
  Result<AppliedLayer> apply(const std::optional<Digest>& parent, const ReadFn& read,
                             const std::optional<Digest>& expected_diff_id) override {
    auto staged = stage(read);
    if (!staged)
      return std::move(staged).error();
    return commit(**staged, parent, expected_diff_id);
  }
  Result<std::unique_ptr<StagedLayer>> stage(const ReadFn& read) override {
    ++applied;
    content::Digester blob;
    ReadFn counting = [&](std::span<std::byte> buf) -> Result<std::size_t> {
      auto n = read(buf);
      if (n)
        blob.update(buf.first(*n));
      return n;
    };
    auto d = Decompressor::open(counting);
    if (!d)
      return std::move(d).error();
    content::Digester diff;
    std::vector<std::byte> buf(4096);
    auto out = std::make_unique<Staged>();
    for (;;) {
      auto n = (*d)->read(buf);
      if (!n)
        return std::move(n).error();
      if (*n == 0)
        break;
      diff.update(std::span(buf).first(*n));
      out->layer.uncompressed_size += *n;
    }
    for (;;) {  // the rest of the compressed stream, as the real unpacker does
      auto n = counting(buf);
      if (!n)
        return std::move(n).error();
      if (*n == 0)
        break;
    }
    out->layer.diff_id = diff.finish();
    out->layer.blob_digest = blob.finish();
    return std::unique_ptr<StagedLayer>(std::move(out));
  }
  Result<AppliedLayer> commit(StagedLayer& staged, const std::optional<Digest>& parent,
                              const std::optional<Digest>& expected_diff_id) override {
    AppliedLayer out = staged.unpacked();
    if (expected_diff_id && *expected_diff_id != out.diff_id)
      return Error::of(Errc::kInvalidArgument, "diff_id mismatch");
    out.chain_id = parent ? Digest::of(parent->str() + " " + out.diff_id.str()) : out.diff_id;
    KEEL_TRY(fs::write_file_atomic(dir_ + "/" + out.chain_id.hex(), out.diff_id.str()));
    return out;
  }
  Result<std::vector<Digest>> list() override {
    std::vector<Digest> out;
    for (const auto& e : std::filesystem::directory_iterator(dir_))
      if (auto d = Digest::from_hex(e.path().filename().string()))
        out.push_back(*d);
    return out;
  }
  Result<void> remove(const Digest& chain_id) override {
    std::filesystem::remove(dir_ + "/" + chain_id.hex());
    return {};
  }
  int applied = 0;

 private:
  std::string dir_;
};

enum class Filter { kNone, kGzip, kZstd };

// A tar (optionally compressed) of the given files, built in memory.
std::string make_tar(const std::vector<std::pair<std::string, std::string>>& files,
                     Filter filter = Filter::kNone) {
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (filter == Filter::kGzip)
    archive_write_add_filter_gzip(a);
  if (filter == Filter::kZstd)
    archive_write_add_filter_zstd(a);
  std::vector<char> buf(16 << 20);
  size_t used = 0;
  archive_write_open_memory(a, buf.data(), buf.size(), &used);
  for (const auto& [name, data] : files) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, name.ends_with("/") ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(e, name.ends_with("/") ? 0755 : 0644);
    archive_entry_set_size(e, name.ends_with("/") ? 0 : static_cast<la_int64_t>(data.size()));
    archive_entry_set_mtime(e, 1700000000, 0);
    archive_write_header(a, e);
    if (!data.empty())
      archive_write_data(a, data.data(), data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return std::string(buf.data(), used);
}

// The regular files of a tar, by name.
std::map<std::string, std::string> read_tar(const std::string& path) {
  std::map<std::string, std::string> out;
  archive* a = archive_read_new();
  archive_read_support_filter_all(a);
  archive_read_support_format_tar(a);
  EXPECT_EQ(archive_read_open_filename(a, path.c_str(), 1 << 16), ARCHIVE_OK);
  archive_entry* e = nullptr;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    std::string data;
    char buf[8192];
    la_ssize_t n = 0;
    while ((n = archive_read_data(a, buf, sizeof buf)) > 0)
      data.append(buf, static_cast<size_t>(n));
    out[archive_entry_pathname(e)] = std::move(data);
  }
  archive_read_free(a);
  return out;
}

ReadFn string_reader(std::string data) {
  auto pos = std::make_shared<size_t>(0);
  auto bytes = std::make_shared<std::string>(std::move(data));
  return [pos, bytes](std::span<std::byte> buf) -> Result<std::size_t> {
    const size_t n = std::min(buf.size(), bytes->size() - *pos);
    std::memcpy(buf.data(), bytes->data() + *pos, n);
    *pos += n;
    return n;
  };
}

class Root {
 public:
  Root() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "keel-images-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
    auto db = store::Database::open(path_ + "/meta.db");
    EXPECT_TRUE(db) << db.error().message();
    db_ = std::make_unique<store::Database>(std::move(db).value());
    auto content = content::Store::open(path_ + "/content", *db_);
    EXPECT_TRUE(content) << content.error().message();
    content_ = std::move(content).value();
    applier_ = std::make_unique<FakeApplier>(path_ + "/snapshots");
    auto service = ImageService::open(*db_, *content_, *applier_);
    EXPECT_TRUE(service) << service.error().message();
    service_ = std::move(service).value();
  }
  Root(const Root&) = delete;
  Root& operator=(const Root&) = delete;
  ~Root() {
    service_.reset();
    content_.reset();
    db_.reset();
    std::filesystem::remove_all(path_);
  }
  ImageService& images() { return *service_; }
  content::Store& content() { return *content_; }
  FakeApplier& applier() { return *applier_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

  Result<LoadResult> load_file(const std::string& path) {
    auto fd = fs::open(path, O_RDONLY);
    if (!fd)
      return std::move(fd).error();
    return service_->load(fd->get());
  }
  Result<LoadResult> load_bytes(const std::string& tar) {
    KEEL_TRY(fs::write_file_atomic(file("in.tar"), tar));
    return load_file(file("in.tar"));
  }

 private:
  std::string path_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<content::Store> content_;
  std::unique_ptr<FakeApplier> applier_;
  std::unique_ptr<ImageService> service_;
};

const std::string kRootfs =
    make_tar({{"bin/", ""}, {"bin/sh", "#!fake shell\n"}, {"etc/hostname", "keel\n"}});

Image import(Root& root, const std::string& ref, std::vector<std::string> changes = {}) {
  ImportOptions options;
  options.ref = ref;
  options.changes = std::move(changes);
  auto image = root.images().import_rootfs(string_reader(kRootfs), options);
  EXPECT_TRUE(image) << image.error().message();
  return std::move(image).value();
}

TEST(ImageService, ImportOnABaseAddsALayerAndKeepsTheBaseConfig) {
  Root root;
  const Image base = import(root, "base:1", {"CMD [\"/bin/sh\"]", "ENV A=1"});
  ImportOptions options;
  options.ref = "derived:1";
  options.base = "base:1";
  options.changes = {"ENV B=2"};
  options.message = "added a file";
  options.author = "someone";
  options.created_by = "keel commit";
  auto derived =
      root.images().import_rootfs(string_reader(make_tar({{"added.txt", "new\n"}})), options);
  ASSERT_TRUE(derived) << derived.error().message();
  ASSERT_EQ(derived->config.diff_ids.size(), 2u);
  EXPECT_EQ(derived->config.diff_ids[0], base.config.diff_ids[0]);
  EXPECT_EQ(derived->layers.size(), 2u);
  EXPECT_EQ(derived->config.config.cmd, (std::vector<std::string>{"/bin/sh"}));
  EXPECT_THAT(derived->config.config.env, ::testing::IsSupersetOf({"A=1", "B=2"}));
  ASSERT_EQ(derived->config.history.size(), base.config.history.size() + 1);
  EXPECT_EQ(derived->config.history.back().comment, "added a file");
  EXPECT_EQ(derived->config.history.back().created_by, "keel commit");
  EXPECT_EQ(derived->config.author, "someone");
  EXPECT_GT(derived->size, base.size);
}

TEST(ImageService, ImportMakesAOneLayerImageWithTheChanges) {
  Root root;
  auto image = root.images().import_rootfs(
      string_reader(kRootfs),
      {"busybox",
       {"CMD [\"sh\"]", "ENV PATH=/bin", "WORKDIR /root", "ENTRYPOINT [\"/init\"]", "USER nobody",
        "EXPOSE 8080", "LABEL a=b", "VOLUME /data", "STOPSIGNAL SIGINT"},
       "from a test",
       "",
       "",
       ""});
  ASSERT_TRUE(image) << image.error().message();
  EXPECT_THAT(image->repo_tags, ElementsAre("docker.io/library/busybox:latest"));
  EXPECT_THAT(image->repo_digests,
              ElementsAre("docker.io/library/busybox@" + image->target.digest.str()));
  EXPECT_EQ(image->target.media_type, media_type::kOciManifest);
  ASSERT_EQ(image->layers.size(), 1u);
  EXPECT_EQ(image->layers[0].media_type, media_type::kOciLayer);
  EXPECT_EQ(image->layers[0].digest, Digest::of(kRootfs));  // plain tar: blob == diff_id
  EXPECT_THAT(image->config.diff_ids, ElementsAre(Digest::of(kRootfs)));
  EXPECT_EQ(image->size, static_cast<std::int64_t>(kRootfs.size()));
  EXPECT_EQ(image->id, Digest::of(image->config_json));
  const RunConfig& c = image->config.config;
  EXPECT_THAT(*c.cmd, ElementsAre("sh"));
  EXPECT_THAT(*c.entrypoint, ElementsAre("/init"));
  EXPECT_THAT(c.env, ElementsAre("PATH=/bin"));
  EXPECT_EQ(c.working_dir, "/root");
  EXPECT_EQ(c.user, "nobody");
  EXPECT_THAT(c.exposed_ports, ElementsAre("8080/tcp"));
  EXPECT_EQ(c.labels.at("a"), "b");
  EXPECT_THAT(c.volumes, ElementsAre("/data"));
  EXPECT_EQ(c.stop_signal, "SIGINT");
  EXPECT_EQ(image->config.os, "linux");
  EXPECT_GT(image->created_ns, 0);
  EXPECT_EQ(root.applier().applied, 1);
  EXPECT_TRUE(root.applier().has(image->config.diff_ids[0]));

  auto history = root.images().history("busybox");
  ASSERT_TRUE(history);
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ(history->at(0).comment, "from a test");
  EXPECT_EQ(history->at(0).id, image->config.diff_ids[0].str());
  EXPECT_EQ(history->at(0).size, static_cast<std::int64_t>(kRootfs.size()));
}

TEST(ImageService, ImportRefusesBadChangesBeforeReadingAnything) {
  Root root;
  bool read = false;
  ReadFn never = [&](std::span<std::byte>) -> Result<std::size_t> {
    read = true;
    return std::size_t{0};
  };
  auto r = root.images().import_rootfs(never, {"x", {"RUN rm -rf /"}, "", "", "", ""});
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("unsupported instruction"));
  EXPECT_FALSE(read);
  EXPECT_FALSE(root.images().import_rootfs(never, {"Bad:Name", {}, "", "", "", ""}));
}

TEST(ImageService, GetByNameIdAndPrefix) {
  Root root;
  Image image = import(root, "quay.io/org/app:v1");
  for (std::string ref :
       {std::string("quay.io/org/app:v1"), image.id.str(), image.id.hex(), image.id.short_id(),
        "sha256:" + image.id.hex().substr(0, 5), "quay.io/org/app@" + image.target.digest.str()}) {
    auto got = root.images().get(ref);
    ASSERT_TRUE(got) << ref << ": " << got.error().message();
    EXPECT_EQ(got->id, image.id) << ref;
  }
  auto missing = root.images().get("quay.io/org/app:v2");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind(), Errc::kNotFound);
  EXPECT_THAT(missing.error().message(), HasSubstr("no such image: quay.io/org/app:v2"));
}

TEST(ImageService, TagAddsANameAndListGroupsThem) {
  Root root;
  Image image = import(root, "busybox");
  auto tagged = root.images().tag("busybox", "localhost:5000/bb:1");
  ASSERT_TRUE(tagged) << tagged.error().message();
  EXPECT_THAT(tagged->repo_tags,
              ElementsAre("docker.io/library/busybox:latest", "localhost:5000/bb:1"));
  auto list = root.images().list(false);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->at(0).id, image.id);
  EXPECT_FALSE(root.images().tag("busybox", "x@sha256:" + std::string(64, 'a')));
}

TEST(ImageService, RetaggingLeavesTheOldImageDangling) {
  Root root;
  Image first = import(root, "app", {"CMD [\"one\"]"});
  Image second = import(root, "app", {"CMD [\"two\"]"});
  ASSERT_NE(first.id, second.id);
  EXPECT_EQ(root.images().list(false)->size(), 1u);
  auto all = root.images().list(true);
  ASSERT_EQ(all->size(), 2u);
  auto old = root.images().get(first.id.str());
  ASSERT_TRUE(old);
  EXPECT_TRUE(old->repo_tags.empty());
}

TEST(ImageService, RmiUntagsThenDeletesAndGcFreesBlobsAndSnapshots) {
  Root root;
  Image image = import(root, "busybox");
  ASSERT_TRUE(root.images().tag("busybox", "other"));
  EXPECT_EQ(root.content().list()->size(), 3u);  // layer, config, manifest

  const std::vector<std::string> first = {"busybox"};
  auto r1 = root.images().remove(first, {});
  ASSERT_TRUE(r1) << r1.error().message();
  EXPECT_THAT(r1->untagged, ElementsAre("docker.io/library/busybox:latest"));
  EXPECT_TRUE(r1->deleted.empty());
  EXPECT_EQ(root.content().list()->size(), 3u);

  const std::vector<std::string> second = {"other:latest"};
  auto r2 = root.images().remove(second, {});
  ASSERT_TRUE(r2) << r2.error().message();
  EXPECT_THAT(r2->untagged, ElementsAre("docker.io/library/other:latest"));
  EXPECT_THAT(r2->deleted, ElementsAre(image.id.str()));
  EXPECT_GT(r2->space_reclaimed, static_cast<std::int64_t>(kRootfs.size()));
  EXPECT_TRUE(root.content().list()->empty());
  EXPECT_TRUE(root.applier().list()->empty());
  EXPECT_FALSE(root.images().get(image.id.str()));
}

TEST(ImageService, RmiRefusesAnImageInUseUnlessForced) {
  Root root;
  Image image = import(root, "busybox");
  root.images().set_in_use([&](const Digest& id) { return id == image.id; });
  const std::vector<std::string> refs = {"busybox"};
  auto refused = root.images().remove(refs, {});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind(), Errc::kFailedPrecondition);
  EXPECT_THAT(refused.error().message(), HasSubstr("used by a container"));
  EXPECT_TRUE(root.images().get("busybox"));
  auto forced = root.images().remove(refs, {.force = true});
  ASSERT_TRUE(forced) << forced.error().message();
  EXPECT_THAT(forced->deleted, ElementsAre(image.id.str()));
}

TEST(ImageService, RmiByIdOfAMultiplyTaggedImageNeedsForce) {
  Root root;
  Image image = import(root, "a");
  ASSERT_TRUE(root.images().tag("a", "b"));
  const std::vector<std::string> refs = {image.id.short_id()};
  auto refused = root.images().remove(refs, {});
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message(), HasSubstr("referenced in multiple repositories"));
  auto forced = root.images().remove(refs, {.force = true});
  ASSERT_TRUE(forced);
  EXPECT_EQ(forced->untagged.size(), 2u);
  EXPECT_TRUE(root.content().list()->empty());
}

TEST(ImageService, GcKeepsWhatTheCallerHolds) {
  Root root;
  Image image = import(root, "busybox");
  auto stray = root.content().write_blob("held by a lease");
  auto lost = root.content().write_blob("nobody's");
  ASSERT_TRUE(stray && lost);
  root.images().set_gc_roots([&]() -> Result<GcRoots> { return GcRoots{{stray->digest}, {}}; });
  auto gc = root.images().collect_garbage();
  ASSERT_TRUE(gc) << gc.error().message();
  EXPECT_THAT(gc->removed_blobs, ElementsAre(lost->digest));
  EXPECT_TRUE(root.content().exists(stray->digest));
  EXPECT_TRUE(root.content().exists(image.target.digest));
}

Result<void> save_to(Root& root, const std::vector<std::string>& refs, const std::string& path) {
  auto fd = fs::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (!fd)
    return std::move(fd).error();
  return root.images().save(refs, fd->get());
}

TEST(ImageService, SaveThenLoadRoundTripsWithIdenticalDigests) {
  Root a;
  Image image = import(a, "busybox", {"CMD [\"sh\"]"});
  ASSERT_TRUE(a.images().tag("busybox", "localhost:5000/bb:v1"));
  const std::string out = a.file("out.tar");
  auto saved = save_to(a, {"busybox", "localhost:5000/bb:v1"}, out);
  ASSERT_TRUE(saved) << saved.error().message();

  // docker-archive layout: manifest.json, repositories, <config>.json, <diff_id>.tar
  auto files = read_tar(out);
  const std::string layer_name = image.config.diff_ids[0].hex() + ".tar";
  EXPECT_EQ(files.at(image.id.hex() + ".json"), image.config_json);
  EXPECT_EQ(files.at(layer_name), kRootfs);
  auto manifest = nlohmann::json::parse(files.at("manifest.json"));
  ASSERT_EQ(manifest.size(), 1u);
  EXPECT_EQ(manifest[0]["Config"], image.id.hex() + ".json");
  EXPECT_EQ(manifest[0]["RepoTags"], nlohmann::json({"busybox:latest", "localhost:5000/bb:v1"}));
  EXPECT_EQ(manifest[0]["Layers"], nlohmann::json({layer_name}));
  auto repositories = nlohmann::json::parse(files.at("repositories"));
  EXPECT_EQ(repositories["busybox"]["latest"], image.config.diff_ids[0].hex());

  Root b;
  auto loaded = b.load_file(out);
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_THAT(loaded->loaded,
              ElementsAre("Loaded image: busybox:latest", "Loaded image: localhost:5000/bb:v1"));
  ASSERT_EQ(loaded->images.size(), 1u);
  const Image& back = loaded->images[0];
  EXPECT_EQ(back.id, image.id);
  EXPECT_EQ(back.target.digest, image.target.digest);
  EXPECT_EQ(back.config.diff_ids, image.config.diff_ids);
  EXPECT_EQ(back.layers[0].digest, image.layers[0].digest);
  EXPECT_THAT(back.repo_tags,
              ElementsAre("docker.io/library/busybox:latest", "localhost:5000/bb:v1"));

  // Saving again from the loaded copy gives the same bytes: the output is reproducible.
  ASSERT_TRUE(save_to(b, {"busybox", "localhost:5000/bb:v1"}, b.file("again.tar")));
  EXPECT_EQ(*fs::read_file(b.file("again.tar")), *fs::read_file(out));
}

TEST(ImageService, LoadsADockerArchiveWithCompressedLayersAndLegacySymlinks) {
  const std::string base = make_tar({{"etc/os-release", "ID=keel\n"}});
  const std::string top = make_tar({{"app/run", "echo\n"}});
  const std::string top_zstd = make_tar({{"app/run", "echo\n"}}, Filter::kZstd);
  ImageConfig config;
  config.architecture = "amd64";
  config.os = "linux";
  config.created = "2024-01-02T03:04:05Z";
  config.config.cmd = std::vector<std::string>{"/app/run"};
  config.diff_ids = {Digest::of(base), Digest::of(top)};
  config.history = {{"2024-01-02T03:04:05Z", "ADD base", "", "", false},
                    {"2024-01-02T03:04:05Z", "ENV X=1", "", "", true},
                    {"2024-01-02T03:04:05Z", "ADD app", "", "", false}};
  const std::string config_json = to_json(config);
  const std::string cfg = Digest::of(config_json).hex();
  const nlohmann::json manifest =
      nlohmann::json::array({{{"Config", cfg + ".json"},
                              {"RepoTags", {"example/app:1"}},
                              {"Layers", {"l1/layer.tar", "l2/layer.tar"}}}});
  Root root;
  auto loaded = root.load_bytes(make_tar({{"l1/layer.tar", base},
                                          {"l1/VERSION", "1.0"},
                                          {"l2/layer.tar", top_zstd},
                                          {cfg + ".json", config_json},
                                          {"manifest.json", manifest.dump()}}));
  ASSERT_TRUE(loaded) << loaded.error().message();
  ASSERT_EQ(loaded->images.size(), 1u);
  const Image& image = loaded->images[0];
  EXPECT_EQ(image.id.hex(), cfg);
  EXPECT_THAT(image.repo_tags, ElementsAre("docker.io/example/app:1"));
  ASSERT_EQ(image.layers.size(), 2u);
  EXPECT_EQ(image.layers[1].media_type, media_type::kOciLayerZstd);
  EXPECT_EQ(image.size, static_cast<std::int64_t>(base.size() + top.size()));
  EXPECT_EQ(root.applier().applied, 2);
  auto history = root.images().history("example/app:1");
  ASSERT_TRUE(history);
  ASSERT_EQ(history->size(), 3u);
  EXPECT_EQ(history->at(0).created_by, "ADD app");  // newest first
  EXPECT_EQ(history->at(0).id, Digest::of(top).str());
  EXPECT_TRUE(history->at(1).empty_layer);
  EXPECT_EQ(history->at(2).id, Digest::of(base).str());

  // Saving a zstd layer writes it plain, under its diff_id.
  ASSERT_TRUE(save_to(root, {"example/app:1"}, root.file("out.tar")));
  auto files = read_tar(root.file("out.tar"));
  EXPECT_EQ(files.at(Digest::of(top).hex() + ".tar"), top);
}

// An OCI image layout in a tar: oci-layout, index.json, blobs/sha256/<hex>.
struct OciArchive {
  std::vector<std::pair<std::string, std::string>> files;
  Digest manifest;
  Digest config;
};

OciArchive make_oci_archive(const std::string& layer_gz, const std::string& layer_tar,
                            const nlohmann::json& index_annotations) {
  ImageConfig config;
  config.architecture = "amd64";
  config.os = "linux";
  config.config.env = {"A=1"};
  config.diff_ids = {Digest::of(layer_tar)};
  const std::string config_json = to_json(config);
  Manifest m;
  m.media_type = std::string(media_type::kOciManifest);
  m.config = {std::string(media_type::kOciConfig),
              Digest::of(config_json),
              static_cast<std::int64_t>(config_json.size()),
              {},
              {}};
  m.layers = {{std::string(media_type::kOciLayerGzip),
               Digest::of(layer_gz),
               static_cast<std::int64_t>(layer_gz.size()),
               {},
               {}}};
  const std::string manifest_json = to_json(m);
  nlohmann::json index = {{"schemaVersion", 2},
                          {"manifests",
                           {{{"mediaType", media_type::kOciManifest},
                             {"digest", Digest::of(manifest_json).str()},
                             {"size", manifest_json.size()},
                             {"annotations", index_annotations}}}}};
  OciArchive out;
  out.manifest = Digest::of(manifest_json);
  out.config = Digest::of(config_json);
  out.files = {{"oci-layout", R"({"imageLayoutVersion":"1.0.0"})"},
               {"blobs/sha256/" + Digest::of(layer_gz).hex(), layer_gz},
               {"blobs/sha256/" + out.config.hex(), config_json},
               {"blobs/sha256/" + out.manifest.hex(), manifest_json},
               {"index.json", index.dump()}};
  return out;
}

TEST(ImageService, LoadsAnOciArchiveKeepingItsManifest) {
  const std::string layer = make_tar({{"hello", "world"}});
  const std::string layer_gz = make_tar({{"hello", "world"}}, Filter::kGzip);
  auto oci = make_oci_archive(layer_gz, layer,
                              {{"io.containerd.image.name", "docker.io/library/hello:oci"},
                               {"org.opencontainers.image.ref.name", "oci"}});
  Root root;
  auto loaded = root.load_bytes(make_tar(oci.files, Filter::kGzip));  // the archive gzipped too
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_THAT(loaded->loaded, ElementsAre("Loaded image: hello:oci"));
  const Image& image = loaded->images.at(0);
  EXPECT_EQ(image.target.digest, oci.manifest);
  EXPECT_EQ(image.id, oci.config);
  EXPECT_EQ(image.layers[0].media_type, media_type::kOciLayerGzip);
  EXPECT_THAT(image.config.config.env, ElementsAre("A=1"));
  EXPECT_EQ(image.size, static_cast<std::int64_t>(layer.size()));
}

TEST(ImageService, LoadOfAnUnnamedImageReportsItsId) {
  const std::string layer = make_tar({{"x", "y"}});
  const std::string layer_gz = make_tar({{"x", "y"}}, Filter::kGzip);
  auto oci = make_oci_archive(layer_gz, layer, {{"org.opencontainers.image.ref.name", "latest"}});
  Root root;
  auto loaded = root.load_bytes(make_tar(oci.files));
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_THAT(loaded->loaded, ElementsAre("Loaded image ID: " + oci.config.str()));
  EXPECT_TRUE(root.images().list(false)->empty());
  EXPECT_EQ(root.images().list(true)->size(), 1u);
}

TEST(ImageService, TamperedBlobIsRefusedAndGcLeavesNothing) {
  const std::string layer = make_tar({{"x", "y"}});
  const std::string layer_gz = make_tar({{"x", "y"}}, Filter::kGzip);
  auto oci = make_oci_archive(layer_gz, layer, {{"io.containerd.image.name", "t:1"}});
  std::string& blob = oci.files[1].second;
  blob[blob.size() / 2] ^= 0x5a;
  Root root;
  auto loaded = root.load_bytes(make_tar(oci.files));
  ASSERT_FALSE(loaded);
  EXPECT_THAT(loaded.error().message(), HasSubstr("digest mismatch: expected sha256:"));
  EXPECT_TRUE(root.images().list(true)->empty());
  EXPECT_EQ(root.applier().applied, 0);
  ASSERT_TRUE(root.images().collect_garbage());
  EXPECT_TRUE(root.content().list()->empty());
  EXPECT_TRUE(std::filesystem::is_empty(root.file("content/ingest")));
}

TEST(ImageService, LayerWhoseDiffIdDisagreesWithTheConfigIsRefused) {
  const std::string layer = make_tar({{"x", "y"}});
  const std::string other = make_tar({{"x", "z"}});
  const std::string layer_gz = make_tar({{"x", "y"}}, Filter::kGzip);
  auto oci = make_oci_archive(layer_gz, other, {{"io.containerd.image.name", "t:1"}});
  Root root;
  auto loaded = root.load_bytes(make_tar(oci.files));
  ASSERT_FALSE(loaded);
  EXPECT_THAT(loaded.error().message(), HasSubstr("diff_id"));
  EXPECT_TRUE(root.images().list(true)->empty());
  EXPECT_TRUE(root.applier().list()->empty());
}

TEST(ImageService, LoadRefusesAnArchiveWithoutManifests) {
  Root root;
  auto loaded = root.load_bytes(make_tar({{"random.txt", "hi"}}));
  ASSERT_FALSE(loaded);
  EXPECT_THAT(loaded.error().message(), HasSubstr("not a docker-archive or OCI-archive"));
}

}  // namespace
}  // namespace keel::manager::images
