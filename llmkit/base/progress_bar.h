// A terminal progress bar with rate and ETA, redrawn in place on stderr at most ~10 times a
// second. When stderr is not a terminal it prints a plain line every few seconds instead.
//
// Usage: ProgressBar bar("train", total_steps, "step"); bar.update(done, "loss 2.31");
// bar.finish(); Not thread-safe: update from one thread.
#pragma once

#include <cstdint>
#include <string>

#include "llmkit/base/timer.h"

namespace llmkit {

class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total, std::string unit = "it", int64_t start = 0);
  ~ProgressBar();

  // done: items completed so far (absolute). note: free text shown after the bar.
  void update(int64_t done, const std::string& note = "");
  void finish();

  // The text of one redraw, exposed for tests: "label [####    ] 40/100 it 12.5 it/s ETA 0:05
  // note".
  std::string render(int64_t done, double elapsed_s, const std::string& note) const;

 private:
  std::string label_;
  int64_t total_;
  std::string unit_;
  int64_t start_;
  Timer timer_;
  double last_draw_s_ = -1.0;
  bool tty_;
  bool finished_ = false;
  int64_t last_done_ = 0;
  int64_t last_drawn_ = -1;
  std::string last_note_;
};

// Formats seconds as H:MM:SS or M:SS.
std::string format_duration(double seconds);

}  // namespace llmkit
