// docker pull's and push's progress display: one line per layer, "<id>: <status>", and while
// bytes move a bar ("Downloading [=====>      ]  12.3MB/45.6MB", "Pushing [==>   ]  1MB/9MB").
// On a terminal the lines are redrawn in place; elsewhere each change of status is one plain
// line (no bars, nothing repeated).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace keel::ctl {

// "[=========>                                         ]  1.57MB/7.2MB", docker's 50-wide bar.
[[nodiscard]] std::string progress_bar(std::uint64_t current, std::uint64_t total);

class LayerProgressDisplay {
 public:
  explicit LayerProgressDisplay(bool terminal) : terminal_(terminal) {}

  // What to write for this progress line: on a terminal, the cursor moves and the redrawn line;
  // otherwise a plain line when the layer's status changed, else nothing.
  [[nodiscard]] std::string update(const std::string& id, const std::string& status,
                                   std::uint64_t current, std::uint64_t total);

 private:
  struct Row {
    std::string id;
    std::string status;
    std::string text;
  };
  bool terminal_;
  std::vector<Row> rows_;
};

}  // namespace keel::ctl
