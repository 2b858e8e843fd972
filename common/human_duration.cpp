#include "common/human_duration.h"

#include <cmath>

namespace keel {

std::string human_duration(std::chrono::nanoseconds duration) {
  using namespace std::chrono;
  const auto seconds = duration_cast<std::chrono::seconds>(duration).count();
  if (seconds < 1)
    return "Less than a second";
  if (seconds == 1)
    return "1 second";
  if (seconds < 60)
    return std::to_string(seconds) + " seconds";
  const auto minutes = duration_cast<std::chrono::minutes>(duration).count();
  if (minutes == 1)
    return "About a minute";
  if (minutes < 60)
    return std::to_string(minutes) + " minutes";
  const double exact_hours = static_cast<double>(duration.count()) / 3.6e12;
  const long long hours = std::llround(exact_hours);
  if (hours == 1)
    return "About an hour";
  if (hours < 48)
    return std::to_string(hours) + " hours";
  if (hours < 24 * 7 * 2)
    return std::to_string(hours / 24) + " days";
  if (hours < 24 * 30 * 2)
    return std::to_string(hours / 24 / 7) + " weeks";
  if (hours < 24 * 365 * 2)
    return std::to_string(hours / 24 / 30) + " months";
  return std::to_string(static_cast<long long>(exact_hours) / 24 / 365) + " years";
}

}  // namespace keel
