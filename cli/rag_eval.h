// `llmkit rag eval`: retrieval and answer quality of an index on a QA file (rag_eval.cpp).
#pragma once

#include <CLI/CLI.hpp>

namespace llmkit::cli {

// Adds the `eval` subcommand to the `rag` command.
void add_rag_eval(CLI::App& rag);

}  // namespace llmkit::cli
