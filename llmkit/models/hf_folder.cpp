// open_model_folder: config.json + safetensors weights (one file or shards) with Hugging Face or
// GGUF tensor names -> ModelFile, every weight zero-copy from its file's mapping.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "llmkit/base/error.h"
#include "llmkit/base/logging.h"
#include "llmkit/models/chat_template_source.h"
#include "llmkit/models/model_file_readers.h"
#include "llmkit/models/model_io.h"
#include "llmkit/models/tensor_names.h"

namespace llmkit::models {
namespace fs = std::filesystem;
namespace {

constexpr const char* kIndexFile = "model.safetensors.index.json";

// The safetensors files of the folder: model.safetensors, else the files named by the index's
// weight_map, else model-*-of-*.safetensors.
std::vector<std::string> weight_files(const fs::path& dir) {
  if (fs::is_regular_file(dir / kWeightsFile)) return {(dir / kWeightsFile).string()};
  std::vector<std::string> files;
  const fs::path index = dir / kIndexFile;
  if (fs::is_regular_file(index)) {
    std::ifstream in(index);
    nlohmann::json j;
    try {
      in >> j;
    } catch (const nlohmann::json::exception& e) {
      throw_error(ErrorCode::kCorruptData,
                  str_cat(index.string(), " is not valid JSON: ", e.what()));
    }
    LLMKIT_CHECK_CODE(j.is_object() && j.contains("weight_map") && j["weight_map"].is_object(),
                      ErrorCode::kCorruptData, index.string(), " has no \"weight_map\" object");
    std::set<std::string> seen;
    for (const auto& [name, file] : j["weight_map"].items()) {
      LLMKIT_CHECK_CODE(file.is_string(), ErrorCode::kCorruptData, index.string(),
                        ": the file of tensor '", name, "' is not a string");
      const std::string f = file.get<std::string>();
      LLMKIT_CHECK_CODE(f.find('/') == std::string::npos && f != "..", ErrorCode::kCorruptData,
                        index.string(), ": shard name '", f, "' must be a file in the folder");
      if (seen.insert(f).second) files.push_back((dir / f).string());
    }
    std::sort(files.begin(), files.end());
    for (const std::string& f : files) {
      LLMKIT_CHECK_CODE(fs::is_regular_file(f), ErrorCode::kNotFound, index.string(),
                        " lists shard '", f, "', which is missing");
    }
    return files;
  }
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("model-") && name.find("-of-") != std::string::npos &&
        name.ends_with(".safetensors")) {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  LLMKIT_CHECK_CODE(!files.empty(), ErrorCode::kNotFound, "model folder '", dir.string(),
                    "' has config.json but no ", kWeightsFile, ", ", kIndexFile,
                    " or model-0000N-of-0000M.safetensors shards");
  return files;
}

bool uses_gguf_names(const io::SafetensorsFile& file) {
  auto it = file.metadata().find("llmkit.names");
  if (it != file.metadata().end()) return it->second == "gguf";
  for (const std::string& name : file.names()) {
    if (name == "token_embd.weight" || name.starts_with("blk.")) return true;
  }
  return false;
}

// HF tensors that are not part of the text model: skipped (with one note per folder).
bool ignored_hf_tensor(const std::string& name, const ModelConfig& config) {
  return name.find("vision_tower.") != std::string::npos ||
         name.find("vision_model.") != std::string::npos ||
         name.find("multi_modal_projector.") != std::string::npos ||
         name.ends_with("rotary_emb.inv_freq") ||
         (config.tie_embeddings && name == "lm_head.weight");
}

struct Located {
  std::shared_ptr<const io::SafetensorsFile> file;
  const io::SafetensorsTensorInfo* info = nullptr;
};

}  // namespace

ModelFile open_model_folder(const std::string& dir_str) {
  const fs::path dir(dir_str);
  LLMKIT_CHECK_CODE(fs::is_directory(dir), ErrorCode::kNotFound, "model folder '", dir_str,
                    "' does not exist");
  const std::string config_path = (dir / kConfigFile).string();
  LLMKIT_CHECK_CODE(fs::is_regular_file(config_path), ErrorCode::kNotFound, "model folder '",
                    dir_str, "' has no ", kConfigFile);
  ModelFile mf;
  mf.path = dir_str;
  mf.config = load_config(config_path);
  const ModelConfig& c = mf.config;

  std::vector<std::shared_ptr<const io::SafetensorsFile>> files;
  for (const std::string& f : weight_files(dir)) {
    files.push_back(std::make_shared<const io::SafetensorsFile>(f));
  }
  const bool gguf_names = uses_gguf_names(*files.front());
  mf.format = gguf_names ? "llmkit" : "hf-safetensors";

  std::map<std::string, Located> found;  // GGUF name -> where
  std::vector<std::string> skipped;
  for (const auto& file : files) {
    for (const std::string& name : file->names()) {
      std::string gguf = name;
      if (!gguf_names) {
        if (ignored_hf_tensor(name, c)) {
          skipped.push_back(name);
          continue;
        }
        try {
          gguf = gguf_tensor_name(name, c.arch);
        } catch (const Error&) {
          throw_error(ErrorCode::kCorruptData,
                      str_cat(file->path(), " has tensor '", name, "', which is not part of a ",
                              arch_name(c.arch),
                              " text model (llmkit knows its Hugging Face "
                              "names; see tensor_names.h)"));
        }
      }
      LLMKIT_CHECK_CODE(found.count(gguf) == 0, ErrorCode::kCorruptData, "tensor '", name,
                        "' appears twice in model folder '", dir_str, "' (",
                        found[gguf].file ? found[gguf].file->path() : "", " and ", file->path(),
                        ")");
      found[gguf] = Located{file, &file->info(name)};
    }
  }
  if (!skipped.empty()) {
    LLMKIT_LOG(kInfo, "model folder '", dir_str, "': ignoring ", skipped.size(),
               " tensors outside the text model (vision tower, projector, rotary buffers or a ",
               "tied lm_head), e.g. '", skipped.front(), "'");
  }

  const std::string what =
      str_cat(config_path, " (", arch_name(c.arch), ", n_layer ", c.n_layer, ")");
  std::set<std::string> expected;
  for (const TensorSpec& s : tensor_specs(c)) {
    expected.insert(s.name);
    auto it = found.find(s.name);
    const std::string shown = gguf_names ? s.name : hf_tensor_name(s.name, c.arch);
    LLMKIT_CHECK_CODE(it != found.end(), ErrorCode::kNotFound, "model folder '", dir_str,
                      "' lacks tensor '", shown, "' ", shape_to_string(s.shape), " that ", what,
                      " requires");
    const io::SafetensorsTensorInfo& info = *it->second.info;
    const std::string& file = it->second.file->path();
    LLMKIT_CHECK_CODE(info.shape == s.shape, ErrorCode::kCorruptData, "tensor '", info.name,
                      "' is ", shape_to_string(info.shape), " in ", file, " but ", what,
                      " implies ", shape_to_string(s.shape));
    LLMKIT_CHECK_CODE(info.supported && is_floating(info.dtype), ErrorCode::kUnsupported,
                      "tensor '", info.name, "' in ", file, " has dtype ", info.dtype_str,
                      " (llmkit loads F32, F16 and BF16 weights)");
    WeightData w;
    w.type = ggml_type_of(info.dtype);
    w.shape = s.shape;
    w.data = it->second.file->mapping()->data() + it->second.file->data_start() + info.begin;
    w.owner = it->second.file->mapping();
    w.file_mapped = true;
    mf.weights.emplace(s.name, std::move(w));
  }
  for (const auto& [gguf, where] : found) {
    LLMKIT_CHECK_CODE(expected.count(gguf) != 0, ErrorCode::kCorruptData, where.file->path(),
                      " has tensor '", where.info->name, "' that ", what, " does not define",
                      gguf == "output.weight" ? " (tie_word_embeddings is true)" : "");
  }
  const fs::path tokenizer = dir / "tokenizer.model";
  if (fs::is_regular_file(tokenizer)) mf.tokenizer_model_path = tokenizer.string();
  mf.chat_template = chat_template_from_folder(dir.string());
  return mf;
}

}  // namespace llmkit::models
