// Data preparation: text files -> tokenized, split, binary token shards (format in
// shard_manifest.h), the input of TokenDataset / DataLoader.
//
// Documents: every input file is one document. Inputs may be files (taken whatever their
// extension) or directories (searched recursively for *.txt). All found files are sorted by path
// and de-duplicated, so the order of the inputs does not matter. A document whose text is empty or
// only whitespace is skipped (listed in the manifest's sources as "skipped").
//
// Token stream: each document is encoded with the tokenizer and preceded by its BOS id (Gemma
// style: BOS starts every document, no EOS), and documents follow each other in path order in
// their split's stream. The stream is cut into shards of at most shard_tokens tokens (a document
// may continue in the next shard).
//
// Split: a document goes to validation when hash(seed, key, contents) / 2^64 < val_fraction, where
// key is the document's path relative to the input directory it was found in (its file name for
// a file given directly). The split of a document therefore depends only on its own name and text,
// not on the order of the inputs, the other documents, or where the corpus folder lives.
//
// Output: out/train_000.bin, ..., out/val_000.bin, ..., out/manifest.json, each written atomically.
// Everything is checked (inputs, tokenizer, both splits non-empty) before the output folder is
// touched; then the old manifest is removed first and the new one written last, so an interrupted
// run leaves no manifest, never a manifest that describes other shards. Shards of an earlier run
// that the new manifest does not list are deleted.
//
// Errors (llmkit::Error, each naming the path): an input that does not exist (kNotFound), a
// directory without .txt files, a corpus with no text, a split left empty (suggesting another
// --val-fraction), a tokenizer that is missing or cannot be loaded, an output path that is not a
// directory.
//
// Threads: documents are encoded in parallel on the current Context's pool (Context::Scope);
// the output does not depend on the thread count.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "llmkit/tokenizer/tokenizer.h"
#include "llmkit/train/shard_manifest.h"

namespace llmkit::train {

struct PrepareOptions {
  std::vector<std::string> inputs;  // files and/or directories
  std::string tokenizer;            // tokenizer model path (recorded in the manifest)
  std::string out;                  // output folder, created when missing
  double val_fraction = 0.05;       // in (0, 1)
  int64_t shard_tokens = int64_t{16} << 20;
  uint64_t seed = 0;
  bool progress = true;  // progress bar over bytes on stderr
};

struct PrepareSummary {
  ShardManifest manifest;  // as written to out/manifest.json
  int64_t bytes = 0;       // text bytes tokenized
  double seconds = 0.0;
};

// One document found from the inputs.
struct DocumentSource {
  std::string path;  // openable path (input joined with the relative path)
  std::string key;   // path relative to its input directory, or the file name; hashed for the split
};

// The documents the inputs name, sorted by path, without duplicates. Throws kNotFound for a
// missing input and kInvalidArgument for a directory without .txt files or no inputs at all.
std::vector<DocumentSource> find_documents(const std::vector<std::string>& inputs);

// True when the document goes to the validation split (see the Split rule above).
bool is_validation_document(const std::string& key, const std::string& text, uint64_t seed,
                            double val_fraction);

// Loads options.tokenizer (SentencePiece model) and prepares the shards.
PrepareSummary prepare_data(const PrepareOptions& options);

// Same with an already loaded tokenizer; options.tokenizer is only recorded in the manifest.
PrepareSummary prepare_data(const PrepareOptions& options, const tokenizer::Tokenizer& tok);

}  // namespace llmkit::train
