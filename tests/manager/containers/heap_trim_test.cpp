// Pins manager/containers/heap_trim: one trim when the last operation of a burst ends, at most
// one a second, and the trim really gives freed heap back (anonymous RSS drops).
#include "manager/containers/heap_trim.h"

#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/fs.h"

namespace keel::manager::containers {
namespace {

// RssAnon of this process, in kB.
long anonymous_rss_kb() {
  auto status = fs::read_file("/proc/self/status");
  if (!status)
    return -1;
  const auto at = status->find("RssAnon:");
  return at == std::string::npos ? -1 : std::strtol(status->c_str() + at + 8, nullptr, 10);
}

TEST(HeapTrim, TrimsOnceWhenTheLastOperationOfABurstEnds) {
  HeapTrim trim;
  {
    std::optional<HeapTrim::Scope> first(trim.enter());
    { const auto second = trim.enter(); }
    EXPECT_EQ(trim.trims(), 0) << "one is still in flight";
  }
  EXPECT_EQ(trim.trims(), 1);
  { const auto soon_after = trim.enter(); }
  EXPECT_EQ(trim.trims(), 1) << "not twice within HeapTrim::kMinInterval";
}

TEST(HeapTrim, GivesTheFreedHeapBackToTheSystem) {
  HeapTrim trim;
  // 48 MiB in blocks too small for mmap, all freed but the last, which keeps the heap's top
  // where free() alone cannot lower it: memory a burst of requests leaves behind.
  constexpr std::size_t kBlock = 512;
  constexpr std::size_t kBlocks = (48U << 20U) / kBlock;
  std::vector<void*> blocks(kBlocks);
  for (auto& block : blocks) {
    block = std::malloc(kBlock);
    std::memset(block, 1, kBlock);
  }
  for (std::size_t i = 0; i + 1 < kBlocks; ++i)
    std::free(blocks[i]);
  const long before = anonymous_rss_kb();
  { const auto scope = trim.enter(); }
  const long after = anonymous_rss_kb();
  std::free(blocks.back());
  ASSERT_GT(before, 0);
  EXPECT_GT(before - after, 32L * 1024) << "RssAnon " << before << " kB -> " << after << " kB";
}

}  // namespace
}  // namespace keel::manager::containers
