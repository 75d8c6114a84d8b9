#include "llmkit/tokenizer/gguf_bpe.h"

#include <nlohmann/json.hpp>

#include "llmkit/base/error.h"
#include "llmkit/tokenizer/hf_tokenizer.h"

namespace llmkit::tokenizer {

namespace {

using json = nlohmann::json;

// The regexes llama.cpp uses for each tokenizer.ggml.pre (src/llama-vocab.cpp); text the regex
// does not match stays a piece of its own (Split "Isolated").
struct PreTokenizerChoice {
  const char* regex;
  bool ignore_merges;
  bool add_bos;
};

PreTokenizerChoice choose(const std::string& pre, const std::string& path) {
  if (pre == "gpt2" || pre == "gpt-2") {
    return {"'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)", false,
            false};
  }
  if (pre == "llama3" || pre == "llama-bpe" || pre == "llama-v3") {
    return {
        "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?"
        "\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
        true, true};
  }
  if (pre == "qwen2") {
    return {
        "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?"
        "\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
        false, false};
  }
  throw Error(ErrorCode::kUnsupported, path + ": tokenizer.ggml.pre = '" + pre +
                                           "' is not supported (llmkit implements gpt2, "
                                           "llama-bpe / llama3 and qwen2)");
}

int64_t id_or(const io::GgufFile& f, const char* key, int64_t n) {
  const io::GgufValue* v = f.find(key);
  if (v == nullptr) return -1;
  const int64_t id = v->as_int(key);
  return id >= 0 && id < n ? id : -1;
}

}  // namespace

std::shared_ptr<const Tokenizer> bpe_tokenizer_from_gguf(const io::GgufFile& f) {
  const std::string& path = f.path();
  LLMKIT_CHECK_CODE(f.has("tokenizer.ggml.tokens"), ErrorCode::kNotFound, path,
                    " has no tokenizer.ggml.tokens");
  LLMKIT_CHECK_CODE(f.has("tokenizer.ggml.merges"), ErrorCode::kNotFound, path,
                    " has no tokenizer.ggml.merges (needed by a \"gpt2\" vocabulary)");
  const std::string pre = f.has("tokenizer.ggml.pre") ? f.get_string("tokenizer.ggml.pre") : "";
  const PreTokenizerChoice choice = choose(pre, path);
  const std::vector<std::string> tokens =
      f.get("tokenizer.ggml.tokens").as_string_array("tokenizer.ggml.tokens");
  const auto n = static_cast<int64_t>(tokens.size());
  LLMKIT_CHECK_CODE(n > 0, ErrorCode::kCorruptData, path, ": tokenizer.ggml.tokens is empty");
  std::vector<int64_t> types(tokens.size(), 1);
  if (const io::GgufValue* v = f.find("tokenizer.ggml.token_type")) {
    types = v->as_int_array("tokenizer.ggml.token_type");
    LLMKIT_CHECK_CODE(static_cast<int64_t>(types.size()) == n, ErrorCode::kCorruptData, path,
                      ": tokenizer.ggml.token_type has ", types.size(), " entries for ", n,
                      " tokens");
  }
  json vocab = json::object();
  json added = json::array();
  for (int64_t i = 0; i < n; ++i) {
    const std::string& t = tokens[static_cast<size_t>(i)];
    vocab[t] = i;
    if (types[static_cast<size_t>(i)] == 3 || types[static_cast<size_t>(i)] == 4) {
      added.push_back({{"id", i}, {"content", t}, {"special", types[static_cast<size_t>(i)] == 3}});
    }
  }
  LLMKIT_CHECK_CODE(static_cast<int64_t>(vocab.size()) == n, ErrorCode::kCorruptData, path,
                    ": tokenizer.ggml.tokens has duplicate pieces");
  const std::vector<std::string> merges =
      f.get("tokenizer.ggml.merges").as_string_array("tokenizer.ggml.merges");

  const int64_t bos = id_or(f, "tokenizer.ggml.bos_token_id", n);
  json doc;
  doc["model"] = {{"type", "BPE"},          {"vocab", std::move(vocab)},
                  {"merges", merges},       {"ignore_merges", choice.ignore_merges},
                  {"byte_fallback", false}, {"unk_token", nullptr}};
  doc["added_tokens"] = std::move(added);
  doc["normalizer"] = nullptr;
  doc["pre_tokenizer"] = {
      {"type", "Sequence"},
      {"pretokenizers",
       {{{"type", "Split"},
         {"pattern", {{"Regex", choice.regex}}},
         {"behavior", "Isolated"},
         {"invert", false}},
        {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}}}};
  doc["decoder"] = {{"type", "ByteLevel"}};
  if (f.get_bool_or("tokenizer.ggml.add_bos_token", choice.add_bos) && bos >= 0) {
    const std::string name = tokens[static_cast<size_t>(bos)];
    doc["post_processor"] = {
        {"type", "TemplateProcessing"},
        {"single",
         {{{"SpecialToken", {{"id", name}, {"type_id", 0}}}},
          {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
        {"special_tokens", {{name, {{"id", name}, {"ids", {bos}}, {"tokens", {name}}}}}}};
  }
  // llmkit's own key: the special ids the GGUF names (HfTokenizer otherwise guesses by text).
  doc["llmkit_special_ids"] = {{"bos", bos},
                               {"eos", id_or(f, "tokenizer.ggml.eos_token_id", n)},
                               {"pad", id_or(f, "tokenizer.ggml.padding_token_id", n)}};
  return HfTokenizer::from_json(doc.dump(), path);
}

}  // namespace llmkit::tokenizer
