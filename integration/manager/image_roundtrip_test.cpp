// The busybox image from a rootfs tar: import with changes, images, tag, inspect, history, save,
// rmi and load again with the same id and digests; the saved tar read by podman and skopeo.
#include <unistd.h>

#include <regex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "integration/manager/archives.h"
#include "integration/manager/manager_test.h"

namespace keel::it {
namespace {

namespace stdfs = std::filesystem;
using fixtures::run_command;

constexpr const char* kRef = "it/busybox:1.0";

// A column-aligned table as keelctl prints it: cells are separated by two or more spaces.
std::vector<std::vector<std::string>> table_of(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  const std::regex gap("  +");
  for (const auto& line : lines_of(text)) {
    std::vector<std::string> cells;
    for (std::sregex_token_iterator it(line.begin(), line.end(), gap, -1), end; it != end; ++it)
      cells.push_back(*it);
    rows.push_back(std::move(cells));
  }
  return rows;
}

nlohmann::json inspect(const fixtures::Keeld& keeld, const std::string& ref) {
  const std::string out = keeld.ctl_ok({"image", "inspect", ref});
  auto parsed = nlohmann::json::parse(out, nullptr, false);
  EXPECT_TRUE(parsed.is_array() && parsed.size() == 1) << out;
  return parsed.is_array() && parsed.size() == 1 ? parsed[0] : nlohmann::json::object();
}

std::optional<stdfs::path> find_tool(const std::string& name) {
  for (const char* dir : {"/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"}) {
    const auto path = stdfs::path(dir) / name;
    if (::access(path.c_str(), X_OK) == 0)
      return path;
  }
  return std::nullopt;
}

class ImageRoundTrip : public ManagerTest {
 protected:
  // Imports busybox as kRef with CMD, ENV, WORKDIR and USER changes; returns the image id.
  std::string import_busybox() {
    const auto tar = work_ / "rootfs.tar";
    write_file(tar, busybox_rootfs_tar());
    const auto out = keeld_.ctl_ok({"import", "-c", R"(CMD ["/bin/sh", "-c", "echo hi"])", "-c",
                                    "ENV GREETING=hello", "-c", "WORKDIR /tmp", "-c", "USER 1000",
                                    tar.string(), kRef});
    const auto lines = lines_of(out);
    EXPECT_EQ(lines.size(), 1U) << out;
    return lines.empty() ? std::string() : lines.front();
  }

  // `save -o` of kRef into the work dir.
  stdfs::path save() {
    const auto path = work_ / "saved.tar";
    keeld_.ctl_ok({"save", "-o", path.string(), kRef});
    EXPECT_GT(stdfs::file_size(path), busybox_rootfs_tar().size());
    return path;
  }
};

TEST_F(ImageRoundTrip, ImportListTagInspectSaveAndLoadKeepTheDigests) {
  const std::string id = import_busybox();
  ASSERT_TRUE(std::regex_match(id, std::regex("sha256:[0-9a-f]{64}"))) << id;

  // images: docker's columns; the short id is 12 hex digits; the size is a human size.
  auto rows = table_of(keeld_.ctl_ok({"images"}));
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0],
            (std::vector<std::string>{"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"}));
  ASSERT_EQ(rows[1].size(), 5U);
  EXPECT_EQ(rows[1][0], "it/busybox");
  EXPECT_EQ(rows[1][1], "1.0");
  EXPECT_EQ(rows[1][2], id.substr(7, 12));
  EXPECT_TRUE(std::regex_match(rows[1][4], std::regex(R"([0-9.]+[kMG]?B)"))) << rows[1][4];

  keeld_.ctl_ok({"tag", kRef, "it/busybox:copy"});
  rows = table_of(keeld_.ctl_ok({"images"}));
  ASSERT_EQ(rows.size(), 3U);
  std::set<std::string> tags;
  for (size_t i = 1; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i][2], id.substr(7, 12));
    tags.insert(rows[i][0] + ":" + rows[i][1]);
  }
  EXPECT_EQ(tags, (std::set<std::string>{"it/busybox:1.0", "it/busybox:copy"}));
  EXPECT_EQ(image_ids(), std::vector<std::string>({id, id}));

  // inspect: the changes in Config, one layer whose diff id is the imported tar's digest.
  const auto before = inspect(keeld_, kRef);
  EXPECT_EQ(before.value("Id", ""), id);
  EXPECT_EQ(before["Config"]["Cmd"], nlohmann::json({"/bin/sh", "-c", "echo hi"}));
  EXPECT_EQ(before["Config"]["Env"], nlohmann::json({"GREETING=hello"}));
  EXPECT_EQ(before["Config"]["WorkingDir"], "/tmp");
  EXPECT_EQ(before["Config"]["User"], "1000");
  EXPECT_EQ(before["RootFS"]["Type"], "layers");
  EXPECT_EQ(before["RootFS"]["Layers"], nlohmann::json({digest_of(busybox_rootfs_tar())}));
  EXPECT_EQ(before["Os"], "linux");
  EXPECT_EQ(before["RepoTags"], nlohmann::json({"it/busybox:1.0", "it/busybox:copy"}));
  ASSERT_TRUE(before.contains("Descriptor")) << before.dump(2);

  const auto history = lines_of(keeld_.ctl_ok({"history", "--no-trunc", kRef}));
  ASSERT_EQ(history.size(), 2U);
  EXPECT_NE(history[1].find(id), std::string::npos) << history[1];

  const auto saved = save();
  keeld_.ctl_ok({"rmi", kRef, "it/busybox:copy"});
  EXPECT_TRUE(image_ids().empty());
  EXPECT_EQ(keeld_.ctl({"image", "inspect", kRef}).exit_code, 1);

  const auto loaded = keeld_.ctl_ok({"load", "-i", saved.string()});
  EXPECT_EQ(lines_of(loaded), std::vector<std::string>({"Loaded image: it/busybox:1.0"}));
  const auto after = inspect(keeld_, kRef);
  EXPECT_EQ(after.value("Id", ""), id);
  EXPECT_EQ(after["Descriptor"], before["Descriptor"]);
  EXPECT_EQ(after["RootFS"], before["RootFS"]);
  EXPECT_EQ(after["Config"], before["Config"]);
  EXPECT_EQ(after["RepoDigests"], before["RepoDigests"]);
  EXPECT_EQ(after["Created"], before["Created"]);

  // Saving the loaded image again gives the same bytes: save is deterministic.
  const auto resaved = work_ / "resaved.tar";
  keeld_.ctl_ok({"save", "-o", resaved.string(), kRef});
  EXPECT_EQ(digest_of(read_file(resaved)), digest_of(read_file(saved)));
}

TEST_F(ImageRoundTrip, SavedArchiveLoadsInPodman) {
  const auto podman = find_tool("podman");
  if (!podman)
    GTEST_SKIP() << "podman is not installed (scripts/install-deps.sh installs it)";
  const std::string id = import_busybox();
  const auto saved = save();

  // A private podman store; vfs needs no mounts, so nothing can be left mounted.
  TempDir store;
  const std::vector<std::string> base = {podman->string(),
                                         "--root",
                                         (store / "root").string(),
                                         "--runroot",
                                         (store / "run").string(),
                                         "--tmpdir",
                                         (store / "tmp").string(),
                                         "--storage-driver",
                                         "vfs",
                                         "--events-backend",
                                         "none",
                                         "--cgroup-manager",
                                         "cgroupfs"};
  auto podman_run = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = base;
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
  };
  const auto loaded = podman_run({"load", "-i", saved.string()});
  EXPECT_EQ(loaded.exit_code, 0) << loaded;
  EXPECT_NE(loaded.out.find("it/busybox:1.0"), std::string::npos) << loaded;
  const auto listed = podman_run({"image", "inspect", "--format", "{{.Id}}", "it/busybox:1.0"});
  EXPECT_EQ(listed.exit_code, 0) << listed;
  EXPECT_EQ(lines_of(listed.out), std::vector<std::string>({hex_of(id)})) << listed;
  const auto cmd = podman_run(
      {"image", "inspect", "--format", "{{.Config.WorkingDir}} {{.User}}", "it/busybox:1.0"});
  EXPECT_EQ(lines_of(cmd.out), std::vector<std::string>({"/tmp 1000"})) << cmd;

  const auto removed = podman_run({"rmi", "--all", "--force"});
  EXPECT_EQ(removed.exit_code, 0) << removed;
  const auto reset = podman_run({"system", "reset", "--force"});
  EXPECT_EQ(reset.exit_code, 0) << reset;
  EXPECT_TRUE(fixtures::mounts_under(store.path()).empty());
}

TEST_F(ImageRoundTrip, SavedArchiveCopiesWithSkopeo) {
  const auto skopeo = find_tool("skopeo");
  if (!skopeo)
    GTEST_SKIP() << "skopeo is not installed (scripts/install-deps.sh installs it)";
  const std::string id = import_busybox();
  const auto saved = save();
  const auto layout = work_ / "oci";
  const auto copied =
      run_command({skopeo->string(), "--insecure-policy", "copy",
                   "docker-archive:" + saved.string(), "oci:" + layout.string() + ":copied"});
  ASSERT_EQ(copied.exit_code, 0) << copied;

  // The layout names the copy, and its manifest carries one layer (skopeo may recompress it).
  const auto index = nlohmann::json::parse(read_file(layout / "index.json"), nullptr, false);
  ASSERT_TRUE(index.is_object() && index["manifests"].size() == 1) << index.dump();
  EXPECT_EQ(index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"], "copied");
  const std::string manifest_digest = index["manifests"][0]["digest"];
  const auto manifest = nlohmann::json::parse(
      read_file(layout / "blobs" / "sha256" / hex_of(manifest_digest)), nullptr, false);
  ASSERT_TRUE(manifest.is_object() && manifest["layers"].size() == 1) << manifest.dump();
  const std::string layer = manifest["layers"][0]["digest"];
  EXPECT_EQ(digest_of(read_file(layout / "blobs" / "sha256" / hex_of(layer))), layer);

  const auto inspected = run_command({skopeo->string(), "--insecure-policy", "inspect", "--config",
                                      "docker-archive:" + saved.string()});
  ASSERT_EQ(inspected.exit_code, 0) << inspected;
  const auto config = nlohmann::json::parse(inspected.out, nullptr, false);
  EXPECT_EQ(config["config"]["Env"], nlohmann::json({"GREETING=hello"})) << inspected.out;
  EXPECT_EQ(config["rootfs"]["diff_ids"], nlohmann::json({digest_of(busybox_rootfs_tar())}));
  EXPECT_FALSE(id.empty());
}

}  // namespace
}  // namespace keel::it
