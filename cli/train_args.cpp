#include "cli/train_args.h"

#include <csignal>
#include <cstdio>

namespace llmkit::cli {
namespace {

std::atomic<bool> g_stop{false};

void on_sigint(int) {
  g_stop.store(true);
  std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends the program at once
}

}  // namespace

void add_train_args(CLI::App& cmd, train::TrainOptions& o) {
  cmd.add_option("--steps", o.steps, "optimizer steps")->capture_default_str();
  cmd.add_option("--batch", o.batch, "sequences per micro-batch")->capture_default_str();
  cmd.add_option("--seq", o.seq, "tokens per sequence")->capture_default_str();
  cmd.add_option("--lr", o.lr, "peak learning rate")->capture_default_str();
  cmd.add_option("--min-lr", o.min_lr, "final learning rate")->capture_default_str();
  cmd.add_option("--warmup", o.warmup, "linear warmup steps")->capture_default_str();
  cmd.add_option("--weight-decay", o.weight_decay, "AdamW decay")->capture_default_str();
  cmd.add_option("--grad-clip", o.grad_clip, "global norm clip (0: off)")->capture_default_str();
  cmd.add_option("--grad-accum", o.grad_accum, "micro-batches per step")->capture_default_str();
  cmd.add_option("--eval-every", o.eval_every, "steps between evaluations")->capture_default_str();
  cmd.add_option("--eval-batches", o.eval_batches, "validation batches")->capture_default_str();
  cmd.add_option("--save-every", o.save_every, "steps between checkpoints")->capture_default_str();
  cmd.add_option("--seed", o.seed, "random seed")->capture_default_str();
  cmd.add_option("-t,--threads", o.threads, "threads")->capture_default_str();
  cmd.add_flag("--resume", o.resume, "continue the run in --out from its checkpoint");
  cmd.add_flag("!--no-progress", o.progress, "no progress bar");
}

bool report_interrupted(const train::TrainSummary& s, const std::string& run_dir) {
  if (!s.interrupted) return false;
  std::printf(
      "interrupted at step %lld; checkpoint saved in %s/checkpoint (continue with --resume)\n",
      static_cast<long long>(s.steps_done), run_dir.c_str());
  return true;
}

StopOnInterrupt::StopOnInterrupt() {
  g_stop.store(false);
  previous_ = std::signal(SIGINT, on_sigint);
}

StopOnInterrupt::~StopOnInterrupt() {
  std::signal(SIGINT, previous_);
}

const std::atomic<bool>* StopOnInterrupt::flag() const {
  return &g_stop;
}

}  // namespace llmkit::cli
