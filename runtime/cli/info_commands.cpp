// `keel list`, `keel spec`, `keel features`: output only, no container is touched.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include "common/fs.h"
#include "oci-spec/features.h"
#include "oci-spec/runtime_config.h"
#include "runtime/cli/globals.h"
#include "runtime/lifecycle/lifecycle.h"

namespace keel::cli {
namespace {

oci::Features keel_features() {
  oci::Features f;
  f.oci_version_min = "1.0.0";
  f.oci_version_max = std::string(oci::kOciVersion);
  f.hooks = oci::known_hooks();
  f.mount_options = oci::known_mount_options();
  oci::Features::Linux linux;
  linux.namespaces = oci::known_namespaces();
  linux.capabilities = oci::known_capabilities();
  linux.cgroup = oci::Features::Cgroup{true, true, false, false, false};
  oci::Features::Seccomp seccomp;
  seccomp.enabled = true;
  seccomp.actions = oci::known_seccomp_actions();
  seccomp.operators = oci::known_seccomp_operators();
  seccomp.archs = oci::known_seccomp_archs();
  seccomp.known_flags = oci::known_seccomp_flags();
  seccomp.supported_flags = oci::known_seccomp_flags();
  linux.seccomp = seccomp;
  linux.apparmor = oci::Features::Enabled{fs::exists("/sys/kernel/security/apparmor")};
  linux.selinux = oci::Features::Enabled{fs::exists("/sys/fs/selinux")};
  linux.intel_rdt = oci::Features::Enabled{false};
  linux.mount_extensions = oci::Features::MountExtensions{oci::Features::Enabled{false}};
  f.linux = linux;
  // features.md lets a runtime describe itself in annotations: the one place where keel is
  // stricter than runc and crun, so a caller can tell before create refuses its config.
  f.annotations =
      std::map<std::string, std::string>{{"io.keel.mounts.requireMountNamespace", "true"}};
  return f;
}

}  // namespace

void add_list(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("list", "List the containers started with the given root");
  cmd->alias("ls");
  auto format = std::make_shared<std::string>("table");
  auto quiet = std::make_shared<bool>(false);
  cmd->add_option("-f,--format", *format, "table or json")->check(CLI::IsMember({"table", "json"}));
  cmd->add_flag("-q,--quiet", *quiet, "display only container IDs");
  cmd->callback([&g, format, quiet] {
    g.action = exits_zero([&g, format, quiet]() -> Result<void> {
      auto out = runtime::list_containers(
          g.store(), *format == "json" ? runtime::ListFormat::kJson : runtime::ListFormat::kTable,
          *quiet);
      if (!out)
        return out.error();
      std::fputs(out->c_str(), stdout);
      return {};
    });
  });
}

void add_spec(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("spec", "Create a new specification file (config.json)");
  auto bundle = std::make_shared<std::string>(".");
  auto rootless = std::make_shared<bool>(false);
  cmd->add_option("-b,--bundle", *bundle, "path to the root of the bundle directory");
  cmd->add_flag("--rootless", *rootless, "generate a configuration for a rootless container");
  cmd->callback([&g, bundle, rootless] {
    g.action = exits_zero([bundle, rootless]() -> Result<void> {
      const std::string path = *bundle + "/config.json";
      const std::string json = oci::to_json(oci::default_config(*rootless)) + "\n";
      auto file = fs::open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
      if (!file) {
        if (file.error().kind() == Errc::kAlreadyExists)
          return Error::of(Errc::kAlreadyExists, "\"" + path + "\" exists: remove it first");
        return file.error();
      }
      return fs::write_all(file->get(), json);
    });
  });
}

void add_features(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("features", "Show the enabled features");
  cmd->callback([&g] {
    g.action = exits_zero([]() -> Result<void> {
      std::fputs((oci::to_json(keel_features()) + "\n").c_str(), stdout);
      return {};
    });
  });
}

}  // namespace keel::cli
