// docker's go-units HumanDuration, shared by keelctl's columns and keeld's status texts.
#pragma once

#include <chrono>
#include <string>

namespace keel {

// "Less than a second", "1 second", "3 seconds", "About a minute", "5 minutes",
// "About an hour", "3 hours", "4 days", "2 weeks", "3 months", "2 years".
[[nodiscard]] std::string human_duration(std::chrono::nanoseconds duration);

}  // namespace keel
