#include "ctl/copy_archive.h"

#include <gtest/gtest.h>

namespace keel::ctl {
namespace {

using Split = std::pair<std::string, std::string>;

TEST(SplitCpArg, ContainerOrLocal) {
  EXPECT_EQ(split_cp_arg("web:/etc/hosts"), (Split{"web", "/etc/hosts"}));
  EXPECT_EQ(split_cp_arg("web:relative"), (Split{"web", "relative"}));
  EXPECT_EQ(split_cp_arg("/tmp/a:b"), (Split{"", "/tmp/a:b"}));
  EXPECT_EQ(split_cp_arg("./a:b"), (Split{"", "./a:b"}));
  EXPECT_EQ(split_cp_arg("file.txt"), (Split{"", "file.txt"}));
  EXPECT_EQ(split_cp_arg("-"), (Split{"", "-"}));
}

TEST(RenameEntry, FirstComponentRenamed) {
  EXPECT_EQ(rename_entry("hosts", "copy"), "copy");
  EXPECT_EQ(rename_entry("etc/", "conf"), "conf");
  EXPECT_EQ(rename_entry("etc/passwd", "conf"), "conf/passwd");
  EXPECT_EQ(rename_entry("./etc/a/b", "etc"), "etc/a/b");
  EXPECT_EQ(rename_entry("/etc/a", "x"), "x/a");
}

TEST(RenameEntry, ContentsOnlyDropsTheTop) {
  EXPECT_EQ(rename_entry("etc", ""), std::nullopt);
  EXPECT_EQ(rename_entry("etc/passwd", ""), "passwd");
  EXPECT_EQ(rename_entry("etc/a/b", ""), "a/b");
}

TEST(RenameEntry, RejectsEscapes) {
  EXPECT_EQ(rename_entry("../x", "y"), std::nullopt);
  EXPECT_EQ(rename_entry("a/../../x", "y"), std::nullopt);
  EXPECT_EQ(rename_entry("", "y"), std::nullopt);
  EXPECT_EQ(rename_entry("a/../b", "y"), "y");
}

TEST(BaseName, LastComponentWithoutTrailingSlashes) {
  EXPECT_EQ(base_name("/etc/hosts"), "hosts");
  EXPECT_EQ(base_name("etc/"), "etc");
  EXPECT_EQ(base_name("hosts"), "hosts");
}

TEST(DirName, ParentWithoutTrailingSlashes) {
  EXPECT_EQ(dir_name("/etc/hosts"), "/etc");
  EXPECT_EQ(dir_name("/etc/"), "/");
  EXPECT_EQ(dir_name("hosts"), ".");
  EXPECT_EQ(dir_name("a/b/"), "a");
}

TEST(ContentOnly, DotSuffixMeansTheContents) {
  using Content = std::pair<std::string, bool>;
  EXPECT_EQ(content_only("/etc/."), (Content{"/etc", true}));
  EXPECT_EQ(content_only("."), (Content{".", true}));
  EXPECT_EQ(content_only("/."), (Content{"/", true}));
  EXPECT_EQ(content_only("/etc"), (Content{"/etc", false}));
  EXPECT_EQ(content_only("a.b"), (Content{"a.b", false}));
}

}  // namespace
}  // namespace keel::ctl
