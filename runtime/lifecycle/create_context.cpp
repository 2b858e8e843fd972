// prepare_create: read and check everything the config asks for, in the runtime's own process.
#include "runtime/lifecycle/create_context.h"

#include <sched.h>
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

// config-linux.md "Sysctl": only keys of a namespace the container has (new or joined by path)
// may be written; any other would change the host's value for everyone. The same split as
// runc's: ipc keys, net.*, and the uts names.
Result<void> check_sysctls(const oci::RuntimeConfig& config, const NamespacePlan& ns) {
  if (!config.linux)
    return {};
  for (const auto& [key, value] : config.linux->sysctl) {
    int needs = 0;
    if (key.starts_with("fs.mqueue.") || key == "kernel.msgmax" || key == "kernel.msgmnb" ||
        key == "kernel.msgmni" || key == "kernel.sem" || key == "kernel.shmall" ||
        key == "kernel.shmmax" || key == "kernel.shmmni" || key == "kernel.shm_rmid_forced")
      needs = CLONE_NEWIPC;
    else if (key.starts_with("net."))
      needs = CLONE_NEWNET;
    else if (key == "kernel.hostname" || key == "kernel.domainname")
      needs = CLONE_NEWUTS;
    if (needs == 0)
      return Error::of(Errc::kInvalidArgument, "config.json: linux.sysctl \"" + key +
                                                   "\": not namespaced, it would change the host");
    if (!ns.has(needs))
      return Error::of(Errc::kInvalidArgument,
                       "config.json: linux.sysctl \"" + key + "\": needs a" +
                           (needs == CLONE_NEWIPC   ? "n ipc"
                            : needs == CLONE_NEWNET ? " network"
                                                    : " uts") +
                           " namespace in linux.namespaces (new or joined by path)");
  }
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
  // runc and crun mount into the caller's namespace here; keel refuses: those mounts would land
  // in the host's mount table and outlive the container, which nothing would ever unmount.
  KEEL_TRY(check_sysctls(c, ctx.namespaces));
  if (!ctx.namespaces.has(CLONE_NEWNS) && !c.mounts.empty())
    return Error::of(Errc::kInvalidArgument,
                     "config.json: mounts: need a mount namespace in linux.namespaces (new or "
                     "joined by path); keel does not mount into the caller's namespace, where "
                     "the mounts would outlive the container");

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
