// `llmkit finetune --base RUN_DIR --data chat.jsonl --out DIR`: supervised fine-tuning of a
// trained model on chat conversations (llmkit/train/sft_data.h).
//
// Data: one JSON object per line with "messages": [{"role", "content"}, ...] (other keys are
// ignored). Each conversation is rendered in the base model's chat format (chain::ChatFormatter:
// its chat template, --chat-template, or the architecture's built-in format) and the loss counts
// only the assistant answers and their end-of-turn markers (chain/chat_training.h).
// Conversations longer than --seq + 1 tokens are left out (counted in the report). Every
// k-th conversation (k = round(1 / --val-fraction)) is held out for validation.
//
// Run folder (OUT): a training run (metrics.jsonl, loss_curve.svg, summary.json, checkpoint/ with
// the model, its config and tokenizer.model, so `llmkit export --from OUT` works) plus
//   sft_data/            the conversations' tokens as shards (the Trainer's validation split:
//                        val_loss in metrics.jsonl is the next-token loss of whole held-out
//                        conversations)
//   chat_template.jinja  the chat format the model was tuned in, carried into an exported GGUF
//                        (the built-in gemma format is written as an equivalent Jinja template)
//   finetune.json        base and tuned loss / accuracy on the held-out assistant tokens
// --resume continues from the checkpoint with the same batches an uninterrupted run would draw.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/train_args.h"
#include "llmkit/base/atomic_file.h"
#include "llmkit/base/context.h"
#include "llmkit/chain/chat_training.h"
#include "llmkit/infer/model.h"
#include "llmkit/models/model_file.h"
#include "llmkit/models/model_io.h"
#include "llmkit/train/checkpoint.h"
#include "llmkit/train/sft_data.h"

namespace llmkit::cli {
namespace {
namespace fs = std::filesystem;
using json = nlohmann::json;

struct FinetuneCommand {
  std::string base;
  std::string data;
  std::string out;
  std::string chat_template;
  double val_fraction = 0.05;
  train::TrainOptions options;
};

// The folder holding the base model's config.json + model.safetensors.
std::string base_model_folder(const std::string& base) {
  if (fs::exists(fs::path(base) / "config.json")) return base;
  for (const std::string& run : {base, base + "/train"}) {
    const std::string ckpt = train::find_checkpoint(run);
    if (!ckpt.empty()) return ckpt;
  }
  throw_error(ErrorCode::kNotFound,
              str_cat("finetune: --base '", base,
                      "' is neither a run folder with a checkpoint nor a model folder with ",
                      "config.json; fine-tuning starts from llmkit weights (not a GGUF file)"));
}

std::vector<chain::Messages> read_conversations(const std::string& path) {
  std::ifstream in(path);
  LLMKIT_CHECK_CODE(in.good(), ErrorCode::kNotFound, "finetune: cannot read --data '", path, "'");
  std::vector<chain::Messages> out;
  std::string line;
  for (int64_t n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    json j = json::parse(line, nullptr, false);
    LLMKIT_CHECK(
        !j.is_discarded() && j.is_object() && j.contains("messages") && j["messages"].is_array(),
        "finetune: line ", n, " of '", path, "' is not a JSON object with a \"messages\" array");
    try {
      out.push_back(j["messages"].get<chain::Messages>());
    } catch (const json::exception& e) {
      throw_error(ErrorCode::kInvalidArgument,
                  str_cat("finetune: line ", n, " of '", path, "': ", e.what()));
    }
  }
  LLMKIT_CHECK(!out.empty(), "finetune: '", path, "' holds no conversations");
  return out;
}

void print_eval(const char* name, const train::EvalResult& e) {
  std::printf("  %-6s loss %.4f  perplexity %8.2f  token accuracy %5.1f%%\n", name, e.loss, e.ppl,
              100.0 * e.accuracy);
}

json eval_json(const train::EvalResult& e) {
  return {{"loss", e.loss}, {"ppl", e.ppl}, {"accuracy", e.accuracy}, {"tokens", e.tokens}};
}

void run_finetune(FinetuneCommand c) {
  const train::TrainOptions& o = c.options;
  LLMKIT_CHECK(c.val_fraction > 0 && c.val_fraction < 1, "finetune: --val-fraction must be in ",
               "(0, 1)");
  const std::string ckpt = train::find_checkpoint(c.out);
  if (o.resume) {
    LLMKIT_CHECK_CODE(!ckpt.empty(), ErrorCode::kNotFound, "finetune --resume: no checkpoint in '",
                      c.out, "'");
  } else {
    LLMKIT_CHECK(ckpt.empty(), "finetune: '", c.out,
                 "' already holds a run; pass --resume to continue it or choose another --out");
  }
  const std::string base_folder = base_model_folder(c.base);
  const models::ModelFile base_file = models::open_model_file(base_folder);
  LLMKIT_CHECK_CODE(!base_file.tokenizer_model_path.empty(), ErrorCode::kNotFound, "finetune: no ",
                    "tokenizer.model with the base model in '", base_folder, "'");
  const std::string tok_path = base_file.tokenizer_model_path;

  // Render the conversations in the base model's chat format.
  std::string template_source, template_name;
  if (!c.chat_template.empty()) {
    template_source = read_file(c.chat_template);
    template_name = c.chat_template;
  }
  auto imodel = infer::Model::load(base_folder);
  const chain::ChatFormatter formatter(imodel, template_source, template_name);
  const tokenizer::Tokenizer& tok = imodel->require_tokenizer();
  const std::vector<chain::Messages> conversations = read_conversations(c.data);
  auto train_set = std::make_shared<std::vector<train::SftExample>>();
  std::vector<train::SftExample> val_set;
  const auto every = std::max<int64_t>(2, std::llround(1.0 / c.val_fraction));
  int64_t too_long = 0;
  for (size_t i = 0; i < conversations.size(); ++i) {
    chain::MaskedConversation mc = chain::render_for_training(formatter, conversations[i]);
    if (static_cast<int64_t>(mc.ids.size()) > o.seq + 1) {
      ++too_long;
      continue;
    }
    train::SftExample e{std::move(mc.ids), std::move(mc.mask)};
    (static_cast<int64_t>(i + 1) % every == 0 ? val_set : *train_set).push_back(std::move(e));
  }
  LLMKIT_CHECK(!train_set->empty() && !val_set.empty(), "finetune: ", too_long, " of ",
               conversations.size(), " conversations are longer than --seq + 1 = ", o.seq + 1,
               " tokens and too few are left for training and validation; raise --seq");
  const int32_t pad_id = std::max(tok.pad_id(), 0);
  std::fprintf(stderr,
               "finetune: %zu conversations (%s): %zu train, %zu validation, %lld longer than "
               "%lld tokens left out\n",
               conversations.size(), formatter.description().c_str(), train_set->size(),
               val_set.size(), static_cast<long long>(too_long), static_cast<long long>(o.seq + 1));

  fs::create_directories(c.out);
  const std::string shards = c.out + "/sft_data";
  train::write_sft_shards(shards, *train_set, val_set, tok, tok_path);
  auto data = train::TokenDataset::open(shards);
  std::string format_source = template_source.empty() ? imodel->chat_template() : template_source;
  if (format_source.empty() && formatter.description() == "built-in gemma") {
    format_source = chain::gemma_chat_template();
  }
  if (!format_source.empty()) write_file_atomic(c.out + "/chat_template.jinja", format_source);

  std::shared_ptr<models::TransformerLM> model = models::load_model(o.resume ? ckpt : base_folder);
  LLMKIT_CHECK(model->config().n_vocab >= tok.n_vocab(), "finetune: the tokenizer '", tok_path,
               "' has more tokens than the model's vocabulary");
  json report = {{"base", c.base},
                 {"data", c.data},
                 {"conversations", conversations.size()},
                 {"train", train_set->size()},
                 {"validation", val_set.size()},
                 {"left_out_too_long", too_long},
                 {"format", formatter.description()}};
  if (!o.resume) {
    Context ctx(o.threads);
    Context::Scope scope(ctx);
    model->eval();
    report["base_validation"] =
        eval_json(train::evaluate_sft(*model, val_set, o.batch, o.seq, pad_id));
    write_file_atomic(c.out + "/finetune.json", report.dump(2) + "\n");
  } else if (fs::exists(c.out + "/finetune.json")) {
    json old = json::parse(read_file(c.out + "/finetune.json"), nullptr, false);
    if (!old.is_discarded() && old.contains("base_validation")) {
      report["base_validation"] = old["base_validation"];
    }
  }
  auto objective = std::make_shared<train::SftObjective>(train_set, o.batch, o.seq, o.seed, pad_id);
  train::Trainer trainer(model, data, c.out, tok_path, o, objective);
  train::TrainSummary s;
  {
    StopOnInterrupt interrupt;
    s = trainer.run(interrupt.flag());
  }
  if (report_interrupted(s, c.out)) return;
  train::EvalResult tuned;
  {
    Context ctx(o.threads);
    Context::Scope scope(ctx);
    model->eval();
    tuned = train::evaluate_sft(*model, val_set, o.batch, o.seq, pad_id);
  }
  report["validation"] = eval_json(tuned);
  report["steps"] = s.steps_done;
  report["seconds"] = s.seconds;
  report["tokens_per_s"] = s.tokens_per_s;
  write_file_atomic(c.out + "/finetune.json", report.dump(2) + "\n");
  std::printf("\nheld-out assistant tokens (%lld)\n", static_cast<long long>(tuned.tokens));
  if (report.contains("base_validation")) {
    train::EvalResult b;
    b.loss = report["base_validation"]["loss"].get<double>();
    b.ppl = report["base_validation"]["ppl"].get<double>();
    b.accuracy = report["base_validation"]["accuracy"].get<double>();
    print_eval("base", b);
  }
  print_eval("tuned", tuned);
  std::printf("trained %lld steps in %.0f s; run folder: %s\n",
              static_cast<long long>(s.steps_done), s.seconds, c.out.c_str());
}

void register_finetune(CLI::App& app) {
  auto c = std::make_shared<FinetuneCommand>();
  c->options.steps = 200;
  c->options.seq = 512;
  c->options.lr = 3e-4f;
  c->options.min_lr = 3e-5f;
  c->options.warmup = 10;
  c->options.weight_decay = 0.0f;
  c->options.eval_every = 50;
  c->options.eval_batches = 4;
  c->options.save_every = 100;
  auto* cmd = app.add_subcommand(
      "finetune", "Supervised fine-tuning on chat conversations (loss on the assistant answers)");
  cmd->add_option("--base", c->base, "trained model: run folder or llmkit model folder")
      ->required();
  cmd->add_option("--data", c->data, "conversations, JSONL with {\"messages\": [...]}")->required();
  cmd->add_option("--out", c->out, "run folder, e.g. runs/NAME")->required();
  cmd->add_option("--chat-template", c->chat_template,
                  "Jinja chat template file (default: the model's, else its built-in format)");
  cmd->add_option("--val-fraction", c->val_fraction, "share of conversations held out")
      ->capture_default_str();
  add_train_args(*cmd, c->options);
  cmd->callback([c] { run_finetune(*c); });
}

}  // namespace

LLMKIT_REGISTER_COMMAND(415, register_finetune)

}  // namespace llmkit::cli
