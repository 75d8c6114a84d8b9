// `llmkit sample`: generates text from a training checkpoint (or a model folder with a
// tokenizer.model), streaming it to stdout.
#include <cstdio>
#include <filesystem>

#include "cli/commands.h"
#include "llmkit/models/model_io.h"
#include "llmkit/tokenizer/sentencepiece_tokenizer.h"
#include "llmkit/train/checkpoint.h"
#include "llmkit/train/simple_sampler.h"

namespace llmkit::cli {
namespace {

struct SampleCommand {
  std::string model;
  std::string prompt = "The";
  train::SampleOptions options;
  std::string tokenizer;
};

void run_sample(const SampleCommand& c) {
  std::string dir = train::find_checkpoint(c.model);
  if (dir.empty()) dir = c.model;  // a model folder
  std::string tok_path = c.tokenizer.empty() ? dir + "/tokenizer.model" : c.tokenizer;
  LLMKIT_CHECK_CODE(std::filesystem::exists(tok_path), ErrorCode::kNotFound,
                    "sample: no tokenizer at '", tok_path, "'; pass --tokenizer");
  auto model = models::load_model(dir);
  auto tok = tokenizer::SentencePieceTokenizer::load(tok_path);
  std::vector<int32_t> prompt{tok.bos_id()};
  for (int32_t id : tok.encode(c.prompt)) prompt.push_back(id);
  train::SampleOptions o = c.options;
  o.stop_ids = {tok.eos_id(), tok.bos_id()};
  tokenizer::StreamingDecoder decoder(tok);
  std::printf("%s", c.prompt.c_str());
  std::fflush(stdout);
  train::sample(*model, prompt, o, [&](int32_t id) {
    if (id == tok.eos_id() || id == tok.bos_id()) return false;
    std::string piece = decoder.push(id);
    std::fwrite(piece.data(), 1, piece.size(), stdout);
    std::fflush(stdout);
    return true;
  });
  std::string rest = decoder.flush();
  std::fwrite(rest.data(), 1, rest.size(), stdout);
  std::printf("\n");
}

void register_sample(CLI::App& app) {
  auto c = std::make_shared<SampleCommand>();
  auto* cmd = app.add_subcommand("sample", "Generate text from a training run or model folder");
  cmd->add_option("-m,--model", c->model, "run folder (runs/NAME) or model folder")->required();
  cmd->add_option("-p,--prompt", c->prompt, "prompt text")->capture_default_str();
  cmd->add_option("-n,--n-predict", c->options.max_new_tokens, "tokens to generate")
      ->capture_default_str();
  cmd->add_option("--temp", c->options.temperature, "temperature (0: greedy)")
      ->capture_default_str();
  cmd->add_option("--top-k", c->options.top_k, "sample among the k likeliest")
      ->capture_default_str();
  cmd->add_option("--seed", c->options.seed, "random seed")->capture_default_str();
  cmd->add_option("--tokenizer", c->tokenizer, "tokenizer model (default: the run's)");
  cmd->callback([c] { run_sample(*c); });
}

}  // namespace

LLMKIT_REGISTER_COMMAND(500, register_sample)

}  // namespace llmkit::cli
