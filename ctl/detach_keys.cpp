#include "ctl/detach_keys.h"

#include <cctype>

#include "ctl/client.h"

namespace keel::ctl {

std::string parse_detach_keys(const std::string& text) {
  std::string keys;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    const std::string key =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (key.size() == 1) {
      keys += key;
    } else if (key.size() == 6 && key.starts_with("ctrl-")) {
      const auto c = static_cast<unsigned char>(std::tolower(static_cast<unsigned char>(key[5])));
      if (c >= 'a' && c <= 'z')
        keys += static_cast<char>(c - 'a' + 1);
      else if (c == '@')
        keys += '\0';
      else if (c >= '[' && c <= '_')
        keys += static_cast<char>(c - '[' + 27);
      else
        throw CommandError("Unknown character: '" + key + "'");
    } else {
      throw CommandError("Unknown character: '" + key + "'");
    }
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  return keys;
}

std::string DetachKeys::feed(std::string_view input) {
  std::string out;
  if (keys_.empty()) {
    out.assign(input);
    return out;
  }
  for (char c : input) {
    if (detached_)
      break;
    if (c == keys_[matched_]) {
      if (++matched_ == keys_.size())
        detached_ = true;
      continue;
    }
    // The match broke: release what was held, then look at c afresh.
    out.append(keys_, 0, matched_);
    matched_ = 0;
    if (c == keys_[0]) {
      if (++matched_ == keys_.size())
        detached_ = true;
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace keel::ctl
