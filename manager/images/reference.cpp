// Reference grammar checks and normalisation (distribution/reference's regexp, hand-checked).
#include "manager/images/reference.h"

#include <algorithm>

namespace keel::manager::images {
namespace {

constexpr std::string_view kDefaultDomain = "docker.io";
constexpr std::string_view kLegacyDomain = "index.docker.io";
constexpr size_t kMaxNameLength = 255;
constexpr size_t kMaxTagLength = 128;

Error invalid(std::string_view text, std::string_view why) {
  return Error::of(Errc::kInvalidArgument,
                   "invalid reference \"" + std::string(text) + "\": " + std::string(why));
}

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool is_hex(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

// path-component: [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*
bool valid_component(std::string_view c) {
  if (c.empty() || !is_lower_alnum(c.front()) || !is_lower_alnum(c.back()))
    return false;
  for (size_t i = 0; i < c.size();) {
    if (is_lower_alnum(c[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < c.size() && !is_lower_alnum(c[j]))
      ++j;
    const std::string_view sep = c.substr(i, j - i);
    const bool dashes = std::all_of(sep.begin(), sep.end(), [](char ch) { return ch == '-'; });
    if (!(sep == "." || sep == "_" || sep == "__" || dashes))
      return false;
    i = j;
  }
  return true;
}

// domain: host components of [a-zA-Z0-9-] joined by '.', optional ":port".
bool valid_domain(std::string_view d) {
  const auto colon = d.find(':');
  std::string_view host = d.substr(0, colon);
  if (colon != std::string_view::npos) {
    const std::string_view port = d.substr(colon + 1);
    if (port.empty() || !std::all_of(port.begin(), port.end(), ::isdigit))
      return false;
  }
  if (host.empty())
    return false;
  for (char c : host)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.')
      return false;
  return host.front() != '.' && host.back() != '.' && host.front() != '-';
}

// tag: [\w][\w.-]{0,127}
bool valid_tag(std::string_view t) {
  if (t.empty() || t.size() > kMaxTagLength || t.front() == '.' || t.front() == '-')
    return false;
  return std::all_of(t.begin(), t.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

}  // namespace

std::string Reference::str() const {
  std::string out = name();
  if (!tag.empty())
    out += ":" + tag;
  if (digest)
    out += "@" + digest->str();
  return out;
}

std::string Reference::familiar_name() const {
  if (domain != kDefaultDomain)
    return name();
  if (path.starts_with("library/") && path.find('/', 8) == std::string::npos)
    return path.substr(8);
  return path;
}

std::string Reference::familiar() const {
  std::string out = familiar_name();
  if (!tag.empty())
    out += ":" + tag;
  if (digest)
    out += "@" + digest->str();
  return out;
}

Result<Reference> parse_reference(std::string_view text) {
  if (text.empty())
    return invalid(text, "empty");
  std::string_view rest = text;
  Reference ref;
  if (const auto at = rest.find('@'); at != std::string_view::npos) {
    auto digest = content::Digest::parse(rest.substr(at + 1));
    if (!digest)
      return std::move(digest).error().context("invalid reference \"" + std::string(text) + "\"");
    ref.digest = std::move(*digest);
    rest = rest.substr(0, at);
  }
  // The tag is after the last ':' that follows the last '/', so "host:5000/app" has no tag.
  const auto slash = rest.rfind('/');
  const auto colon = rest.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    ref.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
    if (!valid_tag(ref.tag))
      return invalid(text, "invalid tag \"" + ref.tag + "\"");
  }
  if (rest.empty())
    return invalid(text, "no repository name");
  if (rest.size() > kMaxNameLength)
    return invalid(text, "repository name longer than 255 characters");
  if (slash == std::string_view::npos && is_hex(rest) && rest.size() == 64)
    return invalid(text, "a 64-hex-digit string is an image id, not a repository name");

  // docker's rule: the first component is a registry when it looks like a host.
  const auto first_slash = rest.find('/');
  std::string_view first = rest.substr(0, first_slash);
  if (first_slash != std::string_view::npos &&
      (first.find_first_of(".:") != std::string_view::npos || first == "localhost" ||
       std::any_of(first.begin(), first.end(), ::isupper))) {
    if (!valid_domain(first))
      return invalid(text, "invalid registry \"" + std::string(first) + "\"");
    ref.domain = first == kLegacyDomain ? std::string(kDefaultDomain) : std::string(first);
    ref.path = std::string(rest.substr(first_slash + 1));
  } else {
    ref.domain = std::string(kDefaultDomain);
    ref.path = std::string(rest);
  }
  if (ref.domain == kDefaultDomain && ref.path.find('/') == std::string::npos)
    ref.path = "library/" + ref.path;

  for (size_t start = 0; start <= ref.path.size();) {
    const auto end = std::min(ref.path.find('/', start), ref.path.size());
    const std::string_view component = std::string_view(ref.path).substr(start, end - start);
    if (!valid_component(component)) {
      if (std::any_of(component.begin(), component.end(), ::isupper))
        return invalid(text, "repository name must be lowercase");
      return invalid(text, "invalid repository name component \"" + std::string(component) + "\"");
    }
    start = end + 1;
  }
  if (ref.tag.empty() && !ref.digest)
    ref.tag = "latest";
  return ref;
}

bool looks_like_id(std::string_view text) {
  if (text.starts_with("sha256:"))
    text.remove_prefix(7);
  return is_hex(text) && text.size() <= 64;
}

}  // namespace keel::manager::images
