// Pins export_bpf/load_bpf in runtime/security/seccomp.cpp: a cached program loaded with
// seccomp(2) behaves as the libseccomp load of the same profile.
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/security/seccomp.h"
#include "tests/runtime/security/forked_child.h"

namespace keel::runtime::security {
namespace {

using test_support::Report;
using test_support::run_in_child;

int64_t err_of(long rc) {
  return rc < 0 ? errno : 0;
}

oci::Seccomp sample_profile() {
  oci::Seccomp profile;
  profile.default_action = "SCMP_ACT_ALLOW";
  profile.syscalls = {
      {{"mkdir", "mkdirat"}, "SCMP_ACT_ERRNO", EXDEV, {}},
      {{"umask"}, "SCMP_ACT_ERRNO", EMLINK, {{0, 0x10, 0, "SCMP_CMP_EQ"}}},
  };
  return profile;
}

// What the sample profile does to the probes: [mkdir, umask(0x10), umask(0x11), getpid].
void probe(Report& r) {
  r.values[0] = err_of(::mkdir("/nonexistent-keel-dir/x", 0700));
  r.values[1] = err_of(::syscall(SYS_umask, 0x10));
  r.values[2] = err_of(::syscall(SYS_umask, 0x11));
  r.values[3] = ::getpid();
}

TEST(SeccompBpf, ExportIsWholeInstructions) {
  auto filter = compile_seccomp(sample_profile());
  ASSERT_TRUE(filter) << filter.error().message();
  auto bpf = export_bpf(*filter);
  ASSERT_TRUE(bpf) << bpf.error().message();
  EXPECT_GT(bpf->size(), 0u);
  EXPECT_EQ(bpf->size() % 8, 0u);
}

TEST(SeccompBpf, LoadedBpfBehavesLikeLoadSeccomp) {
  auto filter = compile_seccomp(sample_profile());
  ASSERT_TRUE(filter) << filter.error().message();
  auto bpf = export_bpf(*filter);
  ASSERT_TRUE(bpf) << bpf.error().message();

  auto via_libseccomp = run_in_child([&](Report& r) {
    if (auto fd = load_seccomp(*filter); !fd)
      return r.fail(fd.error().message());
    probe(r);
  });
  auto via_bpf = run_in_child([&](Report& r) {
    if (auto fd = load_bpf(*bpf, filter->load_flags()); !fd)
      return r.fail(fd.error().message());
    probe(r);
  });
  ASSERT_TRUE(via_libseccomp.reported && via_bpf.reported);
  ASSERT_EQ(via_libseccomp.error(), "");
  ASSERT_EQ(via_bpf.error(), "");
  EXPECT_EQ(via_libseccomp[0], EXDEV);
  EXPECT_EQ(via_libseccomp[1], EMLINK);
  EXPECT_EQ(via_libseccomp[2], 0);
  EXPECT_EQ(via_libseccomp[3], via_libseccomp.pid);
  for (size_t i = 0; i < 3; ++i)
    EXPECT_EQ(via_bpf[i], via_libseccomp[i]) << "probe " << i;
  EXPECT_EQ(via_bpf[3], via_bpf.pid);
}

TEST(SeccompBpf, NotifyingBpfYieldsListenerFd) {
  oci::Seccomp profile;
  profile.default_action = "SCMP_ACT_ALLOW";
  profile.syscalls = {{{"getppid"}, "SCMP_ACT_NOTIFY", std::nullopt, {}}};
  auto filter = compile_seccomp(profile);
  ASSERT_TRUE(filter) << filter.error().message();
  auto bpf = export_bpf(*filter);
  ASSERT_TRUE(bpf) << bpf.error().message();

  auto child = run_in_child([&](Report& r) {
    auto fd = load_bpf(*bpf, filter->load_flags());
    if (!fd)
      return r.fail(fd.error().message());
    uint64_t id = 0;
    r.values[0] = err_of(::ioctl(fd->get(), SECCOMP_IOCTL_NOTIF_ID_VALID, &id));
    fd->reset();
    r.values[1] = err_of(::syscall(SYS_getppid));
  });
  ASSERT_TRUE(child.reported && child.exited_ok());
  ASSERT_EQ(child.error(), "");
  EXPECT_EQ(child[0], ENOENT);  // a listener that has no such request
  EXPECT_EQ(child[1], ENOSYS);
}

// docker's profile lists ~300 syscalls in about ten entries. Whether the filter gets libseccomp's
// binary tree (one comparison per tree level instead of one per syscall, for every syscall the
// container makes, and a shorter walk when the kernel pre-computes its allow bitmap at load) is
// decided by the number of syscalls, so grouping them in one entry gives the same program.
TEST(SeccompBpf, GroupedNamesGetTheSameLayoutAsOneRuleEach) {
  const std::vector<std::string> names = {"acct",
                                          "add_key",
                                          "bpf",
                                          "clock_adjtime",
                                          "clock_settime",
                                          "delete_module",
                                          "finit_module",
                                          "get_kernel_syms",
                                          "get_mempolicy",
                                          "init_module",
                                          "ioperm",
                                          "iopl",
                                          "kcmp",
                                          "kexec_file_load",
                                          "kexec_load",
                                          "keyctl",
                                          "lookup_dcookie",
                                          "mbind",
                                          "mount",
                                          "move_pages",
                                          "nfsservctl",
                                          "open_by_handle_at",
                                          "perf_event_open",
                                          "personality",
                                          "pivot_root",
                                          "process_vm_readv",
                                          "process_vm_writev",
                                          "ptrace",
                                          "query_module",
                                          "quotactl",
                                          "reboot",
                                          "request_key",
                                          "set_mempolicy",
                                          "setns",
                                          "settimeofday",
                                          "stime",
                                          "swapoff",
                                          "swapon",
                                          "sysfs",
                                          "umount2",
                                          "unshare",
                                          "uselib",
                                          "userfaultfd",
                                          "ustat",
                                          "vm86"};
  oci::Seccomp grouped;
  grouped.default_action = "SCMP_ACT_ALLOW";
  grouped.syscalls = {{names, "SCMP_ACT_ERRNO", EPERM, {}}};
  oci::Seccomp one_each;
  one_each.default_action = "SCMP_ACT_ALLOW";
  for (const auto& name : names)
    one_each.syscalls.push_back({{name}, "SCMP_ACT_ERRNO", EPERM, {}});

  auto grouped_filter = compile_seccomp(grouped);
  ASSERT_TRUE(grouped_filter) << grouped_filter.error().message();
  auto one_each_filter = compile_seccomp(one_each);
  ASSERT_TRUE(one_each_filter) << one_each_filter.error().message();
  auto grouped_bpf = export_bpf(*grouped_filter);
  ASSERT_TRUE(grouped_bpf) << grouped_bpf.error().message();
  auto one_each_bpf = export_bpf(*one_each_filter);
  ASSERT_TRUE(one_each_bpf) << one_each_bpf.error().message();
  EXPECT_EQ(*grouped_bpf, *one_each_bpf);
}

TEST(SeccompBpf, PartialInstructionIsRefused) {
  auto fd = load_bpf("1234567", 0);
  ASSERT_FALSE(fd);
  EXPECT_EQ(fd.error().message(),
            "seccomp: load BPF: size 7 is not a whole program of 8-byte instructions");
}

TEST(SeccompBpf, KernelVerdictCarriesErrno) {
  // One "A = 0" instruction and no return: the kernel's checker refuses it.
  const std::string no_return(8, '\0');
  auto child = run_in_child([&](Report& r) {
    auto fd = load_bpf(no_return, 0);
    r.fail(fd ? std::string("loaded") : fd.error().message());
  });
  ASSERT_TRUE(child.reported);
  EXPECT_EQ(child.error(), "seccomp: load BPF: Invalid argument");
}

}  // namespace
}  // namespace keel::runtime::security
