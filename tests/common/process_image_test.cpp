// Pins premap_process_image (common/process_image.cpp): afterwards the executable's code, its
// .data/.bss and the start of the heap are in the page tables, so touching them faults no more.
#include "common/process_image.h"

#include <sys/resource.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace keel {
namespace {

// Size and Rss, in KiB, of the mapping of /proc/self/smaps that holds address.
struct Mapping {
  long size_kib = -1;
  long rss_kib = -1;
};

Mapping mapping_of(const void* address) {
  const auto wanted = reinterpret_cast<std::uintptr_t>(address);
  std::ifstream smaps("/proc/self/smaps");
  Mapping found;
  bool inside = false;
  for (std::string line; std::getline(smaps, line);) {
    std::uintptr_t begin = 0;
    std::uintptr_t end = 0;
    char dash = 0;
    if (std::istringstream range(line); range >> std::hex >> begin >> dash >> end && dash == '-') {
      if (inside)
        break;
      inside = begin <= wanted && wanted < end;
      continue;
    }
    if (!inside)
      continue;
    std::istringstream field(line);
    std::string key;
    long kib = 0;
    field >> key >> kib;
    if (key == "Size:")
      found.size_kib = kib;
    else if (key == "Rss:")
      found.rss_kib = kib;
  }
  return found;
}

long minor_faults() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

// Far from everything gtest touches on its way here, so not mapped by use before the call.
char untouched_bss[256 << 10];

TEST(ProcessImage, MapsTheExecutablesCodeAndWritableData) {
  premap_process_image();
  const Mapping code = mapping_of(reinterpret_cast<const void*>(&premap_process_image));
  ASSERT_GT(code.size_kib, 0);
  EXPECT_EQ(code.rss_kib, code.size_kib);
  const Mapping bss = mapping_of(&untouched_bss[sizeof(untouched_bss) / 2]);
  ASSERT_GT(bss.size_kib, 0);
  EXPECT_EQ(bss.rss_kib, bss.size_kib);
}

TEST(ProcessImage, WritingPremappedDataTakesNoFaults) {
  premap_process_image();
  const long before = minor_faults();
  for (std::size_t i = 0; i < sizeof(untouched_bss); i += 4096)
    untouched_bss[i] = 1;
  EXPECT_LT(minor_faults() - before, 4);  // getrusage itself may fault a page or so
}

}  // namespace
}  // namespace keel
