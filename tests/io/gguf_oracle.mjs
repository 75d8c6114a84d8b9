// Independent GGUF reader for tests/io/gguf_test.cpp: parses the file named on the command line
// with the npm package @huggingface/gguf (installed into data/npm/ by scripts/setup.sh through
// scripts/install_test_oracles.sh) and prints what it found as one JSON object:
//   { "version", "tensor_count", "kv_count", "tensor_data_offset",
//     "metadata": [ { "key", "type", "sub_type", "value" } ... ]   (file order),
//     "tensors":  [ { "name", "n_dims", "shape": ["4", ...], "type", "offset": "0" } ... ] }
// Values are tagged so that no information is lost in JSON: {"num": 1.5} (non-finite numbers as
// the strings "NaN", "Infinity", "-Infinity"), {"big": "123"} for 64-bit integers,
// {"str": "..."}, {"bool": true}, {"arr": [...]}. Exits 2 with a message when the package is
// missing, 1 when parsing fails.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const packageEntry = new URL(
  "../../data/npm/node_modules/@huggingface/gguf/dist/index.mjs",
  import.meta.url,
);
if (!existsSync(fileURLToPath(packageEntry))) {
  console.error(
    "gguf_oracle: @huggingface/gguf is not installed in data/npm/; run scripts/setup.sh " +
      "(or scripts/install_test_oracles.sh)",
  );
  process.exit(2);
}
const { gguf } = await import(packageEntry.href);

function tag(value) {
  if (typeof value === "bigint") return { big: value.toString() };
  if (typeof value === "number") return { num: Number.isFinite(value) ? value : String(value) };
  if (typeof value === "string") return { str: value };
  if (typeof value === "boolean") return { bool: value };
  if (Array.isArray(value)) return { arr: value.map(tag) };
  throw new Error(`unexpected metadata value ${value}`);
}

const path = process.argv[2];
if (!path) {
  console.error("usage: node gguf_oracle.mjs FILE.gguf");
  process.exit(2);
}
try {
  const { metadata, typedMetadata, tensorInfos, tensorDataOffset } = await gguf(path, {
    allowLocalFile: true,
    typedMetadata: true,
  });
  const pseudoKeys = new Set(["version", "tensor_count", "kv_count"]);
  const out = {
    version: metadata.version,
    tensor_count: metadata.tensor_count.toString(),
    kv_count: metadata.kv_count.toString(),
    tensor_data_offset: tensorDataOffset.toString(),
    metadata: Object.keys(typedMetadata)
      .filter((key) => !pseudoKeys.has(key))
      .map((key) => {
        const entry = typedMetadata[key];
        return {
          key,
          type: entry.type,
          sub_type: entry.subType ?? null,
          value: tag(entry.value),
        };
      }),
    tensors: tensorInfos.map((t) => ({
      name: t.name,
      n_dims: t.n_dims,
      shape: t.shape.map((d) => d.toString()),
      type: t.dtype,
      offset: t.offset.toString(),
    })),
  };
  process.stdout.write(JSON.stringify(out) + "\n");
} catch (e) {
  console.error(`gguf_oracle: cannot parse '${path}': ${e.message}`);
  process.exit(1);
}
