// LocalRegistry: docker-registry serve <config> on a free loopback port.
#include "integration/registry/local_registry.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "common/unique_fd.h"
#include "integration/fixtures/host.h"
#include "integration/fixtures/wait.h"
#include "manager/content/digest.h"
#include "manager/registry/registry_client.h"

namespace keel::it {
namespace {

// The kernel picks a free port; the registry binds it a moment later (a small window in which
// another process could take it, which on a test machine's loopback is acceptable).
int free_loopback_port() {
  UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (!s.valid() || ::bind(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(s.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("no free loopback port");
  return ntohs(addr.sin_port);
}

void write(const std::filesystem::path& path, const std::string& bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string blob(const std::filesystem::path& layout, const std::string& bytes) {
  const auto digest = manager::content::Digest::of(bytes);
  write(layout / "blobs" / "sha256" / digest.hex(), bytes);
  return digest.str();
}

}  // namespace

LocalRegistry::LocalRegistry() {
  char tmpl[] = "/tmp/keel-registry-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr)
    throw std::runtime_error("mkdtemp for the registry");
  dir_ = tmpl;
  host_ = "127.0.0.1:" + std::to_string(free_loopback_port());
  // The access log (combined format, on stdout) says which blobs were fetched and how much.
  write(dir_ / "config.yml",
        "version: 0.1\n"
        "log:\n  level: error\n  accesslog:\n    disabled: false\n"
        "storage:\n  filesystem:\n    rootdirectory: " +
            (dir_ / "storage").string() +
            "\n  delete:\n    enabled: true\n"
            "http:\n  addr: " +
            host_ + "\n");
  start();
}

void LocalRegistry::start() {
  // Through a shell that execs it: the log file outlives each run, the pid is the registry's.
  const std::string command = "exec /usr/bin/docker-registry serve '" +
                              (dir_ / "config.yml").string() + "' >>'" +
                              (dir_ / "registry.log").string() + "' 2>&1";
  server_.emplace(fixtures::start_command({"/bin/sh", "-c", command}, {}));
  manager::registry::RegistryClient client(manager::registry::resolve_endpoint(host_, {}),
                                           std::nullopt);
  if (!fixtures::wait_until([&] { return static_cast<bool>(client.check_login()); },
                            std::chrono::seconds(20)))
    throw std::runtime_error("docker-registry did not answer on " + host_);
}

void LocalRegistry::stop() {
  if (server_) {
    ::kill(server_->pid(), SIGTERM);
    (void)server_->wait();  // its exit status after SIGTERM says nothing
    server_.reset();
  }
}

void LocalRegistry::kill() {
  if (server_) {
    ::kill(server_->pid(), SIGKILL);
    (void)server_->wait();
    server_.reset();
  }
}

void LocalRegistry::restart() {
  stop();
  start();
}

LocalRegistry::~LocalRegistry() {
  stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::filesystem::path LocalRegistry::blob_data_path(const std::string& digest) const {
  const std::string hex = digest.substr(digest.find(':') + 1);
  return dir_ / "storage" / "docker" / "registry" / "v2" / "blobs" / "sha256" / hex.substr(0, 2) /
         hex / "data";
}

std::string LocalRegistry::access_log() const {
  std::error_code ec;
  if (!std::filesystem::exists(dir_ / "registry.log", ec))
    return {};
  return fixtures::read_text(dir_ / "registry.log");
}

std::vector<std::pair<int, std::uint64_t>> LocalRegistry::blob_gets(
    const std::string& digest) const {
  // 127.0.0.1 - - [date] "GET /v2/repo/blobs/sha256:... HTTP/1.1" 206 1234 "" "keel/0.1.0"
  std::vector<std::pair<int, std::uint64_t>> out;
  std::istringstream lines(access_log());
  for (std::string line; std::getline(lines, line);) {
    if (line.find("\"GET /v2/") == std::string::npos ||
        line.find("/blobs/" + digest + " ") == std::string::npos)
      continue;
    std::istringstream rest(line.substr(line.find("HTTP/") + 1));
    std::string proto;
    int status = 0;
    std::uint64_t bytes = 0;
    rest >> proto >> status >> bytes;
    if (status == 200 || status == 206)
      out.emplace_back(status, bytes);
  }
  return out;
}

int LocalRegistry::manifest_gets(const std::string& repository) const {
  int n = 0;
  std::istringstream lines(access_log());
  for (std::string line; std::getline(lines, line);) {
    if (line.find("\"GET /v2/" + repository + "/manifests/") != std::string::npos)
      ++n;
  }
  return n;
}

namespace {

std::string tar_of(const std::filesystem::path& tree) {
  const auto tar = fixtures::run_command({"/bin/tar", "--sort=name", "--owner=0", "--group=0",
                                          "--mtime=@0", "-C", tree.string(), "-cf", "-", "."},
                                         {});
  if (tar.exit_code != 0)
    throw std::runtime_error("tar the layer: " + tar.err);
  return tar.out;
}

}  // namespace

PushedImage LocalRegistry::push(const std::string& repository, const std::string& tag,
                                const std::vector<std::pair<std::string, std::string>>& files) {
  const auto tree = dir_ / ("tree-" + tag);
  for (const auto& [path, content] : files)
    write(tree / path, content);
  return push_layer(repository, tag, tar_of(tree));
}

PushedImage LocalRegistry::push_directory(const std::string& repository, const std::string& tag,
                                          const std::filesystem::path& dir) {
  return push_layer(repository, tag, tar_of(dir));
}

PushedImage LocalRegistry::push_layer(const std::string& repository, const std::string& tag,
                                      const std::string& layer) {
  PushedImage image;
  const auto layout = dir_ / ("layout-" + std::to_string(::getpid()) + "-" + tag);
  image.layer = layer;
  image.layer_digest = blob(layout, image.layer);
  const nlohmann::json config = {
      {"architecture", "amd64"},
      {"os", "linux"},
      {"config", {{"Cmd", {"/bin/sh"}}}},
      {"rootfs", {{"type", "layers"}, {"diff_ids", {image.layer_digest}}}}};
  const std::string config_bytes = config.dump();
  image.config_digest = blob(layout, config_bytes);
  const nlohmann::json manifest = {{"schemaVersion", 2},
                                   {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                                   {"config",
                                    {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                                     {"digest", image.config_digest},
                                     {"size", config_bytes.size()}}},
                                   {"layers",
                                    {{{"mediaType", "application/vnd.oci.image.layer.v1.tar"},
                                      {"digest", image.layer_digest},
                                      {"size", image.layer.size()}}}}};
  image.manifest = manifest.dump();
  image.manifest_digest = blob(layout, image.manifest);
  const nlohmann::json index = {
      {"schemaVersion", 2},
      {"manifests",
       {{{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
         {"digest", image.manifest_digest},
         {"size", image.manifest.size()},
         {"annotations", {{"org.opencontainers.image.ref.name", tag}}}}}}};
  write(layout / "index.json", index.dump());
  copy_layout(layout, repository, tag, false);
  return image;
}

void LocalRegistry::copy_layout(const std::filesystem::path& layout, const std::string& repository,
                                const std::string& tag, bool all) {
  write(layout / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  std::vector<std::string> argv = {"/usr/bin/skopeo", "copy", "--quiet", "--preserve-digests",
                                   "--dest-tls-verify=false"};
  if (all)
    argv.emplace_back("--all");
  argv.push_back("oci:" + layout.string() + ":" + tag);
  argv.push_back("docker://" + host_ + "/" + repository + ":" + tag);
  const auto copy = fixtures::run_command(argv, {});
  if (copy.exit_code != 0)
    throw std::runtime_error("skopeo copy: " + copy.err);
}

std::vector<PushedImage> LocalRegistry::push_multi_platform(
    const std::string& repository, const std::string& tag,
    const std::vector<std::pair<std::string, std::string>>& files,
    const std::vector<std::string>& platforms) {
  const auto tree = dir_ / ("tree-" + tag);
  for (const auto& [path, content] : files)
    write(tree / path, content);
  const std::string layer = tar_of(tree);
  const auto layout = dir_ / ("layout-" + std::to_string(::getpid()) + "-" + tag);
  std::vector<PushedImage> images;
  nlohmann::json entries = nlohmann::json::array();
  for (const auto& platform : platforms) {
    const std::string os = platform.substr(0, platform.find('/'));
    const std::string arch = platform.substr(platform.find('/') + 1);
    PushedImage image;
    image.layer = layer;
    image.layer_digest = blob(layout, layer);
    const nlohmann::json config = {
        {"architecture", arch},
        {"os", os},
        {"config", {{"Cmd", {"/bin/sh"}}}},
        {"rootfs", {{"type", "layers"}, {"diff_ids", {image.layer_digest}}}}};
    const std::string config_bytes = config.dump();
    image.config_digest = blob(layout, config_bytes);
    const nlohmann::json manifest = {{"schemaVersion", 2},
                                     {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                                     {"config",
                                      {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                                       {"digest", image.config_digest},
                                       {"size", config_bytes.size()}}},
                                     {"layers",
                                      {{{"mediaType", "application/vnd.oci.image.layer.v1.tar"},
                                        {"digest", image.layer_digest},
                                        {"size", layer.size()}}}}};
    image.manifest = manifest.dump();
    image.manifest_digest = blob(layout, image.manifest);
    entries.push_back({{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                       {"digest", image.manifest_digest},
                       {"size", image.manifest.size()},
                       {"platform", {{"os", os}, {"architecture", arch}}}});
    images.push_back(std::move(image));
  }
  const nlohmann::json inner = {{"schemaVersion", 2},
                                {"mediaType", "application/vnd.oci.image.index.v1+json"},
                                {"manifests", entries}};
  const std::string inner_bytes = inner.dump();
  const std::string inner_digest = blob(layout, inner_bytes);
  const nlohmann::json index = {
      {"schemaVersion", 2},
      {"manifests",
       {{{"mediaType", "application/vnd.oci.image.index.v1+json"},
         {"digest", inner_digest},
         {"size", inner_bytes.size()},
         {"annotations", {{"org.opencontainers.image.ref.name", tag}}}}}}};
  write(layout / "index.json", index.dump());
  copy_layout(layout, repository, tag, true);
  return images;
}

}  // namespace keel::it
