// `llmkit train-embedder --pairs FILE --tokenizer T --out DIR [--steps N --batch B --dim C
// --layers L --heads H --ff F --ctx T --lr --temperature --threads N --seed --save-every
// --resume --no-progress]`: trains the default text embedder (a small bidirectional BERT-style
// encoder, models/bert_model.h) contrastively on (query, passage) pairs from `llmkit make-qa`,
// and writes DIR/embedder.gguf (llama.cpp's "bert" architecture, carrying the tokenizer). See
// llmkit/train/embedder_trainer.h for the run folder; Ctrl-C saves a resumable checkpoint.
#include <cstdio>

#include "cli/commands.h"
#include "cli/train_args.h"
#include "llmkit/models/bert_model.h"
#include "llmkit/train/embedder_trainer.h"

namespace llmkit::cli {
namespace {

struct TrainEmbedderCommand {
  std::string pairs;
  std::string tokenizer;
  std::string out;
  models::BertConfig config;
  train::EmbedderTrainOptions options;
  bool no_progress = false;
};

void print_eval(const char* label, const train::RetrievalEval& e) {
  std::printf("  %-8s recall@1 %.3f  recall@5 %.3f  MRR %.3f\n", label, e.recall_at_1,
              e.recall_at_5, e.mrr);
}

void run_train_embedder(TrainEmbedderCommand c) {
  c.options.progress = !c.no_progress;
  std::vector<train::TextPair> pairs = train::load_pairs(c.pairs);
  std::fprintf(stderr, "train-embedder: %zu pairs from %s\n", pairs.size(), c.pairs.c_str());
  train::EmbedderTrainer trainer(c.config, c.tokenizer, std::move(pairs), c.out, c.options);
  const models::BertConfig& mc = trainer.model().config();
  std::fprintf(stderr,
               "model: bert encoder, %lld layers, dim %lld, %lld heads, ff %lld, ctx %lld, "
               "vocab %lld, %lld parameters\n",
               static_cast<long long>(mc.n_layer), static_cast<long long>(mc.n_embd),
               static_cast<long long>(mc.n_head), static_cast<long long>(mc.n_ff),
               static_cast<long long>(mc.n_ctx), static_cast<long long>(mc.n_vocab),
               static_cast<long long>(trainer.model().parameter_count()));
  train::EmbedderTrainSummary s;
  {
    StopOnInterrupt interrupt;
    s = trainer.run(interrupt.flag());
  }
  if (s.interrupted) {
    std::printf(
        "stopped at step %lld; continue with the same command and --resume (checkpoint in "
        "%s/checkpoint)\n",
        static_cast<long long>(s.steps_done), c.out.c_str());
    return;
  }
  if (s.after.queries > 0) {
    std::printf("held-out retrieval (%lld queries, %lld candidate passages):\n",
                static_cast<long long>(s.after.queries),
                static_cast<long long>(s.after.candidates));
    print_eval("before", s.before);
    print_eval("after", s.after);
  } else {
    std::printf("no held-out pairs (--holdout %.2f): retrieval not evaluated\n", c.options.holdout);
  }
  std::printf("trained %lld steps on %lld pairs in %.0f s (final loss %.4f); wrote %s\n",
              static_cast<long long>(s.steps_done), static_cast<long long>(s.train_pairs),
              s.seconds, s.final_loss, s.gguf_path.c_str());
}

void register_train_embedder(CLI::App& app) {
  auto c = std::make_shared<TrainEmbedderCommand>();
  auto* cmd = app.add_subcommand(
      "train-embedder", "Train the default text embedder (bert GGUF) on query/passage pairs");
  cmd->add_option("--pairs", c->pairs, "pairs.jsonl ({\"query\", \"passage\"} per line)")
      ->required();
  cmd->add_option("--tokenizer", c->tokenizer, "SentencePiece tokenizer model")->required();
  cmd->add_option("--out", c->out, "run folder; the model is written to OUT/embedder.gguf")
      ->required();
  train::EmbedderTrainOptions& o = c->options;
  models::BertConfig& m = c->config;
  cmd->add_option("--steps", o.steps, "optimizer steps")->capture_default_str();
  cmd->add_option("--batch", o.batch, "pairs per batch (in-batch negatives)")
      ->capture_default_str();
  cmd->add_option("--lr", o.lr, "peak learning rate")->capture_default_str();
  cmd->add_option("--min-lr", o.min_lr, "final learning rate (cosine)")->capture_default_str();
  cmd->add_option("--warmup", o.warmup, "warmup steps")->capture_default_str();
  cmd->add_option("--weight-decay", o.weight_decay, "AdamW weight decay")->capture_default_str();
  cmd->add_option("--temperature", o.temperature, "InfoNCE temperature")->capture_default_str();
  cmd->add_option("--max-query-tokens", o.max_query_tokens, "query truncation")
      ->capture_default_str();
  cmd->add_option("--holdout", o.holdout, "share of passages held out for evaluation")
      ->capture_default_str();
  cmd->add_option("--save-every", o.save_every, "checkpoint interval (steps)")
      ->capture_default_str();
  cmd->add_option("--seed", o.seed, "initialisation and batch seed")->capture_default_str();
  cmd->add_option("--threads", o.threads, "threads")->capture_default_str();
  cmd->add_flag("--resume", o.resume, "continue the run in --out from its checkpoint");
  cmd->add_flag("--no-progress", c->no_progress, "no progress bar");
  cmd->add_option("--dim", m.n_embd, "embedding width")->capture_default_str();
  cmd->add_option("--layers", m.n_layer, "encoder layers")->capture_default_str();
  cmd->add_option("--heads", m.n_head, "attention heads")->capture_default_str();
  cmd->add_option("--ff", m.n_ff, "feed-forward width")->capture_default_str();
  cmd->add_option("--ctx", m.n_ctx, "longest input in tokens (passages are cut there)")
      ->capture_default_str();
  cmd->callback([c] { run_train_embedder(*c); });
}

}  // namespace

LLMKIT_REGISTER_COMMAND(430, register_train_embedder)

}  // namespace llmkit::cli
