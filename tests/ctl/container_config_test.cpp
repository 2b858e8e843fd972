#include "ctl/container_config.h"

#include <map>

#include <gtest/gtest.h>

#include "ctl/client.h"

namespace keel::ctl {
namespace {

const EnvLookup kEnv = [](const std::string& name) -> std::optional<std::string> {
  static const std::map<std::string, std::string> env = {{"HOME", "/root"}, {"EMPTY", ""}};
  if (auto it = env.find(name); it != env.end())
    return it->second;
  return std::nullopt;
};

int exit_code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const CommandError& error) {
    return error.exit_code();
  }
  return 0;
}

TEST(ParseMemory, SuffixesAreBinary) {
  EXPECT_EQ(parse_memory("512", "-m"), 512);
  EXPECT_EQ(parse_memory("64k", "-m"), 64 * 1024);
  EXPECT_EQ(parse_memory("64K", "-m"), 64 * 1024);
  EXPECT_EQ(parse_memory("100m", "-m"), 100LL << 20);
  EXPECT_EQ(parse_memory("100MB", "-m"), 100LL << 20);
  EXPECT_EQ(parse_memory("1.5g", "-m"), 3LL << 29);
  EXPECT_EQ(parse_memory("2GiB", "-m"), 2LL << 30);
  EXPECT_EQ(parse_memory("1t", "-m"), 1LL << 40);
  EXPECT_EQ(parse_memory("10b", "-m"), 10);
}

TEST(ParseMemory, RejectsGarbageWithExit125) {
  EXPECT_EQ(exit_code_of([] { (void)parse_memory("abc", "-m"); }), 125);
  EXPECT_EQ(exit_code_of([] { (void)parse_memory("10x", "-m"); }), 125);
  EXPECT_EQ(exit_code_of([] { (void)parse_memory("", "-m"); }), 125);
  EXPECT_EQ(exit_code_of([] { (void)parse_memory("-5m", "-m"); }), 125);
}

TEST(ParseCpus, ThousandthsOfCpus) {
  EXPECT_EQ(parse_cpus("1.5"), 1500);
  EXPECT_EQ(parse_cpus("0.25"), 250);
  EXPECT_EQ(parse_cpus("2"), 2000);
  EXPECT_EQ(parse_cpus("0.001"), 1);
  EXPECT_EQ(exit_code_of([] { (void)parse_cpus("lots"); }), 125);
  EXPECT_EQ(exit_code_of([] { (void)parse_cpus("-1"); }), 125);
  EXPECT_EQ(exit_code_of([] { (void)parse_cpus("1.5x"); }), 125);
}

TEST(ParseRestartPolicy, DockerForms) {
  EXPECT_EQ(parse_restart_policy("").name(), "no");
  EXPECT_EQ(parse_restart_policy("no").name(), "no");
  EXPECT_EQ(parse_restart_policy("always").name(), "always");
  EXPECT_EQ(parse_restart_policy("unless-stopped").name(), "unless-stopped");
  const auto on_failure = parse_restart_policy("on-failure:3");
  EXPECT_EQ(on_failure.name(), "on-failure");
  EXPECT_EQ(on_failure.maximum_retry_count(), 3);
  EXPECT_EQ(parse_restart_policy("on-failure").maximum_retry_count(), 0);
  EXPECT_EQ(exit_code_of([] { (void)parse_restart_policy("sometimes"); }), 125);
  EXPECT_EQ(exit_code_of([] { (void)parse_restart_policy("always:3"); }), 125);
  EXPECT_EQ(exit_code_of([] { (void)parse_restart_policy("on-failure:x"); }), 125);
  EXPECT_EQ(exit_code_of([] { (void)parse_restart_policy("on-failure:1:2"); }), 125);
}

TEST(ParseVolume, BindMount) {
  const auto mount = parse_volume("/srv/data:/data", "/");
  EXPECT_EQ(mount.type(), "bind");
  EXPECT_EQ(mount.source(), "/srv/data");
  EXPECT_EQ(mount.target(), "/data");
  EXPECT_FALSE(mount.read_only());
}

TEST(ParseVolume, ReadOnlyAndOptions) {
  const auto mount = parse_volume("/srv/data:/data:ro,Z", "/");
  EXPECT_TRUE(mount.read_only());
  ASSERT_EQ(mount.options_size(), 1);
  EXPECT_EQ(mount.options(0), "Z");
  EXPECT_FALSE(parse_volume("/a:/b:rw", "/").read_only());
}

TEST(ParseVolume, NamedAndAnonymousVolumes) {
  const auto named = parse_volume("cache:/var/cache", "/");
  EXPECT_EQ(named.type(), "volume");
  EXPECT_EQ(named.source(), "cache");
  const auto anonymous = parse_volume("/scratch", "/");
  EXPECT_EQ(anonymous.type(), "volume");
  EXPECT_EQ(anonymous.source(), "");
  EXPECT_EQ(anonymous.target(), "/scratch");
  EXPECT_TRUE(parse_volume("/scratch:ro", "/").read_only());
}

TEST(ParseVolume, RelativeSourceIsMadeAbsolute) {
  const auto mount = parse_volume("./data/../conf:/etc/app", "/home/me");
  EXPECT_EQ(mount.type(), "bind");
  EXPECT_EQ(mount.source(), "/home/me/conf");
}

TEST(ParseVolume, Rejects) {
  for (const char* bad :
       {"", "/a:b", "/a:/b:ro:x", "/a:/b:rx", "/a:/", "bad name:/x", "/a:/b:ro,rw"})
    EXPECT_EQ(exit_code_of([&] { (void)parse_volume(bad, "/"); }), 125) << bad;
}

TEST(ParseTmpfs, TargetAndOptions) {
  const auto mount = parse_tmpfs("/run:size=64m,mode=1777");
  EXPECT_EQ(mount.type(), "tmpfs");
  EXPECT_EQ(mount.target(), "/run");
  ASSERT_EQ(mount.options_size(), 2);
  EXPECT_EQ(mount.options(0), "size=64m");
  EXPECT_EQ(exit_code_of([] { (void)parse_tmpfs("run"); }), 125);
}

TEST(ParseEnv, FromClientEnvironment) {
  EXPECT_EQ(parse_env("A=b=c", kEnv), "A=b=c");
  EXPECT_EQ(parse_env("A=", kEnv), "A=");
  EXPECT_EQ(parse_env("HOME", kEnv), "HOME=/root");
  EXPECT_EQ(parse_env("EMPTY", kEnv), "EMPTY=");
  EXPECT_EQ(parse_env("UNSET", kEnv), std::nullopt);
  EXPECT_EQ(exit_code_of([] { (void)parse_env("=x", kEnv); }), 125);
}

TEST(ParseEnvFile, LinesCommentsAndLookups) {
  const auto env = parse_env_file(
      "# comment\n\nA=1\n  B=two words \r\nHOME\nUNSET\nC=\n   # indented comment\n", kEnv);
  EXPECT_EQ(env, (std::vector<std::string>{"A=1", "B=two words ", "HOME=/root", "C="}));
  EXPECT_EQ(exit_code_of([] { (void)parse_env_file("BAD NAME=1\n", kEnv); }), 125);
}

keel::v1::ContainerConfig build(const RunFlags& flags,
                                const std::map<std::string, std::string>& files = {}) {
  return build_container_config(
      flags, kEnv,
      [&](const std::string& path) {
        auto it = files.find(path);
        if (it == files.end())
          throw CommandError("open " + path + ": no such file or directory", 125);
        return it->second;
      },
      "/work");
}

TEST(BuildContainerConfig, FlagsLandInTheirFields) {
  RunFlags flags;
  flags.args = {"busybox", "sh", "-c", "echo hi"};
  flags.name = "web";
  flags.env_files = {"/env"};
  flags.env = {"A=override", "HOME"};
  flags.working_dir = "/tmp";
  flags.user = "1000:1000";
  flags.hostname = "box";
  flags.volumes = {"/srv:/srv:ro", "data:/data"};
  flags.tmpfs = {"/run"};
  flags.memory = "64m";
  flags.cpus = "0.5";
  flags.pids_limit = 100;
  flags.read_only = true;
  flags.cap_add = {"NET_ADMIN"};
  flags.cap_drop = {"ALL"};
  flags.network = "host";
  flags.restart = "on-failure:2";
  flags.labels = {"a=b", "flag"};
  flags.security_opts = {"no-new-privileges"};
  flags.stop_signal = "SIGINT";
  flags.stop_timeout = 3;
  flags.tty = true;
  flags.interactive = true;
  const auto config = build(flags, {{"/env", "A=from-file\nB=2\n"}});
  EXPECT_EQ(config.image(), "busybox");
  EXPECT_EQ(std::vector<std::string>(config.cmd().begin(), config.cmd().end()),
            (std::vector<std::string>{"sh", "-c", "echo hi"}));
  EXPECT_EQ(config.name(), "web");
  EXPECT_EQ(std::vector<std::string>(config.env().begin(), config.env().end()),
            (std::vector<std::string>{"A=from-file", "B=2", "A=override", "HOME=/root"}));
  EXPECT_EQ(config.working_dir(), "/tmp");
  EXPECT_EQ(config.user(), "1000:1000");
  EXPECT_EQ(config.hostname(), "box");
  ASSERT_EQ(config.mounts_size(), 3);
  EXPECT_EQ(config.mounts(2).type(), "tmpfs");
  EXPECT_EQ(config.resources().memory(), 64LL << 20);
  EXPECT_EQ(config.resources().milli_cpus(), 500);
  EXPECT_EQ(config.resources().pids_limit(), 100);
  EXPECT_TRUE(config.read_only());
  EXPECT_EQ(config.cap_add(0), "NET_ADMIN");
  EXPECT_EQ(config.cap_drop(0), "ALL");
  EXPECT_EQ(config.network(), "host");
  EXPECT_EQ(config.restart_policy().name(), "on-failure");
  EXPECT_EQ(config.restart_policy().maximum_retry_count(), 2);
  EXPECT_EQ(config.labels().at("a"), "b");
  EXPECT_EQ(config.labels().at("flag"), "");
  EXPECT_TRUE(config.no_new_privileges());
  EXPECT_EQ(config.stop_signal(), "SIGINT");
  EXPECT_EQ(config.stop_timeout(), 3);
  EXPECT_TRUE(config.tty());
  EXPECT_TRUE(config.open_stdin());
  EXPECT_FALSE(config.entrypoint_set());
}

TEST(BuildContainerConfig, EmptyEntrypointIsSet) {
  RunFlags flags;
  flags.args = {"busybox"};
  flags.entrypoint = "";
  auto config = build(flags);
  EXPECT_TRUE(config.entrypoint_set());
  EXPECT_EQ(config.entrypoint_size(), 0);
  flags.entrypoint = "/bin/echo";
  config = build(flags);
  ASSERT_EQ(config.entrypoint_size(), 1);
  EXPECT_EQ(config.entrypoint(0), "/bin/echo");
}

TEST(BuildContainerConfig, Conflicts) {
  RunFlags flags;
  flags.args = {"busybox"};
  flags.remove = true;
  flags.restart = "always";
  EXPECT_EQ(exit_code_of([&] { (void)build(flags); }), 125);
  RunFlags relative;
  relative.args = {"busybox"};
  relative.working_dir = "tmp";
  EXPECT_EQ(exit_code_of([&] { (void)build(relative); }), 125);
  RunFlags missing_file;
  missing_file.args = {"busybox"};
  missing_file.env_files = {"/nope"};
  EXPECT_EQ(exit_code_of([&] { (void)build(missing_file); }), 125);
  RunFlags security;
  security.args = {"busybox"};
  security.security_opts = {"apparmor=x"};
  EXPECT_EQ(exit_code_of([&] { (void)build(security); }), 125);
}

// The command line as CLI11 parses it: flags before the image, everything after it the
// container's command, even when it looks like a flag.
RunFlags parse(std::vector<std::string> argv) {
  CLI::App app;
  auto* run = app.add_subcommand("run");
  RunFlags flags;
  add_run_flags(*run, flags, true);
  argv.insert(argv.begin(), "run");
  std::reverse(argv.begin(), argv.end());
  app.parse(argv);
  return flags;
}

TEST(RunFlagsParsing, CommandAfterImageIsNotParsed) {
  const auto flags = parse({"--rm", "-e", "A=1", "-e", "B=2", "busybox", "ls", "-l", "-e", "x"});
  EXPECT_TRUE(flags.remove);
  EXPECT_EQ(flags.env, (std::vector<std::string>{"A=1", "B=2"}));
  EXPECT_EQ(flags.args, (std::vector<std::string>{"busybox", "ls", "-l", "-e", "x"}));
}

TEST(RunFlagsParsing, ShortFlagsAndHostname) {
  const auto flags = parse({"-it", "-h", "box", "-m", "1g", "--cpus", "1.5", "-v", "/a:/b",
                            "--entrypoint", "", "--name", "n", "-d", "busybox"});
  EXPECT_TRUE(flags.interactive);
  EXPECT_TRUE(flags.tty);
  EXPECT_TRUE(flags.detach);
  EXPECT_EQ(flags.hostname, "box");
  EXPECT_EQ(flags.memory, "1g");
  EXPECT_EQ(flags.cpus, "1.5");
  EXPECT_EQ(flags.volumes, (std::vector<std::string>{"/a:/b"}));
  ASSERT_TRUE(flags.entrypoint.has_value());
  EXPECT_EQ(*flags.entrypoint, "");
  EXPECT_EQ(flags.args, (std::vector<std::string>{"busybox"}));
  EXPECT_TRUE(flags.sig_proxy);
}

TEST(RunFlagsParsing, NetworkEndpointFlags) {
  const auto flags = parse({"--dns",         "10.0.0.53",
                            "--dns",         "10.0.0.54",
                            "--dns-search",  "corp.example",
                            "--dns-option",  "ndots:2",
                            "--dns-opt",     "edns0",
                            "--add-host",    "db:10.1.2.3",
                            "--add-host",    "gw:host-gateway",
                            "--ip",          "172.31.0.9",
                            "--mac-address", "02:42:ac:11:00:09",
                            "--network",     "net1",
                            "busybox"});
  const auto config = build_container_config(flags, kEnv, nullptr, "/");
  EXPECT_EQ(std::vector<std::string>(config.dns().begin(), config.dns().end()),
            (std::vector<std::string>{"10.0.0.53", "10.0.0.54"}));
  ASSERT_EQ(config.dns_search_size(), 1);
  EXPECT_EQ(config.dns_search(0), "corp.example");
  EXPECT_EQ(std::vector<std::string>(config.dns_options().begin(), config.dns_options().end()),
            (std::vector<std::string>{"ndots:2", "edns0"}));
  EXPECT_EQ(std::vector<std::string>(config.extra_hosts().begin(), config.extra_hosts().end()),
            (std::vector<std::string>{"db:10.1.2.3", "gw:host-gateway"}));
  EXPECT_EQ(config.ip(), "172.31.0.9");
  EXPECT_EQ(config.mac_address(), "02:42:ac:11:00:09");
}

TEST(RunFlagsParsing, AddHostWithoutAColonIsRefused) {
  const auto flags = parse({"--add-host", "db", "busybox"});
  try {
    (void)build_container_config(flags, kEnv, nullptr, "/");
    FAIL() << "no error";
  } catch (const CommandError& error) {
    EXPECT_EQ(error.exit_code(), 125);
    EXPECT_NE(std::string(error.what()).find("--add-host"), std::string::npos);
  }
}

TEST(RunFlagsParsing, ImageIsRequired) {
  EXPECT_THROW((void)parse({"--rm"}), CLI::ParseError);
}

}  // namespace
}  // namespace keel::ctl
