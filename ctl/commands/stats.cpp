// keelctl stats: one stats stream per container, redrawn every second, or printed once after two
// samples with --no-stream (docker's CPU % needs two).
#include <unistd.h>

#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include "ctl/commands/commands.h"
#include "ctl/container_helpers.h"
#include "ctl/container_rows.h"
#include "ctl/format.h"
#include "ctl/services.h"

namespace keel::ctl {
namespace {

struct StatsFlags {
  std::vector<std::string> names;
  bool all = false;
  bool no_stream = false;
  bool no_trunc = false;
  std::string format;
};

// The latest two samples of one container, written by its reader thread.
struct Slot {
  std::optional<keel::v1::StatsSample> previous;
  std::optional<keel::v1::StatsSample> current;
  std::string error;
  bool finished = false;
};

// The slots and the threads that fill them; joins the threads on every way out.
class StatsReaders {
 public:
  StatsReaders(Client& client, const std::vector<std::string>& names, bool no_stream)
      : client_(client), names_(names), no_stream_(no_stream), slots_(names.size()) {
    for (std::size_t i = 0; i < names_.size(); ++i) {
      contexts_.push_back(std::make_unique<rpc::ClientContext>());
      if (no_stream_)
        contexts_.back()->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    }
    for (std::size_t i = 0; i < names_.size(); ++i)
      threads_.emplace_back([this, i] { read(i); });
  }
  ~StatsReaders() {
    for (auto& context : contexts_)
      context->TryCancel();
    join();
  }
  StatsReaders(const StatsReaders&) = delete;
  StatsReaders& operator=(const StatsReaders&) = delete;

  void join() {
    for (auto& thread : threads_)
      if (thread.joinable())
        thread.join();
  }
  [[nodiscard]] bool all_finished() {
    std::lock_guard lock(mutex_);
    for (const auto& slot : slots_)
      if (!slot.finished)
        return false;
    return true;
  }
  [[nodiscard]] std::string render(const StatsFlags& flags) {
    std::vector<Row> rows;
    std::lock_guard lock(mutex_);
    for (const auto& slot : slots_)
      if (slot.current)
        rows.push_back(
            stats_row(slot.previous ? &*slot.previous : nullptr, *slot.current, flags.no_trunc));
    try {
      return render_rows(flags.format, kStatsTable, rows, stats_headers());
    } catch (const FormatError& error) {
      throw CommandError(error.what());
    }
  }
  // Every container's error, one per line; empty when none failed.
  [[nodiscard]] std::string failures() {
    std::string out;
    std::lock_guard lock(mutex_);
    for (const auto& slot : slots_)
      if (!slot.error.empty())
        out += (out.empty() ? "" : "\n") + slot.error;
    return out;
  }

 private:
  void read(std::size_t i) {
    keel::v1::StatsRequest request;
    request.set_id(names_[i]);
    request.set_stream(true);
    auto reader = api::Tasks::NewStub(client_.channel())->Stats(contexts_[i].get(), request);
    keel::v1::StatsSample sample;
    int count = 0;
    while (reader->Read(&sample)) {
      std::lock_guard lock(mutex_);
      // No limit shows as the host's memory, as docker shows it.
      if (sample.memory_limit() == 0 || sample.memory_limit() >= (1ULL << 62))
        sample.set_memory_limit(static_cast<std::uint64_t>(::sysconf(_SC_PHYS_PAGES)) *
                                static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE)));
      slots_[i].previous = std::move(slots_[i].current);
      slots_[i].current = sample;
      if (no_stream_ && ++count == 2) {
        contexts_[i]->TryCancel();
        break;
      }
    }
    const rpc::Status status = reader->Finish();
    std::lock_guard lock(mutex_);
    slots_[i].finished = true;
    if (!status.ok() && status.error_code() != rpc::StatusCode::CANCELLED &&
        !(status.error_code() == rpc::StatusCode::DEADLINE_EXCEEDED && slots_[i].current)) {
      try {
        client_.check(status);
      } catch (const CommandError& error) {
        slots_[i].error = error.what();
      }
    }
  }

  Client& client_;
  const std::vector<std::string>& names_;
  const bool no_stream_;
  std::mutex mutex_;
  std::vector<Slot> slots_;
  std::vector<std::unique_ptr<rpc::ClientContext>> contexts_;
  std::vector<std::thread> threads_;
};

void stats(Client& client, const StatsFlags& flags) {
  std::vector<std::string> names = flags.names;
  if (names.empty())
    for (const auto& container : list_containers(client, flags.all, {}))
      names.push_back(container.id());
  StatsReaders readers(client, names, flags.no_stream);
  if (flags.no_stream) {
    readers.join();
    std::cout << readers.render(flags);
  } else {
    const bool table = flags.format.empty() || flags.format.starts_with("table");
    while (true) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      const bool all_finished = readers.all_finished();
      std::cout << (table ? "\033[2J\033[H" : "") << readers.render(flags) << std::flush;
      if (all_finished)
        break;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    readers.join();
  }
  if (const std::string failure = readers.failures(); !failure.empty())
    throw CommandError(failure);
}

}  // namespace

void add_stats(CLI::App& parent, Client& client, bool /*grouped*/) {
  auto* cmd = parent.add_subcommand("stats",
                                    "Display a live stream of container(s) resource "
                                    "usage statistics");
  auto flags = std::make_shared<StatsFlags>();
  cmd->add_flag("-a,--all", flags->all, "Show all containers (default shows just running)");
  cmd->add_flag("--no-stream", flags->no_stream,
                "Disable streaming stats and only pull the first "
                "result");
  cmd->add_flag("--no-trunc", flags->no_trunc, "Do not truncate output");
  cmd->add_option("--format", flags->format, "Format output: table, json or a template");
  cmd->add_option("containers", flags->names, "CONTAINER...");
  cmd->callback([=, &client] { stats(client, *flags); });
}

}  // namespace keel::ctl
