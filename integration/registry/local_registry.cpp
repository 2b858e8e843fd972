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
#include "manager/registry/http_client.h"

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

LocalRegistry::LocalRegistry(LocalRegistryOptions options) : options_(std::move(options)) {
  char tmpl[] = "/tmp/keel-registry-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr)
    throw std::runtime_error("mkdtemp for the registry");
  dir_ = tmpl;
  host_ = "127.0.0.1:" + std::to_string(options_.port.value_or(free_loopback_port()));
  // The access log (combined format, on stdout) says which blobs were fetched and how much.
  std::string config =
      "version: 0.1\n"
      "log:\n  level: error\n  accesslog:\n    disabled: false\n"
      "storage:\n  filesystem:\n    rootdirectory: " +
      (dir_ / "storage").string() +
      "\n  delete:\n    enabled: true\n"
      "http:\n  addr: " +
      host_ + "\n";
  if (options_.tls) {
    config += "  tls:\n    certificate: " + options_.tls->first.string() +
              "\n    key: " + options_.tls->second.string() + "\n";
  }
  if (options_.htpasswd) {
    const auto line = fixtures::run_command(
        {"/usr/bin/htpasswd", "-Bbn", options_.htpasswd->name, options_.htpasswd->password}, {});
    if (line.exit_code != 0)
      throw std::runtime_error("htpasswd: " + line.err);
    write(dir_ / "htpasswd", line.out);
    config +=
        "auth:\n  htpasswd:\n    realm: keel-test\n    path: " + (dir_ / "htpasswd").string() +
        "\n";
    if (!options_.push_as)
      options_.push_as = options_.htpasswd;
  } else if (options_.token) {
    config += "auth:\n  token:\n    realm: " + options_.token->realm +
              "\n    service: " + options_.token->service +
              "\n    issuer: " + options_.token->issuer +
              "\n    rootcertbundle: " + options_.token->rootcertbundle.string() + "\n";
  }
  write(dir_ / "config.yml", config);
  start();
}

void LocalRegistry::start() {
  // Through a shell that execs it: the log file outlives each run, the pid is the registry's.
  const std::string command = "exec /usr/bin/docker-registry serve '" +
                              (dir_ / "config.yml").string() + "' >>'" +
                              (dir_ / "registry.log").string() + "' 2>&1";
  server_.emplace(fixtures::start_command({"/bin/sh", "-c", command}, {}));
  // Any HTTP answer means it is serving: with auth, /v2/ is a 401.
  manager::registry::HttpClient http;
  manager::registry::TlsFiles tls;
  if (options_.tls)
    tls.skip_verify = true;
  manager::registry::HttpRequest probe;
  probe.url = (options_.tls ? "https://" : "http://") + host_ + "/v2/";
  probe.tls = &tls;
  if (!fixtures::wait_until([&] { return static_cast<bool>(http.request(probe)); },
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

LocalRegistry::Blob uncompressed(std::string tar) {
  LocalRegistry::Blob blob;
  blob.diff_id = manager::content::Digest::of(tar).str();
  blob.media_type = "application/vnd.oci.image.layer.v1.tar";
  blob.bytes = std::move(tar);
  return blob;
}

PushedImage LocalRegistry::push(const std::string& repository, const std::string& tag,
                                const std::vector<std::pair<std::string, std::string>>& files) {
  const auto tree = dir_ / ("tree-" + tag);
  for (const auto& [path, content] : files)
    write(tree / path, content);
  return push_blobs(repository, tag, {uncompressed(tar_of(tree))});
}

PushedImage LocalRegistry::push_directory(const std::string& repository, const std::string& tag,
                                          const std::filesystem::path& dir) {
  return push_blobs(repository, tag, {uncompressed(tar_of(dir))});
}

PushedImage LocalRegistry::push_layers(const std::string& repository, const std::string& tag,
                                       const std::vector<LayerTree>& layers) {
  std::vector<Blob> blobs;
  for (const auto& layer : layers) {
    Blob blob = uncompressed(tar_of(layer.dir));
    if (layer.compression == LayerCompression::kNone) {
      blobs.push_back(std::move(blob));
      continue;
    }
    const bool gzip = layer.compression == LayerCompression::kGzip;
    fixtures::RunOptions pipe;
    pipe.stdin_data = blob.bytes;
    // -n: no name or time in the gzip header, so the same tree gives the same blob.
    const auto packed =
        fixtures::run_command(gzip ? std::vector<std::string>{"/bin/gzip", "-n", "-c"}
                                   : std::vector<std::string>{"/usr/bin/zstd", "-q", "-c"},
                              pipe);
    if (packed.exit_code != 0)
      throw std::runtime_error("compress the layer: " + packed.err);
    blob.bytes = packed.out;
    blob.media_type += gzip ? "+gzip" : "+zstd";
    blobs.push_back(std::move(blob));
  }
  return push_blobs(repository, tag, blobs);
}

PushedImage LocalRegistry::push_blobs(const std::string& repository, const std::string& tag,
                                      const std::vector<Blob>& layers) {
  PushedImage image;
  const auto layout = dir_ / ("layout-" + std::to_string(::getpid()) + "-" + tag);
  nlohmann::json diff_ids = nlohmann::json::array();
  nlohmann::json descriptors = nlohmann::json::array();
  for (const auto& layer : layers) {
    image.layer_digests.push_back(blob(layout, layer.bytes));
    diff_ids.push_back(layer.diff_id);
    descriptors.push_back({{"mediaType", layer.media_type},
                           {"digest", image.layer_digests.back()},
                           {"size", layer.bytes.size()}});
  }
  image.layer = layers.front().bytes;
  image.layer_digest = image.layer_digests.front();
  const nlohmann::json config = {{"architecture", "amd64"},
                                 {"os", "linux"},
                                 {"config", {{"Cmd", {"/bin/sh"}}}},
                                 {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
  const std::string config_bytes = config.dump();
  image.config_digest = blob(layout, config_bytes);
  const nlohmann::json manifest = {{"schemaVersion", 2},
                                   {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                                   {"config",
                                    {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                                     {"digest", image.config_digest},
                                     {"size", config_bytes.size()}}},
                                   {"layers", descriptors}};
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
  if (options_.push_as)
    argv.push_back("--dest-creds=" + options_.push_as->name + ":" + options_.push_as->password);
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
