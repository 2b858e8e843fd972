// What the container tests through keelctl share: a private keeld with busybox loaded, the
// helpers that read its containers, and the no-leftovers check every test ends with.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/unique_fd.h"
#include "integration/manager/manager_test.h"

namespace keel::it::containers_it {

namespace stdfs = std::filesystem;
using fixtures::RunResult;
using fixtures::wait_until;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

inline std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.pop_back();
  return text;
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Unix seconds with a fraction, for `events --since`.
inline std::string unix_now() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  return std::to_string(us / 1'000'000) + "." +
         std::to_string(1'000'000 + us % 1'000'000).substr(1);
}

// The pids of keel-shim processes serving the keeld on `socket` (their -address argument).
inline std::vector<pid_t> shims_of(const stdfs::path& socket) {
  std::vector<pid_t> pids;
  for (const auto& shim : fixtures::live_processes_named("keel-shim")) {
    for (std::size_t i = 0; i + 1 < shim.args.size(); ++i) {
      if (shim.args[i] == "-address" && shim.args[i + 1] == socket.string()) {
        pids.push_back(shim.pid);
        break;
      }
    }
  }
  return pids;
}

// Every cgroup dir keel made for container `id`, under any hierarchy (v1 and v2).
inline std::vector<stdfs::path> cgroup_dirs_of(const std::string& id) {
  std::vector<stdfs::path> found;
  std::error_code ec;
  for (const auto& hierarchy : stdfs::directory_iterator("/sys/fs/cgroup", ec)) {
    if (stdfs::exists(hierarchy.path() / "keel" / id))
      found.push_back(hierarchy.path() / "keel" / id);
  }
  if (stdfs::exists(stdfs::path("/sys/fs/cgroup/keel") / id))
    found.push_back(stdfs::path("/sys/fs/cgroup/keel") / id);
  return found;
}

inline std::set<std::string> names_in(const stdfs::path& dir) {
  std::set<std::string> names;
  std::error_code ec;
  for (const auto& entry : stdfs::directory_iterator(dir, ec))
    names.insert(entry.path().filename().string());
  return names;
}

// Entry names of a tar file, without a leading "./".
inline std::set<std::string> tar_entries(const stdfs::path& file) {
  std::set<std::string> names;
  struct archive* in = archive_read_new();
  archive_read_support_format_all(in);
  if (archive_read_open_filename(in, file.c_str(), 1 << 16) != ARCHIVE_OK) {
    ADD_FAILURE() << "cannot read " << file << ": " << archive_error_string(in);
    archive_read_free(in);
    return names;
  }
  struct archive_entry* entry = nullptr;
  while (archive_read_next_header(in, &entry) == ARCHIVE_OK) {
    std::string name = archive_entry_pathname(entry);
    if (name.starts_with("./"))
      name = name.substr(2);
    names.insert(name);
  }
  archive_read_free(in);
  return names;
}

// The freezer's view of process `pid`, found through /proc/<pid>/cgroup: v1's freezer.state
// ("FROZEN", "THAWED") where the v1 freezer is mounted (this hybrid host), else cgroup v2's
// cgroup.freeze read as the same words. Empty when neither can be read.
inline std::string freezer_state(pid_t pid) {
  std::istringstream lines(fixtures::read_text("/proc/" + std::to_string(pid) + "/cgroup"));
  std::string unified;
  for (std::string line; std::getline(lines, line);) {
    const auto first = line.find(':');
    const auto second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos)
      continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    const std::string path = line.substr(second + 1);
    std::istringstream names(controllers);
    for (std::string name; std::getline(names, name, ',');) {
      if (name == "freezer")
        return trimmed(fixtures::read_text("/sys/fs/cgroup/freezer" + path + "/freezer.state"));
    }
    if (controllers.empty())
      unified = path;
  }
  if (unified.empty())
    return "";
  const std::string freeze =
      trimmed(fixtures::read_text("/sys/fs/cgroup" + unified + "/cgroup.freeze"));
  return freeze == "1" ? "FROZEN" : freeze == "0" ? "THAWED" : "";
}

inline bool process_alive(pid_t pid) {
  const std::string stat = fixtures::read_text("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
}

class KeeldContainers : public ManagerTest {
 protected:
  void SetUp() override {
    ManagerTest::SetUp();
    if (IsSkipped() || HasFatalFailure())
      return;
    since_ = unix_now();
    const auto tar = work_ / "busybox.tar";
    write_file(tar, busybox_rootfs_tar());
    keeld_.ctl_ok({"import", "-c", R"(CMD ["/bin/sh"])", tar.string(), "busybox:latest"});
  }

  void TearDown() override {
    if (::geteuid() == 0) {
      // A test that failed while keeld was down: bring it back to remove what its shims run.
      if (!keeld_.running())
        keeld_.start();
      if (keeld_.running())
        remove_everything_and_expect_nothing_left();
      // Whatever the checks found is not left behind on the host.
      for (const pid_t shim : shims_of(keeld_.socket()))
        ::kill(shim, SIGKILL);
    }
    ManagerTest::TearDown();
  }

  // `rm -f` of every container, then: no shim, mount, cgroup or state file of any container
  // this test created.
  void remove_everything_and_expect_nothing_left() {
    const auto ids = lines_of(keeld_.ctl({"ps", "-a", "-q", "--no-trunc"}).out);
    if (!ids.empty()) {
      std::vector<std::string> args = {"rm", "-f"};
      args.insert(args.end(), ids.begin(), ids.end());
      keeld_.ctl_ok(args);
    }
    EXPECT_THAT(lines_of(keeld_.ctl_ok({"ps", "-a", "-q"})), ::testing::IsEmpty());
    // Shims exit on their own a moment after Shutdown.
    EXPECT_TRUE(wait_until([&] { return shims_of(keeld_.socket()).empty(); }, seconds(10)))
        << "keel-shim processes left: " << shims_of(keeld_.socket()).size();
    // The root and the state dir themselves are keeld's private binds while it runs
    // (manager/server/private_mount.h); a container's mounts are below them.
    for (const auto& dir : {keeld_.root(), keeld_.state()})
      for (const auto& mount : fixtures::mounts_under(dir))
        if (mount != dir)
          ADD_FAILURE() << "mount left: " << mount;
    std::set<std::string> created = created_ids();
    created.insert(ids.begin(), ids.end());
    for (const auto& id : created)
      for (const auto& dir : cgroup_dirs_of(id))
        ADD_FAILURE() << "cgroup left: " << dir;
    EXPECT_THAT(names_in(keeld_.root() / "containers"), ::testing::IsEmpty());
    EXPECT_THAT(names_in(keeld_.state() / "shims"), ::testing::IsEmpty());
    // The runtime's state dir keeps its seccomp filter cache, nothing per container.
    auto runtime = names_in(keeld_.state() / "runtime");
    runtime.erase("@seccomp-cache");
    EXPECT_THAT(runtime, ::testing::IsEmpty());
  }

  // Ids of every container created since SetUp, from keeld's event history.
  std::set<std::string> created_ids() {
    std::set<std::string> ids;
    for (const auto& line : events_since(since_)) {
      if (contains(line, " container create ")) {
        std::istringstream fields(line);
        std::string time, type, action, id;
        fields >> time >> type >> action >> id;
        ids.insert(id);
      }
    }
    return ids;
  }

  // The events kept since `since`, one line each, as keelctl prints them.
  std::vector<std::string> events_since(const std::string& since) {
    return lines_of(keeld_.ctl_ok({"events", "--since", since, "--until", "0s"}));
  }

  // run -d ARGS...; returns the full id.
  std::string run_detached(std::vector<std::string> args) {
    args.insert(args.begin(), {"run", "-d"});
    const RunResult result = keeld_.ctl(args);
    EXPECT_EQ(result.exit_code, 0) << result << "\n  keeld log:\n" << keeld_.log();
    return trimmed(result.out);
  }

  std::string inspect(const std::string& name, const std::string& format) {
    return trimmed(keeld_.ctl_ok({"inspect", "-f", format, name}));
  }

  nlohmann::json inspect_json(const std::string& name) {
    const auto all = nlohmann::json::parse(keeld_.ctl_ok({"inspect", name}), nullptr, false);
    if (all.is_discarded() || !all.is_array() || all.empty()) {
      ADD_FAILURE() << "inspect " << name << " is not a JSON array";
      return nlohmann::json::object();
    }
    return all[0];
  }

  // The STATUS column of `ps -a` for the container named `name`.
  std::string ps_status(const std::string& name) {
    const auto lines = lines_of(keeld_.ctl_ok({"ps", "-a", "--format", "{{.Names}}|{{.Status}}"}));
    for (const auto& line : lines)
      if (line.starts_with(name + "|"))
        return line.substr(name.size() + 1);
    return {};
  }

  bool running(const std::string& name) { return inspect(name, "{{.State.Running}}") == "true"; }

  std::string since_;
};

// --- run: output, exit codes, flags ----------------------------------------------------------

using ContainerRun = KeeldContainers;

}  // namespace keel::it::containers_it
