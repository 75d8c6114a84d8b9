#include <cstdio>

#include "cli/commands.h"

namespace llmkit::cli {

void register_demo(CLI::App& app) {
  auto* cmd = app.add_subcommand("demo", "Fit a small MLP with llmkit's autodiff and print the loss");
  cmd->callback([] { std::printf("demo: not built yet\n"); });
}

}  // namespace llmkit::cli
