#include "llmkit/train/checkpoint.h"

#include <filesystem>

#include "llmkit/base/atomic_file.h"
#include "llmkit/io/safetensors.h"
#include "llmkit/models/model_io.h"

namespace llmkit::train {
namespace fs = std::filesystem;

std::string stage_checkpoint(const std::string& run_dir) {
  const fs::path tmp = fs::path(run_dir) / "checkpoint.tmp";
  std::error_code ec;
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  LLMKIT_CHECK_CODE(!ec, ErrorCode::kIo, "cannot create checkpoint folder '", tmp.string(),
                    "': ", ec.message());
  return tmp.string();
}

void publish_checkpoint(const std::string& run_dir) {
  const fs::path run(run_dir);
  const fs::path tmp = run / "checkpoint.tmp", live = run / "checkpoint",
                 old = run / "checkpoint.old";
  std::error_code ec;
  fs::remove_all(old, ec);
  if (fs::exists(live)) {
    fs::rename(live, old, ec);
    LLMKIT_CHECK_CODE(!ec, ErrorCode::kIo, "cannot move '", live.string(),
                      "' aside: ", ec.message());
  }
  fs::rename(tmp, live, ec);
  LLMKIT_CHECK_CODE(!ec, ErrorCode::kIo, "cannot rename '", tmp.string(), "' to '", live.string(),
                    "': ", ec.message());
  fs::remove_all(old, ec);
}

void save_checkpoint(const std::string& run_dir, const CheckpointContents& c) {
  const fs::path tmp = stage_checkpoint(run_dir);
  models::save_model(*c.model, tmp.string());
  io::save_safetensors((tmp / "optimizer.safetensors").string(), c.optimizer->state_dict(), {});
  if (!c.tokenizer_path.empty()) {
    write_file_atomic((tmp / "tokenizer.model").string(), read_file(c.tokenizer_path));
  }
  if (c.objective != nullptr) {
    io::save_safetensors((tmp / "objective.safetensors").string(), c.objective->state_dict(), {});
  }
  write_file_atomic((tmp / "trainer_state.json").string(), c.trainer_state);

  publish_checkpoint(run_dir);
}

std::string find_checkpoint(const std::string& run_dir) {
  fs::path run(run_dir);
  for (const char* name : {"checkpoint", "checkpoint.old"}) {
    if (fs::exists(run / name / "trainer_state.json")) return (run / name).string();
  }
  return "";
}

}  // namespace llmkit::train
