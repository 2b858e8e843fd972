// parse_auth_challenges: a small recursive-descent reader of RFC 7235 challenges. Commas both
// separate parameters and challenges, so a token followed by a space and another token starts a
// new challenge, while `token=` continues the current one.
#include "manager/registry/auth_challenge.h"

#include <algorithm>
#include <cctype>

namespace keel::manager::registry {
namespace {

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
         std::string_view("!#$%&'*+-.^_`|~/:").find(c) != std::string_view::npos;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  void skip_space_and_commas() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == ','))
      ++pos_;
  }
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t'))
      ++pos_;
  }
  [[nodiscard]] bool done() const { return pos_ >= text_.size(); }
  [[nodiscard]] size_t pos() const { return pos_; }
  [[nodiscard]] char peek() const { return done() ? '\0' : text_[pos_]; }
  void advance() { ++pos_; }
  void rewind(size_t to) { pos_ = to; }

  std::string token() {
    const size_t start = pos_;
    while (pos_ < text_.size() && is_token_char(text_[pos_]))
      ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }

  // After the opening quote: up to the closing one, with backslash escapes.
  Result<std::string> quoted() {
    std::string out;
    const size_t open = pos_ - 1;
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == '"')
        return out;
      if (c == '\\' && pos_ < text_.size())
        out += text_[pos_++];
      else
        out += c;
    }
    return Error::of(Errc::kInvalidArgument,
                     "WWW-Authenticate: unterminated quote at offset " + std::to_string(open));
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

Error bad(const Reader& r, const std::string& what) {
  return Error::of(Errc::kInvalidArgument,
                   "WWW-Authenticate: " + what + " at offset " + std::to_string(r.pos()));
}

}  // namespace

Result<std::vector<AuthChallenge>> parse_auth_challenges(std::string_view header) {
  std::vector<AuthChallenge> out;
  Reader r(header);
  r.skip_space_and_commas();
  while (!r.done()) {
    AuthChallenge challenge;
    challenge.scheme = lower(r.token());
    if (challenge.scheme.empty())
      return bad(r, "expected an auth scheme");
    // Parameters: `name=value` or `name="value"`, separated by commas, until a bare token
    // (the next scheme) or the end.
    for (;;) {
      r.skip_space_and_commas();
      if (r.done())
        break;
      const size_t start = r.pos();
      std::string name = r.token();
      r.skip_space();
      if (r.peek() != '=') {
        if (name.empty())
          return bad(r, "unexpected character");
        r.rewind(start);  // a new challenge begins here
        break;
      }
      r.advance();
      r.skip_space();
      std::string value;
      if (r.peek() == '"') {
        r.advance();
        auto q = r.quoted();
        if (!q)
          return q.error();
        value = std::move(*q);
      } else {
        value = r.token();
      }
      if (name.empty())
        return bad(r, "parameter without a name");
      challenge.params[lower(std::move(name))] = std::move(value);
    }
    out.push_back(std::move(challenge));
  }
  return out;
}

}  // namespace keel::manager::registry
