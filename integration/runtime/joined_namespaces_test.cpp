// Pins linux.namespaces entries given by path: a namespace joined that way is the container's
// own, exactly as a new one (how a pod's containers join their sandbox). The joining container
// sets its hostname in the uts namespace it joined, takes its mounts in the mount namespace it
// joined, and shares ipc, net and pid with the container it joined.
#include <signal.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integration/fixtures/fixtures.h"

namespace keel::fixtures {
namespace {

using ::testing::HasSubstr;

std::string ns_link(pid_t pid, const std::string& type) {
  return std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/ns/" + type).string();
}

// A process in a mount namespace of its own, a copy of the host's view, so the bundle's host
// paths resolve in it (what a runtime validation suite gives a container to join).
class MountNamespaceHolder {
 public:
  MountNamespaceHolder()
      : holder_(start_command(
            {"/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sleep", "600"}, {})) {
  }
  ~MountNamespaceHolder() {
    ::kill(holder_.pid(), SIGKILL);
    (void)holder_.wait();  // its exit status (killed) says nothing here
  }
  MountNamespaceHolder(const MountNamespaceHolder&) = delete;
  MountNamespaceHolder& operator=(const MountNamespaceHolder&) = delete;

  [[nodiscard]] pid_t pid() const { return holder_.pid(); }
  // unshare(1) execs sleep once the namespace exists: until then the link is the host's.
  [[nodiscard]] bool ready() const {
    std::error_code ec;
    const auto link =
        std::filesystem::read_symlink("/proc/" + std::to_string(pid()) + "/ns/mnt", ec);
    return !ec && link.string() != ns_link(::getpid(), "mnt");
  }

 private:
  RunningCommand holder_;
};

TEST(JoinedNamespaces, ContainerJoiningAnotherByPathSetsHostnameAndSharesTheRest) {
  KEEL_SKIP_UNLESS_ROOT();
  LeakCheck leaks;
  auto first = busybox_bundle();
  ASSERT_NO_FATAL_FAILURE(run_detached(first, until_released()));
  const auto state = container_state(first, first.id);
  ASSERT_TRUE(state.has_value());
  const pid_t first_pid = (*state)["pid"].get<pid_t>();

  {
    MountNamespaceHolder holder;
    ASSERT_TRUE(wait_until([&] { return holder.ready(); }, std::chrono::seconds(10)));
    const std::string holder_mnt = ns_link(holder.pid(), "mnt");

    auto second = busybox_bundle();
    const std::string proc = "/proc/" + std::to_string(first_pid) + "/ns/";
    second.config["linux"]["namespaces"] = {
        {{"type", "pid"}, {"path", proc + "pid"}},
        {{"type", "ipc"}, {"path", proc + "ipc"}},
        {{"type", "uts"}, {"path", proc + "uts"}},
        {{"type", "network"}, {"path", proc + "net"}},
        {{"type", "mount"}, {"path", "/proc/" + std::to_string(holder.pid()) + "/ns/mnt"}},
    };
    second.config["hostname"] = "joined-uts";
    const RunResult run = run_script(
        second,
        "hostname; for t in ipc net pid mnt; do echo $t=$(readlink /proc/self/ns/$t); done;"
        " echo init=$(cat /proc/1/cmdline | tr '\\0' ' ')");
    EXPECT_EQ(run.exit_code, 0) << run;
    EXPECT_THAT(run.out, HasSubstr("joined-uts\n")) << run;
    EXPECT_THAT(run.out, HasSubstr("ipc=" + ns_link(first_pid, "ipc") + "\n")) << run;
    EXPECT_THAT(run.out, HasSubstr("net=" + ns_link(first_pid, "net") + "\n")) << run;
    EXPECT_THAT(run.out, HasSubstr("pid=" + ns_link(first_pid, "pid") + "\n")) << run;
    EXPECT_THAT(run.out, HasSubstr("mnt=" + holder_mnt + "\n")) << run;
    // The first container's init is pid 1 of the pid namespace both now share.
    EXPECT_THAT(run.out, HasSubstr("init=sh -c while")) << run;
  }

  // The hostname was set in the namespace the first container lives in.
  const RunResult hostname = run_runtime(first, {"exec", first.id, "hostname"});
  EXPECT_EQ(hostname.exit_code, 0) << hostname;
  EXPECT_EQ(hostname.out, "joined-uts\n") << hostname;
  release(first);
  ASSERT_TRUE(wait_for_status(first, first.id, "stopped"));
  force_delete(first);
  leaks.expect_none();
}

}  // namespace
}  // namespace keel::fixtures
