// CredentialStore over docker's config.json.
#include "manager/registry/credentials.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/fs.h"
#include "common/unique_fd.h"

namespace keel::manager::registry {
namespace {

constexpr std::string_view kDockerHubKey = "https://index.docker.io/v1/";

// The new file is created 0600 from its first byte (O_EXCL after removing any leftover, so a
// stale temp file's wider mode is never inherited), synced, then renamed over the old one: a
// crash leaves the old file or the new one, never half of either.
Result<void> replace_private_file(const std::string& path, std::string_view data) {
  const std::string tmp = path + ".tmp";
  if (::unlink(tmp.c_str()) != 0 && errno != ENOENT)
    return Error::sys("remove \"" + tmp + "\"");
  auto fd = fs::open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (!fd)
    return std::move(fd).error();
  Result<void> written = ::fchmod(fd->get(), 0600) == 0
                             ? fs::write_all(fd->get(), data)
                             : Result<void>(Error::sys("chmod \"" + tmp + "\""));
  if (written && ::fsync(fd->get()) != 0)
    written = Error::sys("fsync \"" + tmp + "\"");
  if (written && ::rename(tmp.c_str(), path.c_str()) != 0)
    written = Error::sys("rename \"" + tmp + "\" to \"" + path + "\"");
  if (!written)
    ::unlink(tmp.c_str());
  return written;
}

}  // namespace

// "https://localhost:5000/v2/" → "localhost:5000"; Docker Hub's aliases → "docker.io".
std::string registry_domain(std::string_view key) {
  if (const auto scheme = key.find("://"); scheme != std::string_view::npos)
    key.remove_prefix(scheme + 3);
  if (const auto slash = key.find('/'); slash != std::string_view::npos)
    key = key.substr(0, slash);
  if (key == "index.docker.io" || key == "registry-1.docker.io" || key == "docker.io")
    return "docker.io";
  if (key.empty())
    return "docker.io";
  return std::string(key);
}

std::string base64_encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()),
                                static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

Result<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0)
    return Error::of(Errc::kInvalidArgument, "base64: length is not a multiple of 4");
  std::string out(3 * (text.size() / 4), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0)
    return Error::of(Errc::kInvalidArgument, "base64: not base64");
  // EVP_DecodeBlock counts the padding as zero bytes.
  size_t len = static_cast<size_t>(n);
  for (size_t i = text.size(); i > 0 && text[i - 1] == '='; --i)
    --len;
  out.resize(len);
  return out;
}

std::string credential_key(std::string_view domain) {
  if (registry_domain(domain) == "docker.io")
    return std::string(kDockerHubKey);
  return std::string(domain);
}

Result<CredentialStore> CredentialStore::load(std::string path) {
  auto text = fs::read_file(path);
  if (!text) {
    if (text.error().errnum() == ENOENT)
      return CredentialStore(std::move(path), nlohmann::json::object());
    return std::move(text).error().context("registry credentials");
  }
  auto doc = nlohmann::json::parse(*text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() ||
      (doc.contains("auths") && !doc["auths"].is_object()))
    return Error::of(Errc::kInvalidArgument,
                     "registry credentials \"" + path + "\": not a docker config.json");
  return CredentialStore(std::move(path), std::move(doc));
}

const nlohmann::json* CredentialStore::entry(std::string_view domain, std::string* key) const {
  const auto auths = doc_.find("auths");
  if (auths == doc_.end())
    return nullptr;
  const std::string wanted = registry_domain(domain);
  for (auto it = auths->begin(); it != auths->end(); ++it) {
    if (registry_domain(it.key()) == wanted && it->is_object()) {
      if (key != nullptr)
        *key = it.key();
      return &*it;
    }
  }
  return nullptr;
}

std::optional<Credential> CredentialStore::find(std::string_view domain) const {
  const nlohmann::json* e = entry(domain, nullptr);
  if (e == nullptr)
    return std::nullopt;
  Credential c;
  if (const auto auth = e->find("auth"); auth != e->end() && auth->is_string()) {
    auto decoded = base64_decode(auth->get<std::string>());
    const auto colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos)
      return std::nullopt;  // docker ignores an entry it cannot read, and so do we
    c.username = decoded->substr(0, colon);
    c.password = decoded->substr(colon + 1);
  }
  if (const auto token = e->find("identitytoken"); token != e->end() && token->is_string())
    c.identity_token = token->get<std::string>();
  if (c.username.empty() && c.identity_token.empty())
    return std::nullopt;
  return c;
}

void CredentialStore::set(std::string_view domain, const Credential& credential) {
  std::string existing;
  if (entry(domain, &existing) != nullptr)
    doc_["auths"].erase(existing);
  nlohmann::json e = nlohmann::json::object();
  e["auth"] = base64_encode(credential.username + ":" + credential.password);
  if (!credential.identity_token.empty())
    e["identitytoken"] = credential.identity_token;
  doc_["auths"][credential_key(domain)] = std::move(e);
}

bool CredentialStore::erase(std::string_view domain) {
  std::string existing;
  if (entry(domain, &existing) == nullptr)
    return false;
  doc_["auths"].erase(existing);
  return true;
}

Result<void> CredentialStore::save() const {
  const auto slash = path_.rfind('/');
  if (slash != std::string::npos && slash > 0)
    KEEL_TRY(fs::mkdir_all(path_.substr(0, slash), 0700));
  if (auto r = replace_private_file(path_, doc_.dump(1, '\t') + "\n"); !r)
    return std::move(r).error().context("save registry credentials");
  return {};
}

}  // namespace keel::manager::registry
