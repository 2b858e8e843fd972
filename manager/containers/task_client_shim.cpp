// Adapts TaskClient to TaskShim call for call: no behaviour of its own.
#include "manager/containers/task_client_shim.h"

#include <utility>

namespace keel::manager::containers {
namespace {

class TaskClientShim final : public TaskShim {
 public:
  explicit TaskClientShim(TaskClient client) : client_(std::move(client)) {}

  Result<int> create(const std::string& id, const std::string& bundle, const TaskStdio& stdio,
                     const std::string& runtime, const std::string& runtime_root) override {
    return client_.create(id, bundle, stdio, runtime, runtime_root);
  }
  Result<int> start(const std::string& id, const std::string& exec_id) override {
    return client_.start(id, exec_id);
  }
  Result<void> kill(const std::string& id, int signal, bool all) override {
    return client_.kill(id, signal, all);
  }
  Result<TaskExit> wait(const std::string& id, const std::string& exec_id) override {
    return client_.wait(id, exec_id);
  }
  Result<TaskState> state(const std::string& id) override { return client_.state(id); }
  Result<std::vector<int>> pids(const std::string& id) override { return client_.pids(id); }
  Result<void> pause(const std::string& id) override { return client_.pause(id); }
  Result<void> resume(const std::string& id) override { return client_.resume(id); }
  Result<void> exec(const std::string& id, const std::string& exec_id, const TaskStdio& stdio,
                    const std::string& process_json) override {
    return client_.exec(id, exec_id, stdio, process_json);
  }
  Result<void> resize(const std::string& id, const std::string& exec_id, std::uint32_t width,
                      std::uint32_t height) override {
    return client_.resize(id, exec_id, width, height);
  }
  Result<void> close_stdin(const std::string& id, const std::string& exec_id) override {
    return client_.close_stdin(id, exec_id);
  }
  Result<TaskExit> remove(const std::string& id, const std::string& exec_id) override {
    return client_.remove(id, exec_id);
  }
  Result<void> update(const std::string& id, const std::string& resources_json) override {
    return client_.update(id, resources_json);
  }
  Result<TaskStats> stats(const std::string& id) override { return client_.stats(id); }
  Result<void> shutdown(const std::string& id) override { return client_.shutdown(id); }
  void interrupt() override { client_.interrupt(); }

 private:
  TaskClient client_;
};

class TaskClientConnector final : public ShimConnector {
 public:
  Result<std::string> launch(const ShimLaunch& launch) override {
    return TaskClient::launch(launch);
  }
  Result<std::unique_ptr<TaskShim>> connect(const std::string& address) override {
    auto client = TaskClient::connect(address);
    if (!client)
      return std::move(client).error();
    return std::unique_ptr<TaskShim>(std::make_unique<TaskClientShim>(std::move(*client)));
  }
};

}  // namespace

std::unique_ptr<ShimConnector> task_client_connector() {
  return std::make_unique<TaskClientConnector>();
}

}  // namespace keel::manager::containers
