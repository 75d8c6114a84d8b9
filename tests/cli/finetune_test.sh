#!/usr/bin/env bash
# `llmkit make-qa`, `llmkit finetune` and `llmkit eval-qa` end to end on a slice of the bundled
# corpus: the QA files agree with the corpus bytes and with each other (checked by an independent
# Python reader), make-qa is deterministic, a tiny model trained here is fine-tuned on the SFT
# conversations, its run folder exports to a GGUF carrying the gemma chat template, and bad input
# fails with messages naming the problem.
# Usage: finetune_test.sh LLMKIT_BINARY SOURCE_DIR
source "$(dirname "$0")/common.sh"

mkdir -p "$tmp/corpus"
cp "$src"/data/corpora/sotu/1[89][0-9]0_*.txt "$tmp/corpus/"

"$llmkit" make-qa --corpus "$tmp/corpus" --out "$tmp/qa" --sources-per-question 2 \
  --passage-bytes 100 >"$tmp/qa.txt" || fail "make-qa failed"
grep -q "held-out questions" "$tmp/qa.txt" || fail "no make-qa summary: $(cat "$tmp/qa.txt")"
python3 - "$tmp/qa" <<'PY' || fail "make-qa output is inconsistent"
import json, sys
d = sys.argv[1]
read = lambda name: [json.loads(l) for l in open(f"{d}/{name}", encoding="utf-8")]
dev, held = read("qa_dev.jsonl"), read("qa_heldout.jsonl")
assert len(dev) > 50 and len(held) > 10, (len(dev), len(held))
for q in dev + held:
    raw = open(q["source"], "rb").read()
    assert raw[q["begin"]:q["end"]].decode("utf-8") == q["passage"], q["id"]
    a = q["answer"].encode("utf-8")
    assert raw[q["answer_begin"]:q["answer_begin"] + len(a)] == a, q["id"]
    assert q["question"].endswith("?") and q["answer"].lower() not in q["question"].lower(), q["id"]
assert not {q["source"] for q in dev} & {q["source"] for q in held}, "split shares a document"
assert [p["query"] for p in read("pairs.jsonl")] == [q["question"] for q in dev]
by_id = {q["id"]: q for q in dev}
sft = read("sft.jsonl")
assert len(sft) == len(dev)
head = ("Answer the question from the sources. Cite the source number like [1]. If the sources "
        "do not contain the answer, say \"The sources do not say.\"\n\n")
none = 0
for s in sft:
    user, answer = s["messages"]
    assert user["role"] == "user" and answer["role"] == "assistant"
    q = by_id[s["id"]]
    assert user["content"].startswith(head + "[1] ")
    assert user["content"].endswith("\n\nQuestion: " + q["question"])
    assert "\n[2] " in user["content"] and "\n[3] " not in user["content"]
    if s["gold"] == 0:
        none += 1
        assert answer["content"] == "The sources do not say."
    else:
        assert answer["content"] == f'{q["answer"]} [{s["gold"]}]'
        line = [l for l in user["content"].split("\n") if l.startswith(f'[{s["gold"]}] ')][0]
        assert " ".join(q["passage"].split()) in line, s["id"]
assert 0.08 < none / len(sft) < 0.35, none / len(sft)
assert len(read("sft_heldout.jsonl")) == len(held)
PY
echo "ok: make-qa files agree with the corpus"

"$llmkit" make-qa --corpus "$tmp/corpus" --out "$tmp/qa2" --sources-per-question 2 \
  --passage-bytes 100 >/dev/null
for f in qa_dev qa_heldout pairs sft sft_heldout; do
  cmp -s "$tmp/qa/$f.jsonl" "$tmp/qa2/$f.jsonl" || fail "make-qa is not deterministic ($f)"
done
echo "ok: make-qa is deterministic"

# A tiny base model.
"$llmkit" tokenizer train --input "$tmp"/corpus/*.txt --vocab-size 2000 --out "$tmp/tok.model" \
  >/dev/null 2>&1
"$llmkit" data prepare --input "$tmp/corpus" --tokenizer "$tmp/tok.model" --out "$tmp/shards" \
  --val-fraction 0.2 --quiet >/dev/null
"$llmkit" train --arch gemma3 --preset tiny --steps 4 --data "$tmp/shards" --batch 2 --seq 32 \
  --warmup 1 --eval-every 0 --eval-batches 2 --threads 1 --no-progress --out "$tmp/base" \
  >/dev/null

common=(--base "$tmp/base" --data "$tmp/qa/sft.jsonl" --batch 2 --seq 256 --warmup 1
  --eval-every 0 --eval-batches 1 --threads 1 --no-progress)
"$llmkit" finetune "${common[@]}" --steps 3 --out "$tmp/ft" >"$tmp/ft.txt" 2>"$tmp/ft.err" \
  || fail "finetune failed: $(cat "$tmp/ft.err")"
grep -q "built-in gemma" "$tmp/ft.err" || fail "not the gemma format: $(cat "$tmp/ft.err")"
grep -q "tuned" "$tmp/ft.txt" || fail "no result: $(cat "$tmp/ft.txt")"
python3 - "$tmp/ft" <<'PY' || fail "finetune run folder incomplete"
import json, os, sys
d = sys.argv[1]
r = json.load(open(d + "/finetune.json"))
assert r["train"] > 0 and r["validation"]["tokens"] > 0 and r["base_validation"]["tokens"] > 0
lines = [json.loads(l) for l in open(d + "/metrics.jsonl")]
assert len(lines) == 3 and all(l["sft_tokens"] > 0 for l in lines)
for f in ["checkpoint/config.json", "checkpoint/model.safetensors", "checkpoint/tokenizer.model",
          "chat_template.jinja", "sft_data/manifest.json"]:
    assert os.path.exists(os.path.join(d, f)), f
PY
echo "ok: finetune writes a complete run folder"

"$llmkit" finetune "${common[@]}" --steps 3 --out "$tmp/ft" >/dev/null 2>"$tmp/again.err" \
  && fail "finetune over an existing run succeeded"
grep -q "already holds a run" "$tmp/again.err" || fail "unclear message: $(cat "$tmp/again.err")"
"$llmkit" finetune "${common[@]}" --steps 5 --resume --out "$tmp/ft" >/dev/null 2>&1 \
  || fail "finetune --resume failed"
[ "$(wc -l <"$tmp/ft/metrics.jsonl")" = 5 ] || fail "resume did not continue to step 5"
echo "ok: finetune refuses to overwrite and resumes"

"$llmkit" export --from "$tmp/ft" --to "$tmp/ft.gguf" >/dev/null 2>&1 || fail "export failed"
echo '[{"role": "user", "content": "hi"}]' >"$tmp/m.json"
"$llmkit" template render -m "$tmp/ft.gguf" --messages "$tmp/m.json" --add-generation-prompt \
  >"$tmp/render.txt" 2>&1 || fail "the GGUF has no chat template: $(cat "$tmp/render.txt")"
grep -q "<start_of_turn>user" "$tmp/render.txt" || fail "not gemma's format: $(cat "$tmp/render.txt")"
echo "ok: the exported GGUF carries the chat template"

"$llmkit" eval-qa -m "$tmp/ft.gguf" --data "$tmp/qa/sft_heldout.jsonl" -n 3 -t 1 --max-tokens 8 \
  --report "$tmp/eval.json" >"$tmp/eval.txt" 2>&1 || fail "eval-qa failed: $(cat "$tmp/eval.txt")"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["answerable"]+r["unanswerable"]==3 and len(r["answers"])==3' \
  "$tmp/eval.json" || fail "eval-qa report incomplete"
echo "ok: eval-qa scores the tuned model"

echo '{"messages": "oops"}' >"$tmp/bad.jsonl"
"$llmkit" finetune --base "$tmp/base" --data "$tmp/bad.jsonl" --out "$tmp/bad" >/dev/null \
  2>"$tmp/bad.err" && fail "bad data accepted"
grep -q "line 1" "$tmp/bad.err" || fail "unclear message: $(cat "$tmp/bad.err")"
"$llmkit" finetune --base "$tmp/nothing" --data "$tmp/qa/sft.jsonl" --out "$tmp/x" >/dev/null \
  2>"$tmp/nobase.err" && fail "missing base accepted"
grep -q "nothing" "$tmp/nobase.err" || fail "unclear message: $(cat "$tmp/nobase.err")"
"$llmkit" make-qa --corpus "$tmp/none" --out "$tmp/y" >/dev/null 2>"$tmp/nocorpus.err" \
  && fail "missing corpus accepted"
grep -q "none" "$tmp/nocorpus.err" || fail "unclear message: $(cat "$tmp/nocorpus.err")"
echo "ok: bad input is refused with clear messages"
