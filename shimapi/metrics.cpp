// figures_of_metrics: the few numbers `docker stats` shows, from either metrics message.
#include "shimapi/metrics.h"

#include "containerd/cgroups/v1/metrics.pb.h"
#include "containerd/cgroups/v2/metrics.pb.h"

namespace keel::shimapi {
namespace {

namespace v1 = ::io::containerd::cgroups::v1;
namespace v2 = ::io::containerd::cgroups::v2;

TaskFigures figures_of(const v1::Metrics& m) {
  TaskFigures f;
  f.cpu_usage_ns = m.cpu().usage().total();
  f.memory_usage = m.memory().usage().usage();
  f.memory_limit = m.memory().usage().limit();
  f.pids = m.pids().current();
  for (const auto& e : m.blkio().io_service_bytes_recursive()) {
    if (e.op() == "Read")
      f.block_read += e.value();
    else if (e.op() == "Write")
      f.block_write += e.value();
  }
  return f;
}

TaskFigures figures_of(const v2::Metrics& m) {
  TaskFigures f;
  f.cpu_usage_ns = m.cpu().usage_usec() * 1000;
  f.memory_usage = m.memory().usage();
  f.memory_limit = m.memory().usage_limit() == ~std::uint64_t{0} ? 0 : m.memory().usage_limit();
  f.pids = m.pids().current();
  for (const auto& e : m.io().usage()) {
    f.block_read += e.rbytes();
    f.block_write += e.wbytes();
  }
  return f;
}

}  // namespace

Result<TaskFigures> figures_of_metrics(const std::string& type_url, const std::string& value) {
  if (type_url == kCgroupV1MetricsType) {
    v1::Metrics m;
    if (!m.ParseFromString(value))
      return Error::of(Errc::kInvalidArgument, "task stats: malformed " + type_url);
    return figures_of(m);
  }
  if (type_url == kCgroupV2MetricsType) {
    v2::Metrics m;
    if (!m.ParseFromString(value))
      return Error::of(Errc::kInvalidArgument, "task stats: malformed " + type_url);
    return figures_of(m);
  }
  return Error::of(Errc::kInvalidArgument, "task stats: unknown type \"" + type_url + "\"");
}

}  // namespace keel::shimapi
