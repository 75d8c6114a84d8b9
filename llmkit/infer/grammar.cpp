// Grammar analysis and compilation: nullable rules, left recursion, pruning of alternatives that
// can never complete, and the flat symbol array.
#include "llmkit/infer/grammar.h"

#include <algorithm>

#include "llmkit/base/error.h"

namespace llmkit::infer {
namespace {

using RuleDefs = std::vector<Grammar::RuleDef>;

// nullable[r]: rule r derives the empty text.
std::vector<bool> nullable_rules(const RuleDefs& rules) {
  std::vector<bool> nullable(rules.size(), false);
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t r = 0; r < rules.size(); ++r) {
      if (nullable[r]) continue;
      for (const auto& alt : rules[r].alternatives) {
        const bool all = std::all_of(alt.begin(), alt.end(), [&](const GrammarSymbol& s) {
          return s.kind == GrammarSymbol::kRule && nullable[s.index];
        });
        if (all) {
          nullable[r] = true;
          changed = true;
          break;
        }
      }
    }
  }
  return nullable;
}

// Throws for a rule that can derive a text starting with itself (through nullable prefixes).
void check_left_recursion(const RuleDefs& rules) {
  const std::vector<bool> nullable = nullable_rules(rules);
  // left[r]: rules that can start a derivation of r.
  std::vector<std::vector<uint32_t>> left(rules.size());
  for (size_t r = 0; r < rules.size(); ++r) {
    for (const auto& alt : rules[r].alternatives) {
      for (const GrammarSymbol& s : alt) {
        if (s.kind != GrammarSymbol::kRule) break;
        left[r].push_back(s.index);
        if (!nullable[s.index]) break;
      }
    }
  }
  // Iterative depth-first search; a back edge closes a cycle.
  enum : uint8_t { kNew, kOpen, kDone };
  std::vector<uint8_t> color(rules.size(), kNew);
  std::vector<std::pair<uint32_t, size_t>> path;  // (rule, next edge)
  for (uint32_t start = 0; start < rules.size(); ++start) {
    if (color[start] != kNew) continue;
    path.emplace_back(start, 0);
    color[start] = kOpen;
    while (!path.empty()) {
      auto& [r, edge] = path.back();
      if (edge == left[r].size()) {
        color[r] = kDone;
        path.pop_back();
        continue;
      }
      const uint32_t next = left[r][edge++];
      if (color[next] == kNew) {
        color[next] = kOpen;
        path.emplace_back(next, 0);
      } else if (color[next] == kOpen) {
        // The cycle is next .. path.back(); name a rule the user wrote when there is one.
        size_t i = path.size();
        while (path[i - 1].first != next) --i;
        uint32_t named = next;
        for (size_t k = i - 1; k < path.size(); ++k) {
          const uint32_t q = path[k].first;
          if (rules[q].owner == q) {
            named = q;
            break;
          }
        }
        const Grammar::RuleDef& def = rules[named];
        if (def.owner == named) {
          throw_error(ErrorCode::kInvalidArgument,
                      str_cat("grammar ", def.where, ": left recursion in rule '", def.name,
                              "' (it can begin with itself); rewrite it with repetition, e.g. "
                              "`a ::= b (\"x\" b)*` instead of `a ::= a \"x\" b | b`"));
        }
        throw_error(
            ErrorCode::kInvalidArgument,
            str_cat("grammar ", def.where, ": left recursion in rule '", rules[def.owner].name,
                    "': a repeated item there can match the empty text"));
      }
    }
  }
}

// productive[r]: rule r derives some finite text. Character classes must be non-empty.
std::vector<bool> productive_rules(const RuleDefs& rules, const std::vector<CharRanges>& sets) {
  std::vector<bool> productive(rules.size(), false);
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t r = 0; r < rules.size(); ++r) {
      if (productive[r]) continue;
      for (const auto& alt : rules[r].alternatives) {
        const bool all = std::all_of(alt.begin(), alt.end(), [&](const GrammarSymbol& s) {
          return s.kind == GrammarSymbol::kRule ? productive[s.index] : !sets[s.index].empty();
        });
        if (all) {
          productive[r] = true;
          changed = true;
          break;
        }
      }
    }
  }
  return productive;
}

}  // namespace

Grammar::Grammar(std::vector<RuleDef> rules, std::vector<CharRanges> char_sets, uint32_t root)
    : char_sets_(std::move(char_sets)), root_(root) {
  LLMKIT_CHECK(root < rules.size(), "grammar: root rule index ", root, " out of range");
  check_left_recursion(rules);
  const std::vector<bool> productive = productive_rules(rules, char_sets_);
  LLMKIT_CHECK(productive[root], "grammar ", rules[root].where, ": rule '", rules[root].name,
               "' can derive no finite text (every way through it needs a rule that never ends or "
               "an empty character class)");
  rule_alt_begin_.push_back(0);
  for (RuleDef& rule : rules) {
    for (const auto& alt : rule.alternatives) {
      const bool keep = std::all_of(alt.begin(), alt.end(), [&](const GrammarSymbol& s) {
        return s.kind == GrammarSymbol::kRule ? productive[s.index] : !char_sets_[s.index].empty();
      });
      if (!keep) continue;
      alt_starts_.push_back(static_cast<uint32_t>(symbols_.size()));
      symbols_.insert(symbols_.end(), alt.begin(), alt.end());
      symbols_.push_back({GrammarSymbol::kEnd, 0});
    }
    rule_alt_begin_.push_back(static_cast<uint32_t>(alt_starts_.size()));
    rule_names_.push_back(std::move(rule.name));
  }
}

bool Grammar::char_matches(uint32_t set, uint32_t cp) const {
  return chars_intersect(set, cp, cp);
}

bool Grammar::chars_intersect(uint32_t set, uint32_t lo, uint32_t hi) const {
  const CharRanges& r = char_sets_[set];
  if (r.size() <= 4) {
    for (const auto& [a, b] : r) {
      if (b >= lo) return a <= hi;
    }
    return false;
  }
  // First range whose end is >= lo.
  auto it = std::partition_point(r.begin(), r.end(), [&](const auto& p) { return p.second < lo; });
  return it != r.end() && it->first <= hi;
}

bool Grammar::chars_contain(uint32_t set, uint32_t lo, uint32_t hi) const {
  const CharRanges& r = char_sets_[set];
  auto it = std::partition_point(r.begin(), r.end(), [&](const auto& p) { return p.second < lo; });
  return it != r.end() && it->first <= lo && it->second >= hi;
}

}  // namespace llmkit::infer
