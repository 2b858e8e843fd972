// Content digests ("sha256:<64 lowercase hex>", image-spec descriptor.md "Digests") and the
// streaming SHA-256 that produces them. Only sha256 is stored; other algorithms are refused by
// name rather than mistaken for a malformed digest.
#pragma once

#include <compare>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "common/error.h"

struct evp_md_ctx_st;

namespace keel::manager::content {

class Digest {
 public:
  Digest() = default;
  // kInvalidArgument for anything but "sha256:" followed by 64 lowercase hex digits.
  [[nodiscard]] static Result<Digest> parse(std::string_view text);
  // Same as parse, for a bare 64-hex string (docker-archive file names, image ids without prefix).
  [[nodiscard]] static Result<Digest> from_hex(std::string_view hex);
  // SHA-256 of bytes held in memory (manifests, configs).
  [[nodiscard]] static Digest of(std::string_view data);

  [[nodiscard]] std::string_view algorithm() const noexcept { return "sha256"; }
  [[nodiscard]] const std::string& hex() const noexcept { return hex_; }
  [[nodiscard]] std::string str() const { return "sha256:" + hex_; }
  // docker's 12-hex short id.
  [[nodiscard]] std::string short_id() const { return hex_.substr(0, 12); }
  [[nodiscard]] bool empty() const noexcept { return hex_.empty(); }

  friend bool operator==(const Digest&, const Digest&) = default;
  friend auto operator<=>(const Digest&, const Digest&) = default;

 private:
  friend class Digester;
  explicit Digest(std::string hex) : hex_(std::move(hex)) {}
  std::string hex_;
};

// Incremental SHA-256 (OpenSSL EVP) for data seen once, as it streams past.
class Digester {
 public:
  Digester();
  ~Digester();
  Digester(const Digester&) = delete;
  Digester& operator=(const Digester&) = delete;
  Digester(Digester&&) = delete;
  Digester& operator=(Digester&&) = delete;

  void update(std::span<const std::byte> data);
  void update(std::string_view data) { update(std::as_bytes(std::span(data.data(), data.size()))); }
  // The digest of everything updated so far; the digester cannot be updated afterwards.
  [[nodiscard]] Digest finish();

 private:
  evp_md_ctx_st* ctx_;
};

}  // namespace keel::manager::content
