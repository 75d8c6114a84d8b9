// `llmkit serve`: the OpenAI-compatible HTTP server (server/http_server.h) with continuous
// batching over --slots sessions, the web chat page at /, embeddings, and RAG over an index.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "cli/commands.h"
#include "cli/model_args.h"
#include "cli/rag_index_config.h"
#include "llmkit/chain/local_chat_model.h"
#include "llmkit/rag/embedder_loader.h"
#include "llmkit/server/completion_service.h"
#include "llmkit/server/engine.h"
#include "llmkit/server/http_server.h"

namespace llmkit::cli {
namespace {

std::atomic<int> g_signal{0};

void on_signal(int sig) {
  g_signal = sig;
}

struct ServeArgs {
  ModelArgs model;
  std::string host = "127.0.0.1";
  int port = 8080;
  int slots = 4;
  int64_t max_queue = 64;
  double timeout = 600;
  std::string api_key;
  std::string embed_model;
  std::string rag_db;
  std::string model_name;
  std::string chat_template;
  int http_threads = 0;
  int64_t max_body = 4 << 20;
};

// The id a model file is served under: its file name without extension (a folder: its name).
std::string model_id_of(const std::string& path) {
  std::filesystem::path p(path);
  while (!p.empty() && p.filename().empty()) p = p.parent_path();
  return std::filesystem::is_directory(p) ? p.filename().string() : p.stem().string();
}

void run_serve(const ServeArgs& a) {
  std::shared_ptr<const infer::Model> model = load_model_for_inference(a.model);
  server::EngineOptions eo;
  eo.slots = a.slots;
  eo.n_ctx = session_options(*model, a.model).n_ctx;
  eo.n_threads = resolve_threads(a.model);
  eo.max_queue = a.max_queue;
  eo.kv_type = infer::parse_kv_type(a.model.cache_type);
  eo.prefill_chunk = std::min<int64_t>(a.model.batch, 256);

  server::ServiceOptions so;
  so.model_id = a.model_name.empty() ? model_id_of(a.model.model) : a.model_name;
  LLMKIT_CHECK(a.timeout > 0, "serve: --timeout must be > 0 seconds, got ", a.timeout);
  so.timeout = std::chrono::milliseconds(static_cast<int64_t>(a.timeout * 1000));
  so.chat_template = read_chat_template(a.chat_template);
  if (!a.embed_model.empty()) {
    rag::EmbedderSpec spec;
    spec.path = a.embed_model;
    spec.threads = 1;
    rag::LoadedEmbedder e = rag::load_embedder(spec);
    so.embeddings = e.embeddings;
    so.embed_model_id = model_id_of(a.embed_model);
  } else {
    infer::SessionOptions s;
    s.n_ctx = eo.n_ctx;
    so.embeddings = std::make_shared<chain::LocalEmbeddings>(model, chain::Pooling::kMean, true, s);
  }
  if (!a.rag_db.empty()) {
    OpenedIndex index = open_rag_index(a.rag_db, 1);
    so.retriever = make_retriever(index, "", static_cast<size_t>(so.max_rag_top_k));
    std::fprintf(stderr, "llmkit serve: RAG over %s (%s retrieval)\n", a.rag_db.c_str(),
                 resolve_mode(index, "").c_str());
  }

  server::Engine engine(model, eo);
  server::CompletionService service(model, engine, so);
  server::HttpOptions ho;
  ho.host = a.host;
  ho.port = a.port;
  ho.api_key = a.api_key;
  ho.limits.max_body_bytes = a.max_body;
  ho.threads = a.http_threads > 0
                   ? a.http_threads
                   : static_cast<int>(std::max<int64_t>(32, a.slots + a.max_queue + 16));
  server::HttpServer http(service, engine, ho);
  const int port = http.bind();

  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::atomic<bool> finished{false};
  std::thread watcher([&] {
    while (!finished && g_signal == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (g_signal != 0) {
      std::fprintf(stderr, "llmkit serve: signal %d, finishing in-flight requests\n",
                   g_signal.load());
      engine.shutdown(std::chrono::seconds(30));
      // Let the last events reach their clients before the listener stops.
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      http.stop();
    }
  });
  std::fprintf(stderr, "llmkit serve: %s, %d slot(s) of %lld tokens, %d thread(s)\n",
               so.model_id.c_str(), eo.slots, static_cast<long long>(eo.n_ctx), eo.n_threads);
  std::fprintf(stderr, "llmkit serve: listening on http://%s:%d\n", a.host.c_str(), port);
  std::fflush(stderr);
  http.listen();
  finished = true;
  watcher.join();
  std::fprintf(stderr, "llmkit serve: stopped\n");
}

void register_serve(CLI::App& app) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "serve", "OpenAI-compatible HTTP server with continuous batching and a web chat page");
  add_model_args(*cmd, args->model);
  cmd->add_option("--host", args->host, "address to bind (loopback unless told otherwise)")
      ->capture_default_str();
  cmd->add_option("--port", args->port, "port to bind; 0 picks a free one")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  cmd->add_option("--slots", args->slots, "requests decoded together (sessions)")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd->add_option("--max-queue", args->max_queue,
                  "requests waiting for a slot before new ones get 429")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  cmd->add_option("--timeout", args->timeout, "seconds one request may take")
      ->capture_default_str();
  cmd->add_option("--api-key", args->api_key, "require Authorization: Bearer KEY on /v1/*");
  cmd->add_option("--embed-model", args->embed_model,
                  "embedding model for /v1/embeddings (BERT GGUF or decoder); default: -m");
  cmd->add_option("--rag-db", args->rag_db, "index folder (llmkit rag index) for \"rag\" requests");
  cmd->add_option("--model-name", args->model_name, "model id to serve under (default: file stem)");
  cmd->add_option("--chat-template", args->chat_template, "Jinja chat template file");
  cmd->add_option("--http-threads", args->http_threads,
                  "connection threads (default: slots + max-queue + 16, at least 32)");
  cmd->add_option("--max-body", args->max_body, "largest request body in bytes")
      ->capture_default_str();
  cmd->callback([args] { run_serve(*args); });
}

}  // namespace

LLMKIT_REGISTER_COMMAND(720, register_serve)

}  // namespace llmkit::cli
