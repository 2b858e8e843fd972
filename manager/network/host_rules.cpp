#include "manager/network/host_rules.h"

#include <chrono>
#include <optional>

#include <spdlog/spdlog.h>

#include "common/process_run.h"

namespace keel::manager::network {
namespace {

// The iptables the plugins use (they find it on PATH); -w waits for the xtables lock that the
// plugins of concurrent starts and other keelds hold for a moment.
constexpr const char* kIptables = "/usr/sbin/iptables";
constexpr std::chrono::seconds kIptablesTimeout{30};

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& word : words)
    out += (out.empty() ? "" : " ") + word;
  return out;
}

// iptables -w -t TABLE OPERATION CHAIN [position] SPEC...; its exit code (1: no such rule for
// -C and -D), or an error when it cannot run.
Result<ProcessOutput> iptables(const HostRule& rule, const std::string& operation,
                               bool at_top = false) {
  std::vector<std::string> argv = {kIptables, "-w", "-t", rule.table, operation, rule.chain};
  if (at_top)
    argv.emplace_back("1");
  argv.insert(argv.end(), rule.spec.begin(), rule.spec.end());
  auto out = run_process(argv, {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, "", kIptablesTimeout);
  if (!out)
    return std::move(out).error().context("iptables " + operation + " " + rule.chain);
  return out;
}

Error failed(const HostRule& rule, const std::string& operation, const ProcessOutput& out) {
  // Its first line says what is wrong; the rest is usage help.
  std::string err = out.err.substr(0, out.err.find('\n'));
  return Error::of(Errc::kInternal, "iptables -t " + rule.table + " " + operation + " " +
                                        rule.chain + " " + joined(rule.spec) + ": " + err +
                                        " (exit " + std::to_string(out.exit_code) + ")");
}

// Deletes every copy of `rule`.
Result<void> delete_rule(const HostRule& rule) {
  for (;;) {
    auto out = iptables(rule, "-D");
    if (!out)
      return std::move(out).error();
    if (out->exit_code == 0)
      continue;
    // 1: no (more) such rule; the chain or a match module missing reads the same way.
    if (out->exit_code == 1)
      return {};
    return failed(rule, "-D", *out);
  }
}

}  // namespace

std::string host_rules_comment(const Network& network) {
  return "keel-net:" + network.bridge;
}

std::vector<HostRule> host_rules_of(const Network& network) {
  const std::vector<std::string> tag = {"-m", "comment", "--comment", host_rules_comment(network)};
  const auto rule = [&](const char* table, const char* chain, std::vector<std::string> spec) {
    spec.insert(spec.end() - 2, tag.begin(), tag.end());  // before "-j TARGET"
    return HostRule{.table = table, .chain = chain, .spec = std::move(spec)};
  };
  const std::string& bridge = network.bridge;
  std::vector<HostRule> rules;
  if (network.internal) {
    rules.push_back(rule("filter", "FORWARD", {"-i", bridge, "-o", bridge, "-j", "ACCEPT"}));
    rules.push_back(rule("filter", "FORWARD", {"-i", bridge, "!", "-o", bridge, "-j", "DROP"}));
    rules.push_back(rule("filter", "FORWARD", {"!", "-i", bridge, "-o", bridge, "-j", "DROP"}));
    return rules;
  }
  rules.push_back(
      rule("nat", "POSTROUTING", {"-s", network.subnet, "!", "-o", bridge, "-j", "MASQUERADE"}));
  rules.push_back(rule("filter", "FORWARD", {"-i", bridge, "-j", "ACCEPT"}));
  rules.push_back(
      rule("filter", "FORWARD",
           {"-o", bridge, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"}));
  rules.push_back(rule("filter", "FORWARD",
                       {"-o", bridge, "-m", "conntrack", "--ctstate", "DNAT", "-j", "ACCEPT"}));
  return rules;
}

Result<void> install_host_rules(const Network& network) {
  std::vector<HostRule> added;
  auto undo = [&] {
    for (const auto& rule : added)
      if (auto removed = delete_rule(rule); !removed)
        spdlog::warn("network {}: {}", network.name, removed.error().message());
  };
  for (const auto& rule : host_rules_of(network)) {
    auto present = iptables(rule, "-C");
    if (!present) {
      undo();
      return std::move(present).error().context("network " + network.name);
    }
    if (present->exit_code == 0)
      continue;
    auto inserted = iptables(rule, "-I", /*at_top=*/true);
    if (!inserted || inserted->exit_code != 0) {
      undo();
      Error error = inserted ? failed(rule, "-I", *inserted) : std::move(inserted).error();
      return std::move(error).context("network " + network.name);
    }
    added.push_back(rule);
  }
  return {};
}

Result<void> remove_host_rules(const Network& network) {
  std::optional<Error> first;
  for (const auto& rule : host_rules_of(network))
    if (auto removed = delete_rule(rule); !removed && !first)
      first = std::move(removed).error();
  if (first)
    return std::move(*first).context("network " + network.name);
  return {};
}

}  // namespace keel::manager::network
