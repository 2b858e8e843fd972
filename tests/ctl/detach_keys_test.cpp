#include "ctl/detach_keys.h"

#include <gtest/gtest.h>

#include "ctl/client.h"

namespace keel::ctl {
namespace {

TEST(ParseDetachKeys, CtrlAndPlainKeys) {
  EXPECT_EQ(parse_detach_keys("ctrl-p,ctrl-q"), "\x10\x11");
  EXPECT_EQ(parse_detach_keys("ctrl-a,x"), "\x01x");
  EXPECT_EQ(parse_detach_keys("ctrl-@"), std::string(1, '\0'));
  EXPECT_EQ(parse_detach_keys("ctrl-["), "\x1b");
  EXPECT_EQ(parse_detach_keys("ctrl-_"), "\x1f");
  EXPECT_THROW((void)parse_detach_keys("ctrl-pq"), CommandError);
  EXPECT_THROW((void)parse_detach_keys("alt-x"), CommandError);
}

TEST(DetachKeys, PlainInputPassesThrough) {
  DetachKeys keys;
  EXPECT_EQ(keys.feed("ls -l\r"), "ls -l\r");
  EXPECT_FALSE(keys.detached());
}

TEST(DetachKeys, SequenceDetachesAndDropsTheRest) {
  DetachKeys keys;
  EXPECT_EQ(keys.feed("ab\x10\x11"
                      "cd"),
            "ab");
  EXPECT_TRUE(keys.detached());
  EXPECT_EQ(keys.feed("more"), "");
}

TEST(DetachKeys, SequenceAcrossReads) {
  DetachKeys keys;
  EXPECT_EQ(keys.feed("x\x10"), "x");
  EXPECT_FALSE(keys.detached());
  EXPECT_EQ(keys.feed("\x11"), "");
  EXPECT_TRUE(keys.detached());
}

TEST(DetachKeys, BrokenMatchReleasesHeldKeys) {
  DetachKeys keys;
  EXPECT_EQ(keys.feed("\x10"), "");
  EXPECT_EQ(keys.feed("a"),
            "\x10"
            "a");
  EXPECT_FALSE(keys.detached());
}

TEST(DetachKeys, RepeatedFirstKeyRestartsTheMatch) {
  DetachKeys keys;
  EXPECT_EQ(keys.feed("\x10\x10"), "\x10");
  EXPECT_EQ(keys.feed("\x11"), "");
  EXPECT_TRUE(keys.detached());
}

TEST(DetachKeys, EmptySequenceNeverDetaches) {
  DetachKeys keys("");
  EXPECT_EQ(keys.feed("\x10\x11"), "\x10\x11");
  EXPECT_FALSE(keys.detached());
}

TEST(DetachKeys, CustomSequence) {
  DetachKeys keys(parse_detach_keys("ctrl-a,x"));
  EXPECT_EQ(keys.feed("\x01y\x01x"), "\x01y");
  EXPECT_TRUE(keys.detached());
}

}  // namespace
}  // namespace keel::ctl
