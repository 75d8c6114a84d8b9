#include "llmkit/train/embedder_trainer.h"

#include "llmkit/train/checkpoint.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "llmkit/autograd/backward.h"
#include "llmkit/autograd/functions.h"
#include "llmkit/base/atomic_file.h"
#include "llmkit/base/context.h"
#include "llmkit/base/progress_bar.h"
#include "llmkit/base/timer.h"
#include "llmkit/io/safetensors.h"
#include "llmkit/optim/adamw.h"
#include "llmkit/optim/clip.h"
#include "llmkit/optim/lr_schedule.h"
#include "llmkit/optim/param_groups.h"
#include "llmkit/tokenizer/gguf_vocab.h"
#include "llmkit/train/contrastive_loss.h"

namespace llmkit::train {
namespace fs = std::filesystem;
namespace {

std::string find_embedder_checkpoint(const std::string& run_dir) {
  for (const char* name : {"checkpoint", "checkpoint.old"}) {
    const fs::path p = fs::path(run_dir) / name;
    if (fs::exists(p / "state.json")) return p.string();
  }
  return "";
}

// Keeps the lines of metrics.jsonl whose step is <= last_step (a resumed run rewrites the rest).
void trim_metrics(const std::string& path, int64_t last_step) {
  std::ifstream in(path);
  if (!in.good()) return;
  std::string kept, line;
  while (std::getline(in, line)) {
    try {
      if (nlohmann::json::parse(line).at("step").get<int64_t>() <= last_step) kept += line + "\n";
    } catch (const std::exception&) {
      // a torn last line from a crash: dropped
    }
  }
  write_file_atomic(path, kept);
}

}  // namespace

void write_embedder_gguf(const models::BertModel& model,
                         const tokenizer::SentencePieceTokenizer& tok, const std::string& path,
                         const models::BertExportOptions& options) {
  LLMKIT_CHECK(tok.n_vocab() == model.config().n_vocab, "embedder export: the tokenizer has ",
               tok.n_vocab(), " tokens but the model's vocabulary is ", model.config().n_vocab,
               "; export with the tokenizer the embedder was trained with");
  io::GgufWriter writer;
  models::add_bert_to_gguf(model, options, writer);
  tokenizer::add_vocab_to_gguf(tok, writer);
  writer.write(path);
}

EmbedderTrainer::EmbedderTrainer(const models::BertConfig& config,
                                 const std::string& tokenizer_path, std::vector<TextPair> pairs,
                                 std::string out_dir, EmbedderTrainOptions options)
    : tokenizer_path_(tokenizer_path),
      tok_(tokenizer::SentencePieceTokenizer::load(tokenizer_path)),
      out_dir_(std::move(out_dir)),
      options_(options) {
  const EmbedderTrainOptions& o = options_;
  LLMKIT_CHECK(o.steps >= 0 && o.batch >= 2, "train-embedder: steps must be >= 0 and batch >= 2 ",
               "(in-batch negatives need two pairs), got steps ", o.steps, ", batch ", o.batch);
  LLMKIT_CHECK(o.holdout >= 0.0 && o.holdout < 1.0, "train-embedder: holdout must be in [0, 1)");
  LLMKIT_CHECK(o.max_query_tokens >= 1, "train-embedder: max_query_tokens must be >= 1");
  const std::string ckpt = find_embedder_checkpoint(out_dir_);
  if (o.resume) {
    LLMKIT_CHECK_CODE(!ckpt.empty(), ErrorCode::kNotFound, "train-embedder --resume: no ",
                      "checkpoint in '", out_dir_, "'");
    const std::string cfg_path = ckpt + "/config.json";
    model_ = std::make_shared<models::BertModel>(
        models::bert_config_from_json(read_file(cfg_path), cfg_path));
    model_->load_state_dict(io::load_safetensors(ckpt + "/model.safetensors", true));
    start_step_ = nlohmann::json::parse(read_file(ckpt + "/state.json")).at("step").get<int64_t>();
    LLMKIT_CHECK(read_file(ckpt + "/tokenizer.model") == tok_.serialized(),
                 "train-embedder --resume: the tokenizer '", tokenizer_path,
                 "' is not the one the checkpoint in '", ckpt, "' was trained with");
  } else {
    LLMKIT_CHECK(ckpt.empty(), "train-embedder: '", out_dir_,
                 "' already holds a run; pass --resume to continue it or choose another --out");
    models::BertConfig c = config;
    c.n_vocab = tok_.n_vocab();
    model_ = std::make_shared<models::BertModel>(c, o.seed);
  }
  LLMKIT_CHECK(model_->config().n_vocab == tok_.n_vocab(), "train-embedder: the tokenizer '",
               tokenizer_path, "' has ", tok_.n_vocab(), " tokens but the checkpoint's model has ",
               model_->config().n_vocab);
  auto tokenized = tokenize_pairs(tok_, pairs, o.max_query_tokens, model_->config().n_ctx);
  std::tie(train_, held_out_) = split_pairs(tokenized, o.holdout);
  LLMKIT_CHECK(train_.size() >= 2, "train-embedder: ", train_.size(),
               " training pairs after the held-out split; need at least 2");

  optim::AdamWOptions adam;
  adam.lr = o.lr;
  optimizer_ = std::make_unique<optim::AdamW>(optim::decay_groups(*model_, o.weight_decay), adam);
  if (o.resume) {
    optimizer_->load_state_dict(io::load_safetensors(ckpt + "/optimizer.safetensors", true));
  }
}

void EmbedderTrainer::save(int64_t step) const {
  const fs::path tmp = stage_checkpoint(out_dir_);
  write_file_atomic((tmp / "config.json").string(), models::bert_config_to_json(model_->config()));
  io::save_safetensors((tmp / "model.safetensors").string(), model_->state_dict());
  io::save_safetensors((tmp / "optimizer.safetensors").string(), optimizer_->state_dict());
  write_file_atomic((tmp / "tokenizer.model").string(), tok_.serialized());
  write_file_atomic((tmp / "state.json").string(), str_cat("{\"step\": ", step, "}\n"));
  publish_checkpoint(out_dir_);
}

EmbedderTrainSummary EmbedderTrainer::run(const std::atomic<bool>* stop) {
  const EmbedderTrainOptions& o = options_;
  Timer timer;
  Context ctx(o.threads);
  Context::Scope scope(ctx);
  fs::create_directories(out_dir_);
  const std::string metrics_path = out_dir_ + "/metrics.jsonl";
  if (o.resume) {
    trim_metrics(metrics_path, start_step_);
  } else {
    write_file_atomic(metrics_path, "");
  }
  EmbedderTrainSummary s;
  s.train_pairs = static_cast<int64_t>(train_.size());
  s.before = evaluate_retrieval(*model_, held_out_);

  optim::WarmupCosineOptions sched;
  sched.peak_lr = o.lr;
  sched.min_lr = std::min(o.min_lr, o.lr);
  sched.total_steps = std::max<int64_t>(o.steps, 1);
  sched.warmup_steps = std::min(o.warmup, sched.total_steps);
  const optim::WarmupCosineLr schedule(sched);
  const std::vector<Tensor> params = model_->parameters();

  std::ofstream metrics(metrics_path, std::ios::app);
  std::optional<ProgressBar> bar;
  if (o.progress) bar.emplace("train-embedder", o.steps, "step", start_step_);
  std::vector<double> recent;
  int64_t step = start_step_, run_steps = 0;
  while (step < o.steps) {
    if ((stop != nullptr && stop->load()) || (o.stop_after > 0 && run_steps >= o.stop_after)) {
      s.interrupted = true;
      break;
    }
    const std::vector<size_t> idx = sample_batch(train_, o.batch, o.seed, step);
    std::vector<std::vector<int32_t>> queries, passages;
    for (size_t i : idx) {
      queries.push_back(train_[i].query);
      passages.push_back(train_[i].passage);
    }
    optimizer_->zero_grad();
    Tensor loss = contrastive_loss(model_->embed(queries), model_->embed(passages), o.temperature);
    backward(loss);
    const double grad_norm = o.grad_clip > 0.0f ? optim::clip_grad_norm(params, o.grad_clip) : 0.0;
    optim::apply_schedule(schedule, *optimizer_);
    const float lr = optimizer_->lr();
    optimizer_->step();
    ++step;
    ++run_steps;
    const double l = loss.item();
    LLMKIT_CHECK_CODE(std::isfinite(l), ErrorCode::kInternal, "train-embedder: the loss became ", l,
                      " at step ", step, "; lower --lr");
    recent.push_back(l);
    if (recent.size() > 50) recent.erase(recent.begin());
    metrics << "{\"step\": " << step << ", \"loss\": " << l << ", \"lr\": " << lr
            << ", \"grad_norm\": " << grad_norm << "}\n";
    metrics.flush();
    if (bar) bar->update(step, str_cat("loss ", static_cast<float>(l)));
    if ((o.save_every > 0 && step % o.save_every == 0) || step == o.steps) save(step);
  }
  if (bar) bar->finish();
  if (s.interrupted) save(step);
  s.steps_done = step;
  for (double l : recent) s.final_loss += l / static_cast<double>(recent.size());
  s.after = evaluate_retrieval(*model_, held_out_);
  if (!s.interrupted) {
    s.gguf_path = (fs::path(out_dir_) / "embedder.gguf").string();
    write_embedder_gguf(*model_, tok_, s.gguf_path);
  }
  s.seconds = timer.seconds();
  return s;
}

}  // namespace llmkit::train
