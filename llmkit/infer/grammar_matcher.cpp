#include "llmkit/infer/grammar_matcher.h"

#include <algorithm>
#include <utility>

#include "llmkit/base/error.h"

namespace llmkit::infer {
namespace {

using Stack = std::vector<uint32_t>;

// Replaces rule references and finished alternatives on top of s until its top is a character
// class or it is empty, appending every resulting stack to out. A reference whose return
// position is the end of its alternative pushes no return entry (a tail call), so right-recursive
// repetitions keep their stacks flat. Terminates because Grammar rejects left recursion.
void expand(const Grammar& g, Stack s, std::vector<Stack>& out) {
  const std::vector<GrammarSymbol>& sym = g.symbols();
  std::vector<Stack> work;
  work.push_back(std::move(s));
  while (!work.empty()) {
    Stack t = std::move(work.back());
    work.pop_back();
    while (true) {
      if (t.empty()) {
        out.push_back(std::move(t));
        break;
      }
      const uint32_t p = t.back();
      const GrammarSymbol& x = sym[p];
      if (x.kind == GrammarSymbol::kEnd) {
        t.pop_back();
        continue;
      }
      if (x.kind == GrammarSymbol::kChars) {
        out.push_back(std::move(t));
        break;
      }
      t.pop_back();
      if (sym[p + 1].kind != GrammarSymbol::kEnd) t.push_back(p + 1);
      const std::span<const uint32_t> alts = g.alternatives(x.index);
      if (alts.empty()) break;  // unreachable: Grammar keeps only completable alternatives
      for (size_t i = 1; i < alts.size(); ++i) {
        Stack u = t;
        u.push_back(alts[i]);
        work.push_back(std::move(u));
      }
      t.push_back(alts[0]);
    }
  }
}

void sort_unique(std::vector<Stack>& stacks) {
  std::sort(stacks.begin(), stacks.end());
  stacks.erase(std::unique(stacks.begin(), stacks.end()), stacks.end());
}

// The stacks after code point cp (any_char: after a code point every stack's class is known to
// contain).
void step_code_point(const Grammar& g, const std::vector<Stack>& in, uint32_t cp, bool any_char,
                     std::vector<Stack>& out) {
  out.clear();
  for (const Stack& s : in) {
    if (s.empty()) continue;
    const uint32_t p = s.back();
    if (!any_char && !g.char_matches(g.symbols()[p].index, cp)) continue;
    Stack t = s;
    t.back() = p + 1;
    expand(g, std::move(t), out);
  }
  sort_unique(out);
}

// The allowed range of the byte after the partial's bytes (UTF-8 excludes overlong forms,
// surrogates and code points above U+10FFFF by narrowing the second byte).
std::pair<uint8_t, uint8_t> next_byte_range(const Utf8Partial& p) {
  if (p.n == 1) {
    switch (p.bytes[0]) {
      case 0xE0:
        return {0xA0, 0xBF};
      case 0xED:
        return {0x80, 0x9F};
      case 0xF0:
        return {0x90, 0xBF};
      case 0xF4:
        return {0x80, 0x8F};
      default:
        break;
    }
  }
  return {0x80, 0xBF};
}

uint32_t decode(const uint8_t* b, int len) {
  static constexpr uint8_t kLeadMask[5] = {0, 0x7F, 0x1F, 0x0F, 0x07};
  uint32_t cp = b[0] & kLeadMask[len];
  for (int i = 1; i < len; ++i) cp = (cp << 6) | (b[i] & 0x3Fu);
  return cp;
}

// The code points the partial can still become: an inclusive range.
std::pair<uint32_t, uint32_t> partial_range(const Utf8Partial& p) {
  uint8_t lo[4], hi[4];
  for (int i = 0; i < p.n; ++i) lo[i] = hi[i] = p.bytes[i];
  for (int i = p.n; i < p.need; ++i) {
    if (i == 1) {
      const auto [a, b] = next_byte_range(p);
      lo[i] = a;
      hi[i] = b;
    } else {
      lo[i] = 0x80;
      hi[i] = 0xBF;
    }
  }
  return {decode(lo, p.need), decode(hi, p.need)};
}

// The state with partial q pending after stacks: keeps the stacks whose class intersects q's
// possible code points (false when none does) and marks q uniform when each contains them all.
bool enter_partial(const Grammar& g, const std::vector<Stack>& stacks, Utf8Partial q,
                   GrammarState& out) {
  const auto [lo, hi] = partial_range(q);
  bool uniform = true;
  out.stacks.clear();
  for (const Stack& s : stacks) {
    if (s.empty()) continue;
    const uint32_t set = g.symbols()[s.back()].index;
    if (!g.chars_intersect(set, lo, hi)) continue;
    if (!g.chars_contain(set, lo, hi)) uniform = false;
    out.stacks.push_back(s);
  }
  if (out.stacks.empty()) return false;
  if (uniform) {
    q.uniform = 1;
    if (q.n > 1) q.bytes[0] = 0;
    q.bytes[1] = q.bytes[2] = 0;
  }
  out.partial = q;
  return true;
}

}  // namespace

GrammarState GrammarState::initial(const Grammar& g) {
  GrammarState st;
  for (uint32_t start : g.alternatives(g.root_rule())) expand(g, Stack{start}, st.stacks);
  sort_unique(st.stacks);
  return st;
}

bool GrammarState::step(const Grammar& g, const GrammarState& in, uint8_t b, GrammarState& out) {
  const Utf8Partial& p = in.partial;
  if (p.n == 0) {
    if (b < 0x80) {
      out.partial = {};
      step_code_point(g, in.stacks, b, false, out.stacks);
      return !out.stacks.empty();
    }
    uint8_t need = 0;
    if (b >= 0xC2 && b <= 0xDF) need = 2;
    if (b >= 0xE0 && b <= 0xEF) need = 3;
    if (b >= 0xF0 && b <= 0xF4) need = 4;
    if (need == 0) return false;  // a continuation byte, or a byte UTF-8 never uses
    Utf8Partial q;
    q.bytes[0] = b;
    q.n = 1;
    q.need = need;
    return enter_partial(g, in.stacks, q, out);
  }
  const auto [lo, hi] = next_byte_range(p);
  if (b < lo || b > hi) return false;
  if (p.n + 1 == p.need) {
    uint8_t full[4] = {p.bytes[0], p.bytes[1], p.bytes[2], b};
    full[p.n] = b;
    out.partial = {};
    step_code_point(g, in.stacks, decode(full, p.need), p.uniform != 0, out.stacks);
    return !out.stacks.empty();
  }
  if (p.uniform != 0) {  // every completion stays inside every stack's class
    out.stacks = in.stacks;
    out.partial = p;
    out.partial.n = static_cast<uint8_t>(p.n + 1);
    out.partial.bytes[0] = 0;
    return true;
  }
  Utf8Partial q = p;
  q.bytes[q.n++] = b;
  return enter_partial(g, in.stacks, q, out);
}

Utf8Partial Utf8Partial::from_key(uint32_t key) {
  Utf8Partial p;
  p.n = key & 0x7;
  p.uniform = (key >> 3) & 0x1;
  p.need = (key >> 4) & 0xF;
  p.bytes[0] = static_cast<uint8_t>(key >> 8);
  p.bytes[1] = static_cast<uint8_t>(key >> 16);
  p.bytes[2] = static_cast<uint8_t>(key >> 24);
  return p;
}

bool GrammarState::can_end() const {
  if (partial.n != 0) return false;
  return std::any_of(stacks.begin(), stacks.end(), [](const Stack& s) { return s.empty(); });
}

bool GrammarState::can_continue() const {
  if (partial.n != 0) return true;
  return std::any_of(stacks.begin(), stacks.end(), [](const Stack& s) { return !s.empty(); });
}

GrammarMatcher::GrammarMatcher(std::shared_ptr<const Grammar> grammar)
    : grammar_(std::move(grammar)) {
  LLMKIT_CHECK(grammar_ != nullptr, "GrammarMatcher: null grammar");
  state_ = GrammarState::initial(*grammar_);
}

bool GrammarMatcher::accept_bytes(std::string_view bytes) {
  GrammarState cur = state_, next;
  for (char c : bytes) {
    if (!GrammarState::step(*grammar_, cur, static_cast<uint8_t>(c), next)) return false;
    std::swap(cur, next);
  }
  state_ = std::move(cur);
  return true;
}

bool GrammarMatcher::accepts(std::string_view bytes) const {
  GrammarMatcher copy = *this;
  return copy.accept_bytes(bytes);
}

void GrammarMatcher::reset() {
  state_ = GrammarState::initial(*grammar_);
}

bool grammar_matches(const Grammar& g, std::string_view text) {
  GrammarState cur = GrammarState::initial(g), next;
  for (char c : text) {
    if (!GrammarState::step(g, cur, static_cast<uint8_t>(c), next)) return false;
    std::swap(cur, next);
  }
  return cur.can_end();
}

}  // namespace llmkit::infer
