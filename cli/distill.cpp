// `llmkit distill`: trains a student to imitate a frozen teacher (llmkit/train/distill_*.h):
// word-level KD (forward KL, reverse KL or JSD on soft targets at temperature tau, blended with the
// hard next-token loss by alpha), optionally from a precomputed top-K teacher cache, from a student
// initialised with the teacher's layers, or on a corpus the teacher sampled (sequence-level KD).
// The run folder is a training run (metrics.jsonl, loss_curve.svg, summary.json, checkpoint/) plus
// distill.json: teacher and student figures on the same validation batches.
#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/train_args.h"
#include "llmkit/base/atomic_file.h"
#include "llmkit/base/context.h"
#include "llmkit/models/arch.h"
#include "llmkit/models/model_file.h"
#include "llmkit/models/model_io.h"
#include "llmkit/models/tensor_names.h"
#include "llmkit/train/checkpoint.h"
#include "llmkit/train/distill_cache.h"
#include "llmkit/train/distill_objective.h"
#include "llmkit/train/student_init.h"
#include "llmkit/train/teacher_corpus.h"

namespace llmkit::cli {
namespace {
namespace fs = std::filesystem;
using json = nlohmann::json;

struct DistillCommand {
  std::string teacher;
  std::string data;
  std::string out;
  std::string arch = "gemma3";
  std::string preset;
  std::string config_path;
  int64_t student_layers = 0;
  bool init_from_teacher = false;
  std::string loss = "fkl";
  train::DistillOptions distill;
  int64_t cache_topk = 0;
  std::string cache_path;
  int64_t generate = 0;
  int64_t generate_length = 0;  // 0: --seq + 1
  float generate_temperature = 1.0f;
  train::TrainOptions options;
};

// The student: from --config / --arch --preset, or the teacher's config with --student-layers
// layers; its vocabulary is the teacher's.
std::shared_ptr<models::TransformerLM> make_student(const DistillCommand& c,
                                                    const models::ModelConfig& teacher_config) {
  models::ModelConfig config;
  if (!c.config_path.empty()) {
    config = models::load_config(c.config_path);
  } else if (!c.preset.empty()) {
    config = models::preset(models::parse_arch(c.arch), c.preset);
  } else {
    LLMKIT_CHECK(c.student_layers > 0, "distill: describe the student with --arch/--preset, ",
                 "--config, or --student-layers N (the teacher's shape with N layers)");
    config = train::student_config_from_teacher(teacher_config, c.student_layers);
  }
  if (c.student_layers > 0) config.n_layer = c.student_layers;
  config.n_vocab = teacher_config.n_vocab;
  return std::make_shared<models::TransformerLM>(config, c.options.seed);
}

void print_row(const char* name, int64_t params, const train::EvalResult& e, double teacher_acc) {
  std::printf("  %-10s %12lld %10.2f %9.2f%% %10.1f%%\n", name, static_cast<long long>(params),
              e.ppl, 100.0 * e.accuracy, teacher_acc > 0 ? 100.0 * e.accuracy / teacher_acc : 0.0);
}

void run_distill(DistillCommand c) {
  c.distill.kind = train::parse_divergence(c.loss);
  train::check_distill_options(c.distill);
  LLMKIT_CHECK(c.cache_topk >= 0, "distill: --cache-topk must not be negative");
  const bool resume = c.options.resume;
  const std::string ckpt = train::find_checkpoint(c.out);
  if (resume) {
    LLMKIT_CHECK_CODE(!ckpt.empty(), ErrorCode::kNotFound, "distill --resume: no checkpoint in '",
                      c.out, "'");
  } else {
    LLMKIT_CHECK(ckpt.empty(), "distill: '", c.out,
                 "' already holds a run; pass --resume to continue it or choose another --out");
  }
  auto teacher =
      std::shared_ptr<train::Teacher>(train::Teacher::load(c.teacher, c.options.threads));
  auto data = train::TokenDataset::open(c.data);
  teacher->check_vocabulary(*data);
  const models::ModelConfig& tconfig = teacher->model()->config();
  const std::string tok_path = data->manifest().tokenizer_path;
  fs::create_directories(c.out);
  StopOnInterrupt interrupt;

  // Sequence-level KD: the student trains on a corpus the teacher samples.
  if (c.generate > 0) {
    train::TeacherCorpusOptions g;
    g.sequences = c.generate;
    g.length = c.generate_length > 0 ? c.generate_length : c.options.seq + 1;
    g.temperature = c.generate_temperature;
    g.seed = c.options.seed;
    g.threads = c.options.threads;
    g.progress = c.options.progress;
    const std::string corpus = c.out + "/teacher_corpus";
    // A resumed run trains on the corpus its first part generated.
    if (!(resume && fs::exists(corpus + "/manifest.json"))) {
      train::TeacherCorpusSummary gs = train::generate_teacher_corpus(
          teacher->model(), teacher->path(), *data, corpus, g, interrupt.flag());
      if (gs.interrupted) {
        std::printf("interrupted after %lld teacher samples; run the same command to continue\n",
                    static_cast<long long>(gs.samples));
        return;
      }
      std::fprintf(stderr, "teacher corpus: %lld samples of %lld tokens in %s (%.0f s)\n",
                   static_cast<long long>(gs.samples), static_cast<long long>(g.length),
                   corpus.c_str(), gs.seconds);
    }
    data = train::TokenDataset::open(corpus);
  }

  std::shared_ptr<models::TransformerLM> student;
  if (resume) {
    student = models::load_model(ckpt);
  } else {
    student = make_student(c, tconfig);
    if (c.init_from_teacher) {
      const models::ModelFile tf = models::open_model_file(teacher->path());
      std::vector<int64_t> map = train::init_student_from_teacher(*student, tf);
      std::string layers;
      for (int64_t l : map) layers += (layers.empty() ? "" : ",") + std::to_string(l);
      std::fprintf(stderr, "student initialised from the teacher's layers %s\n", layers.c_str());
    }
  }
  LLMKIT_CHECK(student->config().n_vocab == teacher->n_vocab(),
               "distill: the student's vocabulary (", student->config().n_vocab,
               ") differs from the teacher's (", teacher->n_vocab(),
               "); student and teacher must share the vocabulary");
  const int64_t teacher_params = models::parameter_count(tconfig);
  std::fprintf(stderr, "teacher: %s, %lld parameters (%s); student: %lld parameters (%.0f%%)\n",
               models::arch_name(tconfig.arch), static_cast<long long>(teacher_params),
               teacher->model()->weight_type_name().c_str(),
               static_cast<long long>(student->parameter_count()),
               100.0 * static_cast<double>(student->parameter_count()) /
                   static_cast<double>(teacher_params));

  // Targets: the live teacher, or its top-K cache (built first when missing).
  std::shared_ptr<train::DistillObjective> objective;
  json cache_info;
  if (c.cache_topk > 0 && c.distill.alpha > 0) {
    train::TeacherCacheKey key;
    key.teacher_checksum = teacher->checksum();
    key.tokenizer_fingerprint = data->tokenizer_fingerprint();
    key.seed = c.options.seed;
    key.batch = c.options.batch;
    key.seq = c.options.seq;
    key.k = c.cache_topk;
    key.temperature = c.distill.temperature;
    key.n_vocab = teacher->n_vocab();
    const std::string path = c.cache_path.empty()
                                 ? c.out + "/teacher_top" + std::to_string(c.cache_topk) + ".cache"
                                 : c.cache_path;
    const int64_t batches = c.options.steps * c.options.grad_accum;
    train::CacheBuildSummary cs;
    {
      Context ctx(c.options.threads);
      Context::Scope scope(ctx);
      cs = train::build_teacher_cache(*teacher, data, path, key, batches, c.options.progress,
                                      interrupt.flag());
    }
    if (cs.interrupted) {
      std::printf(
          "interrupted after %lld of %lld teacher-cache batches; run the same command to "
          "continue\n",
          static_cast<long long>(cs.records), static_cast<long long>(batches));
      return;
    }
    auto cache = train::TeacherCache::open(path, key);
    std::fprintf(stderr, "teacher cache %s: %lld batches, %.1f MB", path.c_str(),
                 static_cast<long long>(cache->records()), cache->file_bytes() / 1e6);
    if (cs.built > 0)
      std::fprintf(stderr, ", %lld built in %.1f s", static_cast<long long>(cs.built), cs.seconds);
    std::fprintf(stderr, "\n");
    cache_info = {{"path", path},
                  {"k", c.cache_topk},
                  {"bytes", cache->file_bytes()},
                  {"batches", cache->records()},
                  {"build_seconds", cs.seconds}};
    objective = std::make_shared<train::DistillObjective>(
        nullptr, std::shared_ptr<train::TeacherCache>(std::move(cache)), c.distill,
        student->config().n_embd, c.options.seed);
  } else {
    objective = std::make_shared<train::DistillObjective>(teacher, nullptr, c.distill,
                                                          student->config().n_embd, c.options.seed);
  }

  train::Trainer trainer(student, data, c.out, tok_path, c.options, objective);
  train::TrainSummary s = trainer.run(interrupt.flag());
  if (report_interrupted(s, c.out)) return;
  auto val = data->val_batches(c.options.batch, c.options.seq, c.options.eval_batches);
  train::EvalResult te = train::evaluate_teacher(*teacher, val);
  const int64_t student_params = student->parameter_count();
  std::printf("\nvalidation (%lld tokens)  parameters perplexity  accuracy  %% of teacher\n",
              static_cast<long long>(s.final_eval.tokens));
  print_row("teacher", teacher_params, te, te.accuracy);
  print_row("student", student_params, s.final_eval, te.accuracy);
  const std::string how = c.distill.alpha > 0 ? str_cat(c.loss, ", tau ", c.distill.temperature,
                                                        ", alpha ", c.distill.alpha)
                                              : std::string("alpha 0: next-token loss only");
  std::printf("trained %lld steps (%s) in %.0f s; run folder: %s\n",
              static_cast<long long>(s.steps_done), how.c_str(), s.seconds, c.out.c_str());
  json report = {
      {"teacher",
       {{"path", teacher->path()},
        {"parameters", teacher_params},
        {"weights", teacher->model()->weight_type_name()},
        {"val_loss", te.loss},
        {"val_ppl", te.ppl},
        {"val_acc", te.accuracy}}},
      {"student",
       {{"parameters", student_params},
        {"val_loss", s.final_eval.loss},
        {"val_ppl", s.final_eval.ppl},
        {"val_acc", s.final_eval.accuracy},
        {"tokens_per_s_training", s.tokens_per_s}}},
      {"accuracy_of_teacher", te.accuracy > 0 ? s.final_eval.accuracy / te.accuracy : 0.0},
      {"loss", c.distill.alpha > 0 ? c.loss : "none"},
      {"temperature", c.distill.temperature},
      {"alpha", c.distill.alpha},
      {"init_from_teacher", c.init_from_teacher},
      {"hidden_weight", c.distill.hidden_weight},
      {"generated_sequences", c.generate},
      {"cache", cache_info}};
  write_file_atomic(c.out + "/distill.json", report.dump(2) + "\n");
}

void register_distill(CLI::App& app) {
  auto c = std::make_shared<DistillCommand>();
  auto* cmd = app.add_subcommand(
      "distill", "Train a small student to imitate a teacher model (knowledge distillation)");
  cmd->add_option("--teacher", c->teacher,
                  "teacher: GGUF file (quantized too), model folder, or training run folder")
      ->required();
  cmd->add_option("--data", c->data, "token shard folder (llmkit data prepare)")->required();
  cmd->add_option("--out", c->out, "run folder, e.g. runs/NAME")->required();
  cmd->add_option("--arch", c->arch, "student architecture (with --preset)");
  cmd->add_option("--preset", c->preset, "student size preset: tiny, small, base, ...");
  cmd->add_option("--config", c->config_path, "student config.json instead of --arch/--preset");
  cmd->add_option("--student-layers", c->student_layers,
                  "student layers (without --preset/--config: the teacher's shape with N layers)");
  cmd->add_flag("--init-from-teacher", c->init_from_teacher,
                "start the student from the teacher's embeddings and evenly spaced layers");
  cmd->add_option("--loss", c->loss, "divergence: fkl (forward KL), rkl (reverse KL), jsd")
      ->capture_default_str();
  cmd->add_option("--temperature", c->distill.temperature, "softmax temperature tau of both")
      ->capture_default_str();
  cmd->add_option("--alpha", c->distill.alpha,
                  "weight of the soft loss (x tau^2); 1 - alpha weights the next-token loss")
      ->capture_default_str();
  cmd->add_option("--jsd-beta", c->distill.jsd_beta, "mixture weight of the JSD")
      ->capture_default_str();
  cmd->add_option("--hidden-weight", c->distill.hidden_weight,
                  "weight of the hidden-state cosine loss (learned projection when widths differ)")
      ->capture_default_str();
  cmd->add_option("--cache-topk", c->cache_topk,
                  "precompute the teacher's top-K log-probs (+ tail mass) to disk once")
      ->capture_default_str();
  cmd->add_option("--cache", c->cache_path,
                  "teacher cache file (default: OUT/teacher_topK.cache); reused when it matches");
  cmd->add_option("--generate", c->generate,
                  "sequence-level KD: the teacher samples N sequences the student trains on");
  cmd->add_option("--generate-length", c->generate_length,
                  "tokens per generated sequence (default --seq + 1)");
  cmd->add_option("--generate-temperature", c->generate_temperature, "teacher sampling temperature")
      ->capture_default_str();
  add_train_args(*cmd, c->options);
  cmd->callback([c] { run_distill(*c); });
}

}  // namespace

LLMKIT_REGISTER_COMMAND(410, register_distill)

}  // namespace llmkit::cli
