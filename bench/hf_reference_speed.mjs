// Encode throughput (MB/s of UTF-8 input, one thread) of the JS reference tokenizer,
// @lenml/tokenizers (transformers.js), on Gemma 3's tokenizer.json and the same text as
// bench/tokenizer_bench.cpp's HfGemma3: lines of data/corpora/sotu (files in name order, empty
// lines skipped) until 512 KiB, each line encoded on its own.
// Usage: node bench/hf_reference_speed.mjs [TOKENIZER_JSON] [SECONDS]
// Needs scripts/setup.sh (installs the packages into data/npm).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const npm = path.join(root, "data", "npm", "node_modules", "@lenml");
const tokenizerPath = process.argv[2] ||
  path.join(npm, "tokenizer-gemma3", "models", "tokenizer.json");
const seconds = Number(process.argv[3] || 3);
const moduleFile = path.join(npm, "tokenizers", "dist", "main.mjs");
for (const f of [moduleFile, tokenizerPath]) {
  if (!fs.existsSync(f)) {
    console.error(`hf_reference_speed: ${f} not found: run scripts/setup.sh`);
    process.exit(2);
  }
}
const { TokenizerLoader } = await import(pathToFileURL(moduleFile).href);
const configPath = path.join(path.dirname(tokenizerPath), "tokenizer_config.json");
const tok = TokenizerLoader.fromPreTrained({
  tokenizerJSON: JSON.parse(fs.readFileSync(tokenizerPath, "utf8")),
  tokenizerConfig: fs.existsSync(configPath) ? JSON.parse(fs.readFileSync(configPath, "utf8")) : {},
});

const limit = 512 * 1024;
const lines = [];
let bytes = 0;
const sotu = path.join(root, "data", "corpora", "sotu");
const files = fs.existsSync(sotu) ? fs.readdirSync(sotu).filter((f) => f.endsWith(".txt")).sort() : [];
if (files.length === 0) {
  console.error(`hf_reference_speed: ${sotu} not found: run scripts/setup.sh`);
  process.exit(2);
}
outer: for (const f of files) {
  for (const line of fs.readFileSync(path.join(sotu, f), "utf8").split("\n")) {
    if (bytes >= limit) break outer;
    if (line === "") continue;
    lines.push(line);
    bytes += Buffer.byteLength(line, "utf8");
  }
}

let passes = 0;
let tokens = 0;
const start = process.hrtime.bigint();
let elapsed = 0;
do {
  for (const line of lines) tokens += tok.encode(line, { add_special_tokens: false }).length;
  ++passes;
  elapsed = Number(process.hrtime.bigint() - start) / 1e9;
} while (elapsed < seconds);
const mbps = (passes * bytes) / 1e6 / elapsed;
console.log(JSON.stringify({
  tokenizer: tokenizerPath, lines: lines.length, bytes, passes, seconds: elapsed,
  tokens_per_pass: tokens / passes, MBps: mbps,
}));
