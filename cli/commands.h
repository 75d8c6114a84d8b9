// Registration of the llmkit subcommands. Each subcommand lives in its own cli/<name>.cpp and
// runs its work inside the CLI11 callback; errors propagate as llmkit::Error to main().
#pragma once

#include <CLI/CLI.hpp>

namespace llmkit::cli {

void register_demo(CLI::App& app);

inline void register_commands(CLI::App& app) {
  register_demo(app);
}

}  // namespace llmkit::cli
