// Pins build_spec (manager/containers/spec_builder.cpp): docker's defaults, each run flag, and
// what --privileged lifts.
#include "manager/containers/spec_builder.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace keel::manager::containers {
namespace {

namespace stdfs = std::filesystem;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// A rootfs with /etc/passwd and /etc/group in a private temp dir.
class SpecBuilderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/keel-spec-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    stdfs::create_directories(dir_ / "rootfs/etc");
    std::ofstream(dir_ / "rootfs/etc/passwd") << "root:x:0:0:root:/root:/bin/sh\n"
                                                 "app:x:1000:1000:app:/home/app:/bin/sh\n";
    std::ofstream(dir_ / "rootfs/etc/group") << "root:x:0:\nstaff:x:50:app,other\napp:x:1000:\n"
                                                "audio:x:29:nobody\n";
    context_.id = "0123456789abcdef0123";
    context_.rootfs = (dir_ / "rootfs").string();
    context_.cgroup_ns = false;
    context_.arch = "x86_64";
    context_.nofile_hard = 524288;
    image_.cmd = {"sh"};
  }
  void TearDown() override { stdfs::remove_all(dir_); }

  oci::RuntimeConfig build(const RunOptions& run) {
    auto spec = build_spec(image_, run, context_);
    EXPECT_TRUE(spec) << spec.error().message();
    return spec ? *spec : oci::RuntimeConfig{};
  }
  Error build_error(const RunOptions& run) {
    auto spec = build_spec(image_, run, context_);
    EXPECT_FALSE(spec);
    return spec ? Error{} : spec.error();
  }

  stdfs::path dir_;
  SpecContext context_;
  ImageConfig image_;
};

bool has_syscall(const oci::Seccomp& s, const std::string& name, const std::string& action) {
  return std::any_of(s.syscalls.begin(), s.syscalls.end(), [&](const oci::SyscallRule& r) {
    return r.action == action && r.args.empty() &&
           std::find(r.names.begin(), r.names.end(), name) != r.names.end();
  });
}

const oci::Mount* find_mount(const oci::RuntimeConfig& c, const std::string& destination) {
  for (const auto& m : c.mounts) {
    if (m.destination == destination)
      return &m;
  }
  return nullptr;
}

TEST_F(SpecBuilderTest, DefaultsAreDockersSecureOnes) {
  const auto c = build({});
  ASSERT_TRUE(c.process && c.linux && c.process->capabilities);
  EXPECT_THAT(
      *c.process->capabilities->bounding,
      ElementsAre("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
                  "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW",
                  "CAP_SYS_CHROOT", "CAP_MKNOD", "CAP_AUDIT_WRITE", "CAP_SETFCAP"));
  EXPECT_EQ(c.process->capabilities->effective, c.process->capabilities->bounding);
  EXPECT_FALSE(c.process->capabilities->inheritable);
  EXPECT_FALSE(c.process->capabilities->ambient);
  EXPECT_THAT(c.linux->masked_paths, Contains("/proc/kcore"));
  EXPECT_THAT(c.linux->masked_paths, Contains("/sys/firmware"));
  EXPECT_THAT(c.linux->readonly_paths, ElementsAre("/proc/bus", "/proc/fs", "/proc/irq",
                                                   "/proc/sys", "/proc/sysrq-trigger"));
  std::vector<std::string> destinations;
  for (const auto& m : c.mounts)
    destinations.push_back(m.destination);
  EXPECT_THAT(destinations, ElementsAre("/proc", "/dev", "/dev/pts", "/sys", "/sys/fs/cgroup",
                                        "/dev/mqueue", "/dev/shm"));
  EXPECT_THAT(find_mount(c, "/sys")->options, Contains("ro"));
  EXPECT_THAT(find_mount(c, "/dev/shm")->options, Contains("size=65536k"));
  ASSERT_EQ(c.process->rlimits.size(), 1U);
  EXPECT_EQ(c.process->rlimits[0].type, "RLIMIT_NOFILE");
  EXPECT_EQ(c.process->rlimits[0].soft, 1024U);
  EXPECT_EQ(c.process->rlimits[0].hard, 524288U);
  EXPECT_FALSE(c.process->no_new_privileges);
  context_.nofile_hard.reset();  // keeld's own hard limit caps docker's
  rlimit own{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &own), 0);
  EXPECT_LE(build({}).process->rlimits[0].hard, std::min<uint64_t>(own.rlim_max, 524288));
  EXPECT_EQ(c.hostname, "0123456789ab");
  EXPECT_EQ(c.linux->cgroups_path, "/keel/0123456789abcdef0123");
  EXPECT_EQ(c.root->path, context_.rootfs);
  EXPECT_FALSE(c.root->readonly);
  std::vector<std::string> namespaces;
  for (const auto& ns : c.linux->namespaces)
    namespaces.push_back(ns.type);
  EXPECT_THAT(namespaces, ElementsAre("pid", "ipc", "uts", "mount", "network"));
  ASSERT_TRUE(c.linux->resources);
  ASSERT_FALSE(c.linux->resources->devices.empty());
  EXPECT_FALSE(c.linux->resources->devices[0].allow);  // deny all first
}

TEST_F(SpecBuilderTest, DefaultSeccompProfileBlocksWhatDockersBlocks) {
  const auto c = build({});
  ASSERT_TRUE(c.linux->seccomp);
  const oci::Seccomp& s = *c.linux->seccomp;
  EXPECT_EQ(s.default_action, "SCMP_ACT_ERRNO");
  EXPECT_EQ(s.default_errno_ret, 1U);  // EPERM
  EXPECT_THAT(s.architectures, Contains("SCMP_ARCH_X86_64"));
  for (const char* allowed : {"read", "write", "execve", "openat", "clock_gettime", "arch_prctl"})
    EXPECT_TRUE(has_syscall(s, allowed, "SCMP_ACT_ALLOW")) << allowed;
  for (const char* blocked : {"unshare", "mount", "umount2", "keyctl", "kexec_load", "add_key",
                              "bpf", "setns", "reboot", "init_module", "open_by_handle_at"})
    EXPECT_FALSE(has_syscall(s, blocked, "SCMP_ACT_ALLOW")) << blocked;
  // clone only without namespace flags, clone3 answers ENOSYS so libc falls back to clone.
  auto clone = std::find_if(s.syscalls.begin(), s.syscalls.end(), [](const auto& r) {
    return r.names == std::vector<std::string>{"clone"};
  });
  ASSERT_NE(clone, s.syscalls.end());
  ASSERT_EQ(clone->args.size(), 1U);
  EXPECT_EQ(clone->args[0].op, "SCMP_CMP_MASKED_EQ");
  EXPECT_EQ(clone->args[0].value, 0x7E020000U);
  EXPECT_TRUE(has_syscall(s, "clone3", "SCMP_ACT_ERRNO"));
}

TEST_F(SpecBuilderTest, CapAddOpensTheSyscallsDockerGatesOnIt) {
  RunOptions run;
  run.cap_add = {"sys_admin", "CAP_SYS_PTRACE"};
  run.cap_drop = {"NET_RAW"};
  const auto c = build(run);
  const auto& caps = *c.process->capabilities->bounding;
  EXPECT_THAT(caps, Contains("CAP_SYS_ADMIN"));
  EXPECT_THAT(caps, Contains("CAP_SYS_PTRACE"));
  EXPECT_THAT(caps, Not(Contains("CAP_NET_RAW")));
  EXPECT_TRUE(has_syscall(*c.linux->seccomp, "mount", "SCMP_ACT_ALLOW"));
  EXPECT_TRUE(has_syscall(*c.linux->seccomp, "unshare", "SCMP_ACT_ALLOW"));
  EXPECT_TRUE(has_syscall(*c.linux->seccomp, "kcmp", "SCMP_ACT_ALLOW"));
  EXPECT_FALSE(has_syscall(*c.linux->seccomp, "clone3", "SCMP_ACT_ERRNO"));
}

TEST_F(SpecBuilderTest, CapDropAllThenAddKeepsOnlyTheAdded) {
  RunOptions run;
  run.cap_drop = {"ALL"};
  run.cap_add = {"chown"};
  EXPECT_THAT(*build(run).process->capabilities->bounding, ElementsAre("CAP_CHOWN"));
  run.cap_add = {"ALL"};
  run.cap_drop = {"SYS_ADMIN"};
  const auto caps = *build(run).process->capabilities->bounding;
  EXPECT_EQ(caps.size(), 40U);
  EXPECT_THAT(caps, Not(Contains("CAP_SYS_ADMIN")));
  run.cap_add = {"NOT_A_CAP"};
  EXPECT_THAT(build_error(run).message(), HasSubstr("unknown capability: \"CAP_NOT_A_CAP\""));
}

TEST_F(SpecBuilderTest, PrivilegedLiftsCapabilitiesSeccompMasksAndGivesHostDevices) {
  stdfs::create_directories(dir_ / "dev/pts");
  ASSERT_EQ(::mknod((dir_ / "dev/null").c_str(), S_IFCHR | 0666, ::makedev(1, 3)), 0);
  ASSERT_EQ(::mknod((dir_ / "dev/pts/0").c_str(), S_IFCHR | 0620, ::makedev(136, 0)), 0);
  context_.host_dev_dir = (dir_ / "dev").string();
  RunOptions run;
  run.privileged = true;
  const auto c = build(run);
  EXPECT_EQ(c.process->capabilities->bounding->size(), 41U);
  EXPECT_FALSE(c.linux->seccomp);
  EXPECT_TRUE(c.linux->masked_paths.empty());
  EXPECT_TRUE(c.linux->readonly_paths.empty());
  EXPECT_THAT(find_mount(c, "/sys")->options, Contains("rw"));
  ASSERT_EQ(c.linux->devices.size(), 1U);  // pts/ is the runtime's
  EXPECT_EQ(c.linux->devices[0].path, "/dev/null");
  EXPECT_EQ(c.linux->devices[0].major, 1);
  EXPECT_EQ(c.linux->devices[0].minor, 3);
  ASSERT_EQ(c.linux->resources->devices.size(), 1U);
  EXPECT_TRUE(c.linux->resources->devices[0].allow);
}

TEST_F(SpecBuilderTest, EnvAlwaysHasPathAndHostnameAndRunEnvWins) {
  image_.env = {"FOO=image", "KEEP=1"};
  RunOptions run;
  run.env = {"FOO=run", "NEW=2", "KEEP"};
  run.hostname = "web";
  run.tty = true;
  EXPECT_THAT(build(run).process->env, ElementsAre(kDefaultPath, "HOSTNAME=web", "TERM=xterm",
                                                   "FOO=run", "NEW=2", "HOME=/root"));
  image_.env = {"PATH=/custom"};
  EXPECT_THAT(build({}).process->env,
              ElementsAre("HOSTNAME=0123456789ab", "PATH=/custom", "HOME=/root"));
}

TEST_F(SpecBuilderTest, EntrypointAndArgsFollowDockersRules) {
  image_.entrypoint = {"/bin/entry"};
  image_.cmd = {"--default"};
  EXPECT_THAT(build({}).process->args, ElementsAre("/bin/entry", "--default"));
  RunOptions run;
  run.args = {"--given"};
  EXPECT_THAT(build(run).process->args, ElementsAre("/bin/entry", "--given"));
  run.args.clear();
  run.entrypoint = std::vector<std::string>{"/bin/other"};
  EXPECT_THAT(build(run).process->args, ElementsAre("/bin/other"));  // image Cmd dropped
  run.entrypoint = std::vector<std::string>{};
  run.args = {"echo", "hi"};
  EXPECT_THAT(build(run).process->args, ElementsAre("echo", "hi"));
  image_ = {};
  EXPECT_THAT(build_error({}).message(), HasSubstr("no command specified"));
}

TEST_F(SpecBuilderTest, UserIsResolvedAgainstTheRootfs) {
  RunOptions run;
  run.user = "app";
  auto c = build(run);
  EXPECT_EQ(c.process->user.uid, 1000U);
  EXPECT_EQ(c.process->user.gid, 1000U);
  EXPECT_THAT(c.process->user.additional_gids, ElementsAre(50U));
  EXPECT_THAT(c.process->env, Contains("HOME=/home/app"));
  run.user = "1000:audio";
  c = build(run);
  EXPECT_EQ(c.process->user.uid, 1000U);
  EXPECT_EQ(c.process->user.gid, 29U);
  run.user = "4242:77";  // numeric ids need no entry
  c = build(run);
  EXPECT_EQ(c.process->user.uid, 4242U);
  EXPECT_EQ(c.process->user.gid, 77U);
  run.user = "ghost";
  const Error e = build_error(run);
  EXPECT_EQ(e.kind(), Errc::kNotFound);
  EXPECT_THAT(e.message(), HasSubstr("unable to find user ghost"));
}

TEST_F(SpecBuilderTest, UserLookupStaysInsideTheRootfs) {
  // An image's /etc/passwd that points at the host's must not be followed out of the rootfs.
  stdfs::remove(dir_ / "rootfs/etc/passwd");
  stdfs::create_directories(dir_ / "outside");
  std::ofstream(dir_ / "outside/passwd") << "leak:x:777:777::/:/bin/sh\n";
  stdfs::create_symlink(dir_ / "outside/passwd", dir_ / "rootfs/etc/passwd");
  RunOptions run;
  run.user = "leak";
  EXPECT_EQ(build_error(run).kind(), Errc::kNotFound);
}

TEST_F(SpecBuilderTest, WorkdirMustBeAbsolute) {
  image_.working_dir = "/srv";
  EXPECT_EQ(build({}).process->cwd, "/srv");
  RunOptions run;
  run.workdir = "/tmp";
  EXPECT_EQ(build(run).process->cwd, "/tmp");
  run.workdir = "rel";
  EXPECT_THAT(build_error(run).message(), HasSubstr("needs to be an absolute path"));
}

TEST_F(SpecBuilderTest, VolumesTmpfsAndReadOnlyBecomeMounts) {
  image_.volumes = {"/data", "/cache"};
  RunOptions run;
  run.volumes = {*parse_volume("/host/src:/src:ro"), *parse_volume("named:/data")};
  run.tmpfs = {*parse_tmpfs("/run:exec,size=1m")};
  run.read_only = true;
  EXPECT_THAT(volumes_needed(image_, run), ElementsAre("named", "/cache"));
  EXPECT_EQ(build_error(run).kind(), Errc::kNotFound);  // no dirs supplied yet
  run.volume_dirs = {{"named", "/var/v/named"}, {"/cache", "/var/v/anon"}};
  const auto c = build(run);
  EXPECT_TRUE(c.root->readonly);
  const oci::Mount* src = find_mount(c, "/src");
  ASSERT_NE(src, nullptr);
  EXPECT_EQ(src->source, "/host/src");
  EXPECT_THAT(src->options, ElementsAre("rbind", "rprivate", "ro"));
  EXPECT_EQ(find_mount(c, "/data")->source, "/var/v/named");
  EXPECT_EQ(find_mount(c, "/cache")->source, "/var/v/anon");
  EXPECT_THAT(find_mount(c, "/run")->options, ElementsAre("nosuid", "nodev", "exec", "size=1m"));
}

TEST_F(SpecBuilderTest, ResourcesFollowDockersUnits) {
  RunOptions run;
  run.memory_bytes = *parse_memory_size("64m");
  run.cpus = 1.5;
  run.pids_limit = 100;
  const auto c = build(run);
  const auto& r = *c.linux->resources;
  EXPECT_EQ(r.memory->limit, 64 * 1024 * 1024);
  EXPECT_EQ(r.memory->swap, 128 * 1024 * 1024);
  EXPECT_EQ(r.cpu->quota, 150000);
  EXPECT_EQ(r.cpu->period, 100000U);
  EXPECT_EQ(r.pids->limit, 100);
  run.memory_bytes = 1024;
  EXPECT_THAT(build_error(run).message(), HasSubstr("minimum memory limit"));
}

TEST_F(SpecBuilderTest, NetworkHostSharesTheHostsNetworkNamespace) {
  RunOptions run;
  run.network = NetworkMode::kHost;
  run.no_new_privileges = true;
  const auto c = build(run);
  for (const auto& ns : c.linux->namespaces)
    EXPECT_NE(ns.type, "network");
  EXPECT_TRUE(c.process->no_new_privileges);
}

TEST_F(SpecBuilderTest, LabelsAndLogPathBecomeAnnotations) {
  context_.log_path = "/var/log/ctr.log";
  RunOptions run;
  run.labels = {{"app", "web"}};
  const auto c = build(run);
  EXPECT_EQ(c.annotations.at("app"), "web");
  EXPECT_EQ(c.annotations.at("io.keel.shim.log-path"), "/var/log/ctr.log");
}

TEST(RunOptions, ParsersAcceptDockersSyntaxAndNameWhatIsWrong) {
  EXPECT_EQ(*parse_memory_size("1g"), 1024LL * 1024 * 1024);
  EXPECT_EQ(*parse_memory_size("512M"), 512LL * 1024 * 1024);
  EXPECT_EQ(*parse_memory_size("100"), 100);
  EXPECT_FALSE(parse_memory_size("12x"));
  EXPECT_FALSE(parse_volume("rel/path:/x"));
  EXPECT_FALSE(parse_volume("/a:rel"));
  EXPECT_FALSE(parse_volume("/a:/"));
  EXPECT_FALSE(parse_volume("/a:/b:bogus"));
  EXPECT_TRUE(parse_volume("vol_1:/b:rw,z")->is_named());
  EXPECT_THAT(*parse_env_file("# comment\n\n  A=1\nB\r\nC=x y\n"),
              ElementsAre("A=1", "B", "C=x y"));
  EXPECT_EQ(*parse_signal("SIGKILL"), SIGKILL);
  EXPECT_EQ(*parse_signal("term"), SIGTERM);
  EXPECT_EQ(*parse_signal("2"), 2);
  EXPECT_FALSE(parse_signal("SIGNOPE"));
  ImageConfig image;
  image.stop_signal = "SIGQUIT";
  EXPECT_EQ(*stop_signal_of(image), SIGQUIT);
  EXPECT_EQ(*stop_signal_of({}), SIGTERM);
}

TEST(ImageConfigJson, ParsesTheImageSpecNames) {
  auto c = parse_image_config(R"({"Entrypoint":["/e"],"Cmd":["a","b"],"Env":["X=1"],
      "WorkingDir":"/w","User":"app","StopSignal":"SIGINT","Volumes":{"/v":{}},
      "Labels":{"k":"v"}})");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_THAT(c->entrypoint, ElementsAre("/e"));
  EXPECT_THAT(c->cmd, ElementsAre("a", "b"));
  EXPECT_EQ(c->working_dir, "/w");
  EXPECT_EQ(c->user, "app");
  EXPECT_THAT(c->volumes, ElementsAre("/v"));
  EXPECT_EQ(c->labels.at("k"), "v");
  EXPECT_TRUE(parse_image_config(R"({"Cmd":null})"));
  auto bad = parse_image_config(R"({"Cmd":"sh"})");
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message(), HasSubstr("Cmd"));
}

}  // namespace
}  // namespace keel::manager::containers
