// The llmkit program: one subcommand per file in cli/, registered here.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/commands.h"
#include "llmkit/base/allocator_tuning.h"
#include "llmkit/base/error.h"

int main(int argc, char** argv) {
  llmkit::tune_allocator_for_tensors();
  CLI::App app{"llmkit: train, distill, run and build on LLMs in native code"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "llmkit 0.1.0");
  llmkit::cli::register_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const llmkit::Error& e) {
    std::fprintf(stderr, "llmkit: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
