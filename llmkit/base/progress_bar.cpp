#include "llmkit/base/progress_bar.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "llmkit/base/error.h"

namespace llmkit {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  auto s = static_cast<int64_t>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof(buf), "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  } else {
    std::snprintf(buf, sizeof(buf), "%lld:%02lld", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  }
  return buf;
}

ProgressBar::ProgressBar(std::string label, int64_t total, std::string unit, int64_t start)
    : label_(std::move(label)),
      total_(total),
      unit_(std::move(unit)),
      start_(start),
      tty_(::isatty(STDERR_FILENO) != 0),
      last_done_(start) {}

ProgressBar::~ProgressBar() {
  finish();
}

std::string ProgressBar::render(int64_t done, double elapsed_s, const std::string& note) const {
  double rate = elapsed_s > 0 ? static_cast<double>(done - start_) / elapsed_s : 0.0;
  double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : NAN;
  constexpr int kWidth = 24;
  double frac = total_ > 0 ? std::clamp(static_cast<double>(done) / total_, 0.0, 1.0) : 0.0;
  int filled = static_cast<int>(frac * kWidth);
  std::string bar(filled, '#');
  bar.append(kWidth - filled, ' ');
  char rate_buf[32];
  std::snprintf(rate_buf, sizeof(rate_buf), "%.1f", rate);
  std::string text = str_cat(label_, " [", bar, "] ", done, "/", total_, " ", unit_, " ", rate_buf,
                             " ", unit_, "/s ETA ", format_duration(eta));
  if (!note.empty()) text += " " + note;
  return text;
}

void ProgressBar::update(int64_t done, const std::string& note) {
  last_done_ = done;
  last_note_ = note;
  double now = timer_.seconds();
  double interval = tty_ ? 0.1 : 5.0;
  if (last_draw_s_ >= 0 && now - last_draw_s_ < interval && done < total_) return;
  last_draw_s_ = now;
  last_drawn_ = done;
  std::string line = render(done, now, note);
  if (tty_) {
    std::fprintf(stderr, "\r%s\033[K", line.c_str());
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
}

void ProgressBar::finish() {
  if (finished_) return;
  finished_ = true;
  if (!tty_ && last_draw_s_ >= 0 && last_drawn_ == last_done_) return;  // already printed
  std::string line = render(last_done_, timer_.seconds(), last_note_);
  if (tty_) {
    std::fprintf(stderr, "\r%s\033[K\n", line.c_str());
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
}

}  // namespace llmkit
