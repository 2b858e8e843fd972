// Maps a short-lived process's own code and data, and malloc's first heap, ahead of their use.
//
// A process that runs for a few milliseconds spends most of its start in page faults: each first
// touch of a page of its code, its .data/.bss or its heap traps into the kernel, and on a virtual
// machine a trap costs 30-80 µs, where the kernel maps the same pages in bulk (madvise
// MADV_POPULATE_*) for well under 1 µs each. keelctl's `ps -q` took ~115 faults that way.
#pragma once

namespace keel {

// Asks the kernel to map the executable's segments, malloc's first heap and 64 KiB of stack now.
// All of each segment is mapped, touched or not: for a binary of a few MB that costs less than
// the faults it saves (keelctl links with --gc-sections to stay one). Best effort: a kernel
// without MADV_POPULATE_* (before 5.14) maps them on first touch as before. Meant to run first,
// from the executable's .preinit_array, before the static constructors (ctl/main.cpp).
void premap_process_image() noexcept;

}  // namespace keel
