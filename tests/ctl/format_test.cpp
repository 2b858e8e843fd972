#include "ctl/format.h"

#include <gtest/gtest.h>

namespace keel::ctl {
namespace {

using namespace std::chrono_literals;

TEST(HumanSize, ThreeSignificantDecimalDigits) {
  EXPECT_EQ(human_size(0), "0B");
  EXPECT_EQ(human_size(932), "932B");
  EXPECT_EQ(human_size(1000), "1kB");
  EXPECT_EQ(human_size(4'260'000), "4.26MB");
  EXPECT_EQ(human_size(1'500'000'000), "1.5GB");
  EXPECT_EQ(human_size(2048), "2.05kB");
}

TEST(HumanDuration, DockerPhrases) {
  EXPECT_EQ(human_duration(500ms), "Less than a second");
  EXPECT_EQ(human_duration(3s), "3 seconds");
  EXPECT_EQ(human_duration(60s), "About a minute");
  EXPECT_EQ(human_duration(5min), "5 minutes");
  EXPECT_EQ(human_duration(60min), "About an hour");
  EXPECT_EQ(human_duration(3h), "3 hours");
  EXPECT_EQ(human_duration(24h * 4), "4 days");
  EXPECT_EQ(human_duration(24h * 14), "2 weeks");
}

TEST(ShortId, DropsAlgorithmAndCuts) {
  EXPECT_EQ(short_id("sha256:0123456789abcdef0123"), "0123456789ab");
  EXPECT_EQ(short_id("0123456789abcdef"), "0123456789ab");
}

TEST(RenderTable, PadsToWidestPlusThreeWithMinimumTen) {
  const std::string out = render_table({"A", "LONGER HEADER", "C"}, {{"x", "y", "z"}});
  EXPECT_EQ(out,
            "A         LONGER HEADER   C\n"
            "x         y               z\n");
}

TEST(RenderTable, LastColumnNotPadded) {
  const std::string out = render_table({"NAME", "VALUE"}, {{"a", ""}});
  EXPECT_EQ(out, "NAME      VALUE\na\n");
}

const std::vector<Row> kRows = {{{"ID", "abc"}, {"Name", "one"}},
                                {{"ID", "defghijklmnop"}, {"Name", "two"}}};

TEST(RenderRows, DefaultTableUsesHeaders) {
  const std::string out =
      render_rows("", "table {{.ID}}\t{{.Name}}", kRows, {{"ID", "CONTAINER ID"}});
  EXPECT_EQ(out,
            "CONTAINER ID    NAME\n"
            "abc             one\n"
            "defghijklmnop   two\n");
}

TEST(RenderRows, JsonIsOneObjectPerLine) {
  EXPECT_EQ(render_rows("json", "", kRows, {}),
            "{\"ID\":\"abc\",\"Name\":\"one\"}\n{\"ID\":\"defghijklmnop\",\"Name\":\"two\"}\n");
}

TEST(RenderRows, TemplatePerRowWithEscapes) {
  EXPECT_EQ(render_rows("{{.Name}}\\t{{.ID}}", "", kRows, {}), "one\tabc\ntwo\tdefghijklmnop\n");
  EXPECT_EQ(render_rows("{{json .Name}}", "", {kRows[0]}, {}), "\"one\"\n");
  EXPECT_EQ(render_rows("{{json .}}", "", {kRows[0]}, {}), "{\"ID\":\"abc\",\"Name\":\"one\"}\n");
}

TEST(RenderRows, TableTemplateUppercasesUnknownHeaders) {
  EXPECT_EQ(render_rows("table {{.Name}}", "", {kRows[0]}, {}), "NAME\none\n");
}

TEST(RenderRows, UnknownFieldThrows) {
  EXPECT_THROW((void)render_rows("{{.Nope}}", "", kRows, {}), FormatError);
  EXPECT_THROW((void)render_rows("{{.Name", "", kRows, {}), FormatError);
}

TEST(RenderJsonTemplate, WalksKeys) {
  const nlohmann::json value = {{"State", {{"ExitCode", 7}, {"Status", "exited"}}}, {"Name", "/x"}};
  EXPECT_EQ(render_json_template("{{.State.Status}} {{.State.ExitCode}}", value), "exited 7");
  EXPECT_EQ(render_json_template("{{json .State}}", value),
            "{\"ExitCode\":7,\"Status\":\"exited\"}");
  EXPECT_EQ(render_json_template("{{.Name}}", value), "/x");
  EXPECT_THROW((void)render_json_template("{{.Missing}}", value), FormatError);
}

TEST(Rfc3339Nano, NineDigitsUtc) {
  const auto time = std::chrono::system_clock::time_point(1'700'000'000s + 5ms);
  EXPECT_EQ(rfc3339_nano(time), "2023-11-14T22:13:20.005000000Z");
}

TEST(ParseTime, Forms) {
  const auto now = std::chrono::system_clock::time_point(1'700'000'000s);
  EXPECT_EQ(parse_time("10m", now), now - 10min);
  EXPECT_EQ(parse_time("1h30m", now), now - 90min);
  EXPECT_EQ(parse_time("1700000000", now), now);
  EXPECT_EQ(parse_time("1700000000.5", now), now + 500ms);
  EXPECT_EQ(parse_time("2023-11-14T22:13:20Z", now), now);
  EXPECT_EQ(parse_time("2023-11-14T22:13:20.25Z", now), now + 250ms);
  EXPECT_EQ(parse_time("2023-11-14T23:13:20+01:00", now), now);
  EXPECT_EQ(parse_time("2023-11-14", now), now - 22h - 13min - 20s);
  EXPECT_THROW((void)parse_time("yesterday", now), FormatError);
  EXPECT_THROW((void)parse_time("2023-11-14T22:13:20Q", now), FormatError);
}

}  // namespace
}  // namespace keel::ctl

namespace keel::ctl {
namespace {

TEST(RenderTable, MultiByteCharactersTakeOneColumn) {
  EXPECT_EQ(render_table({"COMMAND", "X"}, {{"\"ab…\"", "y"}}),
            "COMMAND   X\n"
            "\"ab…\"     y\n");
}

}  // namespace
}  // namespace keel::ctl
