// keel: the command table, global flags, log set-up, and the one error line.
#include <unistd.h>

#include <cstdio>

#include <spdlog/spdlog.h>

#include "common/log.h"
#include "runtime/cli/globals.h"

int main(int argc, char** argv) {
  using namespace keel;
  CLI::App app{"keel: an OCI container runtime (runc-compatible command line)", "keel"};
  app.set_version_flag("-v,--version", "keel version 0.1.0\nspec: 1.2.0");
  cli::Globals g;
  app.add_option("--root", g.root, "root directory for storage of container state")
      ->capture_default_str();
  app.add_option("--log", g.log_path, "log file (default stderr)");
  app.add_option("--log-format", g.log_format, "log format: text or json")->capture_default_str();
  app.add_flag("--debug", g.debug, "enable debug logging");
  app.add_flag("--systemd-cgroup", g.systemd_cgroup, "use systemd to manage cgroups");
  app.add_option("--rootless", g.rootless, "ignore cgroup permission errors (true, false, auto)");
  app.add_option("--criu", g.criu, "path to criu (checkpoint/restore is not supported)");
  // Not require_subcommand: an unknown command must say so (containerd and podman show the line).
  app.require_subcommand(0, 1);
  app.allow_extras();

  cli::add_commands(app, g, argc, argv);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "keel: %s\n", e.what());
    return 1;
  }

  auto fail = [&](const Error& error) {
    std::fprintf(stderr, "keel: %s\n", error.message().c_str());
    if (!g.log_path.empty())
      spdlog::error("{}", error.message());
    return 1;
  };
  if (app.get_subcommands().empty() && app.remaining().empty()) {
    std::fprintf(stderr, "%s", app.help().c_str());
    return 1;
  }
  auto format = log::parse_format(g.log_format);
  if (!format)
    return fail(format.error());
  // Without --log, warnings still go to stderr; with it, the file gets everything.
  if (auto r = log::setup({g.log_path, *format, g.debug}); !r)
    return fail(r.error());
  if (const auto extra = app.remaining(true); !extra.empty()) {
    if (app.get_subcommands().empty())
      return fail(Error::of(Errc::kInvalidArgument,
                            "unknown command \"" + extra.front() + "\" (see keel --help)"));
    return fail(Error::of(Errc::kInvalidArgument, "unexpected argument \"" + extra.front() + "\""));
  }
  if (g.systemd_cgroup)
    return fail(Error::of(Errc::kInvalidArgument,
                          "--systemd-cgroup: the systemd cgroup driver is not supported"));
  auto code = g.action();
  if (!code)
    return fail(code.error());
  return *code;
}
