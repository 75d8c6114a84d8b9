#include "llmkit/models/bert_gguf.h"

#include "llmkit/base/error.h"
#include "llmkit/models/gguf_conventions.h"
#include "llmkit/tensor/creation.h"

namespace llmkit::models {
namespace {

constexpr const char* kArch = "bert";
constexpr uint32_t kPoolingMean = 1;  // llama_pooling_type LLAMA_POOLING_TYPE_MEAN

std::string key(const char* name) {
  return std::string(kArch) + "." + name;
}

io::GgufValue u32(int64_t v) {
  return io::GgufValue::u32(static_cast<uint32_t>(v));
}

}  // namespace

void add_bert_to_gguf(const BertModel& model, const BertExportOptions& options,
                      io::GgufWriter& writer) {
  const BertConfig& c = model.config();
  const io::GgmlTypeInfo& type = io::ggml_type_info(options.type);
  LLMKIT_CHECK_CODE(type.writable, ErrorCode::kUnsupported, "bert export: weights of type ",
                    type.name, " cannot be written");
  writer.set("general.architecture", io::GgufValue::string(kArch));
  writer.set("general.name", io::GgufValue::string(options.name));
  writer.set("general.file_type", io::GgufValue::u32(llama_file_type(options.type)));
  writer.set(key("context_length"), u32(c.n_ctx));
  writer.set(key("embedding_length"), u32(c.n_embd));
  writer.set(key("feed_forward_length"), u32(c.n_ff));
  writer.set(key("block_count"), u32(c.n_layer));
  writer.set(key("attention.head_count"), u32(c.n_head));
  writer.set(key("attention.head_count_kv"), u32(c.n_head));
  writer.set(key("vocab_size"), u32(c.n_vocab));
  writer.set(key("attention.layer_norm_epsilon"), io::GgufValue::f32(c.norm_eps));
  writer.set(key("attention.causal"), io::GgufValue::boolean(false));
  writer.set(key("pooling_type"), io::GgufValue::u32(kPoolingMean));
  writer.set("tokenizer.ggml.token_type_count", u32(c.n_token_types));

  const nn::NamedTensors params = model.named_parameters();
  const std::vector<BertTensorSpec> specs = bert_tensor_specs(c);
  LLMKIT_CHECK_CODE(params.size() == specs.size(), ErrorCode::kInternal,
                    "bert export: ", params.size(), " parameters but ", specs.size(),
                    " tensor specs");
  for (size_t i = 0; i < specs.size(); ++i) {
    const auto& [name, t] = params[i];
    LLMKIT_CHECK_CODE(name == specs[i].name && t.shape() == specs[i].shape, ErrorCode::kInternal,
                      "bert export: parameter '", name, "' ", describe(t), " does not match '",
                      specs[i].name, "' ", shape_to_string(specs[i].shape));
    const Tensor value = t.detach();
    if (t.dim() == 1) {
      writer.add_tensor(name, value, io::GgmlType::kF32);
    } else {
      const bool fits = t.size(1) % type.block_elems == 0;
      writer.add_tensor(name, value, fits ? options.type : io::GgmlType::kF16);
    }
  }
}

BertConfig bert_config_from_gguf(const io::GgufFile& file) {
  const std::string arch = file.get_string("general.architecture");
  LLMKIT_CHECK_CODE(arch == kArch, ErrorCode::kUnsupported, "'", file.path(),
                    "' is a model of architecture '", arch, "', not a bert text encoder");
  const int64_t pooling = file.get_int_or(key("pooling_type"), kPoolingMean);
  LLMKIT_CHECK_CODE(pooling == kPoolingMean, ErrorCode::kUnsupported, "'", file.path(),
                    "': pooling type ", pooling, " is not supported (only 1, mean)");
  BertConfig c;
  c.n_ctx = file.get_int(key("context_length"));
  c.n_embd = file.get_int(key("embedding_length"));
  c.n_ff = file.get_int(key("feed_forward_length"));
  c.n_layer = file.get_int(key("block_count"));
  c.n_head = file.get_int(key("attention.head_count"));
  c.norm_eps = static_cast<float>(file.get_float(key("attention.layer_norm_epsilon")));
  c.n_vocab = file.tensor_info("token_embd.weight").shape()[0];
  c.n_token_types = file.tensor_info("token_types.weight").shape()[0];
  validate(c);
  for (const BertTensorSpec& s : bert_tensor_specs(c)) {
    const Shape shape = file.tensor_info(s.name).shape();
    LLMKIT_CHECK_CODE(shape == s.shape, ErrorCode::kCorruptData, "'", file.path(), "': tensor '",
                      s.name, "' is ", shape_to_string(shape), " but the bert keys imply ",
                      shape_to_string(s.shape));
  }
  return c;
}

std::shared_ptr<BertModel> load_bert_from_gguf(const io::GgufFile& file) {
  const BertConfig c = bert_config_from_gguf(file);
  auto model = std::make_shared<BertModel>(c);
  nn::NamedTensors state;
  for (const BertTensorSpec& s : bert_tensor_specs(c))
    state.emplace_back(s.name, file.tensor(s.name));
  model->load_state_dict(state, /*strict=*/true);
  return model;
}

}  // namespace llmkit::models
