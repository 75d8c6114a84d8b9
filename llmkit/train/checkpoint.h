// Training checkpoints: one folder holding everything needed to continue a run bit-exactly.
//
//   <run>/checkpoint/
//     model.safetensors, config.json   the model (models::save_model)
//     tokenizer.model                  copy of the run's tokenizer
//     optimizer.safetensors            optimizer state (AdamW moments and step counts)
//     trainer_state.json               step, data position, options, metric history pointers
//     objective.safetensors            parameters of the training objective, when it has any
//
// Atomicity: the folder is written as <run>/checkpoint.tmp, then swapped in by renames
// (checkpoint -> checkpoint.old, checkpoint.tmp -> checkpoint, remove checkpoint.old). A crash at
// any point leaves a complete checkpoint or checkpoint.old, and find_checkpoint() picks it up.
#pragma once

#include <string>

#include "llmkit/models/transformer_lm.h"
#include "llmkit/optim/optimizer.h"

namespace llmkit::train {

struct CheckpointContents {
  const models::TransformerLM* model = nullptr;
  const optim::Optimizer* optimizer = nullptr;
  std::string tokenizer_path;             // copied into the checkpoint when non-empty
  std::string trainer_state;              // JSON text
  const nn::Module* objective = nullptr;  // saved as objective.safetensors when not null
};

// Writes <run_dir>/checkpoint atomically (see above).
void save_checkpoint(const std::string& run_dir, const CheckpointContents& contents);

// The two halves of that protocol, for runs that save other contents: stage_checkpoint makes an
// empty <run_dir>/checkpoint.tmp and returns its path (Error(kIo) when it cannot);
// publish_checkpoint swaps it in as <run_dir>/checkpoint (the previous one is moved to
// checkpoint.old first and removed last, so a crash always leaves one complete folder).
std::string stage_checkpoint(const std::string& run_dir);
void publish_checkpoint(const std::string& run_dir);

// The checkpoint folder of a run ("<run>/checkpoint", or the ".old" left by a crash), or "" if
// none exists.
std::string find_checkpoint(const std::string& run_dir);

}  // namespace llmkit::train
