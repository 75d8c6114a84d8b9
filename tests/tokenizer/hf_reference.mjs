// The reference tokenizer for tests/tokenizer/hf_reference_test.cpp: @lenml/tokenizers (a
// dependency-free fork of transformers.js' tokenizers), installed into data/npm/ by
// scripts/install_test_oracles.sh.
//
// Usage: node hf_reference.mjs TOKENIZER_JSON TEXT_FILE MODE
//   TOKENIZER_JSON  a tokenizer.json; a tokenizer_config.json next to it is used when present
//                   (it picks the tokenizer class, e.g. GemmaTokenizer), else {}.
//   TEXT_FILE       read as bytes and decoded as UTF-8 with TextDecoder (fatal: false), so invalid
//                   bytes become U+FFFD exactly as the WHATWG decoder does.
//   MODE            lines   every line of the text (split at '\n') is one case
//                   whole   the whole text is one case
//                   decode  every line is a list of ids separated by spaces, decoded
// Prints one JSON object to stdout:
//   { "special_tokens": [contents of the special added tokens],
//     "special_ids": [their ids], "bos_id": id or null,
//     "results": [ per case:
//        lines/whole: { "ids": encode(text, add_special_tokens=false),
//                       "ids_bos": encode(text, add_special_tokens=true),
//                       "decoded": decode(ids) (skip_special_tokens=false, no clean-up),
//                       "roundtrip": decoded === text }
//        decode:      { "decoded": decode(ids) as above } ] }
// Note that the reference always matches added tokens (special or not) written in the text.
// Exits 2 with a message on stderr for bad arguments or a missing package.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const moduleFile = path.join(
  here, "..", "..", "data", "npm", "node_modules", "@lenml", "tokenizers", "dist", "main.mjs");

function fail(message) {
  process.stderr.write(`hf_reference: ${message}\n`);
  process.exit(2);
}

const [tokenizerPath, textPath, mode] = process.argv.slice(2);
if (!tokenizerPath || !textPath || !["lines", "whole", "decode"].includes(mode)) {
  fail("usage: node hf_reference.mjs TOKENIZER_JSON TEXT_FILE lines|whole|decode");
}
if (!fs.existsSync(moduleFile)) {
  fail(`${moduleFile} not found: run scripts/setup.sh (installs @lenml/tokenizers into data/npm)`);
}
const { TokenizerLoader } = await import(pathToFileURL(moduleFile).href);

const tokenizerJSON = JSON.parse(fs.readFileSync(tokenizerPath, "utf8"));
const configPath = path.join(path.dirname(tokenizerPath), "tokenizer_config.json");
const tokenizerConfig = fs.existsSync(configPath)
  ? JSON.parse(fs.readFileSync(configPath, "utf8"))
  : {};
const tok = TokenizerLoader.fromPreTrained({ tokenizerJSON, tokenizerConfig });

const text = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true })
  .decode(fs.readFileSync(textPath));
const decodeOptions = { skip_special_tokens: false, clean_up_tokenization_spaces: false };
const decode = (ids) => tok.decode(ids, decodeOptions);

const results = [];
if (mode === "decode") {
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    results.push({ decoded: decode(line.trim().split(/\s+/).map(Number)) });
  }
} else {
  const cases = mode === "whole" ? [text] : text.split("\n");
  if (mode === "lines" && cases.length > 0 && cases[cases.length - 1] === "") cases.pop();
  for (const c of cases) {
    const ids = tok.encode(c, { add_special_tokens: false });
    const idsBos = tok.encode(c, { add_special_tokens: true });
    const decoded = decode(ids);
    results.push({ ids, ids_bos: idsBos, decoded, roundtrip: decoded === c });
  }
}

const special = tokenizerJSON.added_tokens.filter((t) => t.special);
const out = {
  special_tokens: special.map((t) => t.content),
  special_ids: special.map((t) => t.id),
  bos_id: tok.bos_token_id ?? null,
  results,
};
process.stdout.write(JSON.stringify(out));
process.stdout.write("\n");
