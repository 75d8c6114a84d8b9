// Tests of data preparation (prepare_data): token counts, round trip through the shards, the
// deterministic split, shard sizes and widths, and the errors for bad inputs. The expected streams
// are built here from the tokenizer's encode() and the shard files are parsed by hand
// (data_test_util.h).
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>

#include "data_test_util.h"
#include "llmkit/base/atomic_file.h"
#include "llmkit/tokenizer/sentencepiece_tokenizer.h"
#include "llmkit/tokenizer/trainer.h"
#include "llmkit/train/token_shards.h"

namespace llmkit::train {
namespace {

using namespace testing;  // NOLINT: the helpers of data_test_util.h

// A SentencePiece model trained once for the whole program on generated text.
class SentencePieceData : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    std::string lines;
    for (int i = 0; i < 40; ++i) lines += make_document(6, 900 + i) + "\n";
    write_text(dir_->file("train.txt"), lines);
    tokenizer::TokenizerTrainOptions o;
    o.inputs = {dir_->file("train.txt")};
    o.vocab_size = 320;
    o.num_threads = 1;
    model_path_ = dir_->file("tok.model");
    tokenizer::train_sentencepiece(o, model_path_);
    tok_ =
        new tokenizer::SentencePieceTokenizer(tokenizer::SentencePieceTokenizer::load(model_path_));
  }
  static void TearDownTestSuite() {
    delete tok_;
    delete dir_;
  }
  static TempDir* dir_;
  static std::string model_path_;
  static tokenizer::SentencePieceTokenizer* tok_;
};
TempDir* SentencePieceData::dir_ = nullptr;
std::string SentencePieceData::model_path_;
tokenizer::SentencePieceTokenizer* SentencePieceData::tok_ = nullptr;

PrepareOptions options_for(const TempDir& tmp, std::vector<std::string> inputs,
                           double val_fraction = 0.25) {
  PrepareOptions o;
  o.inputs = std::move(inputs);
  o.out = tmp.file("shards");
  o.val_fraction = val_fraction;
  o.progress = false;
  return o;
}

// path -> split, from the manifest.
std::map<std::string, std::string> splits_by_name(const ShardManifest& m) {
  std::map<std::string, std::string> out;
  for (const SourceInfo& s : m.sources) out[fs::path(s.path).filename().string()] = s.split;
  return out;
}

TEST_F(SentencePieceData, ManifestCountsEqualEncodedDocumentsPlusSeparators) {
  TempDir tmp;
  auto docs = write_corpus(tmp.path() / "corpus", 30, 12, 1);
  PrepareOptions o = options_for(tmp, {tmp.file("corpus")});
  o.tokenizer = model_path_;
  PrepareSummary r = prepare_data(o);  // loads the tokenizer from its path
  const ShardManifest& m = r.manifest;

  std::map<std::string, int64_t> expected_tokens;  // per document: encode + 1 BOS
  int64_t total = 0;
  for (const auto& [name, text] : docs) {
    int64_t n = static_cast<int64_t>(tok_->encode(text).size()) + 1;
    expected_tokens[name] = n;
    total += n;
  }
  EXPECT_EQ(m.total_tokens(), total);
  EXPECT_EQ(m.total_documents(), 30);
  EXPECT_EQ(m.skipped_documents, 0);
  EXPECT_EQ(m.n_vocab, tok_->n_vocab());
  EXPECT_EQ(m.bos_id, tok_->bos_id());
  EXPECT_EQ(m.tokenizer_fingerprint, tok_->fingerprint());
  EXPECT_EQ(m.width, TokenWidth::kU16);
  ASSERT_EQ(m.sources.size(), 30u);
  int64_t train_tokens = 0, train_docs = 0;
  for (const SourceInfo& s : m.sources) {
    std::string name = fs::path(s.path).lexically_relative(tmp.path() / "corpus").generic_string();
    ASSERT_TRUE(expected_tokens.count(name)) << s.path;
    EXPECT_EQ(s.tokens, expected_tokens[name]) << name;
    if (s.split == "train") {
      train_tokens += s.tokens;
      ++train_docs;
    }
  }
  EXPECT_EQ(m.train.tokens, train_tokens);
  EXPECT_EQ(m.train.documents, train_docs);
  EXPECT_EQ(m.val.documents, 30 - train_docs);
  EXPECT_GT(m.val.documents, 0);
  // The files hold exactly the counted tokens.
  EXPECT_EQ(static_cast<int64_t>(read_split_raw(o.out, "train", 2).size()), m.train.tokens);
  EXPECT_EQ(static_cast<int64_t>(read_split_raw(o.out, "val", 2).size()), m.val.tokens);
  // The manifest on disk is the one returned.
  EXPECT_EQ(read_file(o.out + "/manifest.json"), m.to_json());
}

TEST_F(SentencePieceData, ShardsDecodeBackToTheDocuments) {
  TempDir tmp;
  auto docs = write_corpus(tmp.path() / "corpus", 24, 10, 2);
  PrepareOptions o = options_for(tmp, {tmp.file("corpus")});
  o.shard_tokens = 500;  // several shards per split; documents cross shard ends
  PrepareSummary r = prepare_data(o, *tok_);
  EXPECT_GT(r.manifest.train.shards.size(), 1u);
  std::map<std::string, std::string> text_by_path;
  for (const auto& [name, text] : docs) {
    text_by_path[(tmp.path() / "corpus" / name).lexically_normal().string()] = text;
  }
  for (const char* split : {"train", "val"}) {
    std::vector<int64_t> stream = read_split_raw(o.out, split, 2);
    size_t pos = 0;
    for (const SourceInfo& s : r.manifest.sources) {  // in stream order
      if (s.split != split) continue;
      ASSERT_LE(pos + static_cast<size_t>(s.tokens), stream.size());
      EXPECT_EQ(stream[pos], tok_->bos_id()) << "document must start with BOS: " << s.path;
      std::vector<int32_t> ids(stream.begin() + static_cast<std::ptrdiff_t>(pos) + 1,
                               stream.begin() + static_cast<std::ptrdiff_t>(pos + s.tokens));
      EXPECT_EQ(std::count(ids.begin(), ids.end(), tok_->bos_id()), 0);
      EXPECT_EQ(tok_->decode(ids), text_by_path.at(s.path)) << s.path;
      pos += static_cast<size_t>(s.tokens);
    }
    EXPECT_EQ(pos, stream.size()) << split;
  }
}

TEST(PrepareData, StreamIsBosPlusBytesInPathOrderAndShardsAreCut) {
  TempDir tmp;
  auto docs = write_corpus(tmp.path() / "corpus", 20, 3, 3);
  ByteTokenizer tok;
  PrepareOptions o = options_for(tmp, {tmp.file("corpus")}, 0.3);
  o.shard_tokens = 256;
  ShardManifest m = prepare_data(o, tok).manifest;
  std::map<std::string, std::string> split = splits_by_name(m);
  std::sort(docs.begin(), docs.end());  // "doc_..." < "sub/doc_..." as paths
  for (const char* name : {"train", "val"}) {
    std::vector<int64_t> expected;
    for (const auto& [file, text] : docs) {
      if (split.at(fs::path(file).filename().string()) != name) continue;
      expected.push_back(2);
      for (unsigned char c : text) expected.push_back(4 + c);
    }
    EXPECT_EQ(read_split_raw(o.out, name, 2), expected) << name;
    const SplitInfo& s = std::string(name) == "train" ? m.train : m.val;
    ASSERT_FALSE(s.shards.empty());
    for (size_t i = 0; i < s.shards.size(); ++i) {
      char want[32];
      std::snprintf(want, sizeof(want), "%s_%03zu.bin", name, i);
      EXPECT_EQ(s.shards[i].file, want);
      if (i + 1 < s.shards.size()) {
        EXPECT_EQ(s.shards[i].tokens, 256);
      }
      EXPECT_LE(s.shards[i].tokens, 256);
      std::string bytes = read_bytes(o.out + "/" + s.shards[i].file);
      EXPECT_EQ(static_cast<int64_t>(bytes.size()), 2 * s.shards[i].tokens);
      // FNV-1a 64 written out here from its definition.
      uint64_t h = 0xcbf29ce484222325ULL;
      for (unsigned char c : bytes) h = (h ^ c) * 0x100000001b3ULL;
      EXPECT_EQ(s.shards[i].checksum, h);
    }
  }
}

TEST(PrepareData, LargeVocabularyUsesFourByteTokens) {
  TempDir tmp;
  write_text(tmp.file("a.txt"), "first document");
  write_text(tmp.file("b.txt"), "second");
  write_text(tmp.file("c.txt"), "third one");
  ByteTokenizer tok(70000);  // ids 70000..70255, V = 70256 > 65536
  PrepareOptions o =
      options_for(tmp, {tmp.file("a.txt"), tmp.file("b.txt"), tmp.file("c.txt")}, 0.5);
  // A seed that puts documents into both splits (3 documents at 0.5).
  auto val = [&](uint64_t seed, const char* name, const char* text) {
    return is_validation_document(name, text, seed, 0.5);
  };
  for (o.seed = 0; o.seed < 64; ++o.seed) {
    int n_val = val(o.seed, "a.txt", "first document") + val(o.seed, "b.txt", "second") +
                val(o.seed, "c.txt", "third one");
    if (n_val == 1 || n_val == 2) break;
  }
  ShardManifest m = prepare_data(o, tok).manifest;
  EXPECT_EQ(m.width, TokenWidth::kU32);
  std::vector<int64_t> all = read_split_raw(o.out, "train", 4);
  std::vector<int64_t> val_tokens = read_split_raw(o.out, "val", 4);
  all.insert(all.end(), val_tokens.begin(), val_tokens.end());
  EXPECT_EQ(static_cast<int64_t>(all.size()), 3 + 14 + 6 + 9);
  EXPECT_EQ(std::count(all.begin(), all.end(), 2), 3);
  EXPECT_EQ(std::count(all.begin(), all.end(), 70000 + 'd'), 3);  // one 'd' in each document
  EXPECT_EQ(std::count(all.begin(), all.end(), 70000 + 'o'), 3);  // docUment, secOnd, One
}

TEST(PrepareData, SplitIsDeterministicAndIndependentOfOrderAndLocation) {
  TempDir tmp;
  auto docs = write_corpus(tmp.path() / "corpus", 60, 2, 4);
  ByteTokenizer tok;
  std::vector<std::string> files;
  for (const auto& [name, text] : docs) files.push_back(tmp.file("corpus/" + name));

  PrepareOptions a = options_for(tmp, files);
  a.out = tmp.file("a");
  ShardManifest ma = prepare_data(a, tok).manifest;

  std::vector<std::string> reversed(files.rbegin(), files.rend());
  PrepareOptions b = options_for(tmp, reversed);
  b.out = tmp.file("b");
  ShardManifest mb = prepare_data(b, tok).manifest;
  EXPECT_EQ(ma.to_json(), mb.to_json());
  EXPECT_EQ(read_bytes(a.out + "/train_000.bin"), read_bytes(b.out + "/train_000.bin"));
  EXPECT_EQ(read_bytes(a.out + "/val_000.bin"), read_bytes(b.out + "/val_000.bin"));

  // About val_fraction of the documents are held out (60 at 0.25: mean 15, sd 3.4).
  EXPECT_GE(ma.val.documents, 5);
  EXPECT_LE(ma.val.documents, 25);

  // The corpus given as a directory, and a copy of it elsewhere with one more document: every
  // document keeps its split (keys are paths relative to the input directory).
  PrepareOptions c = options_for(tmp, {tmp.file("corpus")});
  c.out = tmp.file("c");
  std::map<std::string, std::string> sc = splits_by_name(prepare_data(c, tok).manifest);
  fs::create_directories(tmp.path() / "moved");
  fs::copy(tmp.path() / "corpus", tmp.path() / "moved" / "corpus", fs::copy_options::recursive);
  write_text(tmp.file("moved/corpus/extra.txt"), "An extra document.");
  PrepareOptions e = options_for(tmp, {tmp.file("moved/corpus")});
  e.out = tmp.file("e");
  std::map<std::string, std::string> se = splits_by_name(prepare_data(e, tok).manifest);
  EXPECT_EQ(se.size(), sc.size() + 1);
  for (const auto& [name, split] : sc) EXPECT_EQ(se.at(name), split) << name;

  // Another seed gives another split.
  PrepareOptions d = a;
  d.out = tmp.file("d");
  d.seed = 7;
  EXPECT_NE(splits_by_name(prepare_data(d, tok).manifest), splits_by_name(ma));
}

TEST(PrepareData, RerunReplacesShardsAndSkipsBlankFiles) {
  TempDir tmp;
  write_corpus(tmp.path() / "corpus", 40, 4, 5);
  write_text(tmp.file("corpus/empty.txt"), "");
  write_text(tmp.file("corpus/blank.txt"), " \n\t\n");
  write_text(tmp.file("corpus/notes.md"), "not a .txt file");
  ByteTokenizer tok;
  PrepareOptions o = options_for(tmp, {tmp.file("corpus")});
  o.shard_tokens = 1000;
  ShardManifest small = prepare_data(o, tok).manifest;
  EXPECT_EQ(small.skipped_documents, 2);
  EXPECT_EQ(small.total_documents(), 40);
  EXPECT_EQ(small.sources.size(), 42u);  // the .md file is not a document
  ASSERT_GT(small.train.shards.size(), 2u);
  for (const ShardInfo& s : small.train.shards) EXPECT_TRUE(fs::exists(o.out + "/" + s.file));
  o.shard_tokens = 1 << 20;
  ShardManifest big = prepare_data(o, tok).manifest;
  EXPECT_EQ(big.train.shards.size(), 1u);
  EXPECT_EQ(big.total_tokens(), small.total_tokens());
  for (size_t i = 1; i < small.train.shards.size(); ++i) {
    EXPECT_FALSE(fs::exists(o.out + "/" + small.train.shards[i].file)) << "stale shard left";
  }
}

TEST(PrepareData, BadInputsGiveErrorsNamingThePath) {
  TempDir tmp;
  ByteTokenizer tok;
  const std::string missing = tmp.file("nope");
  expect_error([&] { prepare_data(options_for(tmp, {missing}), tok); }, ErrorCode::kNotFound,
               {missing});
  fs::create_directories(tmp.path() / "no_txt");
  write_text(tmp.file("no_txt/readme.md"), "hello");
  expect_error([&] { prepare_data(options_for(tmp, {tmp.file("no_txt")}), tok); },
               ErrorCode::kInvalidArgument, {tmp.file("no_txt"), ".txt"});
  write_text(tmp.file("blank/a.txt"), "");
  write_text(tmp.file("blank/b.txt"), "\n\n");
  expect_error([&] { prepare_data(options_for(tmp, {tmp.file("blank")}), tok); },
               ErrorCode::kInvalidArgument, {tmp.file("blank"), "empty"});
  // One document cannot fill both splits.
  write_text(tmp.file("one/a.txt"), "just one document");
  expect_error([&] { prepare_data(options_for(tmp, {tmp.file("one")}, 1e-12), tok); },
               ErrorCode::kInvalidArgument, {"validation", "--val-fraction", tmp.file("one")});
  expect_error([&] { prepare_data(options_for(tmp, {tmp.file("one")}, 1.0 - 1e-12), tok); },
               ErrorCode::kInvalidArgument, {"training", "--val-fraction"});
  expect_error([&] { prepare_data(options_for(tmp, {tmp.file("one")}, 0.0), tok); },
               ErrorCode::kInvalidArgument, {"--val-fraction"});
  // None of the failures above touched the output folder.
  EXPECT_FALSE(fs::exists(tmp.file("shards")));

  // Tokenizer problems.
  PrepareOptions o = options_for(tmp, {tmp.file("one")}, 0.5);
  o.tokenizer = tmp.file("missing.model");
  expect_error([&] { prepare_data(o); }, ErrorCode::kNotFound, {o.tokenizer});
  o.tokenizer = tmp.file("garbage.model");
  write_text(o.tokenizer, "this is not a sentencepiece model");
  try {
    prepare_data(o);
    ADD_FAILURE() << "a garbage tokenizer was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(o.tokenizer), std::string::npos) << e.what();
  }

  // An output path that is a file.
  write_text(tmp.file("two/a.txt"), "first");
  write_text(tmp.file("two/b.txt"), "second");
  PrepareOptions f = options_for(tmp, {tmp.file("two")}, 0.5);
  f.out = tmp.file("two/a.txt");
  for (f.seed = 0; f.seed < 64; ++f.seed) {  // a seed that splits the two documents
    if (is_validation_document("a.txt", "first", f.seed, 0.5) !=
        is_validation_document("b.txt", "second", f.seed, 0.5)) {
      break;
    }
  }
  expect_error([&] { prepare_data(f, tok); }, ErrorCode::kInvalidArgument, {f.out, "directory"});
  EXPECT_EQ(read_bytes(f.out), "first");
}

TEST(PrepareData, FailedRunLeavesAnExistingShardFolderUntouched) {
  TempDir tmp;
  write_corpus(tmp.path() / "corpus", 30, 2, 6);
  ByteTokenizer tok;
  PrepareOptions o = options_for(tmp, {tmp.file("corpus")});
  prepare_data(o, tok);
  std::string manifest = read_bytes(o.out + "/manifest.json");
  write_text(tmp.file("one/a.txt"), "only document");
  PrepareOptions bad = options_for(tmp, {tmp.file("one")}, 1e-12);
  EXPECT_THROW(prepare_data(bad, tok), Error);
  EXPECT_EQ(read_bytes(o.out + "/manifest.json"), manifest);
}

TEST(ShardManifest, RoundTripsThroughJsonAndRejectsBadFields) {
  ShardManifest m;
  m.width = TokenWidth::kU32;
  m.n_vocab = 70000;
  m.bos_id = 2;
  m.tokenizer_path = "tok.model";
  m.tokenizer_fingerprint = 0xfedcba9876543210ULL;
  m.seed = 42;
  m.val_fraction = 0.1;
  m.shard_tokens = 1000;
  m.train = {3, 1500, {{"train_000.bin", 1000, 0x1ULL}, {"train_001.bin", 500, 0xffULL}}};
  m.val = {1, 20, {{"val_000.bin", 20, 0xabcdef0123456789ULL}}};
  m.sources = {{"a.txt", "train", 10, 8}, {"b.txt", "skipped", 0, 0}};
  m.skipped_documents = 1;
  ShardManifest back = ShardManifest::from_json(m.to_json(), "m.json");
  EXPECT_EQ(back.to_json(), m.to_json());
  EXPECT_EQ(back.tokenizer_fingerprint, m.tokenizer_fingerprint);
  EXPECT_EQ(back.val.shards[0].checksum, 0xabcdef0123456789ULL);

  auto corrupt = [&](const std::string& from, const std::string& to, const std::string& what) {
    std::string text = m.to_json();
    size_t at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
    expect_error([&] { ShardManifest::from_json(text, "dir/manifest.json"); },
                 ErrorCode::kCorruptData, {"dir/manifest.json", what});
  };
  corrupt("\"uint32\"", "\"float\"", "dtype");
  corrupt("\"tokens\": 500", "\"tokens\": 501", "train");
  corrupt("\"train_001.bin\"", "\"../x.bin\"", "file");
  corrupt("\"version\": 1", "\"version\": 2", "version");
  corrupt("\"n_vocab\": 70000", "\"n_vocab\": \"many\"", "n_vocab");
  corrupt("\"fnv1a64\": \"00000000000000ff\"", "\"fnv1a64\": \"ff\"", "fnv1a64");
  expect_error([&] { ShardManifest::from_json("{not json", "dir/manifest.json"); },
               ErrorCode::kCorruptData, {"dir/manifest.json", "JSON"});
}

}  // namespace
}  // namespace llmkit::train
