#include "ctl/container_helpers.h"

#include <algorithm>
#include <atomic>
#include <iostream>
#include <mutex>
#include <thread>
#include <utility>

#include "ctl/filters.h"
#include "ctl/services.h"

namespace keel::ctl {

int start_failure_exit_code(const std::string& message, int fallback) {
  if (message.find("executable file not found") != std::string::npos ||
      message.find("no such file or directory") != std::string::npos)
    return 127;
  if (message.find("permission denied") != std::string::npos ||
      message.find("is a directory") != std::string::npos)
    return 126;
  return fallback;
}

void for_each_container(const std::vector<std::string>& names,
                        const std::function<void(const std::string&)>& action, bool print_names) {
  bool failed = false;
  for (const auto& name : names) {
    try {
      action(name);
      if (print_names)
        std::cout << name << std::endl;
    } catch (const CommandError& error) {
      std::cerr << error.what() << "\n";
      failed = true;
    }
  }
  if (failed)
    throw CommandError("", 1);
}

void for_each_container_parallel(const std::vector<std::string>& names,
                                 const std::function<void(const std::string&)>& action,
                                 std::size_t max_in_flight) {
  std::atomic<std::size_t> next = 0;
  std::atomic<bool> failed = false;
  std::mutex output;
  const auto work = [&] {
    for (std::size_t i = next++; i < names.size(); i = next++) {
      try {
        action(names[i]);
        const std::lock_guard lock(output);
        std::cout << names[i] << std::endl;
      } catch (const CommandError& error) {
        const std::lock_guard lock(output);
        std::cerr << error.what() << "\n";
        failed = true;
      }
    }
  };
  std::vector<std::thread> workers;
  const std::size_t count = std::min(names.size(), std::max<std::size_t>(max_in_flight, 1));
  for (std::size_t i = 1; i < count; ++i)
    workers.emplace_back(work);
  work();
  for (auto& worker : workers)
    worker.join();
  if (failed)
    throw CommandError("", 1);
}

keel::v1::Container get_container(Client& client, const std::string& name) {
  keel::v1::ContainerRequest request;
  request.set_id(name);
  keel::v1::Container container;
  rpc::ClientContext context;
  client.check(api::Containers::NewStub(client.channel())->Get(&context, request, &container));
  return container;
}

std::vector<keel::v1::Container> list_containers(Client& client, bool all,
                                                 const std::vector<std::string>& filters) {
  keel::v1::ListContainersRequest request;
  request.set_all(all);
  add_filters(*request.mutable_filters(), filters);
  keel::v1::ListContainersResponse response;
  rpc::ClientContext context;
  client.check(api::Containers::NewStub(client.channel())->List(&context, request, &response));
  std::vector<keel::v1::Container> out(response.containers().begin(), response.containers().end());
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::make_pair(a.created().seconds(), a.created().nanos()) >
           std::make_pair(b.created().seconds(), b.created().nanos());
  });
  return out;
}

}  // namespace keel::ctl
