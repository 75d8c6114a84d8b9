// SentencePiece vocabularies <-> GGUF tokenizer.ggml.* metadata (see gguf_vocab.h).
#include "llmkit/tokenizer/gguf_vocab.h"

#include <tuple>

#include "llmkit/base/error.h"
#include "llmkit/base/logging.h"
#include "llmkit/tokenizer/gguf_bpe.h"
#include "llmkit/tokenizer/model_proto_spec.h"

namespace llmkit::tokenizer {
namespace {

using io::GgufValue;

// A special id from the file, llama.cpp's default when absent, -1 when neither is in range.
int32_t special_id(const io::GgufFile& f, const char* key, int64_t fallback, int64_t n) {
  int64_t id = fallback;
  if (const GgufValue* v = f.find(key)) {
    const int64_t given = v->as_int(key);
    if (given >= 0 && given < n) {
      id = given;
    } else {
      LLMKIT_LOG(kWarn, f.path(), ": ", key, " = ", given, " is outside the vocabulary of ", n,
                 "; using ", fallback);
    }
  }
  return id >= 0 && id < n ? static_cast<int32_t>(id) : -1;
}

PieceType piece_type(int64_t t) {
  return t >= 1 && t <= 6 ? static_cast<PieceType>(t) : PieceType::kNormal;
}

}  // namespace

void add_vocab_to_gguf(const SentencePieceTokenizer& tok, io::GgufWriter& w, int64_t pad_to) {
  const std::vector<ModelPiece> pieces = read_model_pieces(tok.serialized(), "tokenizer");
  const ModelProtoSpec spec = read_model_proto_spec(tok.serialized(), "tokenizer");
  if (spec.model_type != SentencePieceModelType::kBpe) {
    LLMKIT_LOG(kWarn,
               "exporting a SentencePiece model that is not BPE: llama.cpp tokenizes "
               "\"llama\" vocabularies by merging pieces by score (BPE), so some texts may "
               "tokenize differently there");
  }
  if (spec.has_charsmap) {
    LLMKIT_LOG(kWarn, "the tokenizer normalizes text (", spec.normalizer_name,
               "); llama.cpp does not, so some texts may tokenize differently there");
  }
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<int32_t> types;
  for (const ModelPiece& p : pieces) {
    tokens.push_back(p.piece);
    scores.push_back(p.score);
    types.push_back(static_cast<int32_t>(p.type));
  }
  for (int64_t i = 0; static_cast<int64_t>(tokens.size()) < pad_to; ++i) {
    tokens.push_back("<unused" + std::to_string(i) + ">");
    scores.push_back(0.0f);
    types.push_back(static_cast<int32_t>(PieceType::kUnused));
  }
  w.set("tokenizer.ggml.model", GgufValue::string("llama"));
  w.set("tokenizer.ggml.pre", GgufValue::string("default"));
  w.set("tokenizer.ggml.tokens", GgufValue::string_array(tokens));
  w.set("tokenizer.ggml.scores", GgufValue::f32_array(scores));
  w.set("tokenizer.ggml.token_type", GgufValue::i32_array(types));
  auto id = [&](const char* key, int32_t v) {
    if (v >= 0) w.set(key, GgufValue::u32(static_cast<uint32_t>(v)));
  };
  id("tokenizer.ggml.bos_token_id", tok.bos_id());
  id("tokenizer.ggml.eos_token_id", tok.eos_id());
  id("tokenizer.ggml.unknown_token_id", tok.unk_id());
  id("tokenizer.ggml.padding_token_id", tok.pad_id());
  // llama.cpp finds <end_of_turn> by its text anyway (and warns that it is not a control piece);
  // naming it makes it an end-of-generation token without changing how text tokenizes.
  id("tokenizer.ggml.eot_token_id", tok.piece_to_id("<end_of_turn>"));
  w.set("tokenizer.ggml.add_bos_token", GgufValue::boolean(true));
  w.set("tokenizer.ggml.add_eos_token", GgufValue::boolean(false));
  w.set("tokenizer.ggml.add_space_prefix", GgufValue::boolean(spec.add_dummy_prefix));
  w.set("tokenizer.ggml.remove_extra_whitespaces",
        GgufValue::boolean(spec.remove_extra_whitespaces));
}

std::shared_ptr<const Tokenizer> tokenizer_from_gguf(const io::GgufFile& f) {
  const std::string& path = f.path();
  LLMKIT_CHECK_CODE(f.has("tokenizer.ggml.model"), ErrorCode::kNotFound, path,
                    " has no tokenizer (tokenizer.ggml.model is missing)");
  const std::string model = f.get_string("tokenizer.ggml.model");
  if (model == "gpt2") return bpe_tokenizer_from_gguf(f);
  LLMKIT_CHECK_CODE(model == "llama", ErrorCode::kUnsupported, path, ": tokenizer model '", model,
                    "' is not supported (llmkit reads SentencePiece-style \"llama\" and byte-level "
                    "BPE \"gpt2\" vocabularies)");
  const std::vector<std::string> tokens =
      f.get("tokenizer.ggml.tokens").as_string_array("tokenizer.ggml.tokens");
  const auto n = static_cast<int64_t>(tokens.size());
  LLMKIT_CHECK_CODE(n > 0, ErrorCode::kCorruptData, path, ": tokenizer.ggml.tokens is empty");
  std::vector<float> scores(tokens.size(), 0.0f);
  if (const GgufValue* v = f.find("tokenizer.ggml.scores")) {
    scores = v->as_float_array("tokenizer.ggml.scores");
    LLMKIT_CHECK_CODE(static_cast<int64_t>(scores.size()) >= n, ErrorCode::kCorruptData, path,
                      ": tokenizer.ggml.scores has ", scores.size(), " entries for ", n, " tokens");
  }
  std::vector<int64_t> types(tokens.size(), 1);
  if (const GgufValue* v = f.find("tokenizer.ggml.token_type")) {
    types = v->as_int_array("tokenizer.ggml.token_type");
    LLMKIT_CHECK_CODE(static_cast<int64_t>(types.size()) >= n, ErrorCode::kCorruptData, path,
                      ": tokenizer.ggml.token_type has ", types.size(), " entries for ", n,
                      " tokens");
  }

  ModelProtoContents c;
  c.spec.model_type = SentencePieceModelType::kBpe;
  c.spec.normalizer_name = "identity";
  c.spec.add_dummy_prefix = f.get_bool_or("tokenizer.ggml.add_space_prefix", true);
  c.spec.remove_extra_whitespaces = f.get_bool_or("tokenizer.ggml.remove_extra_whitespaces", false);
  c.spec.escape_whitespaces = true;
  bool has_unknown = false;
  for (int64_t i = 0; i < n; ++i) {
    ModelPiece p;
    // SentencePiece rejects empty pieces; llama.cpp renames them the same way.
    p.piece = tokens[i].empty() ? str_cat("[EMPTY_", i, "]") : tokens[i];
    p.score = scores[i];
    p.type = piece_type(types[i]);
    has_unknown = has_unknown || p.type == PieceType::kUnknown;
    c.spec.byte_fallback = c.spec.byte_fallback || p.type == PieceType::kByte;
    c.pieces.push_back(std::move(p));
  }
  c.bos_id = special_id(f, "tokenizer.ggml.bos_token_id", 1, n);
  c.eos_id = special_id(f, "tokenizer.ggml.eos_token_id", 2, n);
  c.unk_id = special_id(f, "tokenizer.ggml.unknown_token_id", 0, n);
  c.pad_id = special_id(f, "tokenizer.ggml.padding_token_id", -1, n);
  if (!has_unknown) {
    // SentencePiece needs an unknown piece; llama.cpp uses unk_id whatever its type.
    LLMKIT_CHECK_CODE(c.unk_id >= 0, ErrorCode::kCorruptData, path,
                      ": the vocabulary has no unknown token (token_type 2) and no "
                      "tokenizer.ggml.unknown_token_id");
    c.pieces[static_cast<size_t>(c.unk_id)].type = PieceType::kUnknown;
  }
  auto tok = std::make_shared<SentencePieceTokenizer>(
      SentencePieceTokenizer::from_serialized(write_model_proto(c), path));
  tok->set_uses_bos(f.get_bool_or("tokenizer.ggml.add_bos_token", true));
  for (auto [what, want, got] :
       {std::tuple{"bos", c.bos_id, tok->bos_id()}, std::tuple{"eos", c.eos_id, tok->eos_id()}}) {
    if (want != got) {
      LLMKIT_LOG(kWarn, path, ": the ", what, " token ", want,
                 " is not a control token; the tokenizer reports ", got);
    }
  }
  return tok;
}

}  // namespace llmkit::tokenizer
