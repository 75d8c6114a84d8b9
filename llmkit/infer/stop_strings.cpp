#include "llmkit/infer/stop_strings.h"

#include <algorithm>
#include <utility>

#include "llmkit/base/error.h"

namespace llmkit::infer {

StopStringFilter::StopStringFilter(std::vector<std::string> stop_strings)
    : stops_(std::move(stop_strings)) {
  for (size_t i = 0; i < stops_.size(); ++i) {
    LLMKIT_CHECK(!stops_[i].empty(), "stop string ", i, " is empty; every stop string needs text");
  }
}

std::string StopStringFilter::push(std::string_view piece) {
  if (stopped_) return "";
  pending_.append(piece);
  if (stops_.empty()) return std::exchange(pending_, std::string());

  // A complete occurrence: everything before pending_ was emitted only because no stop string
  // could start there, so every occurrence lies inside pending_. string::find gives each stop
  // string's earliest occurrence, which is also its earliest-ending one.
  size_t best_pos = std::string::npos, best_end = std::string::npos;
  for (const std::string& s : stops_) {
    size_t pos = pending_.find(s);
    if (pos == std::string::npos) continue;
    size_t end = pos + s.size();
    if (end < best_end || (end == best_end && pos < best_pos)) best_pos = pos, best_end = end;
  }
  if (best_pos != std::string::npos) {
    stopped_ = true;
    std::string out = pending_.substr(0, best_pos);
    pending_.clear();
    return out;
  }

  // Hold back the longest suffix of pending_ that is a proper prefix of some stop string.
  size_t hold = 0;
  for (const std::string& s : stops_) {
    for (size_t k = std::min(s.size() - 1, pending_.size()); k > hold; --k) {
      if (pending_.compare(pending_.size() - k, k, s, 0, k) == 0) {
        hold = k;
        break;
      }
    }
  }
  std::string out = pending_.substr(0, pending_.size() - hold);
  pending_.erase(0, pending_.size() - hold);
  return out;
}

std::string StopStringFilter::flush() {
  if (stopped_) return "";
  return std::exchange(pending_, std::string());
}

}  // namespace llmkit::infer
