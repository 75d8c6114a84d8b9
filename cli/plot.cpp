// `llmkit plot`: one SVG line chart of a metric from several runs' metrics.jsonl, e.g. the
// validation curves of a distillation experiment:
//   llmkit plot --metric val_loss --out curves.svg runs/a=scratch runs/b=distilled
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "llmkit/base/atomic_file.h"
#include "llmkit/base/error.h"
#include "llmkit/train/svg_plot.h"

namespace llmkit::cli {
namespace {

struct PlotCommand {
  std::vector<std::string> runs;  // RUN or RUN=LABEL
  std::string metric = "val_loss";
  std::string out;
  std::string title;
  std::string y_label;
};

// (step, metric) of every line of run/metrics.jsonl that has the metric.
std::vector<std::pair<double, double>> read_points(const std::string& run,
                                                   const std::string& metric) {
  const std::string path = run + "/metrics.jsonl";
  std::ifstream in(path);
  LLMKIT_CHECK_CODE(in.good(), ErrorCode::kNotFound, "plot: no metrics file '", path,
                    "'; pass run folders written by llmkit train or distill");
  std::vector<std::pair<double, double>> points;
  std::string line;
  int64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    LLMKIT_CHECK_CODE(!j.is_discarded() && j.is_object(), ErrorCode::kCorruptData, "plot: line ",
                      number, " of '", path, "' is not a JSON object");
    if (j.contains(metric) && j[metric].is_number() && j.contains("step")) {
      points.emplace_back(j["step"].get<double>(), j[metric].get<double>());
    }
  }
  LLMKIT_CHECK(!points.empty(), "plot: '", path, "' has no '", metric,
               "' values (metrics are e.g. loss, val_loss, val_acc, kd, ce)");
  return points;
}

void run_plot(const PlotCommand& c) {
  static const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                  "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};
  std::vector<train::PlotSeries> series;
  for (const std::string& spec : c.runs) {
    const size_t eq = spec.find('=');
    const std::string run = spec.substr(0, eq);
    const std::string label = eq == std::string::npos
                                  ? std::filesystem::path(run).filename().string()
                                  : spec.substr(eq + 1);
    series.push_back(
        {label, kColors[series.size() % std::size(kColors)], read_points(run, c.metric), true});
  }
  train::PlotOptions o;
  o.title = c.title.empty() ? c.metric : c.title;
  o.x_label = "step";
  o.y_label = c.y_label.empty() ? c.metric : c.y_label;
  write_file_atomic(c.out, train::render_line_chart(series, o));
}

void register_plot(CLI::App& app) {
  auto c = std::make_shared<PlotCommand>();
  auto* cmd = app.add_subcommand("plot", "Plot a metric of several training runs as one SVG chart");
  cmd->add_option("runs", c->runs, "run folders, each RUN or RUN=LABEL")->required();
  cmd->add_option("--metric", c->metric, "metrics.jsonl field")->capture_default_str();
  cmd->add_option("--out", c->out, "SVG file to write")->required();
  cmd->add_option("--title", c->title, "chart title (default: the metric)");
  cmd->add_option("--y-label", c->y_label, "y axis label (default: the metric)");
  cmd->callback([c] { run_plot(*c); });
}

}  // namespace

LLMKIT_REGISTER_COMMAND(420, register_plot)

}  // namespace llmkit::cli
