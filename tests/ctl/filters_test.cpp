#include "ctl/filters.h"

#include <gtest/gtest.h>

#include "ctl/client.h"

namespace keel::ctl {
namespace {

TEST(AddFilters, SplitsAtTheFirstEquals) {
  google::protobuf::RepeatedPtrField<keel::v1::KeyValue> out;
  add_filters(out, {"name=web", "label=a=b", "status="});
  ASSERT_EQ(out.size(), 3);
  EXPECT_EQ(out[0].key(), "name");
  EXPECT_EQ(out[0].value(), "web");
  EXPECT_EQ(out[1].key(), "label");
  EXPECT_EQ(out[1].value(), "a=b");
  EXPECT_EQ(out[2].key(), "status");
  EXPECT_EQ(out[2].value(), "");
}

TEST(AddFilters, WithoutEqualsIsDockersFlagError) {
  google::protobuf::RepeatedPtrField<keel::v1::KeyValue> out;
  try {
    add_filters(out, {"dangling"});
    ADD_FAILURE() << "no error for a filter without '='";
  } catch (const CommandError& error) {
    EXPECT_EQ(error.exit_code(), 1);
    EXPECT_STREQ(error.what(),
                 "invalid argument \"dangling\" for \"-f, --filter\" flag: bad format of filter "
                 "(expected name=value)");
  }
}

}  // namespace
}  // namespace keel::ctl
