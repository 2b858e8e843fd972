// docker's -f/--filter name=value flags (ps, images, events) as keeld's list of KeyValue.
#pragma once

#include <string>
#include <vector>

#include <google/protobuf/repeated_ptr_field.h>

#include "keel/v1/types.pb.h"

namespace keel::ctl {

// Appends each "name=value" to out, split at the first '='. Throws CommandError (exit 1) with
// docker's message for one without '=': invalid argument "x" for "-f, --filter" flag: bad
// format of filter (expected name=value).
void add_filters(google::protobuf::RepeatedPtrField<keel::v1::KeyValue>& out,
                 const std::vector<std::string>& filters);

}  // namespace keel::ctl
