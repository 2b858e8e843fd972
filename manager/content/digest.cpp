// Digest parsing and SHA-256 through OpenSSL's EVP interface.
#include "manager/content/digest.h"

#include <algorithm>
#include <array>
#include <cstdlib>

#include <openssl/evp.h>

namespace keel::manager::content {
namespace {

constexpr size_t kSha256HexLen = 64;

bool is_lower_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

Result<Digest> Digest::from_hex(std::string_view hex) {
  if (hex.size() != kSha256HexLen || !is_lower_hex(hex))
    return Error::of(Errc::kInvalidArgument, "invalid sha256 digest \"" + std::string(hex) +
                                                 "\": want 64 lowercase hex digits");
  return Digest(std::string(hex));
}

Result<Digest> Digest::parse(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0)
    return Error::of(Errc::kInvalidArgument,
                     "invalid digest \"" + std::string(text) + "\": want \"sha256:<64 hex>\"");
  const std::string_view algorithm = text.substr(0, colon);
  if (algorithm != "sha256")
    return Error::of(Errc::kInvalidArgument, "unsupported digest algorithm \"" +
                                                 std::string(algorithm) + "\" in \"" +
                                                 std::string(text) + "\": only sha256 is stored");
  auto digest = from_hex(text.substr(colon + 1));
  if (!digest)
    return Error::of(Errc::kInvalidArgument,
                     "invalid digest \"" + std::string(text) +
                         "\": want \"sha256:\" and 64 lowercase hex digits");
  return digest;
}

Digest Digest::of(std::string_view data) {
  Digester d;
  d.update(data);
  return d.finish();
}

Digester::Digester() : ctx_(EVP_MD_CTX_new()) {
  // Without memory or a SHA-256 implementation in libcrypto nothing can be stored at all.
  if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1)
    std::abort();
}

Digester::~Digester() {
  EVP_MD_CTX_free(ctx_);
}

void Digester::update(std::span<const std::byte> data) {
  if (!data.empty())
    EVP_DigestUpdate(ctx_, data.data(), data.size());
}

Digest Digester::finish() {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_, md.data(), &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    hex += kHex[md[i] >> 4];
    hex += kHex[md[i] & 0xf];
  }
  return Digest(std::move(hex));
}

}  // namespace keel::manager::content
