// The runtime suite's main: with KEEL_IT_CGROUP_VIEW=v1-only the whole test process (and every
// runtime it starts) runs in a private mount namespace where an empty tmpfs covers
// /sys/fs/cgroup/unified: the view in which bench/ measures crun, and any host whose cgroup
// mountpoint has another mount stacked on it. ctest runs the suite natively and in that view.
#include <sched.h>
#include <sys/mount.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include <gtest/gtest.h>

namespace {

bool enter_v1_only_view() {
  if (::unshare(CLONE_NEWNS) != 0) {
    std::perror("cgroup view: unshare mount namespace");
    return false;
  }
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    std::perror("cgroup view: make / private");
    return false;
  }
  if (::mount("none", "/sys/fs/cgroup/unified", "tmpfs", 0, "mode=755") != 0) {
    std::perror("cgroup view: tmpfs over /sys/fs/cgroup/unified");
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const char* view = std::getenv("KEEL_IT_CGROUP_VIEW");
  if (view != nullptr && std::string_view(view) == "v1-only" && !enter_v1_only_view())
    return 1;
  return RUN_ALL_TESTS();
}
