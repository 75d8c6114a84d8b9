// Subcommand registry of the llmkit program. Each subcommand lives in its own cli/<name>.cpp and
// registers itself at start-up with LLMKIT_REGISTER_COMMAND(order, fn), where fn(app) adds the
// subcommand and its options; `order` fixes the order in --help. The work runs inside the CLI11
// callback; llmkit::Error propagates to main(), which prints it and exits 1.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace llmkit::cli {

using RegisterFn = std::function<void(CLI::App&)>;

// Returns true so it can initialise a namespace-scope constant.
bool add_command(int order, RegisterFn fn);
void register_commands(CLI::App& app);

}  // namespace llmkit::cli

#define LLMKIT_CLI_CONCAT_INNER(a, b) a##b
#define LLMKIT_CLI_CONCAT(a, b) LLMKIT_CLI_CONCAT_INNER(a, b)
#define LLMKIT_REGISTER_COMMAND(order, fn)                                                        \
  namespace {                                                                                     \
  const bool LLMKIT_CLI_CONCAT(registered_command_, __LINE__) = ::llmkit::cli::add_command(order, \
                                                                                           fn);   \
  }
