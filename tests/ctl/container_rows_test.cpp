#include "ctl/container_rows.h"

#include <gtest/gtest.h>

namespace keel::ctl {
namespace {

TEST(GoQuote, EscapesLikeStrconvQuote) {
  EXPECT_EQ(go_quote("echo hi"), "\"echo hi\"");
  EXPECT_EQ(go_quote("say \"x\"\\"), "\"say \\\"x\\\"\\\\\"");
  EXPECT_EQ(go_quote("a\tb\nc"), "\"a\\tb\\nc\"");
  EXPECT_EQ(go_quote(std::string("\x01", 1)), "\"\\x01\"");
  EXPECT_EQ(go_quote("naïve…"), "\"naïve…\"");
}

TEST(Ellipsis, CutsToWidthCountingCharacters) {
  EXPECT_EQ(ellipsis("short", 20), "short");
  EXPECT_EQ(ellipsis("12345678901234567890", 20), "12345678901234567890");
  EXPECT_EQ(ellipsis("123456789012345678901", 20), "1234567890123456789…");
  EXPECT_EQ(ellipsis("ééééé", 3), "éé…");
}

TEST(PsCommand, QuotedAndTruncatedTo20) {
  EXPECT_EQ(ps_command("sh -c 'while true; do sleep 1; done'", false), "\"sh -c 'while true; …\"");
  EXPECT_EQ(ps_command("sh -c 'while true; do sleep 1; done'", true),
            "\"sh -c 'while true; do sleep 1; done'\"");
  EXPECT_EQ(ps_command("top", false), "\"top\"");
  EXPECT_EQ(ps_command("", false), "\"\"");
}

TEST(PsRow, DockerFields) {
  keel::v1::Container container;
  container.set_id("0123456789abcdef0123456789abcdef");
  container.set_name("/web");
  container.set_image("busybox");
  container.set_command("sleep 1000");
  container.set_status_text("Up 3 seconds");
  container.mutable_state()->set_status("running");
  container.mutable_created()->set_seconds(1'700'000'000);
  (*container.mutable_config()->mutable_labels())["b"] = "2";
  (*container.mutable_config()->mutable_labels())["a"] = "1";
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'300));
  const Row row = ps_row(container, false, now);
  EXPECT_EQ(row.at("ID"), "0123456789ab");
  EXPECT_EQ(row.at("Image"), "busybox");
  EXPECT_EQ(row.at("Command"), "\"sleep 1000\"");
  EXPECT_EQ(row.at("RunningFor"), "5 minutes ago");
  EXPECT_EQ(row.at("Status"), "Up 3 seconds");
  EXPECT_EQ(row.at("State"), "running");
  EXPECT_EQ(row.at("Names"), "web");
  EXPECT_EQ(row.at("Labels"), "a=1,b=2");
  EXPECT_EQ(row.at("Ports"), "");
  EXPECT_EQ(ps_row(container, true, now).at("ID"), container.id());

  const std::string table = render_rows("", kPsTable, {row}, ps_headers());
  EXPECT_EQ(table,
            "CONTAINER ID   IMAGE     COMMAND        CREATED         STATUS         PORTS     "
            "NAMES\n"
            "0123456789ab   busybox   \"sleep 1000\"   5 minutes ago   Up 3 seconds             "
            "web\n");
}

TEST(PsRow, ImageIdIsShortened) {
  keel::v1::Container container;
  container.set_image("sha256:abcdefabcdef0123456789");
  const auto row = ps_row(container, false, std::chrono::system_clock::now());
  EXPECT_EQ(row.at("Image"), "abcdefabcdef");
}

keel::v1::StatsSample sample(std::uint64_t cpu, std::uint64_t system, std::uint32_t online) {
  keel::v1::StatsSample out;
  out.set_cpu_usage_ns(cpu);
  out.set_system_cpu_ns(system);
  out.set_online_cpus(online);
  return out;
}

TEST(PsRow, NetworksAreThoseTheContainerIsOn) {
  keel::v1::Container container;
  container.set_id("0123456789abcdef0123456789abcdef");
  auto* settings = container.mutable_network_settings();
  settings->set_network("bridge");
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'300));
  EXPECT_EQ(ps_row(container, false, now).at("Networks"), "bridge");
  // Its first network disconnected: the connected ones only, or none.
  settings->set_network_disconnected(true);
  EXPECT_EQ(ps_row(container, false, now).at("Networks"), "");
  settings->add_connected()->set_network("front");
  settings->add_connected()->set_network("back");
  EXPECT_EQ(ps_row(container, false, now).at("Networks"), "front,back");
}

TEST(CpuPercent, DeltaOverSystemTimesCpus) {
  // 0.5 s of container CPU over 4 s of host CPU time (1 s wall on 4 CPUs) = 50% of one CPU.
  EXPECT_DOUBLE_EQ(cpu_percent(sample(1'000'000'000, 10'000'000'000, 4),
                               sample(1'500'000'000, 14'000'000'000, 4)),
                   50.0);
  // Two CPUs fully busy on a 4-CPU host: 200%.
  EXPECT_DOUBLE_EQ(cpu_percent(sample(0, 0, 4), sample(2'000'000'000, 4'000'000'000, 4)), 200.0);
}

TEST(CpuPercent, ZeroWhenADeltaIsNotPositive) {
  EXPECT_EQ(cpu_percent(sample(5, 100, 2), sample(5, 200, 2)), 0.0);
  EXPECT_EQ(cpu_percent(sample(5, 100, 2), sample(9, 100, 2)), 0.0);
  EXPECT_EQ(cpu_percent(sample(9, 100, 2), sample(5, 200, 2)), 0.0);
}

TEST(BinarySize, FourSignificantDigits) {
  EXPECT_EQ(binary_size(0), "0B");
  EXPECT_EQ(binary_size(1536), "1.5KiB");
  EXPECT_EQ(binary_size(1'536'000), "1.465MiB");
  EXPECT_EQ(binary_size(8.0 * (1ULL << 30)), "8GiB");
}

TEST(StatsRow, DockerColumns) {
  auto previous = sample(1'000'000'000, 10'000'000'000, 4);
  auto current = sample(1'250'000'000, 14'000'000'000, 4);
  current.set_id("0123456789abcdef");
  current.set_name("/web");
  current.set_memory_usage(512ULL << 20);
  current.set_memory_limit(2ULL << 30);
  current.set_net_rx(1500);
  current.set_net_tx(0);
  current.set_block_read(4'096'000);
  current.set_block_write(0);
  current.set_pids(3);
  const Row row = stats_row(&previous, current, false);
  EXPECT_EQ(row.at("ID"), "0123456789ab");
  EXPECT_EQ(row.at("Name"), "web");
  EXPECT_EQ(row.at("CPUPerc"), "25.00%");
  EXPECT_EQ(row.at("MemUsage"), "512MiB / 2GiB");
  EXPECT_EQ(row.at("MemPerc"), "25.00%");
  EXPECT_EQ(row.at("NetIO"), "1.5kB / 0B");
  EXPECT_EQ(row.at("BlockIO"), "4.1MB / 0B");
  EXPECT_EQ(row.at("PIDs"), "3");
  EXPECT_EQ(stats_row(nullptr, current, false).at("CPUPerc"), "0.00%");
  const std::string header = render_rows("", kStatsTable, {}, stats_headers());
  EXPECT_EQ(
      header,
      "CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O   BLOCK I/O   "
      "PIDS\n");
}

}  // namespace
}  // namespace keel::ctl
