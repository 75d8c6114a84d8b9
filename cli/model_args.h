// Options shared by every command that runs a model (-m, -t, --ctx, --batch) and the loading step
// that prints the memory report to stderr before the KV cache and buffers are allocated.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "llmkit/infer/model.h"
#include "llmkit/infer/session.h"

namespace llmkit::cli {

struct ModelArgs {
  std::string model;  // -m: GGUF file, model folder, or run folder
  int threads = 0;    // -t: 0 = all hardware threads
  int64_t ctx = 0;    // --ctx: 0 = min(model n_ctx, 4096)
  int64_t batch = 512;
  std::string cache_type = "f32";  // --cache-type: KV cache element type, f32 or f16
};

// Adds -m/--model (required), -t/--threads, and when with_ctx --ctx, --batch and --cache-type.
void add_model_args(CLI::App& command, ModelArgs& args, bool with_ctx = true);

// Adds --cache-type (for commands that add --ctx themselves).
void add_cache_type_option(CLI::App& command, ModelArgs& args);

// The thread count to use (args.threads, or the hardware's when 0).
int resolve_threads(const ModelArgs& args);

// Loads the model and prints "model: ..., weights ... MiB, KV cache ... MiB (ctx N), buffers ..."
// to stderr.
std::shared_ptr<const infer::Model> load_model_for_inference(const ModelArgs& args);

// The Jinja source of a --chat-template file, or "" for path "" (the model's own template).
// Throws Error(kNotFound) naming the file when it cannot be read.
std::string read_chat_template(const std::string& path);

// Session options from the arguments (context bounded by the model's).
infer::SessionOptions session_options(const infer::Model& model, const ModelArgs& args);

}  // namespace llmkit::cli
