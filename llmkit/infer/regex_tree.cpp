#include "llmkit/infer/regex_tree.h"

#include "llmkit/base/error.h"

namespace llmkit::infer::regex_detail {

using gbnf::CodepointSet;

Node chars_node(CodepointSet set) {
  Node n;
  n.kind = Node::Kind::kChars;
  n.set = std::move(set);
  return n;
}

Node repeat_node(Node kid, int lo, int hi) {
  Node n;
  n.kind = Node::Kind::kRepeat;
  n.kids.push_back(std::move(kid));
  n.lo = lo;
  n.hi = hi;
  return n;
}

Node list_node(Node::Kind kind, std::vector<Node> kids) {
  if (kids.size() == 1) return std::move(kids[0]);
  Node n;
  n.kind = kids.empty() ? (kind == Node::Kind::kSeq ? Node::Kind::kEmpty : kind) : kind;
  n.kids = std::move(kids);
  return n;
}

bool nullable(const Node& n) {
  switch (n.kind) {
    case Node::Kind::kEmpty:
      return true;
    case Node::Kind::kChars:
    case Node::Kind::kRaw:
      return false;
    case Node::Kind::kSeq:
      for (const Node& k : n.kids) {
        if (!nullable(k)) return false;
      }
      return true;
    case Node::Kind::kAlt:
      for (const Node& k : n.kids) {
        if (nullable(k)) return true;
      }
      return false;
    case Node::Kind::kRepeat:
      return n.lo == 0 || nullable(n.kids[0]);
  }
  return false;
}

// Used so that no unbounded repetition has a body matching "" (GBNF engines loop on or reject
// such grammars).
bool non_empty(const Node& n, Node* out) {
  if (!nullable(n)) {
    *out = n;
    return true;
  }
  switch (n.kind) {
    case Node::Kind::kEmpty:
      return false;
    case Node::Kind::kChars:
    case Node::Kind::kRaw:
      *out = n;
      return true;
    case Node::Kind::kSeq: {
      // A1..An: the first non-empty part is Ai (earlier parts empty), followed by the rest.
      std::vector<Node> alts;
      for (size_t i = 0; i < n.kids.size(); ++i) {
        Node first;
        if (non_empty(n.kids[i], &first)) {
          std::vector<Node> seq{first};
          seq.insert(seq.end(), n.kids.begin() + i + 1, n.kids.end());
          alts.push_back(list_node(Node::Kind::kSeq, std::move(seq)));
        }
        if (!nullable(n.kids[i])) break;
      }
      if (alts.empty()) return false;
      *out = list_node(Node::Kind::kAlt, std::move(alts));
      return true;
    }
    case Node::Kind::kAlt: {
      std::vector<Node> alts;
      for (const Node& k : n.kids) {
        Node e;
        if (non_empty(k, &e)) alts.push_back(std::move(e));
      }
      if (alts.empty()) return false;
      *out = list_node(Node::Kind::kAlt, std::move(alts));
      return true;
    }
    case Node::Kind::kRepeat: {
      // X{m,n} without "" = X'{1,n}, X' = X without "" (copies of "" add nothing).
      Node body;
      if (n.hi == 0 || !non_empty(n.kids[0], &body)) return false;
      *out = repeat_node(std::move(body), 1, n.hi);
      return true;
    }
  }
  return false;
}

namespace {

// Writes a Node as GBNF. Literal characters in a sequence merge into one string.
class Emitter {
 public:
  explicit Emitter(bool json) : json_(json) {}

  // An expression; parenthesized when `atom` and it has more than one element.
  std::string emit(const Node& n, bool atom) const {
    switch (n.kind) {
      case Node::Kind::kEmpty:
        return "\"\"";
      case Node::Kind::kChars:
        return json_ ? gbnf::json_chars(n.set) : gbnf::one_of(n.set);
      case Node::Kind::kRaw:
        return n.raw;
      case Node::Kind::kSeq:
        return emit_seq(n, atom);
      case Node::Kind::kAlt: {
        std::string out = "(";
        for (size_t i = 0; i < n.kids.size(); ++i) {
          out += (i ? " | " : "") + emit(n.kids[i], false);
        }
        return out + ")";
      }
      case Node::Kind::kRepeat:
        return emit_repeat(n);
    }
    return "";
  }

 private:
  // The exact spelling of a single-character node in the grammar's text, when it has one.
  bool literal_text(const Node& n, std::string* text) const {
    uint32_t c = 0;
    if (n.kind != Node::Kind::kChars || !n.set.is_single(&c)) return false;
    // In JSON strings a control character has several spellings (\n and \u000a).
    if (json_ && c < 0x20) return false;
    if (json_ && (c == '"' || c == '\\')) text->push_back('\\');
    gbnf::append_utf8(text, c);
    return true;
  }

  std::string emit_seq(const Node& n, bool atom) const {
    std::vector<std::string> parts;
    std::string run;
    for (const Node& k : n.kids) {
      if (literal_text(k, &run)) continue;
      if (!run.empty()) parts.push_back(gbnf::literal(run)), run.clear();
      parts.push_back(emit(k, k.kind == Node::Kind::kSeq));
    }
    if (!run.empty()) parts.push_back(gbnf::literal(run));
    std::string out;
    for (size_t i = 0; i < parts.size(); ++i) out += (i ? " " : "") + parts[i];
    return atom && parts.size() > 1 ? "(" + out + ")" : out;
  }

  std::string emit_repeat(const Node& n) const {
    int lo = n.lo, hi = n.hi;
    const Node* body = &n.kids[0];
    Node stripped;
    if (nullable(*body)) {
      // X{m,n} with "" in X is X'{0,n}, X' = X without "": no repetition of a nullable body.
      if (!non_empty(*body, &stripped)) return "\"\"";
      body = &stripped;
      lo = 0;
    }
    if (hi == 0) return "\"\"";
    return gbnf::repeat(emit(*body, true), lo, hi);
  }

  bool json_;
};

}  // namespace

std::string emit_gbnf(const Node& n, bool json_chars) {
  return Emitter(json_chars).emit(n, /*atom=*/true);
}

}  // namespace llmkit::infer::regex_detail
