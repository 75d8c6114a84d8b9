// `llmkit make-qa --corpus DIR --out DIR [--sources-per-question K --seed S]`: questions with
// answer spans generated from a plain-text corpus (llmkit/rag/qa_generator.h), split by document,
// and the training data made from them. Writes, each file atomically:
//   qa_dev.jsonl       QA lines {"id","question","answer","source","begin","end","passage",
//   qa_heldout.jsonl     "kind","answer_begin"} (begin/end: the gold sentence's bytes in source)
//   pairs.jsonl        {"query","passage"}: question and its gold context (dev documents only)
//   sft.jsonl          {"messages":[{"role":"user",...},{"role":"assistant",...}],"id","gold"}:
//                      reading comprehension from dev documents (rag/qa_prompt.h); K numbered
//                      passages, the gold context at a random position among distractors from
//                      other documents, answer "span [n]"; about --no-answer-fraction of them
//                      lack the gold passage and answer "The sources do not say." (gold 0)
//   sft_heldout.jsonl  the same from held-out documents, for evaluation only
// Deterministic for a given corpus and options.
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "llmkit/base/atomic_file.h"
#include "llmkit/base/error.h"
#include "llmkit/rag/qa_generator.h"
#include "llmkit/rag/qa_prompt.h"

namespace llmkit::cli {
namespace {
namespace fs = std::filesystem;
using json = nlohmann::json;

struct MakeQaCommand {
  std::string corpus;
  std::string out;
  int sources = 3;
  double no_answer_fraction = 0.2;
  rag::QaGeneratorOptions options = short_questions();

  static rag::QaGeneratorOptions short_questions() {
    rag::QaGeneratorOptions o;
    o.max_question_words = 12;
    return o;
  }
};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The passages of one split's documents, for drawing distractors.
struct PassagePool {
  std::vector<const rag::QaDocument*> docs;
  std::vector<std::vector<rag::ByteRange>> passages;  // per doc
};

PassagePool make_pool(const rag::QaSet& set, bool heldout, size_t target_bytes) {
  PassagePool pool;
  for (const rag::QaDocument& d : set.documents) {
    if (d.heldout != heldout) continue;
    auto p = rag::passages(rag::split_sentences(d.text), target_bytes);
    if (p.empty()) continue;
    pool.docs.push_back(&d);
    pool.passages.push_back(std::move(p));
  }
  return pool;
}

std::string text_of(const rag::QaDocument& d, rag::ByteRange r) {
  return d.text.substr(r.begin, r.end - r.begin);
}

// A distractor passage from a document other than `source` that does not mention the answer.
std::string draw_distractor(const PassagePool& pool, const std::string& source,
                            const std::string& answer, std::mt19937_64& rng) {
  LLMKIT_CHECK(pool.docs.size() >= 2, "make-qa: a split needs at least two documents with text ",
               "for distractor passages; add documents to the corpus");
  const std::string a = lower(answer);
  for (int attempt = 0;; ++attempt) {
    size_t d = rng() % pool.docs.size();
    if (pool.docs[d]->source == source) continue;
    const auto& ps = pool.passages[d];
    std::string t = text_of(*pool.docs[d], ps[rng() % ps.size()]);
    if (attempt < 50 && lower(t).find(a) != std::string::npos) continue;
    return t;
  }
}

std::vector<json> make_sft(const std::vector<rag::QaItem>& items, const rag::QaSet& set,
                           const PassagePool& pool, const MakeQaCommand& c, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::map<std::string, const rag::QaDocument*> by_source;
  for (const rag::QaDocument& d : set.documents) by_source[d.source] = &d;
  const uint64_t no_answer_below =
      static_cast<uint64_t>(c.no_answer_fraction * 18446744073709551616.0);
  std::vector<json> out;
  for (const rag::QaItem& item : items) {
    const bool answerable = c.no_answer_fraction <= 0 || rng() >= no_answer_below;
    std::vector<rag::QaSource> sources;
    const int k = c.sources;
    const int gold = answerable ? 1 + static_cast<int>(rng() % static_cast<uint64_t>(k)) : 0;
    for (int i = 1; i <= k; ++i) {
      if (i == gold) {
        sources.push_back({text_of(*by_source.at(item.source), item.context)});
      } else {
        sources.push_back({draw_distractor(pool, item.source, item.answer, rng)});
      }
    }
    json messages = json::array();
    messages.push_back(
        {{"role", "user"}, {"content", rag::qa_user_message(item.question, sources)}});
    messages.push_back(
        {{"role", "assistant"},
         {"content", gold > 0 ? rag::qa_answer(item.answer, gold) : std::string(rag::kNoAnswer)}});
    out.push_back({{"messages", messages}, {"id", item.id}, {"gold", gold}});
  }
  return out;
}

void write_jsonl(const std::string& path, const std::vector<json>& lines) {
  write_file_atomic(path, [&](FileSink& sink) {
    for (const json& j : lines) {
      const std::string s = j.dump() + "\n";
      sink.write(s.data(), s.size());
    }
  });
}

std::vector<json> qa_lines(const std::vector<rag::QaItem>& items) {
  std::vector<json> out;
  for (const rag::QaItem& item : items) out.push_back(rag::to_json(item));
  return out;
}

void run_make_qa(const MakeQaCommand& c) {
  LLMKIT_CHECK(c.sources >= 1, "make-qa: --sources-per-question must be at least 1");
  LLMKIT_CHECK(c.no_answer_fraction >= 0 && c.no_answer_fraction < 1,
               "make-qa: --no-answer-fraction must be in [0, 1)");
  LLMKIT_CHECK_CODE(fs::is_directory(c.corpus), ErrorCode::kNotFound, "make-qa: corpus folder '",
                    c.corpus, "' does not exist");
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(c.corpus)) {
    if (e.is_regular_file() && e.path().extension() == ".txt") files.push_back(e.path().string());
  }
  LLMKIT_CHECK_CODE(!files.empty(), ErrorCode::kNotFound, "make-qa: no .txt files in '", c.corpus,
                    "'");
  const rag::QaSet set = rag::generate_qa(files, c.options);
  LLMKIT_CHECK(!set.dev.empty() && !set.heldout.empty(), "make-qa: the dev or held-out split of '",
               c.corpus, "' has no questions (", set.dev.size(), " / ", set.heldout.size(),
               "); use more documents or another --heldout-fraction");
  fs::create_directories(c.out);
  write_jsonl(c.out + "/qa_dev.jsonl", qa_lines(set.dev));
  write_jsonl(c.out + "/qa_heldout.jsonl", qa_lines(set.heldout));
  std::map<std::string, const rag::QaDocument*> by_source;
  for (const rag::QaDocument& d : set.documents) by_source[d.source] = &d;
  std::vector<json> pairs;
  for (const rag::QaItem& item : set.dev) {
    pairs.push_back(
        {{"query", item.question}, {"passage", text_of(*by_source.at(item.source), item.context)}});
  }
  write_jsonl(c.out + "/pairs.jsonl", pairs);
  const size_t bytes = c.options.context_bytes;
  write_jsonl(c.out + "/sft.jsonl",
              make_sft(set.dev, set, make_pool(set, false, bytes), c, c.options.seed));
  write_jsonl(c.out + "/sft_heldout.jsonl",
              make_sft(set.heldout, set, make_pool(set, true, bytes), c, c.options.seed + 1));

  size_t heldout_docs = 0;
  std::map<std::string, int> kinds;
  for (const rag::QaDocument& d : set.documents) heldout_docs += d.heldout;
  for (const auto* list : {&set.dev, &set.heldout}) {
    for (const rag::QaItem& item : *list) ++kinds[item.kind];
  }
  std::string kind_text;
  for (const auto& [k, n] : kinds) kind_text += " " + k + " " + std::to_string(n);
  std::printf("make-qa: %zu documents (%zu held out): %zu dev / %zu held-out questions;%s\n",
              set.documents.size(), heldout_docs, set.dev.size(), set.heldout.size(),
              kind_text.c_str());
  std::printf("wrote qa_dev.jsonl qa_heldout.jsonl pairs.jsonl sft.jsonl sft_heldout.jsonl to %s\n",
              c.out.c_str());
}

void register_make_qa(CLI::App& app) {
  auto c = std::make_shared<MakeQaCommand>();
  auto* cmd = app.add_subcommand(
      "make-qa", "Generate questions with answer spans from a corpus, and QA / SFT training data");
  cmd->add_option("--corpus", c->corpus, "folder of .txt documents")->required();
  cmd->add_option("--out", c->out, "output folder")->required();
  cmd->add_option("--sources-per-question", c->sources, "numbered passages per SFT prompt")
      ->capture_default_str();
  cmd->add_option("--seed", c->options.seed, "seed of the split and the choices")
      ->capture_default_str();
  cmd->add_option("--max-per-document", c->options.max_per_document, "questions per document")
      ->capture_default_str();
  cmd->add_option("--question-words", c->options.max_question_words,
                  "words of the sentence a question keeps around its wh-phrase (0: all)");
  cmd->add_option("--heldout-fraction", c->options.heldout_fraction, "share of documents held out")
      ->capture_default_str();
  cmd->add_option("--passage-bytes", c->options.context_bytes, "target size of a passage")
      ->capture_default_str();
  cmd->add_option("--no-answer-fraction", c->no_answer_fraction,
                  "share of SFT prompts without the gold passage")
      ->capture_default_str();
  cmd->callback([c] { run_make_qa(*c); });
}

}  // namespace

LLMKIT_REGISTER_COMMAND(700, register_make_qa)

}  // namespace llmkit::cli
