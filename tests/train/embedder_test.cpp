// Contrastive embedder training: the InfoNCE loss against a double-precision reference and
// finite differences, the pairs file and batch sampler, a small training run on State of the
// Union passages whose trained encoder retrieves held-out passages better than the untrained one,
// exact resume, and the GGUF export with its tokenizer read back.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "llmkit/autograd/functions.h"
#include "llmkit/autograd/gradcheck.h"
#include "llmkit/autograd/node.h"
#include "llmkit/base/atomic_file.h"
#include "llmkit/infer/bert_encoder.h"
#include "llmkit/io/gguf.h"
#include "llmkit/tokenizer/gguf_vocab.h"
#include "llmkit/tokenizer/trainer.h"
#include "llmkit/train/contrastive_loss.h"
#include "llmkit/train/embedder_trainer.h"
#include "tests/support/expect_error.h"
#include "tests/train/data_test_util.h"

namespace llmkit::train {
namespace {

using testing::TempDir;

// loss from the definition in contrastive_loss.h, in double.
double reference_loss(const std::vector<float>& q, const std::vector<float>& p, int64_t n,
                      int64_t c, double tau, bool symmetric) {
  std::vector<double> s(static_cast<size_t>(n * n));
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double d = 0.0;
      for (int64_t k = 0; k < c; ++k) d += static_cast<double>(q[i * c + k]) * p[j * c + k];
      s[i * n + j] = d / tau;
    }
  }
  double q2p = 0.0, p2q = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    double row = 0.0, col = 0.0;
    for (int64_t j = 0; j < n; ++j) {
      row += std::exp(s[i * n + j]);
      col += std::exp(s[j * n + i]);
    }
    q2p += std::log(row) - s[i * n + i];
    p2q += std::log(col) - s[i * n + i];
  }
  return symmetric ? (q2p + p2q) / (2.0 * n) : q2p / n;
}

TEST(ContrastiveLoss, MatchesDoubleReference) {
  Generator gen(5);
  const Tensor q = randn({6, 5}, gen), p = randn({6, 5}, gen);
  for (bool symmetric : {true, false}) {
    const double want = reference_loss(q.to_vector(), p.to_vector(), 6, 5, 0.3, symmetric);
    EXPECT_NEAR(contrastive_loss(q, p, 0.3f, symmetric).item(), want, 1e-5 * std::abs(want))
        << "symmetric " << symmetric;
  }
  // Perfectly separated pairs at a low temperature: loss -> 0.
  const Tensor eye = from_vector({1, 0, 0, 0, 1, 0, 0, 0, 1}, {3, 3});
  EXPECT_LT(contrastive_loss(eye, eye, 0.01f).item(), 1e-6);
  test::expect_error([&] { contrastive_loss(q, slice(p, 0, 0, 5), 0.1f); },
                     ErrorCode::kInvalidArgument, {"[N, C]"});
  test::expect_error([&] { contrastive_loss(q, p, 0.0f); }, ErrorCode::kInvalidArgument,
                     {"temperature"});
}

TEST(ContrastiveLoss, GradientMatchesFiniteDifferences) {
  Generator gen(9);
  const Tensor q = randn({5, 4}, gen), p = randn({5, 4}, gen);
  for (bool symmetric : {true, false}) {
    // The training composite: normalise, then InfoNCE at temperature 0.5.
    autograd::TensorFn f = [symmetric](const std::vector<Tensor>& in) {
      return contrastive_loss(models::l2_normalize(in[0]), models::l2_normalize(in[1]), 0.5f,
                              symmetric);
    };
    autograd::GradcheckOptions o;
    o.eps = 1e-3f;
    const autograd::GradcheckResult r = autograd::gradcheck(f, {q, p}, o);
    EXPECT_TRUE(r.ok) << r.message;
    EXPECT_LT(r.max_abs_error, 2e-3);
  }
}

TEST(TextPairs, LoadsJsonlAndNamesBadLines) {
  TempDir dir;
  testing::write_text(dir.file("pairs.jsonl"),
                      "{\"query\": \"q1\", \"passage\": \"p1\", \"id\": 3}\n\n"
                      "{\"query\": \"caf\\u00e9?\", \"passage\": \"line\\nbreak\"}\n");
  const std::vector<TextPair> pairs = load_pairs(dir.file("pairs.jsonl"));
  ASSERT_EQ(pairs.size(), 2u);
  EXPECT_EQ(pairs[1].query, "caf\xc3\xa9?");
  EXPECT_EQ(pairs[1].passage, "line\nbreak");
  testing::write_text(dir.file("bad.jsonl"),
                      "{\"query\": \"q\", \"passage\": \"p\"}\n{\"query\": 1}\n");
  test::expect_error([&] { load_pairs(dir.file("bad.jsonl")); }, ErrorCode::kCorruptData,
                     {"bad.jsonl:2", "passage"});
  test::expect_error([&] { load_pairs(dir.file("none.jsonl")); }, ErrorCode::kNotFound,
                     {"none.jsonl"});
}

TEST(TextPairs, BatchesHaveDistinctPassagesAndDependOnlyOnSeedAndStep) {
  std::vector<TokenizedPair> pairs;
  for (uint64_t i = 0; i < 40; ++i) pairs.push_back({{1}, {2}, i % 10});  // 10 distinct passages
  std::set<std::vector<size_t>> distinct_batches;
  for (int64_t step = 0; step < 20; ++step) {
    const std::vector<size_t> b = sample_batch(pairs, 8, 3, step);
    ASSERT_EQ(b.size(), 8u);
    std::set<uint64_t> keys;
    for (size_t i : b) keys.insert(pairs[i].passage_key);
    EXPECT_EQ(keys.size(), 8u) << "a passage repeats in batch " << step;
    EXPECT_EQ(b, sample_batch(pairs, 8, 3, step));
    distinct_batches.insert(b);
  }
  EXPECT_GT(distinct_batches.size(), 15u);
  EXPECT_EQ(sample_batch(pairs, 16, 3, 0).size(), 10u);  // only 10 distinct passages exist
}

// A tokenizer trained on the corpus, and (sentence -> its 3-sentence passage) pairs: the first
// documents train, the last ones are held out.
class EmbedderTraining : public ::testing::Test {
 protected:
  static constexpr int kTrainDocs = 36, kHeldOutDocs = 4;
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const std::string corpus = std::string(LLMKIT_SOURCE_DIR) + "/data/corpora/sotu/";
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(corpus)) {
      files.push_back(e.path().string());
    }
    std::sort(files.begin(), files.end());
    const std::vector<std::string> train(files.begin(), files.begin() + kTrainDocs),
        held_out(files.begin() + kTrainDocs, files.begin() + kTrainDocs + kHeldOutDocs);
    tokenizer::TokenizerTrainOptions o;
    o.inputs = train;
    o.vocab_size = 800;
    o.num_threads = 1;
    tok_path_ = dir_->file("tok.model");
    tokenizer::train_sentencepiece(o, tok_path_);
    std::string jsonl;
    for (const std::string& f : train) {
      for (const TextPair& p : pairs_of(f)) {
        jsonl += "{\"query\": " + nlohmann::json(p.query).dump() +
                 ", \"passage\": " + nlohmann::json(p.passage).dump() + "}\n";
      }
    }
    testing::write_text(dir_->file("pairs.jsonl"), jsonl);
    held_out_ = new std::vector<TextPair>();
    for (const std::string& f : held_out) {
      for (const TextPair& p : pairs_of(f)) held_out_->push_back(p);
    }
  }
  static void TearDownTestSuite() {
    delete held_out_;
    delete dir_;
  }

  // Lines are sentences; passages are consecutive groups of 3; each of the 3 sentences, cut to
  // its first 12 words, is a query for its passage.
  static std::vector<TextPair> pairs_of(const std::string& path) {
    std::istringstream in(read_file(path));
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) lines.push_back(line);
    }
    std::vector<TextPair> out;
    for (size_t g = 0; g + 3 <= lines.size(); g += 3) {
      const std::string passage = lines[g] + " " + lines[g + 1] + " " + lines[g + 2];
      for (size_t k = 0; k < 3; ++k) {
        std::istringstream words(lines[g + k]);
        std::string query, w;
        for (int n = 0; n < 12 && words >> w; ++n) query += (n ? " " : "") + w;
        out.push_back({query, passage});
      }
    }
    return out;
  }

  static models::BertConfig small_config() {
    models::BertConfig c;
    c.n_ctx = 96;
    c.n_embd = 64;
    c.n_head = 4;
    c.n_ff = 128;
    c.n_layer = 2;
    return c;
  }

  static EmbedderTrainOptions small_options() {
    EmbedderTrainOptions o;
    o.steps = 120;
    o.batch = 16;
    o.lr = 1e-3f;
    o.warmup = 10;
    o.holdout = 0.0;
    o.max_query_tokens = 32;
    o.save_every = 0;
    o.threads = 1;
    o.progress = false;
    return o;
  }

  // Recall@1 and MRR of model on the held-out pairs, computed here from the embeddings: each
  // query ranks every distinct held-out passage.
  static std::pair<double, double> held_out_scores(const models::BertModel& model,
                                                   const tokenizer::Tokenizer& tok) {
    autograd::NoGradGuard no_grad;
    std::vector<std::vector<int32_t>> q, p;
    std::map<std::string, size_t> passage_index;
    std::vector<size_t> gold;
    for (const TextPair& pair : *held_out_) {
      q.push_back(encode_for_embedding(tok, pair.query, 32));
      auto [it, fresh] = passage_index.emplace(pair.passage, p.size());
      if (fresh) p.push_back(encode_for_embedding(tok, pair.passage, model.config().n_ctx));
      gold.push_back(it->second);
    }
    const Tensor eq = model.embed(q), ep = model.embed(p);  // unit rows
    const std::vector<float> sim = matmul(eq, transpose(ep, 0, 1)).to_vector();
    const size_t n = q.size(), m = p.size();
    double r1 = 0.0, mrr = 0.0;
    for (size_t i = 0; i < n; ++i) {
      size_t rank = 1;
      for (size_t j = 0; j < m; ++j) rank += j != gold[i] && sim[i * m + j] >= sim[i * m + gold[i]];
      r1 += rank == 1;
      mrr += 1.0 / static_cast<double>(rank);
    }
    return {r1 / n, mrr / n};
  }

  static TempDir* dir_;
  static std::string tok_path_;
  static std::vector<TextPair>* held_out_;
};
TempDir* EmbedderTraining::dir_ = nullptr;
std::string EmbedderTraining::tok_path_;
std::vector<TextPair>* EmbedderTraining::held_out_ = nullptr;

TEST_F(EmbedderTraining, TrainedEncoderRanksHeldOutPassagesBetter) {
  const std::string out = dir_->file("run");
  EmbedderTrainer trainer(small_config(), tok_path_, load_pairs(dir_->file("pairs.jsonl")), out,
                          small_options());
  const auto tok = tokenizer::SentencePieceTokenizer::load(tok_path_);
  models::BertConfig c = small_config();
  c.n_vocab = tok.n_vocab();
  const models::BertModel untrained(c, small_options().seed);  // the trainer's starting point
  const auto [r1_before, mrr_before] = held_out_scores(untrained, tok);
  const EmbedderTrainSummary s = trainer.run();
  const auto [r1_after, mrr_after] = held_out_scores(trainer.model(), tok);
  std::printf("held-out (%zu pairs): recall@1 %.3f -> %.3f, MRR %.3f -> %.3f; loss %.3f, %.1f s\n",
              held_out_->size(), r1_before, r1_after, mrr_before, mrr_after, s.final_loss,
              s.seconds);
  EXPECT_EQ(s.steps_done, 120);
  EXPECT_FALSE(s.interrupted);
  EXPECT_GT(mrr_after, mrr_before + 0.07);
  EXPECT_GT(r1_after, r1_before + 0.08);
  // The loss fell well below its start, log(16) ~ 2.77 for uninformative embeddings.
  EXPECT_LT(s.final_loss, 2.0);

  // The GGUF: bert keys, the training tokenizer, the same embeddings.
  io::GgufFile file(s.gguf_path);
  EXPECT_EQ(file.get_string("general.architecture"), "bert");
  EXPECT_EQ(file.get_string("tokenizer.ggml.model"), "llama");
  const auto gguf_tok = tokenizer::tokenizer_from_gguf(file);
  for (const TextPair& p : *held_out_) {
    EXPECT_EQ(gguf_tok->encode(p.passage, true, false), tok.encode(p.passage, true, false));
  }
  auto reread = models::load_bert_from_gguf(file);
  const Tensor ids = from_ints(
      encode_for_embedding(tok, held_out_->front().passage, 96),
      {1, static_cast<int64_t>(encode_for_embedding(tok, held_out_->front().passage, 96).size())});
  EXPECT_EQ(reread->pooled(ids).to_vector(), trainer.model().pooled(ids).to_vector());
}

TEST_F(EmbedderTraining, ResumeContinuesExactly) {
  EmbedderTrainOptions o = small_options();
  o.steps = 6;
  o.holdout = 0.1;
  const std::vector<TextPair> pairs = load_pairs(dir_->file("pairs.jsonl"));
  const std::string straight = dir_->file("straight"), resumed = dir_->file("resumed");
  EmbedderTrainer a(small_config(), tok_path_, pairs, straight, o);
  a.run();
  {
    EmbedderTrainOptions first = o;
    first.stop_after = 3;
    EmbedderTrainer b(small_config(), tok_path_, pairs, resumed, first);
    const EmbedderTrainSummary s = b.run();
    EXPECT_TRUE(s.interrupted);
    EXPECT_EQ(s.steps_done, 3);
    EXPECT_TRUE(s.gguf_path.empty());
  }
  test::expect_error([&] { EmbedderTrainer(small_config(), tok_path_, pairs, resumed, o); },
                     ErrorCode::kInvalidArgument, {"--resume"});
  EmbedderTrainOptions again = o;
  again.resume = true;
  EmbedderTrainer c(small_config(), tok_path_, pairs, resumed, again);
  EXPECT_EQ(c.run().steps_done, 6);
  EXPECT_EQ(read_file(straight + "/metrics.jsonl"), read_file(resumed + "/metrics.jsonl"));
  const auto wa = a.model().named_parameters(), wc = c.model().named_parameters();
  for (size_t i = 0; i < wa.size(); ++i) {
    EXPECT_EQ(wa[i].second.to_vector(), wc[i].second.to_vector()) << wa[i].first;
  }
}

// The training graph and the inference engine agree on the exported file: infer::BertEncoder
// reading embedder.gguf (ids from the GGUF's tokenizer) gives the vectors BertModel::embed gives
// on the ids the trainer uses.
TEST_F(EmbedderTraining, ExportedGgufEmbedsAsTheTrainingGraph) {
  const auto tok = tokenizer::SentencePieceTokenizer::load(tok_path_);
  models::BertConfig c = small_config();
  c.n_vocab = tok.n_vocab();
  const models::BertModel model(c, 7);
  const std::string path = dir_->file("agreement.gguf");
  write_embedder_gguf(model, tok, path);
  const auto encoder = infer::BertEncoder::load(path);
  std::vector<std::string> texts;
  for (size_t i = 0; i < held_out_->size() && texts.size() < 6; i += 7) {
    texts.push_back((*held_out_)[i].query);
    texts.push_back((*held_out_)[i].passage);
  }
  std::vector<std::vector<int32_t>> ids;
  for (const auto& t : texts) {
    ids.push_back(encode_for_embedding(tok, t, c.n_ctx));
    EXPECT_EQ(encoder->tokenize(t), ids.back()) << t;
  }
  autograd::NoGradGuard no_grad;
  const std::vector<float> expected = model.embed(ids).to_vector();
  const auto got = encoder->embed(texts);
  ASSERT_EQ(got.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    for (int64_t j = 0; j < c.n_embd; ++j) {
      EXPECT_NEAR(got[i][static_cast<size_t>(j)], expected[i * c.n_embd + j], 1e-5)
          << "text " << i << " dim " << j;
    }
  }
}

}  // namespace
}  // namespace llmkit::train
