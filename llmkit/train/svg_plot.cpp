#include "llmkit/train/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "llmkit/base/error.h"

namespace llmkit::train {
namespace {

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", v);
  return buf;
}

std::string tick_label(double v) {
  char buf[32];
  if (std::fabs(v) >= 10000 || (std::fabs(v) < 0.01 && v != 0)) {
    std::snprintf(buf, sizeof(buf), "%.2g", v);
  } else {
    std::snprintf(buf, sizeof(buf), "%.4g", v);
  }
  return buf;
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// "Nice" tick step (1, 2 or 5 times a power of ten) giving about `target` ticks over span.
double nice_step(double span, int target) {
  double raw = span / target;
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double r = raw / mag;
  double step = r < 1.5 ? 1 : r < 3.5 ? 2 : r < 7.5 ? 5 : 10;
  return step * mag;
}

}  // namespace

std::string render_line_chart(const std::vector<PlotSeries>& series, const PlotOptions& o) {
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  for (const auto& s : series) {
    for (auto [x, y] : s.points) {
      if (!std::isfinite(x) || !std::isfinite(y)) continue;
      x0 = std::min(x0, x);
      x1 = std::max(x1, x);
      y0 = std::min(y0, y);
      y1 = std::max(y1, y);
    }
  }
  if (!std::isfinite(x0)) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  if (x1 == x0) x1 = x0 + 1;
  if (y1 == y0) y1 = y0 + 1;
  double ystep = nice_step(y1 - y0, 6), xstep = nice_step(x1 - x0, 8);
  y0 = std::floor(y0 / ystep) * ystep;
  y1 = std::ceil(y1 / ystep) * ystep;

  const double left = 70, right = 20, top = 40, bottom = 50;
  double pw = o.width - left - right, ph = o.height - top - bottom;
  auto sx = [&](double x) { return left + (x - x0) / (x1 - x0) * pw; };
  auto sy = [&](double y) { return top + (1 - (y - y0) / (y1 - y0)) * ph; };

  std::string svg =
      str_cat("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"", o.width, "\" height=\"",
              o.height, "\" font-family=\"sans-serif\" font-size=\"12\">\n",
              "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
  svg += str_cat("<text x=\"", o.width / 2, "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">",
                 escape(o.title), "</text>\n");
  for (double y = y0; y <= y1 + ystep * 1e-6; y += ystep) {
    svg += str_cat("<line x1=\"", fmt(left), "\" x2=\"", fmt(left + pw), "\" y1=\"", fmt(sy(y)),
                   "\" y2=\"", fmt(sy(y)), "\" stroke=\"#e0e0e0\"/>\n");
    svg += str_cat("<text x=\"", fmt(left - 6), "\" y=\"", fmt(sy(y) + 4),
                   "\" text-anchor=\"end\">", tick_label(y), "</text>\n");
  }
  for (double x = std::ceil(x0 / xstep) * xstep; x <= x1 + xstep * 1e-6; x += xstep) {
    svg += str_cat("<line x1=\"", fmt(sx(x)), "\" x2=\"", fmt(sx(x)), "\" y1=\"", fmt(top),
                   "\" y2=\"", fmt(top + ph), "\" stroke=\"#f0f0f0\"/>\n");
    svg += str_cat("<text x=\"", fmt(sx(x)), "\" y=\"", fmt(top + ph + 16),
                   "\" text-anchor=\"middle\">", tick_label(x), "</text>\n");
  }
  svg += str_cat("<rect x=\"", fmt(left), "\" y=\"", fmt(top), "\" width=\"", fmt(pw),
                 "\" height=\"", fmt(ph), "\" fill=\"none\" stroke=\"#333\"/>\n");
  svg += str_cat("<text x=\"", fmt(left + pw / 2), "\" y=\"", o.height - 12,
                 "\" text-anchor=\"middle\">", escape(o.x_label), "</text>\n");
  svg += str_cat("<text transform=\"translate(16,", fmt(top + ph / 2),
                 ") rotate(-90)\" text-anchor=\"middle\">", escape(o.y_label), "</text>\n");

  int legend_row = 0;
  for (const auto& s : series) {
    std::string path;
    for (auto [x, y] : s.points) {
      if (!std::isfinite(x) || !std::isfinite(y)) continue;
      path += str_cat(path.empty() ? "M" : " L", fmt(sx(x)), ",", fmt(sy(y)));
      if (s.markers) {
        svg += str_cat("<circle cx=\"", fmt(sx(x)), "\" cy=\"", fmt(sy(y)), "\" r=\"3\" fill=\"",
                       s.color, "\"/>\n");
      }
    }
    if (!path.empty()) {
      svg += str_cat("<path d=\"", path, "\" fill=\"none\" stroke=\"", s.color,
                     "\" stroke-width=\"1.5\"/>\n");
    }
    double ly = top + 14 + 18 * legend_row++;
    svg +=
        str_cat("<line x1=\"", fmt(left + pw - 150), "\" x2=\"", fmt(left + pw - 125), "\" y1=\"",
                fmt(ly), "\" y2=\"", fmt(ly), "\" stroke=\"", s.color, "\" stroke-width=\"3\"/>\n");
    svg += str_cat("<text x=\"", fmt(left + pw - 118), "\" y=\"", fmt(ly + 4), "\">",
                   escape(s.name), "</text>\n");
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace llmkit::train
