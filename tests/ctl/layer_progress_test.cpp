// Pins keelctl pull's and push's display (ctl/layer_progress.cpp): docker's bar, plain lines off
// a terminal only when a layer's status changes, and in-place redraws on one.
#include "ctl/layer_progress.h"

#include <gtest/gtest.h>

namespace keel::ctl {
namespace {

TEST(PullProgress, BarIsDockers) {
  EXPECT_EQ(progress_bar(0, 100), "[>                                                 ]  0B/100B");
  // 21.8% of 50 columns: 10 filled, the arrow, 39 blank.
  EXPECT_EQ(progress_bar(1570000, 7200000),
            "[" + std::string(10, '=') + ">" + std::string(39, ' ') + "]  1.57MB/7.2MB");
  EXPECT_EQ(progress_bar(100, 100),
            "[==================================================]  100B/100B");
}

TEST(PullProgress, PlainOutputHasOneLinePerStatusChange) {
  LayerProgressDisplay d(false);
  EXPECT_EQ(d.update("abc", "Pulling fs layer", 0, 10), "abc: Pulling fs layer\n");
  EXPECT_EQ(d.update("abc", "Downloading", 5, 10), "abc: Downloading\n");
  EXPECT_EQ(d.update("abc", "Downloading", 9, 10), "");
  EXPECT_EQ(d.update("def", "Already exists", 0, 0), "def: Already exists\n");
  EXPECT_EQ(d.update("abc", "Pull complete", 0, 0), "abc: Pull complete\n");
}

TEST(PullProgress, TerminalRedrawsTheLayersLineInPlace) {
  LayerProgressDisplay d(true);
  EXPECT_EQ(d.update("abc", "Pulling fs layer", 0, 10), "abc: Pulling fs layer\n");
  EXPECT_EQ(d.update("def", "Pulling fs layer", 0, 10), "def: Pulling fs layer\n");
  // abc is two rows up from the cursor.
  EXPECT_EQ(d.update("abc", "Pull complete", 0, 0), "\x1b[2A\x1b[2K\rabc: Pull complete\x1b[2B\r");
}

TEST(PushProgress, PushingCarriesTheBarOnATerminalOnly) {
  LayerProgressDisplay tty(true);
  EXPECT_EQ(tty.update("abc", "Pushing", 50, 100),
            "abc: Pushing [" + std::string(25, '=') + ">" + std::string(24, ' ') + "]  50B/100B\n");
  LayerProgressDisplay plain(false);
  EXPECT_EQ(plain.update("abc", "Preparing", 0, 0), "abc: Preparing\n");
  EXPECT_EQ(plain.update("abc", "Pushing", 50, 100), "abc: Pushing\n");
  EXPECT_EQ(plain.update("abc", "Pushing", 90, 100), "");
  EXPECT_EQ(plain.update("abc", "Pushed", 0, 0), "abc: Pushed\n");
}

}  // namespace
}  // namespace keel::ctl
