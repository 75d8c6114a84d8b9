// Student initialisation from a teacher (DistilBERT): a student with the teacher's widths and
// fewer layers starts from the teacher's embeddings, final norm, output matrix and an evenly
// spaced subset of its blocks, so distillation begins from the teacher's representations.
#pragma once

#include <cstdint>
#include <vector>

#include "llmkit/models/model_file.h"
#include "llmkit/models/transformer_lm.h"

namespace llmkit::train {

// The teacher's config with n_layer student layers (1 <= n_layer <= the teacher's, else
// kInvalidArgument).
models::ModelConfig student_config_from_teacher(const models::ModelConfig& teacher,
                                                int64_t n_layer);

// Teacher layer copied into student layer i: floor(i * L_teacher / L_student) (every other layer
// when the student has half the layers).
std::vector<int64_t> student_layer_map(int64_t teacher_layers, int64_t student_layers);

// Copies the teacher's weights (dequantized to f32) into the student: blk.i.* from
// blk.map[i].*, every other tensor by name. Errors (kInvalidArgument) name the first mismatch: a
// different architecture, width, head layout, MLP width or vocabulary size, or a student deeper
// than the teacher. Returns the layer map used.
std::vector<int64_t> init_student_from_teacher(models::TransformerLM& student,
                                               const models::ModelFile& teacher);

}  // namespace llmkit::train
