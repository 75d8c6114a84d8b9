#include "llmkit/rag/qa_generator.h"

#include <xxhash.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "llmkit/base/error.h"

namespace llmkit::rag {
namespace {

bool is_upper(char c) {
  return c >= 'A' && c <= 'Z';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) != 0;
}
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f';
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

const std::set<std::string>& abbreviations() {
  static const std::set<std::string> k = {
      "mr",  "mrs", "ms",  "messrs", "dr",  "st",   "gen", "gov", "col", "capt", "lt",
      "maj", "hon", "jr",  "sr",     "no",  "nos",  "co",  "vs",  "rev", "sec",  "jan",
      "feb", "mar", "apr", "aug",    "sep", "sept", "oct", "nov", "dec", "ft",   "mt"};
  return k;
}

const std::set<std::string>& titles() {
  static const std::set<std::string> k = {"Mr", "Mrs", "Ms", "Messrs", "Dr", "Gen", "Col", "Capt"};
  return k;
}

// Names too generic to ask about (compared without a leading "the ").
const std::set<std::string>& generic_names() {
  static const std::set<std::string> k = {
      "United States", "Congress",     "Government",
      "Union",         "Constitution", "Senate",
      "House",         "Nation",       "States",
      "America",       "American",     "Americans",
      "President",     "Federal",      "I",
      "God",           "Executive",    "Treasury",
      "Secretary",     "Department",   "Territory",
      "State",         "Territories",  "Republic",
      "Indians",       "Indian",       "Government of the United States",
      "Army",          "Navy",         "Nations",
      "Chief",         "Legislature"};
  return k;
}

const std::array<const char*, 12> kMonths = {"January",   "February", "March",    "April",
                                             "May",       "June",     "July",     "August",
                                             "September", "October",  "November", "December"};
bool is_month(std::string_view w) {
  return std::find(kMonths.begin(), kMonths.end(), w) != kMonths.end();
}
bool is_weekday(std::string_view w) {
  for (const char* d :
       {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}) {
    if (w == d) return true;
  }
  return false;
}
bool is_scale(std::string_view w) {
  return w == "thousand" || w == "million" || w == "millions" || w == "billion" ||
         w == "billions" || w == "trillion" || w == "hundred";
}

// Length of a closing quote or bracket at text[i] (ASCII or UTF-8 right quotes), else 0.
size_t closer_at(std::string_view text, size_t i) {
  char c = text[i];
  if (c == '"' || c == '\'' || c == ')' || c == ']') return 1;
  if (text.substr(i, 3) == "\xE2\x80\x9D" || text.substr(i, 3) == "\xE2\x80\x99") return 3;
  return 0;
}

void add_trimmed(std::string_view text, size_t b, size_t e, std::vector<ByteRange>& out) {
  while (b < e && is_space(text[b])) ++b;
  while (e > b && is_space(text[e - 1])) --e;
  if (e > b) out.push_back({b, e});
}

// A word of a sentence: raw [begin, end) between spaces; core without surrounding punctuation.
struct Word {
  size_t begin, end, core_begin, core_end;
  std::string_view core;
  bool punct_after() const { return core_end < end; }
};

std::vector<Word> words_of(std::string_view s) {
  std::vector<Word> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_space(s[i])) ++i;
    if (i >= s.size()) break;
    size_t b = i;
    while (i < s.size() && !is_space(s[i])) ++i;
    size_t cb = b, ce = i;
    while (cb < ce && std::string_view("\"'([").find(s[cb]) != std::string_view::npos) ++cb;
    while (ce > cb && std::string_view("\"')],.;:!?").find(s[ce - 1]) != std::string_view::npos)
      --ce;
    out.push_back({b, i, cb, ce, s.substr(cb, ce - cb)});
  }
  return out;
}

// Digits with optional thousands commas and decimals, optionally "$" first / "%" last.
bool is_number(std::string_view w, bool allow_dollar, bool allow_percent) {
  if (allow_dollar && !w.empty() && w.front() == '$') w.remove_prefix(1);
  if (allow_percent && !w.empty() && w.back() == '%') w.remove_suffix(1);
  if (w.empty() || !is_digit(w.front()) || !is_digit(w.back())) return false;
  for (char c : w) {
    if (!is_digit(c) && c != ',' && c != '.') return false;
  }
  return true;
}
bool is_plain_year(std::string_view w) {
  if (w.size() != 4 || !std::all_of(w.begin(), w.end(), is_digit)) return false;
  int y = std::stoi(std::string(w));
  return y >= 1600 && y <= 2099;
}
bool is_capitalised(std::string_view w) {
  if (w.size() < 2 || !is_upper(w.front())) return false;
  for (size_t i = 1; i < w.size(); ++i) {
    if (w[i] == '-' ? !(i + 1 < w.size() && is_upper(w[i + 1])) : !is_alpha(w[i])) return false;
  }
  return true;
}

struct Span {
  size_t begin, end;  // in the sentence
  std::string kind, wh;
};

// Candidate answer spans of a sentence, at most one starting at each word.
std::vector<Span> find_spans(std::string_view s) {
  const std::vector<Word> w = words_of(s);
  std::vector<Span> out;
  auto core = [&](size_t i) { return i < w.size() ? w[i].core : std::string_view(); };
  for (size_t i = 0; i < w.size(); ++i) {
    std::string_view c = w[i].core;
    if (c.empty()) continue;
    // date: Month day[, year]
    if (is_month(c) && i + 1 < w.size() && core(i + 1).size() <= 2 &&
        is_number(core(i + 1), false, false) && !w[i].punct_after()) {
      size_t last = i + 1;
      if (w[i + 1].punct_after() && s[w[i + 1].core_end] == ',' && is_plain_year(core(i + 2))) {
        last = i + 2;
      }
      out.push_back({w[i].core_begin, w[last].core_end, "date", "what date"});
      i = last;
      continue;
    }
    if (is_number(c, true, true)) {
      size_t last = i;
      if (!w[i].punct_after() && is_scale(core(i + 1))) last = i + 1;
      std::string_view next = w[last].punct_after() ? std::string_view() : core(last + 1);
      if (c.front() == '$') {
        out.push_back({w[i].core_begin, w[last].core_end, "money", "how much"});
      } else if (next == "dollars") {
        out.push_back({w[i].core_begin, w[last + 1].core_end, "money", "how much"});
        last = last + 1;
      } else if (c.back() == '%') {
        out.push_back({w[i].core_begin, w[i].core_end, "percent", "what percentage"});
      } else if (next == "percent" || next == "per") {
        size_t e = next == "per" && core(last + 2) == "cent" ? last + 2 : last + 1;
        out.push_back({w[i].core_begin, w[e].core_end, "percent", "what percentage"});
        last = e;
      } else if (last == i && is_plain_year(c)) {
        out.push_back({w[i].core_begin, w[i].core_end, "year", "what year"});
      } else if (!next.empty() && std::islower(static_cast<unsigned char>(next.front())) &&
                 c.find('.') == std::string_view::npos) {
        out.push_back({w[i].core_begin, w[last].core_end, "number", "how many"});
      }
      i = last;
      continue;
    }
    // name: capitalised words, "of"/"the" inside; not the first word; not after ':'.
    if (i == 0 || !is_capitalised(c) || is_month(c) || is_weekday(c)) continue;
    if (w[i - 1].punct_after() && s[w[i - 1].end - 1] == ':') continue;
    if (w[i].core_begin != w[i].begin) continue;  // opens a quote or bracket
    // Inside a run that starts at the first word ("Fort Diamond").
    if (is_capitalised(w[i - 1].core) && !w[i - 1].punct_after()) continue;
    const bool title = titles().count(std::string(c)) > 0;
    size_t last = i;
    while (!(w[last].punct_after() && !titles().count(std::string(core(last)))) &&
           last + 1 < w.size()) {
      std::string_view n = core(last + 1);
      if (is_capitalised(n) && w[last + 1].core_begin == w[last + 1].begin) {
        ++last;
      } else if ((n == "of" || n == "the") && last + 2 < w.size() && !w[last + 1].punct_after() &&
                 is_capitalised(core(last + 2))) {
        last += 2;
      } else {
        break;
      }
    }
    while (last > i && !is_capitalised(core(last))) --last;
    size_t b = w[i].core_begin;
    if ((w[i - 1].core == "the" || w[i - 1].core == "The") && !w[i - 1].punct_after()) {
      b = w[i - 1].begin;
    }
    std::string name(s.substr(w[i].core_begin, w[last].core_end - w[i].core_begin));
    if (title && last == i) continue;
    if (!generic_names().count(name)) {
      out.push_back({b, w[last].core_end, "name", title ? "who" : "what"});
    }
    i = last;
  }
  return out;
}

// The question for span of sentence s, or "" when it would still contain the answer.
// Words of text (maximal runs of non-spaces) as byte ranges.
std::vector<std::pair<size_t, size_t>> word_ranges(std::string_view text) {
  std::vector<std::pair<size_t, size_t>> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    const size_t b = i;
    while (i < text.size() && text[i] != ' ') ++i;
    if (i > b) out.emplace_back(b, i);
  }
  return out;
}

std::string make_question(std::string_view s, const Span& span, int max_words) {
  std::string_view before = s.substr(0, span.begin);
  std::string_view after = s.substr(span.end);
  if (max_words > 0) {
    const auto wb = word_ranges(before), wa = word_ranges(after);
    const size_t budget = static_cast<size_t>(max_words);
    size_t keep_after = std::min(wa.size(), budget / 3);
    const size_t keep_before = std::min(wb.size(), budget - keep_after);
    keep_after = std::min(wa.size(), budget - keep_before);
    if (keep_before < wb.size()) before = before.substr(wb[wb.size() - keep_before].first);
    if (keep_after < wa.size()) after = after.substr(0, keep_after ? wa[keep_after - 1].second : 0);
  }
  std::string wh = span.wh;
  // "the year 1838" -> "the year what", not "the year what year".
  if (span.kind == "year" && lower(before).ends_with("year ")) wh = "what";
  std::string q = std::string(before) + wh + std::string(after);
  if (!q.empty()) q[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(q[0])));
  while (!q.empty() && (std::string_view(".!;:,\"' ").find(q.back()) != std::string_view::npos ||
                        static_cast<unsigned char>(q.back()) >= 0x80)) {
    q.pop_back();
  }
  if (q.size() < 20) return "";
  q += '?';
  const std::string answer(s.substr(span.begin, span.end - span.begin));
  std::string a = lower(answer);
  if (a.starts_with("the ")) a = a.substr(4);
  if (lower(q).find(a) != std::string::npos) return "";
  return q;
}

uint64_t hash_of(std::string_view text, uint64_t seed) {
  return XXH3_64bits_withSeed(text.data(), text.size(), seed);
}

}  // namespace

std::vector<ByteRange> split_sentences(std::string_view text) {
  std::vector<ByteRange> out;
  size_t line = 0;
  while (line < text.size()) {
    size_t le = text.find('\n', line);
    if (le == std::string_view::npos) le = text.size();
    size_t start = line;
    for (size_t i = line; i < le; ++i) {
      char c = text[i];
      if (c != '.' && c != '?' && c != '!') continue;
      size_t j = i + 1;
      while (j < le) {
        size_t n = closer_at(text, j);
        if (n == 0) break;
        j += n;
      }
      if (j >= le || text[j] != ' ') continue;
      size_t k = j;
      while (k < le && text[k] == ' ') ++k;
      if (k >= le) continue;
      const char next = text[k];
      if (!is_upper(next) && !is_digit(next) && next != '"' && next != '\'' &&
          static_cast<unsigned char>(next) != 0xE2) {
        continue;
      }
      if (c == '.') {
        size_t wb = i;
        while (wb > line && is_alpha(text[wb - 1])) --wb;
        std::string word(text.substr(wb, i - wb));
        if (word.size() == 1 && is_upper(word[0])) continue;  // an initial, "U.S."
        if (abbreviations().count(lower(word))) continue;
      }
      add_trimmed(text, start, j, out);
      start = k;
    }
    add_trimmed(text, start, le, out);
    line = le + 1;
  }
  return out;
}

ByteRange context_around(const std::vector<ByteRange>& sentences, size_t index,
                         size_t target_bytes) {
  LLMKIT_CHECK(index < sentences.size(), "context_around: sentence ", index, " of ",
               sentences.size());
  size_t lo = index, hi = index;
  for (bool grew = true; grew;) {
    grew = false;
    if (lo > 0 && sentences[hi].end - sentences[lo - 1].begin <= target_bytes) {
      --lo;
      grew = true;
    }
    if (hi + 1 < sentences.size() && sentences[hi + 1].end - sentences[lo].begin <= target_bytes) {
      ++hi;
      grew = true;
    }
  }
  return {sentences[lo].begin, sentences[hi].end};
}

std::vector<ByteRange> passages(const std::vector<ByteRange>& sentences, size_t target_bytes) {
  std::vector<ByteRange> out;
  for (size_t i = 0; i < sentences.size();) {
    size_t j = i + 1;
    while (j < sentences.size() && sentences[j].end - sentences[i].begin <= target_bytes) ++j;
    out.push_back({sentences[i].begin, sentences[j - 1].end});
    i = j;
  }
  return out;
}

std::vector<QaItem> questions_from_document(const std::string& source, std::string_view text,
                                            const QaGeneratorOptions& options) {
  const std::vector<ByteRange> sentences = split_sentences(text);
  const std::vector<std::string> kinds = {"date", "money", "percent", "year", "number", "name"};
  struct Candidate {
    uint64_t order;
    size_t sentence;
    QaItem item;
  };
  std::map<std::string, std::vector<Candidate>> by_kind;
  for (size_t si = 0; si < sentences.size(); ++si) {
    const ByteRange r = sentences[si];
    if (r.end - r.begin < options.min_sentence_bytes ||
        r.end - r.begin > options.max_sentence_bytes) {
      continue;
    }
    const std::string_view s = text.substr(r.begin, r.end - r.begin);
    for (const Span& span : find_spans(s)) {
      std::string q = make_question(s, span, options.max_question_words);
      if (q.empty()) continue;
      QaItem item;
      item.question = std::move(q);
      item.answer = std::string(s.substr(span.begin, span.end - span.begin));
      item.kind = span.kind;
      item.source = source;
      item.begin = r.begin;
      item.end = r.end;
      item.answer_begin = r.begin + span.begin;
      item.passage = std::string(s);
      const std::string key =
          source + ":" + std::to_string(item.begin) + ":" + std::to_string(item.answer_begin);
      by_kind[span.kind].push_back({hash_of(key, options.seed), si, std::move(item)});
    }
  }
  for (auto& [kind, list] : by_kind) {
    std::sort(list.begin(), list.end(),
              [](const Candidate& a, const Candidate& b) { return a.order < b.order; });
  }
  std::vector<Candidate*> chosen;
  std::set<size_t> used_sentences;
  std::map<std::string, size_t> next;
  for (bool progress = true; progress;) {
    progress = false;
    for (const std::string& kind : kinds) {
      if (static_cast<int>(chosen.size()) >= options.max_per_document) break;
      std::vector<Candidate>& list = by_kind[kind];
      size_t& n = next[kind];
      while (n < list.size() && used_sentences.count(list[n].sentence)) ++n;
      if (n >= list.size()) continue;
      used_sentences.insert(list[n].sentence);
      chosen.push_back(&list[n++]);
      progress = true;
    }
  }
  std::sort(chosen.begin(), chosen.end(), [](const Candidate* a, const Candidate* b) {
    return a->item.answer_begin < b->item.answer_begin;
  });
  const std::string stem = std::filesystem::path(source).stem().string();
  std::vector<QaItem> out;
  for (Candidate* c : chosen) {
    QaItem item = std::move(c->item);
    item.id = stem + "-" + std::to_string(out.size());
    item.context = context_around(sentences, c->sentence, options.context_bytes);
    out.push_back(std::move(item));
  }
  return out;
}

bool is_heldout_document(std::string_view file_name, uint64_t seed, double heldout_fraction) {
  const double u = static_cast<double>(hash_of(file_name, seed)) * 0x1p-64;
  return u < heldout_fraction;
}

QaSet generate_qa(std::vector<std::string> files, const QaGeneratorOptions& options) {
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  QaSet set;
  for (const std::string& path : files) {
    std::ifstream in(path, std::ios::binary);
    LLMKIT_CHECK_CODE(in.good(), ErrorCode::kNotFound, "make-qa: cannot read '", path,
                      "'; check the corpus path");
    std::ostringstream buf;
    buf << in.rdbuf();
    QaDocument doc{path, buf.str(), false};
    doc.heldout = is_heldout_document(std::filesystem::path(path).filename().string(), options.seed,
                                      options.heldout_fraction);
    std::vector<QaItem> items = questions_from_document(path, doc.text, options);
    auto& dest = doc.heldout ? set.heldout : set.dev;
    for (QaItem& item : items) dest.push_back(std::move(item));
    set.documents.push_back(std::move(doc));
  }
  return set;
}

nlohmann::json to_json(const QaItem& item) {
  return nlohmann::json{
      {"id", item.id},           {"question", item.question}, {"answer", item.answer},
      {"source", item.source},   {"begin", item.begin},       {"end", item.end},
      {"passage", item.passage}, {"kind", item.kind},         {"answer_begin", item.answer_begin}};
}

}  // namespace llmkit::rag
