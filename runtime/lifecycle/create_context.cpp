// prepare_create: read and check everything the config asks for, in the runtime's own process.
#include "runtime/lifecycle/create_context.h"

#include <sys/stat.h>

#include <climits>
#include <cstdlib>

#include "common/fs.h"
#include "runtime/security/seccomp_cache.h"

namespace keel::runtime {
namespace {

Result<std::string> absolute(const std::string& path, const std::string& what) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) == nullptr)
    return Error::sys(what + " \"" + path + "\"");
  return std::string(buf);
}

Result<void> check_host_support(const oci::Process& process) {
  if (process.apparmor_profile && !process.apparmor_profile->empty() &&
      !fs::exists("/sys/kernel/security/apparmor"))
    return Error::of(Errc::kFailedPrecondition,
                     "process.apparmorProfile: AppArmor is not enabled on this host");
  if (process.selinux_label && !process.selinux_label->empty() && !fs::exists("/sys/fs/selinux"))
    return Error::of(Errc::kFailedPrecondition,
                     "process.selinuxLabel: SELinux is not enabled on this host");
  return {};
}

}  // namespace

Result<CreateContext> prepare_create(const CreateOptions& options,
                                     const std::string& seccomp_cache_dir) {
  CreateContext ctx;
  auto bundle = absolute(options.bundle, "bundle");
  if (!bundle)
    return bundle.error();
  ctx.bundle = *bundle;
  auto text = fs::read_file(ctx.bundle + "/config.json");
  if (!text)
    return std::move(text).error().context("config.json");
  ctx.config_text = std::move(*text);
  auto config = oci::parse_config(ctx.config_text);
  if (!config)
    return config.error();
  ctx.config = std::move(*config);
  const oci::RuntimeConfig& c = ctx.config;
  if (!c.process)
    return Error::of(Errc::kInvalidArgument,
                     "config.json: process: required to create a container");
  if (!c.root || c.root->path.empty())
    return Error::of(Errc::kInvalidArgument, "config.json: root.path: required");
  const std::string root = c.root->path[0] == '/' ? c.root->path : ctx.bundle + "/" + c.root->path;
  auto rootfs = absolute(root, "config.json: root.path: rootfs");
  if (!rootfs)
    return rootfs.error();
  struct stat st {};
  if (::stat(rootfs->c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return Error::of(Errc::kInvalidArgument,
                     "config.json: root.path: \"" + *rootfs + "\" is not a directory");
  ctx.rootfs = *rootfs;
  KEEL_TRY(check_host_support(*c.process));

  auto plan = plan_namespaces(c);
  if (!plan)
    return plan.error();
  ctx.namespaces = std::move(*plan);
  if (!ctx.namespaces.new_mount && !c.mounts.empty())
    return Error::of(Errc::kInvalidArgument,
                     "config.json: mounts: need a new mount namespace (linux.namespaces)");

  if (c.process->capabilities) {
    auto caps = security::resolve_capabilities(*c.process->capabilities);
    if (!caps)
      return std::move(caps).error().context("config.json: process.capabilities");
    ctx.capabilities = *caps;
  }
  if (c.linux && c.linux->seccomp) {
    auto program = security::prepare_seccomp(*c.linux->seccomp, seccomp_cache_dir);
    if (!program)
      return std::move(program).error().context("config.json: linux.seccomp");
    ctx.seccomp = std::move(*program);
  }
  return ctx;
}

}  // namespace keel::runtime
