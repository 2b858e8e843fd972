// Pins common/passwd_file: the lookups the runtime (owner by uid) and keeld (-u) make.
#include "common/passwd_file.h"

#include <gtest/gtest.h>

namespace keel {
namespace {

constexpr std::string_view kPasswd =
    "# a comment\n"
    "root:x:0:0:root:/root:/bin/sh\n"
    "broken:x:notanumber:0::/:/bin/false\n"
    "short:x:7\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "alias:x:1:1:second name of uid 1:/:/bin/false";  // no final newline

TEST(PasswdFile, FindsByNameAndByUidFirstEntryWinning) {
  auto daemon = find_passwd(kPasswd, "daemon");
  ASSERT_TRUE(daemon);
  EXPECT_EQ(daemon->uid, 1U);
  EXPECT_EQ(daemon->gid, 1U);
  EXPECT_EQ(daemon->home, "/usr/sbin");
  auto by_uid = find_passwd(kPasswd, "1");
  ASSERT_TRUE(by_uid);
  EXPECT_EQ(by_uid->name, "daemon");
  auto last = find_passwd(kPasswd, "alias");
  ASSERT_TRUE(last);
  EXPECT_EQ(last->home, "/");
}

TEST(PasswdFile, SkipsCommentsShortAndUnparsableLines) {
  EXPECT_FALSE(find_passwd(kPasswd, "broken"));
  EXPECT_FALSE(find_passwd(kPasswd, "short"));
  EXPECT_FALSE(find_passwd(kPasswd, "7"));
  EXPECT_FALSE(find_passwd(kPasswd, "# a comment"));
  EXPECT_FALSE(find_passwd("", "root"));
}

TEST(PasswdFile, IdsAreWholeDecimalNumbers) {
  EXPECT_EQ(parse_id("1000"), 1000U);
  EXPECT_FALSE(parse_id(""));
  EXPECT_FALSE(parse_id("10a"));
  EXPECT_FALSE(parse_id("-1"));
  EXPECT_FALSE(parse_id(" 1"));
}

}  // namespace
}  // namespace keel
