// Maps a short-lived process's own code and data, and malloc's first heap, ahead of their use.
//
// A process that runs for a few milliseconds spends much of its start in page faults: each first
// touch of a page of its code, its .data/.bss or its heap traps into the kernel, and on a virtual
// machine a trap costs 10-60 µs, where the kernel maps the same pages in bulk (madvise
// MADV_POPULATE_*) for about 1 µs each. In keelctl's `ps -q` this takes 91 page faults to 36; the
// rest come before the executable's own code runs (libc's start) or after the heap outgrows its
// first 128 KiB.
#pragma once

namespace keel {

// Asks the kernel to map the executable's segments, malloc's first heap and 64 KiB of stack now.
// All of each segment is mapped, touched or not: for a binary of a few MB that costs less than
// the faults it saves (keelctl links with --gc-sections to stay one). Best effort: a kernel
// without MADV_POPULATE_* (before 5.14) maps them on first touch as before. Meant to run first,
// from the executable's .preinit_array, before the static constructors (ctl/main.cpp).
void premap_process_image() noexcept;

}  // namespace keel
