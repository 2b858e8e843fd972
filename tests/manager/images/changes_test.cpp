// Pins manager/images/changes.cpp: docker import -c instructions.
#include "manager/images/changes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace keel::manager::images {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(Changes, AppliesEachInstruction) {
  RunConfig c;
  for (const char* change : {"CMD [\"/bin/sh\", \"-c\", \"echo hi\"]", "ENTRYPOINT /init --flag",
                             "ENV A=1 B=\"two words\"", "ENV LEGACY some value", "ENV A=3",
                             "WORKDIR /srv", "WORKDIR app", "USER 1000:1000", "EXPOSE 80 53/udp",
                             "EXPOSE 80/tcp", "LABEL org.example=\"x y\" k=v", "VOLUME [\"/data\"]",
                             "VOLUME /logs /cache", "STOPSIGNAL SIGQUIT", "cmd [\"lower\"]"}) {
    auto r = apply_change(change, c);
    ASSERT_TRUE(r) << change << ": " << r.error().message();
  }
  EXPECT_EQ(c.cmd, std::vector<std::string>{"lower"});
  EXPECT_THAT(*c.entrypoint, ElementsAre("/bin/sh", "-c", "/init --flag"));
  EXPECT_THAT(c.env, ElementsAre("A=3", "B=two words", "LEGACY=some value"));
  EXPECT_EQ(c.working_dir, "/srv/app");
  EXPECT_EQ(c.user, "1000:1000");
  EXPECT_THAT(c.exposed_ports, ElementsAre("80/tcp", "53/udp"));
  EXPECT_EQ(c.labels.at("org.example"), "x y");
  EXPECT_EQ(c.labels.at("k"), "v");
  EXPECT_THAT(c.volumes, ElementsAre("/data", "/logs", "/cache"));
  EXPECT_EQ(c.stop_signal, "SIGQUIT");
}

TEST(Changes, RefusesUnknownAndMalformed) {
  RunConfig c;
  EXPECT_THAT(apply_change("RUN make", c).error().message(),
              HasSubstr("unsupported instruction \"RUN\""));
  EXPECT_THAT(apply_change("ONBUILD CMD x", c).error().message(), HasSubstr("unsupported"));
  EXPECT_THAT(apply_change("CMD", c).error().message(), HasSubstr("needs an argument"));
  EXPECT_THAT(apply_change("EXPOSE 80/xyz", c).error().message(), HasSubstr("invalid port"));
  EXPECT_THAT(apply_change("LABEL \"unterminated", c).error().message(),
              HasSubstr("unterminated quote"));
}

}  // namespace
}  // namespace keel::manager::images
