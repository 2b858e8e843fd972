#include "ctl/filters.h"

#include "ctl/client.h"

namespace keel::ctl {

void add_filters(google::protobuf::RepeatedPtrField<keel::v1::KeyValue>& out,
                 const std::vector<std::string>& filters) {
  for (const auto& filter : filters) {
    const auto eq = filter.find('=');
    if (eq == std::string::npos)
      throw CommandError("invalid argument \"" + filter +
                         "\" for \"-f, --filter\" flag: bad format of filter (expected "
                         "name=value)");
    auto* kv = out.Add();
    kv->set_key(filter.substr(0, eq));
    kv->set_value(filter.substr(eq + 1));
  }
}

}  // namespace keel::ctl
