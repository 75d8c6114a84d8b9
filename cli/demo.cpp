// `llmkit demo`: a tour of the foundation layers. Fits a small MLP to the two-spirals
// classification problem with reverse-mode autodiff and AdamW, printing the loss as it falls.
#include <cmath>
#include <cstdio>

#include "cli/commands.h"
#include "llmkit/autograd/backward.h"
#include "llmkit/autograd/functions.h"
#include "llmkit/base/context.h"
#include "llmkit/base/timer.h"
#include "llmkit/nn/linear.h"
#include "llmkit/nn/loss.h"
#include "llmkit/optim/adamw.h"
#include "llmkit/optim/lr_schedule.h"
#include "llmkit/optim/param_groups.h"

namespace llmkit::cli {
namespace {

struct DemoOptions {
  int steps = 600;
  int points = 200;
  int hidden = 32;
  float lr = 0.02f;
  uint64_t seed = 1;
  int threads = 2;
};

class SpiralNet : public nn::Module {
 public:
  SpiralNet(int hidden, Generator& gen) {
    fc1_ = register_module("fc1", std::make_shared<nn::Linear>(2, hidden, true, gen, 0.0f));
    fc2_ = register_module("fc2", std::make_shared<nn::Linear>(hidden, hidden, true, gen, 0.0f));
    out_ = register_module("out", std::make_shared<nn::Linear>(hidden, 2, true, gen, 0.0f));
  }
  // x [N, 2] -> logits [N, 2]
  Tensor forward(const Tensor& x) const {
    return out_->forward(gelu(fc2_->forward(gelu(fc1_->forward(x)))));
  }

 private:
  std::shared_ptr<nn::Linear> fc1_, fc2_, out_;
};

// Two interleaved spirals: class k's point i sits at radius r and angle r * 3 pi + k pi.
void make_spirals(int n, Generator& gen, Tensor* x, Tensor* y) {
  std::vector<float> xs;
  std::vector<int32_t> ys;
  for (int i = 0; i < n; ++i) {
    int k = i % 2;
    float r = 0.1f + 0.9f * static_cast<float>(i / 2) / static_cast<float>(n / 2);
    float angle = r * 3.0f * static_cast<float>(M_PI) + static_cast<float>(k * M_PI);
    xs.push_back(r * std::cos(angle) + 0.02f * gen.next_normal());
    xs.push_back(r * std::sin(angle) + 0.02f * gen.next_normal());
    ys.push_back(k);
  }
  *x = from_vector(xs, {n, 2});
  *y = from_ints(ys, {n});
}

float accuracy(const Tensor& logits, const Tensor& y) {
  std::vector<int32_t> pred = argmax(logits, 1).to_int_vector(), truth = y.to_int_vector();
  int right = 0;
  for (size_t i = 0; i < pred.size(); ++i) right += pred[i] == truth[i];
  return static_cast<float>(right) / static_cast<float>(pred.size());
}

void run_demo(const DemoOptions& o) {
  Context ctx(o.threads);
  Context::Scope scope(ctx);
  Generator gen(o.seed);
  Tensor x, y;
  make_spirals(o.points, gen, &x, &y);
  SpiralNet net(o.hidden, gen);
  optim::AdamWOptions adam;
  adam.lr = o.lr;
  optim::AdamW opt(optim::decay_groups(net, 1e-4f), adam);
  optim::WarmupCosineLr schedule({o.lr, o.lr * 0.05f, o.steps / 20, o.steps});

  std::printf("llmkit demo: MLP 2-%d-%d-2 (%lld parameters) on %d two-spiral points, AdamW\n",
              o.hidden, o.hidden, static_cast<long long>(net.parameter_count()), o.points);
  std::printf("%6s  %10s  %8s\n", "step", "loss", "accuracy");
  Timer timer;
  for (int step = 0; step <= o.steps; ++step) {
    Tensor logits = net.forward(x);
    Tensor loss = nn::cross_entropy_loss(logits, y);
    if (step % (o.steps / 10) == 0 || step == o.steps) {
      std::printf("%6d  %10.5f  %7.1f%%\n", step, loss.item(), 100.0f * accuracy(logits, y));
    }
    if (step == o.steps) break;
    opt.zero_grad();
    backward(loss);
    optim::apply_schedule(schedule, opt);
    opt.step();
  }
  std::printf("done in %.2f s (%.0f steps/s)\n", timer.seconds(), o.steps / timer.seconds());
}

}  // namespace

void register_demo(CLI::App& app) {
  auto opts = std::make_shared<DemoOptions>();
  auto* cmd = app.add_subcommand("demo", "Fit a small MLP with llmkit's autodiff and AdamW");
  cmd->add_option("--steps", opts->steps, "optimizer steps")->check(CLI::Range(10, 1000000));
  cmd->add_option("--points", opts->points, "training points")->check(CLI::Range(4, 100000));
  cmd->add_option("--hidden", opts->hidden, "hidden width")->check(CLI::Range(1, 4096));
  cmd->add_option("--lr", opts->lr, "peak learning rate")->check(CLI::PositiveNumber);
  cmd->add_option("--seed", opts->seed, "random seed");
  cmd->add_option("--threads", opts->threads, "threads")->check(CLI::Range(1, 256));
  cmd->callback([opts] { run_demo(*opts); });
}

LLMKIT_REGISTER_COMMAND(900, register_demo)

}  // namespace llmkit::cli
