// LayerProgressDisplay: docker's jsonmessage rendering, for pull and push.
#include "ctl/layer_progress.h"

#include <algorithm>

#include "ctl/format.h"

namespace keel::ctl {

std::string progress_bar(std::uint64_t current, std::uint64_t total) {
  constexpr std::uint64_t kWidth = 50;
  if (total == 0)
    return human_size(static_cast<double>(current));
  const std::uint64_t filled = std::min(kWidth, current * kWidth / total);
  std::string bar = "[" + std::string(filled, '=');
  if (filled < kWidth)
    bar += ">" + std::string(kWidth - filled - 1, ' ');
  bar += "]  " + human_size(static_cast<double>(current)) + "/" +
         human_size(static_cast<double>(total));
  return bar;
}

std::string LayerProgressDisplay::update(const std::string& id, const std::string& status,
                                         std::uint64_t current, std::uint64_t total) {
  std::string text = id.empty() ? status : id + ": " + status;
  // The statuses whose lines carry a byte count (docker's progressDetail).
  if (terminal_ && (status == "Downloading" || status == "Pushing"))
    text += " " + progress_bar(current, total);
  auto row = std::find_if(rows_.begin(), rows_.end(), [&](const Row& r) { return r.id == id; });
  const bool is_new = row == rows_.end();
  if (is_new) {
    rows_.push_back({id, "", ""});
    row = rows_.end() - 1;
  }
  if (!terminal_) {
    if (!is_new && row->status == status)
      return "";
    row->status = status;
    return text + "\n";
  }
  row->status = status;
  row->text = text;
  if (is_new)
    return text + "\n";
  // Up to the row, clear it, write it, and back down (docker's cursor dance).
  const auto up = static_cast<std::size_t>(rows_.end() - row);
  return "\x1b[" + std::to_string(up) + "A\x1b[2K\r" + text + "\x1b[" + std::to_string(up) + "B\r";
}

}  // namespace keel::ctl
