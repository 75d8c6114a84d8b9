// SentencePiece vocabularies through GGUF: an llmkit-trained tokenizer written with
// add_vocab_to_gguf and read back with tokenizer_from_gguf has the same pieces, types, special ids
// and the same encode() output on many texts; llama.cpp's metadata is as it reads it; a
// hand-built vocabulary merges by score as llama.cpp's SPM tokenizer does; errors are clear.
#include <gtest/gtest.h>

#include <memory>

#include "llmkit/base/error.h"
#include "llmkit/io/gguf.h"
#include "llmkit/tokenizer/gguf_vocab.h"
#include "llmkit/tokenizer/model_proto.h"
#include "tokenizer_test_util.h"

namespace llmkit::tokenizer {
namespace {

using namespace testing;
using io::GgufValue;

std::shared_ptr<const Tokenizer> round_trip(const SentencePieceTokenizer& tok, TempDir& dir,
                                            io::GgufWriter* writer_out = nullptr) {
  io::GgufWriter w;
  add_vocab_to_gguf(tok, w);
  if (writer_out != nullptr) *writer_out = w;
  w.write(dir.file("vocab.gguf"));
  return tokenizer_from_gguf(io::GgufFile(dir.file("vocab.gguf")));
}

std::vector<std::string> texts() {
  std::vector<std::string> out;
  const std::string corpus = make_corpus(300, 99);  // other lines than the training corpus
  size_t start = 0;
  while (start < corpus.size()) {
    const size_t end = corpus.find('\n', start);
    out.push_back(corpus.substr(start, end - start));
    start = end + 1;
  }
  for (const char* s : {"", " ", "  two  spaces  ", "trailing space ", " leading", "a\nb\n\nc",
                        "tabs\tand\tmore", "emoji 😀 and ✓ marks",
                        "<start_of_turn>user\nHi"
                        "<end_of_turn>",
                        "Zürich 123456 7890", "▁already▁escaped", "x"}) {
    out.push_back(s);
  }
  return out;
}

TEST(GgufVocab, TrainedBpeTokenizerRoundTripsExactly) {
  const SentencePieceTokenizer& tok = trained_model(TokenizerModelType::kBpe).tok;
  TempDir dir;
  const auto back = round_trip(tok, dir);
  ASSERT_EQ(back->n_vocab(), tok.n_vocab());
  EXPECT_EQ(back->bos_id(), tok.bos_id());
  EXPECT_EQ(back->eos_id(), tok.eos_id());
  EXPECT_EQ(back->pad_id(), tok.pad_id());
  EXPECT_EQ(back->unk_id(), tok.unk_id());
  for (int32_t id = 0; id < tok.n_vocab(); ++id) {
    ASSERT_EQ(back->id_to_piece(id), tok.id_to_piece(id)) << id;
    ASSERT_EQ(back->is_special(id), tok.is_special(id)) << id;
    ASSERT_EQ(back->piece_to_id(tok.id_to_piece(id)), id) << id;
  }
  const auto* sp = dynamic_cast<const SentencePieceTokenizer*>(back.get());
  ASSERT_NE(sp, nullptr);
  const std::vector<ModelPiece> want = read_model_pieces(tok.serialized(), "original");
  const std::vector<ModelPiece> got = read_model_pieces(sp->serialized(), "from gguf");
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].type, want[i].type) << i;
    EXPECT_EQ(got[i].score, want[i].score) << i;
  }
  int n = 0;
  for (const std::string& text : texts()) {
    const std::vector<int32_t> ids = tok.encode(text);
    ASSERT_EQ(back->encode(text), ids) << "'" << text << "'";
    ASSERT_EQ(back->decode(ids), tok.decode(ids)) << "'" << text << "'";
    ++n;
  }
  EXPECT_GT(n, 300);
}

TEST(GgufVocab, MetadataIsWhatLlamaCppReads) {
  const SentencePieceTokenizer& tok = trained_model(TokenizerModelType::kBpe).tok;
  TempDir dir;
  io::GgufWriter w;
  round_trip(tok, dir, &w);
  io::GgufFile f(dir.file("vocab.gguf"));
  EXPECT_EQ(f.get("tokenizer.ggml.model"), GgufValue::string("llama"));
  EXPECT_EQ(f.get("tokenizer.ggml.pre"), GgufValue::string("default"));
  const GgufValue& tokens = f.get("tokenizer.ggml.tokens");
  EXPECT_EQ(tokens.elem_type(), io::GgufValueType::kString);
  EXPECT_EQ(tokens.elems().size(), static_cast<size_t>(tok.n_vocab()));
  EXPECT_EQ(f.get("tokenizer.ggml.scores").elem_type(), io::GgufValueType::kF32);
  const GgufValue& types = f.get("tokenizer.ggml.token_type");
  EXPECT_EQ(types.elem_type(), io::GgufValueType::kI32);  // llama.cpp reads them as int32
  const std::vector<int64_t> t = types.as_int_array();
  // Trainer layout: <pad> <eos> <bos> <unk>, two user-defined chat tokens, 256 bytes, then normal.
  EXPECT_EQ(t[0], 3);
  EXPECT_EQ(t[1], 3);
  EXPECT_EQ(t[2], 3);
  EXPECT_EQ(t[3], 2);
  EXPECT_EQ(t[4], 4);
  EXPECT_EQ(t[5], 4);
  EXPECT_EQ(t[6], 6);
  EXPECT_EQ(t[6 + 255], 6);
  EXPECT_EQ(t[6 + 256], 1);
  EXPECT_EQ(f.get("tokenizer.ggml.bos_token_id"), GgufValue::u32(2));
  EXPECT_EQ(f.get("tokenizer.ggml.eos_token_id"), GgufValue::u32(1));
  EXPECT_EQ(f.get("tokenizer.ggml.unknown_token_id"), GgufValue::u32(3));
  EXPECT_EQ(f.get("tokenizer.ggml.padding_token_id"), GgufValue::u32(0));
  EXPECT_EQ(f.get("tokenizer.ggml.eot_token_id"), GgufValue::u32(5));  // <end_of_turn>
  EXPECT_EQ(f.get("tokenizer.ggml.add_bos_token"), GgufValue::boolean(true));
  EXPECT_EQ(f.get("tokenizer.ggml.add_eos_token"), GgufValue::boolean(false));
  EXPECT_EQ(f.get("tokenizer.ggml.add_space_prefix"), GgufValue::boolean(false));
}

// A hand-built vocabulary: llama.cpp's SPM tokenizer (like SentencePiece BPE) merges the adjacent
// pair whose merged piece has the highest score first.
void write_hand_vocab(const std::string& path, float score_ab, float score_space_a,
                      bool space_prefix) {
  io::GgufWriter w;
  w.set("tokenizer.ggml.model", GgufValue::string("llama"));
  w.set("tokenizer.ggml.tokens",
        GgufValue::string_array({"<unk>", "<s>", "</s>", "\xE2\x96\x81", "a", "b", "ab",
                                 "\xE2\x96\x81"
                                 "a"}));
  w.set("tokenizer.ggml.scores",
        GgufValue::f32_array({0, 0, 0, -5, -6, -7, score_ab, score_space_a}));
  w.set("tokenizer.ggml.token_type", GgufValue::i32_array({2, 3, 3, 1, 1, 1, 1, 1}));
  w.set("tokenizer.ggml.add_space_prefix", GgufValue::boolean(space_prefix));
  w.write(path);
}

TEST(GgufVocab, HandBuiltVocabularyMergesByScore) {
  TempDir dir;
  write_hand_vocab(dir.file("v1.gguf"), -1.0f, -2.0f, false);
  auto t1 = tokenizer_from_gguf(io::GgufFile(dir.file("v1.gguf")));
  // "ab▁ab": "ab" (-1) beats "▁a" (-2): ab | ▁ | ab.
  EXPECT_EQ(t1->encode("ab ab"), (std::vector<int32_t>{6, 3, 6}));
  EXPECT_EQ(t1->bos_id(), 1);  // llama.cpp's defaults without the id keys
  EXPECT_EQ(t1->eos_id(), 2);
  EXPECT_EQ(t1->unk_id(), 0);
  EXPECT_EQ(t1->pad_id(), -1);
  write_hand_vocab(dir.file("v2.gguf"), -1.0f, -0.5f, false);
  // "▁a" (-0.5) merges first: a b | ▁a | b, then the first pair becomes "ab".
  EXPECT_EQ(tokenizer_from_gguf(io::GgufFile(dir.file("v2.gguf")))->encode("ab ab"),
            (std::vector<int32_t>{6, 7, 5}));
  write_hand_vocab(dir.file("v3.gguf"), -1.0f, -0.5f, true);
  // add_space_prefix: "▁ab" -> ▁a | b.
  EXPECT_EQ(tokenizer_from_gguf(io::GgufFile(dir.file("v3.gguf")))->encode("ab"),
            (std::vector<int32_t>{7, 5}));
}

TEST(GgufVocabErrors, UnsupportedMissingAndInconsistent) {
  TempDir dir;
  {
    io::GgufWriter w;
    w.set("tokenizer.ggml.model", GgufValue::string("bert"));
    w.set("tokenizer.ggml.tokens", GgufValue::string_array({"a"}));
    w.write(dir.file("bert.gguf"));
  }
  try {
    tokenizer_from_gguf(io::GgufFile(dir.file("bert.gguf")));
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("'bert'"), std::string::npos) << e.what();
  }
  {
    io::GgufWriter w;
    w.set("general.architecture", GgufValue::string("llama"));
    w.write(dir.file("none.gguf"));
  }
  try {
    tokenizer_from_gguf(io::GgufFile(dir.file("none.gguf")));
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(std::string(e.what()).find("none.gguf"), std::string::npos) << e.what();
  }
  {
    io::GgufWriter w;
    w.set("tokenizer.ggml.model", GgufValue::string("llama"));
    w.set("tokenizer.ggml.tokens", GgufValue::string_array({"<unk>", "a", "b"}));
    w.set("tokenizer.ggml.scores", GgufValue::f32_array({0, 0}));
    w.write(dir.file("short.gguf"));
  }
  try {
    tokenizer_from_gguf(io::GgufFile(dir.file("short.gguf")));
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorruptData);
    EXPECT_NE(std::string(e.what()).find("scores"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace llmkit::tokenizer
