// passwd(5) records: splitting, ids, lookup by name or uid.
#include "common/passwd_file.h"

#include <charconv>

namespace keel {

std::vector<std::string_view> colon_fields(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t at = line.find(':', start);
    out.push_back(line.substr(start, at == std::string_view::npos ? at : at - start));
    if (at == std::string_view::npos)
      return out;
    start = at + 1;
  }
}

std::optional<std::uint32_t> parse_id(std::string_view text) {
  std::uint32_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size())
    return std::nullopt;
  return v;
}

std::optional<PasswdEntry> find_passwd(std::string_view passwd, std::string_view who) {
  const auto as_number = parse_id(who);
  std::optional<PasswdEntry> found;
  for_each_colon_record(passwd, [&](const std::vector<std::string_view>& f) {
    if (found || f.size() < 7)
      return;
    auto uid = parse_id(f[2]);
    auto gid = parse_id(f[3]);
    if (!uid || !gid)
      return;
    if (as_number ? *uid == *as_number : f[0] == who)
      found = PasswdEntry{std::string(f[0]), *uid, *gid, std::string(f[5])};
  });
  return found;
}

}  // namespace keel
