// Sequence-level distillation data (Kim & Rush 2016): the teacher samples a corpus that a student
// then trains on with the ordinary next-token loss.
//
// Sample i (0 <= i < sequences) is: BOS, then prompt_tokens tokens copied from a window of the
// source data's train split (window start drawn from (seed, i); 0 prompt tokens: BOS alone), then
// tokens sampled from the teacher (temperature, top-k) until the sample holds `length` tokens. A
// sample depends only on (teacher, data, options, i), not on the thread count or on interruption.
//
// Output folder `out` is a token shard folder (shard_manifest.h) that TokenDataset opens:
//   train_000.bin ...  the samples, one after another (each starts with BOS)
//   val_000.bin ...    copies of the source data's validation shards (students are evaluated on
//                      real text, not on teacher samples)
//   manifest.json      the source's tokenizer, n_vocab and bos; sources = ["teacher:<path>"]
//   progress.bin       while generating: "LLMKTCP1", u64 run key (little-endian; a hash of the
//                      teacher path and vocabulary, the data's tokenizer and train shard checksums,
//                      length, prompt_tokens, temperature, top_k, seed), then the samples finished
//                      so far (u32 little-endian ids, `length` each)
// Resumable: an interrupted run (stop flag or crash) keeps progress.bin; calling again with the
// same options continues after the last complete sample (a torn last sample is cut off; `sequences`
// may grow). A progress.bin with another run key is an error (kInvalidArgument: delete it or pass
// the original options). The old manifest is removed first; the new one is written last,
// atomically, after the train shards and the copied val shards; then progress.bin and shards of
// earlier runs that the manifest does not list are deleted.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "llmkit/infer/model.h"
#include "llmkit/train/token_dataset.h"

namespace llmkit::train {

struct TeacherCorpusOptions {
  int64_t sequences = 256;    // samples to generate
  int64_t length = 128;       // tokens per sample, BOS and prompt included
  int64_t prompt_tokens = 4;  // real tokens after BOS before sampling starts
  float temperature = 1.0f;
  int64_t top_k = 0;  // 0: whole vocabulary
  uint64_t seed = 1;
  int threads = 2;
  bool progress = true;  // progress bar (samples, rate, ETA) on stderr
};

struct TeacherCorpusSummary {
  int64_t samples = 0;           // complete samples in the folder
  bool interrupted = false;      // stopped by the flag before all were generated
  int64_t generated_tokens = 0;  // sampled (not copied) tokens in this call
  double seconds = 0.0;
};

// Vocabularies: check_same_vocabulary (teacher.h): the teacher's n_vocab is at least the data's
// and its tokenizer, when it has one, is the data's. Sampled ids are always < the data's n_vocab
// (a padded teacher's extra ids are never candidates).
// Errors: vocabularies differ -> kInvalidArgument naming teacher and data; length <= prompt_tokens
// + 1, prompt_tokens < 0 or longer than the train split, sequences < 1, length > teacher n_ctx,
// temperature < 0, top_k < 0, threads < 1, out equal to the data folder -> kInvalidArgument naming
// the option; a damaged source val shard -> kCorruptData.
TeacherCorpusSummary generate_teacher_corpus(std::shared_ptr<const infer::Model> teacher,
                                             const std::string& teacher_path,
                                             const TokenDataset& data, const std::string& out,
                                             const TeacherCorpusOptions& options,
                                             const std::atomic<bool>* stop = nullptr);

}  // namespace llmkit::train
