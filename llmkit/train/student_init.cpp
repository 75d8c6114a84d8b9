#include "llmkit/train/student_init.h"

#include <string>

#include "llmkit/autograd/node.h"
#include "llmkit/base/error.h"
#include "llmkit/models/tensor_names.h"

namespace llmkit::train {

models::ModelConfig student_config_from_teacher(const models::ModelConfig& teacher,
                                                int64_t n_layer) {
  LLMKIT_CHECK(n_layer >= 1 && n_layer <= teacher.n_layer, "distill: the student's ", n_layer,
               " layers must be between 1 and the teacher's ", teacher.n_layer);
  models::ModelConfig c = teacher;
  c.n_layer = n_layer;
  return c;
}

std::vector<int64_t> student_layer_map(int64_t teacher_layers, int64_t student_layers) {
  LLMKIT_CHECK(student_layers >= 1 && student_layers <= teacher_layers, "distill: a student of ",
               student_layers, " layers cannot be initialised from a teacher of ", teacher_layers);
  std::vector<int64_t> map(static_cast<size_t>(student_layers));
  for (int64_t i = 0; i < student_layers; ++i) map[i] = i * teacher_layers / student_layers;
  return map;
}

std::vector<int64_t> init_student_from_teacher(models::TransformerLM& student,
                                               const models::ModelFile& teacher) {
  const models::ModelConfig& s = student.config();
  const models::ModelConfig& t = teacher.config;
  auto same = [&](const char* what, int64_t a, int64_t b) {
    LLMKIT_CHECK(a == b, "distill --init-from-teacher: the student's ", what, " (", a,
                 ") differs from the teacher's (", b, ") in '", teacher.path,
                 "'; the student must have the teacher's widths (only n_layer may be smaller)");
  };
  LLMKIT_CHECK(s.arch == t.arch, "distill --init-from-teacher: the student is ",
               models::arch_name(s.arch), " but the teacher '", teacher.path, "' is ",
               models::arch_name(t.arch));
  same("n_embd", s.n_embd, t.n_embd);
  same("n_head", s.n_head, t.n_head);
  same("n_head_kv", s.n_head_kv, t.n_head_kv);
  same("head_dim", s.head_dim, t.head_dim);
  same("n_ff", s.n_ff, t.n_ff);
  same("n_vocab", s.n_vocab, t.n_vocab);
  std::vector<int64_t> map = student_layer_map(t.n_layer, s.n_layer);

  nn::NamedTensors state;
  for (const auto& [name, param] : student.named_parameters()) {
    std::string source = name;
    if (name.starts_with("blk.")) {
      const size_t dot = name.find('.', 4);
      const int64_t layer = std::stoll(name.substr(4, dot - 4));
      source = "blk." + std::to_string(map[layer]) + name.substr(dot);
    }
    auto it = teacher.weights.find(source);
    LLMKIT_CHECK_CODE(it != teacher.weights.end(), ErrorCode::kNotFound,
                      "distill --init-from-teacher: the teacher '", teacher.path, "' has no ",
                      source, " for the student's ", name);
    state.emplace_back(name, it->second.to_f32());
  }
  autograd::NoGradGuard no_grad;
  student.load_state_dict(state);
  return map;
}

}  // namespace llmkit::train
