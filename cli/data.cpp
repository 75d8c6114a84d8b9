// `llmkit data prepare`: tokenizes text files into binary token shards with a train/validation
// split and a manifest (see llmkit/train/token_shards.h), then prints a summary on stdout.
#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "llmkit/base/context.h"
#include "llmkit/train/token_shards.h"

namespace llmkit::cli {
namespace {

struct DataPrepareOptions {
  train::PrepareOptions prepare;
  int threads = 2;
  bool quiet = false;
};

void print_split(const char* name, const train::SplitInfo& s) {
  std::printf("  %-5s %8lld documents  %12lld tokens  %4zu shard(s)\n", name,
              static_cast<long long>(s.documents), static_cast<long long>(s.tokens),
              s.shards.size());
}

void run_prepare(DataPrepareOptions o) {
  o.prepare.progress = !o.quiet;
  Context ctx(o.threads);
  Context::Scope scope(ctx);
  train::PrepareSummary r = train::prepare_data(o.prepare);
  const train::ShardManifest& m = r.manifest;
  std::printf("prepared %lld documents (%.2f MB of text) into '%s' in %.1f s\n",
              static_cast<long long>(m.total_documents()), static_cast<double>(r.bytes) / 1e6,
              o.prepare.out.c_str(), r.seconds);
  print_split("train", m.train);
  print_split("val", m.val);
  std::printf(
      "  total %8lld documents  %12lld tokens (%s, vocabulary %lld, BOS %d before each "
      "document)\n",
      static_cast<long long>(m.total_documents()), static_cast<long long>(m.total_tokens()),
      train::token_width_name(m.width), static_cast<long long>(m.n_vocab), m.bos_id);
  if (m.skipped_documents > 0) {
    std::printf("  skipped %lld file(s) without text\n",
                static_cast<long long>(m.skipped_documents));
  }
}

void register_data(CLI::App& app) {
  auto* data = app.add_subcommand("data", "Prepare training data (token shards)");
  data->require_subcommand(1);

  auto opts = std::make_shared<DataPrepareOptions>();
  auto* prep = data->add_subcommand(
      "prepare", "Tokenize .txt files into train/validation token shards with a manifest");
  prep->add_option("--input", opts->prepare.inputs,
                   "text files or directories (searched recursively for *.txt); each file is one "
                   "document")
      ->required()
      ->expected(1, -1);
  prep->add_option("--tokenizer", opts->prepare.tokenizer, "SentencePiece tokenizer model")
      ->required();
  prep->add_option("--out", opts->prepare.out, "output folder for the shards and manifest.json")
      ->required();
  prep->add_option("--val-fraction", opts->prepare.val_fraction,
                   "expected fraction of documents held out for validation")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  prep->add_option("--seed", opts->prepare.seed, "seed of the document split")
      ->capture_default_str();
  prep->add_option("--shard-tokens", opts->prepare.shard_tokens, "tokens per shard file at most")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  prep->add_option("--threads", opts->threads, "tokenizer threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  prep->add_flag("--quiet", opts->quiet, "no progress bar");
  prep->callback([opts] { run_prepare(*opts); });
}

}  // namespace

LLMKIT_REGISTER_COMMAND(300, register_data)

}  // namespace llmkit::cli
