// `llmkit rag eval --db DIR --qa FILE.jsonl [--limit N] [--modes dense,bm25,hybrid]
//  [-m MODEL [-k N] [--answer-mode M] [--no-closed-book] [-n N]] [--report F.json] [-t N]`
//
// QA lines (as `llmkit make-qa` writes them): {"id", "question", "answer", "source", "begin",
// "end", ...} with [begin, end) the byte range of the gold passage in the source file.
//
// Retrieval: a retrieved chunk is relevant when it comes from the gold source (same file) and
// overlaps at least half of the shorter of the gold range and the chunk. Per mode: recall@1/5/10
// (a relevant chunk among the first k), MRR@10, and the latency of one retrieval (p50, p99,
// queries/s, one query at a time).
// Answers (with -m): the QA chain (k sources, --answer-mode) answers each question; SQuAD exact
// match and F1 against the gold answer (an abstention scores 0), citation accuracy (answers whose
// first citation is a relevant source, among answers citing something), abstentions, end-to-end
// latency; and the same model closed-book (the same prompt with no sources).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/model_args.h"
#include "cli/rag_eval.h"
#include "cli/rag_index_config.h"
#include "llmkit/base/atomic_file.h"
#include "llmkit/base/error.h"
#include "llmkit/base/progress_bar.h"
#include "llmkit/base/timer.h"
#include "llmkit/chain/local_chat_model.h"
#include "llmkit/rag/qa_chain.h"
#include "llmkit/rag/qa_metrics.h"
#include "llmkit/rag/qa_prompt.h"

namespace llmkit::cli {
namespace {
namespace fs = std::filesystem;
using json = nlohmann::json;

struct EvalCommand {
  ModelArgs model;
  std::string db, qa, report, modes = "dense,bm25,hybrid", answer_mode, chat_template;
  size_t limit = 0;
  size_t k = 3;
  size_t source_bytes = 600;
  double dense_weight = kDefaultDenseWeight;
  bool closed_book = true;
  int64_t max_tokens = 48;
  int threads = 0;
};

struct QaItem {
  std::string id, question, answer, source;
  size_t begin = 0, end = 0;
};

std::vector<QaItem> read_qa(const std::string& path, size_t limit) {
  std::ifstream in(path);
  LLMKIT_CHECK_CODE(in.good(), ErrorCode::kNotFound, "rag eval: cannot read --qa '", path,
                    "'; make one with `llmkit make-qa`");
  std::vector<QaItem> items;
  std::string line;
  size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      const json j = json::parse(line);
      QaItem q;
      q.id = j.contains("id") ? (j["id"].is_string() ? j["id"].get<std::string>() : j["id"].dump())
                              : std::to_string(line_no);
      q.question = j.at("question").get<std::string>();
      q.answer = j.at("answer").get<std::string>();
      q.source = j.at("source").get<std::string>();
      q.begin = j.at("begin").get<size_t>();
      q.end = j.at("end").get<size_t>();
      items.push_back(std::move(q));
    } catch (const json::exception& e) {
      throw_error(ErrorCode::kInvalidArgument,
                  str_cat("rag eval: ", path, ":", line_no, ": not a QA line (", e.what(),
                          "); each line needs question, answer, source, begin and end"));
    }
    if (limit > 0 && items.size() >= limit) break;
  }
  LLMKIT_CHECK_CODE(!items.empty(), ErrorCode::kInvalidArgument, "rag eval: '", path,
                    "' holds no questions");
  return items;
}

class SameFile {
 public:
  bool operator()(const std::string& a, const std::string& b) {
    return a == b || canonical(a) == canonical(b);
  }

 private:
  const std::string& canonical(const std::string& p) {
    auto it = cache_.find(p);
    if (it != cache_.end()) return it->second;
    std::error_code ec;
    std::string c = fs::weakly_canonical(p, ec).string();
    if (ec) c = p;
    return cache_.emplace(p, c).first->second;
  }
  std::map<std::string, std::string> cache_;
};

bool relevant(const rag::SearchHit& hit, const QaItem& q, SameFile& same) {
  if (!same(hit.chunk.source, q.source)) return false;
  const size_t lo = std::max(hit.chunk.begin, q.begin);
  const size_t hi = std::min(hit.chunk.end, q.end);
  if (hi <= lo) return false;
  const size_t shorter = std::min(hit.chunk.end - hit.chunk.begin, q.end - q.begin);
  return 2 * (hi - lo) >= shorter;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  return v[i];
}

std::vector<std::string> split_modes(const std::string& modes) {
  std::vector<std::string> out;
  std::stringstream ss(modes);
  std::string m;
  while (std::getline(ss, m, ',')) {
    if (!m.empty()) out.push_back(m);
  }
  return out;
}

json eval_retrieval(const OpenedIndex& index, const std::vector<QaItem>& items,
                    const std::string& mode, double dense_weight) {
  const rag::RetrieverPtr retriever = make_retriever(index, mode, 10, {}, dense_weight);
  SameFile same;
  double r1 = 0, r5 = 0, r10 = 0, mrr = 0;
  std::vector<double> ms;
  ProgressBar bar("retrieve " + mode, static_cast<int64_t>(items.size()), "q");
  for (size_t i = 0; i < items.size(); ++i) {
    Timer t;
    const std::vector<rag::SearchHit> hits = retriever->invoke(items[i].question);
    ms.push_back(t.seconds() * 1e3);
    for (size_t r = 0; r < hits.size() && r < 10; ++r) {
      if (!relevant(hits[r], items[i], same)) continue;
      if (r < 1) r1 += 1;
      if (r < 5) r5 += 1;
      r10 += 1;
      mrr += 1.0 / static_cast<double>(r + 1);
      break;
    }
    bar.update(static_cast<int64_t>(i + 1));
  }
  bar.finish();
  const double n = static_cast<double>(items.size());
  const double total_s = std::accumulate(ms.begin(), ms.end(), 0.0) / 1e3;
  return {{"mode", mode},
          {"recall@1", r1 / n},
          {"recall@5", r5 / n},
          {"recall@10", r10 / n},
          {"mrr@10", mrr / n},
          {"latency_ms_p50", percentile(ms, 0.5)},
          {"latency_ms_p99", percentile(ms, 0.99)},
          {"queries_per_s", total_s > 0 ? n / total_s : 0.0}};
}

json eval_answers(const OpenedIndex& index, const std::vector<QaItem>& items, const EvalCommand& c,
                  json& answers) {
  const chain::ChatModelPtr model = make_answer_model(c.model, c.chat_template, c.max_tokens, 0.0f);
  rag::QaOptions qa;
  qa.k = static_cast<int>(c.k);
  qa.max_source_bytes = c.source_bytes;
  const rag::QaChain chain(make_retriever(index, c.answer_mode, c.k, {}, c.dense_weight), model,
                           qa);

  SameFile same;
  double em = 0, f1 = 0, abstained = 0, citing = 0, cited_right = 0;
  double cb_em = 0, cb_f1 = 0, cb_abstained = 0;
  std::vector<double> ms;
  ProgressBar bar("answer", static_cast<int64_t>(items.size()), "q");
  for (size_t i = 0; i < items.size(); ++i) {
    const QaItem& q = items[i];
    Timer t;
    const rag::QaResult r = chain.invoke(rag::QaRequest{q.question, {}});
    ms.push_back(t.seconds() * 1e3);
    const double e = r.abstained ? 0.0 : rag::exact_match(r.answer, q.answer);
    const double f = r.abstained ? 0.0 : rag::token_f1(r.answer, q.answer);
    em += e;
    f1 += f;
    abstained += r.abstained ? 1 : 0;
    bool right = false;
    if (!r.citations.empty()) {
      citing += 1;
      right = relevant(r.sources[static_cast<size_t>(r.citations.front() - 1)], q, same);
      cited_right += right ? 1 : 0;
    }
    json a = {{"id", q.id},
              {"question", q.question},
              {"gold", q.answer},
              {"answer", r.answer},
              {"raw", r.raw_answer},
              {"em", e},
              {"f1", f},
              {"cited_gold", right},
              {"abstained", r.abstained}};
    if (c.closed_book) {
      const std::string raw =
          model->invoke({chain::user_message(rag::qa_user_message(q.question, {}))}).content;
      const rag::ParsedAnswer p = rag::parse_qa_answer(raw);
      const double ce = p.abstained ? 0.0 : rag::exact_match(p.answer, q.answer);
      const double cf = p.abstained ? 0.0 : rag::token_f1(p.answer, q.answer);
      cb_em += ce;
      cb_f1 += cf;
      cb_abstained += p.abstained ? 1 : 0;
      a["closed_book"] = {{"raw", raw}, {"em", ce}, {"f1", cf}};
    }
    answers.push_back(a);
    bar.update(static_cast<int64_t>(i + 1));
  }
  bar.finish();
  const double n = static_cast<double>(items.size());
  json out = {{"mode", resolve_mode(index, c.answer_mode)},
              {"k", c.k},
              {"exact_match", em / n},
              {"f1", f1 / n},
              {"abstained", abstained / n},
              {"citation_accuracy", citing > 0 ? cited_right / citing : 0.0},
              {"latency_ms_p50", percentile(ms, 0.5)},
              {"latency_ms_p99", percentile(ms, 0.99)}};
  if (c.closed_book) {
    out["closed_book"] = {
        {"exact_match", cb_em / n}, {"f1", cb_f1 / n}, {"abstained", cb_abstained / n}};
  }
  return out;
}

void run_eval(const EvalCommand& c) {
  const std::vector<QaItem> items = read_qa(c.qa, c.limit);
  const int threads = c.threads > 0 ? c.threads : resolve_threads(c.model);
  const OpenedIndex index = open_rag_index(c.db, threads);
  json report = {{"qa", c.qa}, {"questions", items.size()}, {"retrieval", json::array()}};
  std::vector<std::string> modes = split_modes(c.modes);
  if (!index.embeddings) {
    std::erase_if(modes, [](const std::string& m) { return m != "bm25"; });
    std::fprintf(stderr, "rag eval: the index is BM25 only; evaluating bm25 alone\n");
  }
  for (const auto& mode : modes)
    report["retrieval"].push_back(eval_retrieval(index, items, mode, c.dense_weight));

  std::printf("retrieval on %zu questions of %s\n", items.size(), c.qa.c_str());
  std::printf("  %-7s %7s %7s %7s %7s %9s %9s %9s\n", "mode", "R@1", "R@5", "R@10", "MRR@10",
              "p50 ms", "p99 ms", "q/s");
  for (const auto& r : report["retrieval"]) {
    std::printf("  %-7s %7.3f %7.3f %7.3f %7.3f %9.2f %9.2f %9.1f\n",
                r["mode"].get<std::string>().c_str(), r["recall@1"].get<double>(),
                r["recall@5"].get<double>(), r["recall@10"].get<double>(),
                r["mrr@10"].get<double>(), r["latency_ms_p50"].get<double>(),
                r["latency_ms_p99"].get<double>(), r["queries_per_s"].get<double>());
  }
  if (!c.model.model.empty()) {
    json answers = json::array();
    const json a = eval_answers(index, items, c, answers);
    report["answers"] = a;
    report["answer_details"] = answers;
    std::printf(
        "answers (%s, k=%zu, %s retrieval): EM %.3f  F1 %.3f  citation accuracy %.3f  "
        "abstained %.3f  p50 %.0f ms  p99 %.0f ms\n",
        c.model.model.c_str(), c.k, a["mode"].get<std::string>().c_str(),
        a["exact_match"].get<double>(), a["f1"].get<double>(), a["citation_accuracy"].get<double>(),
        a["abstained"].get<double>(), a["latency_ms_p50"].get<double>(),
        a["latency_ms_p99"].get<double>());
    if (c.closed_book) {
      const json& cb = a["closed_book"];
      std::printf("closed-book (same model, no sources):   EM %.3f  F1 %.3f  abstained %.3f\n",
                  cb["exact_match"].get<double>(), cb["f1"].get<double>(),
                  cb["abstained"].get<double>());
    }
  }
  if (!c.report.empty()) write_file_atomic(c.report, report.dump(2) + "\n");
}

}  // namespace

void add_rag_eval(CLI::App& rag) {
  auto c = std::make_shared<EvalCommand>();
  CLI::App* cmd = rag.add_subcommand(
      "eval", "Retrieval recall/MRR per mode and, with -m, answer EM/F1 vs closed-book");
  cmd->add_option("--db", c->db, "Index folder")->required();
  cmd->add_option("--qa", c->qa, "QA lines (llmkit make-qa)")->required();
  cmd->add_option("--limit", c->limit, "Only the first N questions (0: all)");
  cmd->add_option("--modes", c->modes, "Retrieval modes to measure, comma-separated");
  add_model_args(*cmd, c->model);
  cmd->get_option("-m")->required(false);
  cmd->add_option("-k", c->k, "Sources given to the model")->check(CLI::PositiveNumber);
  cmd->add_option("--answer-mode", c->answer_mode, "Retrieval mode of the QA chain")
      ->check(CLI::IsMember({"dense", "bm25", "hybrid", "mmr"}));
  cmd->add_option("--dense-weight", c->dense_weight, "Weight of dense hits in hybrid fusion")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--source-bytes", c->source_bytes, "Longest source text given (bytes)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("-n,--max-tokens", c->max_tokens, "Most tokens per answer");
  cmd->add_option("--chat-template", c->chat_template, "Jinja chat template file");
  cmd->add_flag("!--no-closed-book", c->closed_book, "Skip the closed-book comparison");
  cmd->add_option("--report", c->report, "Write every figure and answer as JSON here");
  cmd->callback([c] { run_eval(*c); });
}

}  // namespace llmkit::cli
