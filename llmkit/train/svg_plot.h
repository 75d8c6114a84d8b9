// A minimal line-chart writer for loss curves: several named series of (x, y) points drawn on
// shared linear axes with ticks, a legend and a title, as a standalone SVG document.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace llmkit::train {

struct PlotSeries {
  std::string name;
  std::string color;  // any SVG colour, e.g. "#1f77b4"
  std::vector<std::pair<double, double>> points;
  bool markers = false;  // draw a dot at each point (for sparse series such as validation loss)
};

struct PlotOptions {
  std::string title;
  std::string x_label;
  std::string y_label;
  int width = 800;
  int height = 480;
};

// The SVG text. Non-finite points are skipped; an empty chart still renders its frame.
std::string render_line_chart(const std::vector<PlotSeries>& series, const PlotOptions& options);

}  // namespace llmkit::train
