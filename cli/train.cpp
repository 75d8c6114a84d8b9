// `llmkit train`: pretrains a model on token shards (see llmkit/train/trainer.h), then reports
// validation perplexity next to unigram and bigram baselines scored on the same tokens.
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "cli/commands.h"
#include "cli/train_args.h"
#include "llmkit/base/atomic_file.h"
#include "llmkit/models/arch.h"
#include "llmkit/models/model_config.h"
#include "llmkit/models/model_io.h"
#include "llmkit/tokenizer/sentencepiece_tokenizer.h"
#include "llmkit/train/checkpoint.h"
#include "llmkit/train/ngram_baseline.h"
#include "llmkit/train/trainer.h"

namespace llmkit::cli {
namespace {

struct TrainCommand {
  std::string arch = "gemma3";
  std::string preset;
  std::string config_path;
  std::string data;
  std::string out;
  std::string tokenizer;
  train::TrainOptions options;
};

// Scores the validation targets the model was evaluated on with add-one unigram/bigram models
// fitted on the train split: returns {unigram ppl, bigram ppl}.
std::pair<double, double> baseline_perplexities(const train::TokenDataset& data,
                                                const std::vector<train::Batch>& val) {
  train::NgramBaseline ngram(data.n_vocab());
  std::vector<int32_t> tokens = data.train().read(0, data.train().size());
  ngram.fit(tokens.data(), static_cast<int64_t>(tokens.size()));
  double uni = 0.0, bi = 0.0;
  int64_t n = 0;
  for (const train::Batch& b : val) {
    std::vector<int32_t> in = b.inputs.to_int_vector(), tg = b.targets.to_int_vector();
    for (size_t i = 0; i < tg.size(); ++i) {
      uni += ngram.unigram_logprob(tg[i]);
      bi += ngram.bigram_logprob(in[i], tg[i]);
      ++n;
    }
  }
  return {std::exp(-uni / n), std::exp(-bi / n)};
}

std::shared_ptr<models::TransformerLM> make_model(const TrainCommand& c, int64_t n_vocab) {
  models::ModelConfig config;
  if (!c.config_path.empty()) {
    config = models::load_config(c.config_path);
  } else {
    LLMKIT_CHECK(!c.preset.empty(), "train: give --preset (with --arch) or --config");
    config = models::preset(models::parse_arch(c.arch), c.preset);
  }
  config.n_vocab = n_vocab;
  return std::make_shared<models::TransformerLM>(config, c.options.seed);
}

void run_train(TrainCommand c) {
  auto data = train::TokenDataset::open(c.data);
  std::string tok_path = c.tokenizer.empty() ? data->manifest().tokenizer_path : c.tokenizer;
  auto tok = tokenizer::SentencePieceTokenizer::load(tok_path);
  LLMKIT_CHECK(tok.fingerprint() == data->tokenizer_fingerprint(), "train: tokenizer '", tok_path,
               "' is not the one the shards in '", c.data,
               "' were made with; pass the right --tokenizer or prepare the data again");
  std::shared_ptr<models::TransformerLM> model;
  std::string ckpt = train::find_checkpoint(c.out);
  if (c.options.resume) {
    LLMKIT_CHECK_CODE(!ckpt.empty(), ErrorCode::kNotFound, "train --resume: no checkpoint in '",
                      c.out, "'");
    model = models::load_model(ckpt);
  } else {
    LLMKIT_CHECK(ckpt.empty(), "train: '", c.out,
                 "' already holds a run; pass --resume to continue it or choose another --out");
    model = make_model(c, data->n_vocab());
  }
  std::fprintf(
      stderr, "model: %s, %lld parameters; data: %lld train / %lld validation tokens\n",
      models::arch_name(model->config().arch), static_cast<long long>(model->parameter_count()),
      static_cast<long long>(data->train().size()), static_cast<long long>(data->val().size()));

  train::Trainer trainer(model, data, c.out, tok_path, c.options);
  train::TrainSummary s;
  {
    StopOnInterrupt interrupt;
    s = trainer.run(interrupt.flag());
  }
  if (report_interrupted(s, c.out)) return;
  auto val = data->val_batches(c.options.batch, c.options.seq, c.options.eval_batches);
  auto [uni, bi] = baseline_perplexities(*data, val);
  std::printf("\nvalidation (%lld tokens)       perplexity\n",
              static_cast<long long>(s.final_eval.tokens));
  std::printf("  unigram, add-one smoothing   %10.2f\n", uni);
  std::printf("  bigram, add-one smoothing    %10.2f\n", bi);
  std::printf("  %-28s %10.2f   (loss %.4f, next-token accuracy %.1f%%)\n",
              models::arch_name(model->config().arch), s.final_eval.ppl, s.final_eval.loss,
              100.0 * s.final_eval.accuracy);
  std::printf("trained %lld steps in %.0f s (%.0f tokens/s); run folder: %s\n",
              static_cast<long long>(s.steps_done), s.seconds, s.tokens_per_s, c.out.c_str());
}

void register_train(CLI::App& app) {
  auto c = std::make_shared<TrainCommand>();
  auto* cmd = app.add_subcommand("train", "Pretrain a model on token shards (next-token loss)");
  cmd->add_option("--arch", c->arch, "architecture: gemma, gemma2, gemma3, llama");
  cmd->add_option("--preset", c->preset, "size preset: tiny, small, base, ...");
  cmd->add_option("--config", c->config_path, "model config.json instead of --arch/--preset");
  cmd->add_option("--data", c->data, "token shard folder (llmkit data prepare)")->required();
  cmd->add_option("--out", c->out, "run folder, e.g. runs/NAME")->required();
  cmd->add_option("--tokenizer", c->tokenizer, "tokenizer model (default: the data's)");
  add_train_args(*cmd, c->options);
  cmd->callback([c] { run_train(*c); });
}

}  // namespace

LLMKIT_REGISTER_COMMAND(400, register_train)

}  // namespace llmkit::cli
