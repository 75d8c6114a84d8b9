// `llmkit perplexity -m MODEL -f TEXT --ctx N [--chunks K]`: perplexity of a text with the protocol
// of llama.cpp's llama-perplexity (see llmkit/infer/perplexity.h). Running estimates go to stderr
// like llama-perplexity's "[1]12.3456,[2]..." line; the last line is
// "Final estimate: PPL = 12.3456 +/- 0.12345".
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/commands.h"
#include "cli/model_args.h"
#include "llmkit/base/error.h"
#include "llmkit/base/timer.h"
#include "llmkit/infer/perplexity.h"

namespace llmkit::cli {
namespace {

struct PerplexityCommand {
  ModelArgs model;
  std::string file;
  int64_t chunks = -1;
  bool no_bos = false;
};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  LLMKIT_CHECK_CODE(in.good(), ErrorCode::kNotFound, "perplexity: cannot open text file '", path,
                    "'");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void run_perplexity(const PerplexityCommand& c) {
  ModelArgs args = c.model;
  if (args.ctx == 0) args.ctx = 512;
  auto model = load_model_for_inference(args);
  const tokenizer::Tokenizer& tok = model->require_tokenizer();
  const std::string text = read_text(c.file);
  Timer timer;
  const bool add_bos = !c.no_bos && tok.uses_bos();
  const std::vector<int32_t> tokens = tok.encode(text, add_bos, /*parse_special=*/false);
  std::fprintf(stderr, "perplexity: tokenized %zu bytes into %zu tokens in %.2f s\n", text.size(),
               tokens.size(), timer.seconds());

  infer::PerplexityOptions o;
  const infer::SessionOptions so = session_options(*model, args);
  o.n_ctx = so.n_ctx;
  o.n_batch = so.n_batch;
  o.n_threads = so.n_threads;
  o.kv_type = so.kv_type;
  o.max_chunks = c.chunks;
  o.add_bos = add_bos;
  timer.reset();
  std::fprintf(
      stderr, "perplexity: %lld chunks of n_ctx=%lld, scoring the second half of each\n",
      static_cast<long long>(std::min<int64_t>(c.chunks >= 0 ? c.chunks : INT64_MAX,
                                               static_cast<int64_t>(tokens.size()) / o.n_ctx)),
      static_cast<long long>(o.n_ctx));
  infer::PerplexityResult r =
      infer::perplexity(model, tokens, o, [&](int64_t i, int64_t n, double ppl) {
        std::fprintf(stderr, "[%lld]%.4f,", static_cast<long long>(i + 1), ppl);
        if (i == 0) {
          std::fprintf(stderr, " (%.2f s per chunk, ETA %.1f s) ", timer.seconds(),
                       timer.seconds() * (n - 1));
        }
        std::fflush(stderr);
      });
  std::fprintf(stderr, "\n");
  std::fprintf(stderr, "perplexity: %lld tokens scored in %.2f s (%.1f tokens/s evaluated)\n",
               static_cast<long long>(r.n_scored), timer.seconds(),
               r.n_chunks * o.n_ctx / timer.seconds());
  std::printf("Final estimate: PPL = %.4f +/- %.5f\n", r.ppl, r.ppl_error);
}

void register_perplexity(CLI::App& app) {
  auto c = std::make_shared<PerplexityCommand>();
  CLI::App* cmd = app.add_subcommand("perplexity",
                                     "perplexity of a text file, with llama-perplexity's protocol");
  add_model_args(*cmd, c->model);
  cmd->add_option("-f,--file", c->file, "text file")->required();
  cmd->add_option("--chunks", c->chunks, "score at most this many chunks (-1: all)");
  cmd->add_flag("--no-bos", c->no_bos, "do not put BOS first in each chunk");
  cmd->callback([c] { run_perplexity(*c); });
}

}  // namespace

LLMKIT_REGISTER_COMMAND(640, register_perplexity)

}  // namespace llmkit::cli
