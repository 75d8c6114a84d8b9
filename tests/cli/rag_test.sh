#!/usr/bin/env bash
# `llmkit rag` end to end:
#   - index a folder of text / Markdown / HTML files plus a binary file (reported, skipped) with a
#     BERT GGUF embedder (written by tests/infer/bert_reference.py), BM25 only, and a decoder
#     model's embeddings; a second run reports everything unchanged; an edit is re-indexed;
#   - search in every mode returns chunks whose [begin, end) is the passage in the source file
#     (checked by Python against the file bytes); --json output parses;
#   - ask with a local model returns valid JSON with numbered sources whose offsets hold;
#   - eval on a small QA file prints recall per mode, and answer figures with -m;
#   - errors name the problem: no index, a vector mode on a BM25-only index, another embedder for
#     an existing index.
# Usage: rag_test.sh LLMKIT_BINARY SOURCE_DIR
source "$(dirname "$0")/common.sh"
py=/usr/bin/python3
docs="$tmp/docs"
mkdir -p "$docs/sub"
$py - "$docs" <<'PY'
import sys
d = sys.argv[1]
def para(topic, n):
    return " ".join(f"The {topic} report number {i} describes harvests, rivers and roads." for i in range(n))
open(f"{d}/wheat.txt", "w").write(para("wheat", 10) + "\n\nThe wheat harvest of 1887 was the largest ever recorded.\n\n" + para("barley", 6))
open(f"{d}/sub/rivers.md", "w").write("# Rivers\n\n" + para("river", 6) + "\n\n## Bridges\n\nThe Golden Bridge opened in 1937 over the strait.\n")
open(f"{d}/roads.html", "w").write("<html><head><title>Roads</title><style>p{}</style></head><body><h1>Roads</h1><p>" + para("road", 5) + "</p><p>The canal tolls were abolished in 1882.</p></body></html>")
open(f"{d}/blob.bin", "wb").write(bytes(range(256)) * 4)
PY

check_offsets() {  # JSON from search/ask --json: every hit's text is its source's bytes [begin, end)
  $py - "$1" <<'PY' || fail "offsets do not match the files: $(cat "$1")"
import json, sys
out = json.load(open(sys.argv[1]))
hits = out.get("hits", out.get("sources"))
assert hits, "no hits"
for h in hits:
    if h["source"].endswith(".html"):
        continue  # offsets index the extracted text of HTML, not the file
    data = open(h["source"], "rb").read()
    assert data[h["begin"]:h["end"]].decode() == h["text"], h
PY
}

# BERT embedder from the independent reference script.
mkdir -p "$tmp/bert"
$py "$src/tests/infer/bert_reference.py" "$tmp/bert" >/dev/null || fail "bert_reference.py"
bert="$tmp/bert/wp_f32.gguf"
"$llmkit" rag index "$docs" --db "$tmp/db_bert" --embed-model "$bert" --chunk-size 200 \
  --overlap 40 -q >"$tmp/out" 2>"$tmp/log" || fail "rag index (bert): $(cat "$tmp/log")"
grep -q "embedder bert:wp_f32.gguf:mean (--embed-model" "$tmp/log" || fail "embedder not named: $(cat "$tmp/log")"
grep -q "3 added" "$tmp/out" || fail "expected 3 added: $(cat "$tmp/out")"
grep -q "skipped .*blob.bin" "$tmp/log" || fail "binary not reported: $(cat "$tmp/log")"
"$llmkit" rag index "$docs" --db "$tmp/db_bert" -q >"$tmp/out" 2>"$tmp/log" || fail "re-index: $(cat "$tmp/log")"
grep -q "0 added, 0 updated, 3 unchanged" "$tmp/out" || fail "re-index changed something: $(cat "$tmp/out")"
echo "The wheat harvest failed in 1890." >>"$docs/wheat.txt"
"$llmkit" rag index "$docs" --db "$tmp/db_bert" -q >"$tmp/out" 2>"$tmp/log" || fail "re-index 2: $(cat "$tmp/log")"
grep -q "0 added, 1 updated, 2 unchanged" "$tmp/out" || fail "edit not re-indexed: $(cat "$tmp/out")"
for mode in dense bm25 hybrid mmr; do
  "$llmkit" rag search --db "$tmp/db_bert" "wheat harvest 1887" -k 3 --mode "$mode" --json \
    >"$tmp/search.json" 2>"$tmp/log" || fail "search --mode $mode: $(cat "$tmp/log")"
  check_offsets "$tmp/search.json"
done
$py -c '
import json, sys
h = json.load(open(sys.argv[1]))["hits"]
assert any("1887" in x["text"] for x in h), h' "$tmp/search.json" || fail "hybrid misses the 1887 passage"
"$llmkit" rag search --db "$tmp/db_bert" "Golden Bridge" --mode bm25 >"$tmp/out" 2>"$tmp/log" ||
  fail "search text: $(cat "$tmp/log")"
grep -q "rivers.md" "$tmp/out" || fail "bm25 misses the Markdown file: $(cat "$tmp/out")"

# BM25 only.
"$llmkit" rag index "$docs" --db "$tmp/db_bm25" --bm25-only -q >"$tmp/out" 2>"$tmp/log" ||
  fail "rag index --bm25-only: $(cat "$tmp/log")"
grep -q "BM25 only" "$tmp/log" || fail "BM25-only not said: $(cat "$tmp/log")"
"$llmkit" rag search --db "$tmp/db_bm25" "canal tolls" --json >"$tmp/search.json" 2>"$tmp/log" ||
  fail "bm25 search: $(cat "$tmp/log")"
$py -c '
import json, sys
o = json.load(open(sys.argv[1]))
assert o["mode"] == "bm25" and "canal" in o["hits"][0]["text"], o' "$tmp/search.json" || fail "bm25 default mode"
if "$llmkit" rag search --db "$tmp/db_bm25" "x" --mode dense >"$tmp/out" 2>"$tmp/log"; then
  fail "dense search on a BM25-only index succeeded"
fi
grep -q "BM25 only" "$tmp/log" || fail "unclear error: $(cat "$tmp/log")"
if "$llmkit" rag index "$docs" --db "$tmp/db_bm25" --embed-model "$bert" >"$tmp/out" 2>"$tmp/log"; then
  fail "another embedder for an existing index was accepted"
fi
grep -q "new --db" "$tmp/log" || fail "unclear error: $(cat "$tmp/log")"
if "$llmkit" rag search --db "$tmp/none" "x" >"$tmp/out" 2>"$tmp/log"; then fail "search without an index"; fi
grep -q "holds no index" "$tmp/log" || fail "unclear error: $(cat "$tmp/log")"

# A decoder model: embeddings (mean pooling) and answers.
corpus=("$src"/data/corpora/sotu/*.txt)
"$llmkit" tokenizer train --input "${corpus[@]:0:2}" --vocab-size 512 --type bpe \
  --out "$tmp/tok.model" >"$tmp/log" 2>&1 || fail "tokenizer train: $(cat "$tmp/log")"
model="$tmp/model"
"$llmkit" init --arch gemma3 --preset tiny --vocab 512 --out "$model" >/dev/null 2>&1 || fail "init"
cp "$tmp/tok.model" "$model/tokenizer.model"
"$llmkit" rag index "$docs" --db "$tmp/db_dec" --embed-model "$model" -q >"$tmp/out" 2>"$tmp/log" ||
  fail "rag index (decoder): $(cat "$tmp/log")"
grep -q "embedder decoder:model:mean" "$tmp/log" || fail "decoder embedder not named: $(cat "$tmp/log")"
"$llmkit" rag ask --db "$tmp/db_bert" -m "$model" "When was the largest wheat harvest?" -k 2 \
  --source-bytes 100 -n 8 --json >"$tmp/ask.json" 2>"$tmp/log" || fail "rag ask: $(cat "$tmp/log")"
check_offsets "$tmp/ask.json"
$py -c '
import json, sys
o = json.load(open(sys.argv[1]))
assert len(o["sources"]) == 2 and [s["rank"] for s in o["sources"]] == [1, 2], o
assert all(1 <= c <= 2 for c in o["citations"]), o' "$tmp/ask.json" || fail "ask JSON: $(cat "$tmp/ask.json")"

# eval on a small QA file.
$py - "$docs" "$tmp/qa.jsonl" <<'PY'
import json, sys
d, out = sys.argv[1], sys.argv[2]
items = [("wheat.txt", "The wheat harvest of 1887 was the largest ever recorded.", "When was the largest wheat harvest?", "1887"),
         ("sub/rivers.md", "The Golden Bridge opened in 1937 over the strait.", "When did the Golden Bridge open?", "1937")]
with open(out, "w") as f:
    for i, (name, sentence, q, a) in enumerate(items):
        data = open(f"{d}/{name}", "rb").read()
        b = data.index(sentence.encode())
        f.write(json.dumps({"id": i, "question": q, "answer": a, "source": f"{d}/{name}", "begin": b, "end": b + len(sentence.encode())}) + "\n")
PY
"$llmkit" rag eval --db "$tmp/db_bert" --qa "$tmp/qa.jsonl" --report "$tmp/report.json" \
  >"$tmp/out" 2>"$tmp/log" || fail "rag eval: $(cat "$tmp/log")"
for mode in dense bm25 hybrid; do grep -q "^  $mode " "$tmp/out" || fail "eval lacks $mode: $(cat "$tmp/out")"; done
$py -c '
import json, sys
r = json.load(open(sys.argv[1]))
bm25 = [m for m in r["retrieval"] if m["mode"] == "bm25"][0]
assert bm25["recall@10"] == 1.0, r' "$tmp/report.json" || fail "bm25 recall@10 on exact questions: $(cat "$tmp/out")"
"$llmkit" rag eval --db "$tmp/db_bert" --qa "$tmp/qa.jsonl" -m "$model" -n 6 -k 2 --source-bytes 100 >"$tmp/out" 2>"$tmp/log" ||
  fail "rag eval -m: $(cat "$tmp/log")"
grep -q "^answers (" "$tmp/out" || fail "no answer line: $(cat "$tmp/out")"
grep -q "^closed-book" "$tmp/out" || fail "no closed-book line: $(cat "$tmp/out")"
echo '{"question": 1}' >"$tmp/bad.jsonl"
if "$llmkit" rag eval --db "$tmp/db_bert" --qa "$tmp/bad.jsonl" >"$tmp/out" 2>"$tmp/log"; then fail "bad QA file accepted"; fi
grep -q "bad.jsonl:1: not a QA line" "$tmp/log" || fail "unclear error: $(cat "$tmp/log")"
echo "rag_test: ok"
