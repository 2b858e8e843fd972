// spdlog formatters that write logrus/runc-style lines, and the logger set-up.
#include "common/log.h"

#include <chrono>
#include <memory>

#include <fmt/chrono.h>
#include <nlohmann/json.hpp>
#include <spdlog/formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace keel::log {
namespace {

std::string rfc3339(spdlog::log_clock::time_point tp) {
  const auto secs = std::chrono::time_point_cast<std::chrono::seconds>(tp);
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(tp - secs).count();
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:09d}Z",
                     fmt::gmtime(std::chrono::system_clock::to_time_t(secs)), nanos);
}

std::string_view level_name(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
      return "trace";
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warning";
    case spdlog::level::err:
      return "error";
    case spdlog::level::critical:
      return "fatal";
    default:
      return "info";
  }
}

class LineFormatter final : public spdlog::formatter {
 public:
  explicit LineFormatter(Format format) : format_(format) {}
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string text(msg.payload.data(), msg.payload.size());
    std::string line;
    if (format_ == Format::kJson) {
      nlohmann::ordered_json j;
      j["level"] = level_name(msg.level);
      j["msg"] = text;
      j["time"] = rfc3339(msg.time);
      line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } else {
      line = fmt::format(
          "time=\"{}\" level={} msg={}", rfc3339(msg.time), level_name(msg.level),
          nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
    line += '\n';
    dest.append(line.data(), line.data() + line.size());
  }
  [[nodiscard]] std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<LineFormatter>(format_);
  }

 private:
  Format format_;
};

}  // namespace

Result<Format> parse_format(const std::string& name) {
  if (name == "text")
    return Format::kText;
  if (name == "json")
    return Format::kJson;
  return Error::of(Errc::kInvalidArgument,
                   "--log-format: unknown format \"" + name + "\" (want text or json)");
}

Result<void> setup(const Options& options) {
  std::shared_ptr<spdlog::logger> logger;
  try {
    if (options.path.empty()) {
      logger = std::make_shared<spdlog::logger>("keel",
                                                std::make_shared<spdlog::sinks::stderr_sink_st>());
    } else {
      logger = std::make_shared<spdlog::logger>(
          "keel", std::make_shared<spdlog::sinks::basic_file_sink_st>(options.path));
    }
  } catch (const spdlog::spdlog_ex& e) {
    return Error::of(Errc::kInvalidArgument, std::string("--log: ") + e.what());
  }
  logger->set_formatter(std::make_unique<LineFormatter>(options.format));
  logger->set_level(options.debug ? spdlog::level::debug : spdlog::level::info);
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
  return {};
}

}  // namespace keel::log
