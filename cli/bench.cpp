// `llmkit bench -m MODEL [-p 512] [-n 128] [-t 2] [-r 5] [--json]`: prompt processing (pp) and
// text generation (tg) speed measured the way llama.cpp's llama-bench measures them:
//   pp<P>: one batch of P random tokens (BOS first) into an empty KV cache, timed as a whole;
//   tg<N>: N single-token decode steps from an empty cache (BOS, then random tokens);
// one warm-up run first, then r timed repetitions; tokens/s = tokens / seconds per repetition,
// reported as mean and sample standard deviation. The default output is llama-bench's markdown
// table; --json prints JSON Lines with llama-bench's field names for the fields both share.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "cli/commands.h"
#include "cli/model_args.h"
#include "llmkit/base/timer.h"
#include "llmkit/infer/session.h"
#include "llmkit/models/tensor_names.h"

namespace llmkit::cli {
namespace {

struct BenchCommand {
  ModelArgs model;
  std::vector<int64_t> n_prompt{512};
  std::vector<int64_t> n_gen{128};
  int reps = 5;
  bool json = false;
  bool no_warmup = false;
};

struct TestResult {
  int64_t n_prompt = 0, n_gen = 0;
  std::vector<uint64_t> samples_ns;
  std::vector<double> samples_ts() const {
    std::vector<double> ts;
    for (uint64_t ns : samples_ns) ts.push_back(1e9 * static_cast<double>(n_prompt + n_gen) / ns);
    return ts;
  }
};

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0.0 : s / v.size();
}
double stddev(const std::vector<double>& v) {
  if (v.size() < 2) return 0.0;
  const double m = mean(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / (v.size() - 1));
}

void run_prompt(infer::Session& s, int64_t n, int32_t bos, std::mt19937& rng, int64_t V) {
  std::vector<int32_t> tokens(n);
  for (int64_t i = 0; i < n; ++i) tokens[i] = static_cast<int32_t>(rng() % V);
  if (bos >= 0) tokens[0] = bos;
  s.decode(tokens);
}

void run_gen(infer::Session& s, int64_t n, int32_t bos, std::mt19937& rng, int64_t V) {
  int32_t token = bos >= 0 ? bos : static_cast<int32_t>(rng() % V);
  for (int64_t i = 0; i < n; ++i) {
    s.decode(std::span<const int32_t>(&token, 1));
    token = static_cast<int32_t>(rng() % V);
  }
}

std::string iso_time() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

void run_bench(const BenchCommand& c) {
  ModelArgs args = c.model;
  for (int64_t p : c.n_prompt) args.ctx = std::max(args.ctx, p);
  for (int64_t n : c.n_gen) args.ctx = std::max(args.ctx, n);
  auto model = load_model_for_inference(args);
  const models::ModelConfig& cfg = model->config();
  const int threads = resolve_threads(c.model);
  const int32_t bos = model->tokenizer() != nullptr ? model->tokenizer()->bos_id()
                                                    : static_cast<int32_t>(cfg.bos_id);
  const int64_t V = cfg.n_vocab;
  std::vector<TestResult> tests;
  for (int64_t p : c.n_prompt)
    if (p > 0) tests.push_back({p, 0, {}});
  for (int64_t n : c.n_gen)
    if (n > 0) tests.push_back({0, n, {}});
  const int64_t weight_bytes = model->memory(1, 1).weights;
  const int64_t n_params = models::parameter_count(cfg);
  const std::string type_name =
      std::string(models::arch_name(cfg.arch)) + " " + model->weight_type_name();
  if (!c.json) {
    std::printf("| model | size | params | backend | threads | test | t/s |\n");
    std::printf("| --- | ---: | ---: | --- | ---: | ---: | ---: |\n");
  }
  std::mt19937 rng(1234);
  for (TestResult& t : tests) {
    infer::SessionOptions so;
    so.n_ctx = std::max<int64_t>(t.n_prompt + t.n_gen, 1);
    LLMKIT_CHECK(so.n_ctx <= cfg.n_ctx, "bench: test needs a context of ", so.n_ctx,
                 " but the model allows ", cfg.n_ctx);
    so.n_batch = std::max<int64_t>(std::min<int64_t>(c.model.batch, so.n_ctx), 1);
    so.n_threads = threads;
    so.kv_type = infer::parse_kv_type(c.model.cache_type);
    infer::Session session(model, so);
    if (!c.no_warmup) {
      if (t.n_prompt > 0) run_prompt(session, t.n_prompt, bos, rng, V);
      if (t.n_gen > 0) run_gen(session, 1, bos, rng, V);
    }
    for (int r = 0; r < c.reps; ++r) {
      session.reset();
      const auto start = std::chrono::steady_clock::now();
      if (t.n_prompt > 0) run_prompt(session, t.n_prompt, bos, rng, V);
      if (t.n_gen > 0) run_gen(session, t.n_gen, bos, rng, V);
      t.samples_ns.push_back(
          static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    std::chrono::steady_clock::now() - start)
                                    .count()));
      std::fprintf(stderr, "bench: %s%lld run %d/%d\n", t.n_prompt > 0 ? "pp" : "tg",
                   static_cast<long long>(t.n_prompt > 0 ? t.n_prompt : t.n_gen), r + 1, c.reps);
    }
    const std::vector<double> ts = t.samples_ts();
    std::vector<double> ns(t.samples_ns.begin(), t.samples_ns.end());
    const std::string test_name =
        t.n_prompt > 0 ? "pp" + std::to_string(t.n_prompt) : "tg" + std::to_string(t.n_gen);
    if (c.json) {
      nlohmann::ordered_json j;
      j["build_commit"] = "llmkit";
      j["cpu_info"] = "";
      j["backends"] = "llmkit-CPU";
      j["model_filename"] = c.model.model;
      j["model_type"] = type_name;
      j["model_size"] = weight_bytes;
      j["model_n_params"] = n_params;
      j["n_batch"] = so.n_batch;
      j["n_ubatch"] = so.n_batch;
      j["n_threads"] = threads;
      j["type_k"] = "f32";
      j["type_v"] = "f32";
      j["n_prompt"] = t.n_prompt;
      j["n_gen"] = t.n_gen;
      j["n_depth"] = 0;
      j["test_time"] = iso_time();
      j["avg_ns"] = static_cast<uint64_t>(mean(ns));
      j["stddev_ns"] = static_cast<uint64_t>(stddev(ns));
      j["avg_ts"] = mean(ts);
      j["stddev_ts"] = stddev(ts);
      j["samples_ns"] = t.samples_ns;
      j["samples_ts"] = ts;
      std::printf("%s\n", j.dump().c_str());
    } else {
      std::printf("| %s | %.2f MiB | %.2f M | llmkit CPU | %d | %s | %.2f ± %.2f |\n",
                  type_name.c_str(), weight_bytes / 1048576.0, n_params / 1e6, threads,
                  test_name.c_str(), mean(ts), stddev(ts));
    }
    std::fflush(stdout);
  }
}

void register_bench(CLI::App& app) {
  auto c = std::make_shared<BenchCommand>();
  CLI::App* cmd = app.add_subcommand(
      "bench", "prompt-processing and generation speed, measured as llama-bench does");
  add_model_args(*cmd, c->model, /*with_ctx=*/false);
  add_cache_type_option(*cmd, c->model);
  cmd->add_option("-p,--n-prompt", c->n_prompt, "prompt lengths (0 to skip)")->delimiter(',');
  cmd->add_option("-n,--n-gen", c->n_gen, "generation lengths (0 to skip)")->delimiter(',');
  cmd->add_option("-b,--batch", c->model.batch, "most tokens per forward step")
      ->check(CLI::PositiveNumber);
  cmd->add_option("-r,--repetitions", c->reps, "timed repetitions per test")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--json", c->json, "JSON Lines output (llama-bench's jsonl field names)");
  cmd->add_flag("--no-warmup", c->no_warmup, "skip the warm-up run");
  cmd->callback([c] { run_bench(*c); });
}

}  // namespace

LLMKIT_REGISTER_COMMAND(650, register_bench)

}  // namespace llmkit::cli
