// LD_PRELOAD for profiling `keel create` under valgrind 3.19 (Debian 12), which answers clone3 and
// openat2 with ENOSYS: clone3 becomes a fork-like clone with the same namespace flags, openat2 an
// openat without the RESOLVE_* checks. Profiling only; bench/run.sh uses it with a bundle whose
// config also avoids the new mount API (open_tree, move_mount, mount_setattr) valgrind lacks.
#include <dlfcn.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdarg>

extern "C" long syscall(long number, ...) noexcept {
  using SyscallFn = long (*)(long, ...);
  // No guarded static and no exceptions: the preload must not pull in libstdc++.
  static SyscallFn real = nullptr;
  if (real == nullptr)
    real = reinterpret_cast<SyscallFn>(::dlsym(RTLD_NEXT, "syscall"));
  va_list ap;
  va_start(ap, number);
  long a[6];
  for (long& arg : a)
    arg = va_arg(ap, long);
  va_end(ap);
  if (number == SYS_clone3) {
    const auto* args = reinterpret_cast<const clone_args*>(a[0]);
    return real(SYS_clone, static_cast<long>(args->flags | args->exit_signal), 0L, 0L, 0L, 0L);
  }
  if (number == SYS_openat2) {
    const auto* how = reinterpret_cast<const open_how*>(a[2]);
    return real(SYS_openat, a[0], a[1], static_cast<long>(how->flags),
                static_cast<long>(how->mode));
  }
  return real(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}
