#include "llmkit/train/trainer.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "llmkit/autograd/backward.h"
#include "llmkit/autograd/functions.h"
#include "llmkit/autograd/node.h"
#include "llmkit/base/atomic_file.h"
#include "llmkit/base/context.h"
#include "llmkit/base/logging.h"
#include "llmkit/base/progress_bar.h"
#include "llmkit/base/timer.h"
#include "llmkit/io/safetensors.h"
#include "llmkit/models/model_io.h"
#include "llmkit/optim/adamw.h"
#include "llmkit/optim/clip.h"
#include "llmkit/optim/lr_schedule.h"
#include "llmkit/optim/param_groups.h"
#include "llmkit/train/checkpoint.h"
#include "llmkit/train/svg_plot.h"

namespace llmkit::train {
namespace fs = std::filesystem;
using json = nlohmann::json;

EvalResult evaluate(const models::TransformerLM& model, const std::vector<Batch>& batches) {
  autograd::NoGradGuard no_grad;
  double loss_sum = 0.0;
  int64_t correct = 0, tokens = 0;
  for (const Batch& b : batches) {
    Tensor logits = model.forward(b.inputs);  // [B, T, V]
    int64_t n = b.targets.numel();
    loss_sum += static_cast<double>(cross_entropy(logits, b.targets).item()) * n;
    std::vector<int32_t> pred = argmax(logits, -1).to_int_vector();
    std::vector<int32_t> truth = b.targets.to_int_vector();
    for (size_t i = 0; i < pred.size(); ++i) correct += pred[i] == truth[i];
    tokens += n;
  }
  return make_eval_result(loss_sum, correct, tokens);
}

EvalResult make_eval_result(double loss_sum, int64_t correct, int64_t tokens) {
  EvalResult r;
  r.tokens = tokens;
  if (tokens > 0) {
    r.loss = loss_sum / static_cast<double>(tokens);
    r.ppl = std::exp(r.loss);
    r.accuracy = static_cast<double>(correct) / static_cast<double>(tokens);
  }
  return r;
}

namespace {

void check_options(const TrainOptions& o, const models::ModelConfig& config) {
  LLMKIT_CHECK(o.steps > 0, "train: --steps must be positive, got ", o.steps);
  LLMKIT_CHECK(o.batch > 0, "train: --batch must be positive, got ", o.batch);
  LLMKIT_CHECK(o.seq > 0 && o.seq <= config.n_ctx, "train: --seq ", o.seq,
               " must be between 1 and the model's n_ctx ", config.n_ctx,
               " (raise n_ctx in the config or lower --seq)");
  LLMKIT_CHECK(o.grad_accum > 0, "train: --grad-accum must be positive, got ", o.grad_accum);
  LLMKIT_CHECK(o.lr > 0 && o.min_lr >= 0 && o.min_lr <= o.lr, "train: need 0 <= --min-lr <= --lr",
               " (got lr ", o.lr, ", min-lr ", o.min_lr, ")");
  LLMKIT_CHECK(o.warmup >= 0 && o.warmup <= o.steps, "train: --warmup ", o.warmup,
               " must be between 0 and --steps ", o.steps);
}

// Keeps the metrics lines with step <= last_step (used when resuming).
void truncate_metrics(const std::string& path, int64_t last_step) {
  if (!fs::exists(path)) return;
  std::ifstream in(path);
  std::string line, kept;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.contains("step")) continue;
    if (j["step"].get<int64_t>() <= last_step) kept += line + "\n";
  }
  write_file_atomic(path, kept);
}

struct CurvePoints {
  std::vector<std::pair<double, double>> train, val;
};

CurvePoints read_curve(const std::string& metrics_path) {
  CurvePoints c;
  std::ifstream in(metrics_path);
  std::string line;
  while (std::getline(in, line)) {
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded()) continue;
    double step = j.value("step", 0.0);
    if (j.contains("loss")) c.train.emplace_back(step, j["loss"].get<double>());
    if (j.contains("val_loss")) c.val.emplace_back(step, j["val_loss"].get<double>());
  }
  return c;
}

void write_plot(const std::string& run_dir) {
  CurvePoints c = read_curve(run_dir + "/metrics.jsonl");
  // Exponential moving average of the noisy per-step train loss, drawn over the raw points.
  std::vector<std::pair<double, double>> smooth;
  double ema = 0.0;
  for (size_t i = 0; i < c.train.size(); ++i) {
    ema = i == 0 ? c.train[i].second : 0.9 * ema + 0.1 * c.train[i].second;
    smooth.emplace_back(c.train[i].first, ema);
  }
  PlotOptions o;
  o.title = "llmkit training loss";
  o.x_label = "step";
  o.y_label = "cross-entropy (nats/token)";
  std::string svg = render_line_chart(
      {{"train (smoothed)", "#1f77b4", smooth, false}, {"validation", "#d62728", c.val, true}}, o);
  write_file_atomic(run_dir + "/loss_curve.svg", svg);
}

json options_json(const TrainOptions& o) {
  return json{{"steps", o.steps},
              {"batch", o.batch},
              {"seq", o.seq},
              {"lr", o.lr},
              {"min_lr", o.min_lr},
              {"warmup", o.warmup},
              {"weight_decay", o.weight_decay},
              {"beta1", o.beta1},
              {"beta2", o.beta2},
              {"grad_clip", o.grad_clip},
              {"grad_accum", o.grad_accum},
              {"eval_every", o.eval_every},
              {"eval_batches", o.eval_batches},
              {"save_every", o.save_every},
              {"seed", o.seed},
              {"threads", o.threads}};
}

}  // namespace

Trainer::Trainer(std::shared_ptr<models::TransformerLM> model, std::shared_ptr<TokenDataset> data,
                 std::string run_dir, std::string tokenizer_path, TrainOptions options,
                 std::shared_ptr<TrainingObjective> objective)
    : model_(std::move(model)),
      data_(std::move(data)),
      run_dir_(std::move(run_dir)),
      tokenizer_path_(std::move(tokenizer_path)),
      options_(options),
      objective_(std::move(objective)) {
  LLMKIT_CHECK(model_ != nullptr && data_ != nullptr, "Trainer: model and data are required");
  check_options(options_, model_->config());
  LLMKIT_CHECK(data_->n_vocab() <= model_->config().n_vocab, "train: the data's tokenizer has ",
               data_->n_vocab(), " tokens but the model's vocabulary is ", model_->config().n_vocab,
               "; initialise the model with --vocab ", data_->n_vocab());
}

TrainSummary Trainer::run(const std::atomic<bool>* stop) {
  const TrainOptions& o = options_;
  Context ctx(o.threads);
  Context::Scope scope(ctx);
  fs::create_directories(run_dir_);
  const std::string metrics_path = run_dir_ + "/metrics.jsonl";

  optim::AdamWOptions adam;
  adam.lr = o.lr;
  adam.beta1 = o.beta1;
  adam.beta2 = o.beta2;
  nn::Module* extra = objective_ ? objective_->trainable_module() : nullptr;
  std::vector<optim::ParamGroup> groups = optim::decay_groups(*model_, o.weight_decay);
  if (extra != nullptr) {
    for (optim::ParamGroup& g : optim::decay_groups(*extra, o.weight_decay)) groups.push_back(g);
  }
  optim::AdamW optimizer(groups, adam);
  optim::WarmupCosineLr schedule({o.lr, o.min_lr, o.warmup, o.steps});
  DataLoader loader(data_, o.batch, o.seq, o.seed);
  std::vector<Batch> val = data_->val_batches(o.batch, o.seq, o.eval_batches);

  int64_t step = 0;
  if (o.resume) {
    std::string ckpt = find_checkpoint(run_dir_);
    LLMKIT_CHECK_CODE(!ckpt.empty(), ErrorCode::kNotFound, "train --resume: no checkpoint in '",
                      run_dir_, "' (start without --resume)");
    auto loaded = models::load_model(ckpt);
    model_->load_state_dict(loaded->state_dict());
    if (extra != nullptr) {
      const std::string path = ckpt + "/objective.safetensors";
      LLMKIT_CHECK_CODE(fs::exists(path), ErrorCode::kNotFound, "train --resume: '", path,
                        "' is missing; the run was made without the same objective options");
      auto state = io::load_safetensors(path, true);
      extra->load_state_dict(nn::NamedTensors(state.begin(), state.end()));
    }
    optimizer.load_state_dict(io::load_safetensors(ckpt + "/optimizer.safetensors", true));
    json state = json::parse(read_file(ckpt + "/trainer_state.json"));
    step = state.at("step").get<int64_t>();
    loader.set_position(
        DataPosition{state.at("data_epoch").get<int64_t>(), state.at("data_index").get<int64_t>()});
    truncate_metrics(metrics_path, step);
    LLMKIT_LOG(kInfo, "resumed from '", ckpt, "' at step ", step);
  } else if (fs::exists(metrics_path)) {
    fs::remove(metrics_path);
  }

  auto save = [&](int64_t at_step) {
    DataPosition pos = loader.position();
    json state = {{"step", at_step},
                  {"data_epoch", pos.epoch},
                  {"data_index", pos.index},
                  {"options", options_json(o)}};
    save_checkpoint(run_dir_, {model_.get(), &optimizer, tokenizer_path_, state.dump(2), extra});
  };

  const int64_t first_step = step;
  std::ofstream metrics(metrics_path, std::ios::app);
  std::optional<ProgressBar> bar;
  if (o.progress) bar.emplace("train", o.steps, "step", step);
  TrainSummary summary;
  Timer total_timer;
  int64_t tokens_seen = 0;
  const float accum_scale = 1.0f / static_cast<float>(o.grad_accum);
  model_->train();
  while (step < o.steps) {
    if ((stop != nullptr && stop->load()) ||
        (o.stop_after > 0 && step - first_step >= o.stop_after)) {
      summary.interrupted = true;
      break;
    }
    Timer step_timer;
    optim::apply_schedule(schedule, optimizer);
    optimizer.zero_grad();
    double loss_value = 0.0;
    std::vector<std::pair<std::string, double>> objective_metrics;
    for (int64_t micro = 0; micro < o.grad_accum; ++micro) {
      Batch b = loader.next();
      Tensor loss;
      if (objective_) {
        TrainingObjective::Terms terms = objective_->loss(*model_, b, step * o.grad_accum + micro);
        loss = terms.loss;
        if (objective_metrics.empty()) objective_metrics.resize(terms.metrics.size());
        for (size_t i = 0; i < terms.metrics.size() && i < objective_metrics.size(); ++i) {
          objective_metrics[i].first = terms.metrics[i].first;
          objective_metrics[i].second += terms.metrics[i].second * accum_scale;
        }
      } else {
        loss = cross_entropy(model_->forward(b.inputs), b.targets);
      }
      loss_value += static_cast<double>(loss.item()) * accum_scale;
      backward(o.grad_accum > 1 ? mul_scalar(loss, accum_scale) : loss);
    }
    double grad_norm =
        o.grad_clip > 0 ? optim::clip_grad_norm(optimizer.param_groups(), o.grad_clip) : 0.0;
    LLMKIT_CHECK_CODE(std::isfinite(loss_value), ErrorCode::kInternal, "train: loss became ",
                      loss_value, " at step ", step, "; lower --lr or raise --warmup");
    optimizer.step();
    ++step;
    int64_t step_tokens = o.batch * o.seq * o.grad_accum;
    tokens_seen += step_tokens;
    double tps = static_cast<double>(step_tokens) / std::max(step_timer.seconds(), 1e-9);
    json line = {{"step", step},
                 {"loss", loss_value},
                 {"lr", optimizer.lr()},
                 {"grad_norm", grad_norm},
                 {"tokens_per_s", tps}};
    for (const auto& [name, value] : objective_metrics) line[name] = value;
    summary.final_train_loss = loss_value;
    bool eval_now = step == o.steps || (o.eval_every > 0 && step % o.eval_every == 0);
    if (eval_now) {
      model_->eval();
      EvalResult e = evaluate(*model_, val);
      model_->train();
      line["val_loss"] = e.loss;
      line["val_ppl"] = e.ppl;
      line["val_acc"] = e.accuracy;
    }
    metrics << line.dump() << "\n";
    metrics.flush();
    if (eval_now) write_plot(run_dir_);
    if (o.progress) {
      char note[96];
      std::snprintf(note, sizeof(note), "loss %.4f  %.0f tok/s", loss_value, tps);
      bar->update(step, note);
    }
    if (step < o.steps && o.save_every > 0 && step % o.save_every == 0) save(step);
  }
  if (bar) bar->finish();
  save(step);
  write_plot(run_dir_);

  summary.steps_done = step;
  summary.seconds = total_timer.seconds();
  summary.tokens_per_s = static_cast<double>(tokens_seen) / std::max(summary.seconds, 1e-9);
  model_->eval();
  summary.final_eval = evaluate(*model_, val);
  json s = {{"steps", step},
            {"interrupted", summary.interrupted},
            {"final_train_loss", summary.final_train_loss},
            {"val_loss", summary.final_eval.loss},
            {"val_ppl", summary.final_eval.ppl},
            {"val_acc", summary.final_eval.accuracy},
            {"val_tokens", summary.final_eval.tokens},
            {"tokens_per_s", summary.tokens_per_s},
            {"seconds", summary.seconds},
            {"parameters", model_->parameter_count()},
            {"options", options_json(o)}};
  write_file_atomic(run_dir_ + "/summary.json", s.dump(2) + "\n");
  return summary;
}

}  // namespace llmkit::train
