#include "common/process_image.h"

#include <link.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

namespace keel {
namespace {

constexpr std::uintptr_t kPage = 4096;
// How much stack below the caller's frame is mapped ahead: keelctl's deepest calls reach ~40 KiB
// (a 16 KiB socket buffer in ctl/rpc among them). The kernel sets up a new process's stack mapping
// 128 KiB deep, so this stays inside it.
constexpr std::uintptr_t kStackAhead = 64 << 10;

void populate(std::uintptr_t begin, std::uintptr_t end, int advice) {
  begin &= ~(kPage - 1);
  end = (end + kPage - 1) & ~(kPage - 1);
  // Failure (an old kernel, a range that changed) only means these pages fault in as usual.
  if (begin < end)
    (void)::madvise(reinterpret_cast<void*>(begin), end - begin, advice);
}

// dl_iterate_phdr reports the executable first; its segments are all that is mapped here, all of
// them: code, read-only data and unwind tables, writable data.
int populate_executable(dl_phdr_info* info, std::size_t /*size*/, void* /*data*/) {
  std::uintptr_t relro_end = 0;
  for (ElfW(Half) i = 0; i < info->dlpi_phnum; ++i)
    if (info->dlpi_phdr[i].p_type == PT_GNU_RELRO)
      relro_end = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr + info->dlpi_phdr[i].p_memsz;
  for (ElfW(Half) i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& segment = info->dlpi_phdr[i];
    if (segment.p_type != PT_LOAD)
      continue;
    const std::uintptr_t begin = info->dlpi_addr + segment.p_vaddr;
    const std::uintptr_t end = begin + segment.p_memsz;
    if ((segment.p_flags & PF_W) == 0) {
      populate(begin, end, MADV_POPULATE_READ);
    } else {
      // The relocated read-only part (vtables, the GOT) is read, not written: mapped as the
      // file's pages, not copied. The rest (.data, .bss) is written: copied or zeroed now.
      const std::uintptr_t written = relro_end > begin && relro_end <= end ? relro_end : begin;
      populate(begin, written, MADV_POPULATE_READ);
      populate(written, end, MADV_POPULATE_WRITE);
    }
  }
  return 1;  // the executable only, not the libraries after it
}

}  // namespace

void premap_process_image() noexcept {
  ::dl_iterate_phdr(populate_executable, nullptr);
  // malloc's heap starts as one grow of the break by its top pad (128 KiB), from which what the
  // process allocates is carved page by page. The libc may have allocated before this runs (a
  // static glibc does); else the first allocation here sets the heap up. The pointer is volatile
  // so that the compiler keeps an allocation it would otherwise prove useless.
  void* volatile first = std::malloc(1);
  std::free(first);
  const auto heap_end = reinterpret_cast<std::uintptr_t>(::sbrk(0));
  const std::size_t heap_size = ::mallinfo2().arena;
  if (heap_end != static_cast<std::uintptr_t>(-1) && heap_size <= heap_end)
    populate(heap_end - heap_size, heap_end, MADV_POPULATE_WRITE);
  const auto frame = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
  populate(frame - kStackAhead, frame, MADV_POPULATE_WRITE);
}

}  // namespace keel
