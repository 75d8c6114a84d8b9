// HttpServer: the OpenAI-compatible HTTP API over cpp-httplib (one thread per connection from a
// fixed pool). Routes:
//   GET  /health, /v1/models, /metrics, / and the web page's assets (web_assets.h)
//   POST /v1/chat/completions, /v1/completions (JSON or server-sent events), /v1/embeddings
// Every error is an OpenAI error object (openai_response.h error_json) with its status, including
// unknown paths (404), wrong methods (405), bodies over the limit (413) and HTTP the parser
// rejects (400). With an API key, /v1/* needs "Authorization: Bearer KEY" (401 otherwise).
// Streams end with "data: [DONE]"; a client that goes away cancels its jobs (the next write
// fails). No route reads or writes the filesystem.
#pragma once
#include <memory>
#include <string>

#include "llmkit/server/api_types.h"
#include "llmkit/server/completion_service.h"
#include "llmkit/server/engine.h"
#include "llmkit/server/metrics.h"

namespace httplib {
class Server;
}

namespace llmkit::server {

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 8080;      // 0: any free port
  std::string api_key;  // "" = no authentication
  RequestLimits limits;
  int threads = 64;               // connection threads (each stream holds one)
  int read_timeout_seconds = 10;  // a client silent this long mid-request is dropped
};

class HttpServer {
 public:
  HttpServer(CompletionService& service, Engine& engine, HttpOptions options);
  ~HttpServer();
  // Binds host:port; returns the port (the chosen one for port 0). Throws Error(kIo) naming the
  // address when it cannot bind.
  int bind();
  // Serves until stop(); call after bind().
  void listen();
  // Stops listening; in-flight handlers finish first. Callable from any thread.
  void stop();

 private:
  void routes();
  CompletionService& service_;
  Engine& engine_;
  HttpOptions options_;
  Metrics metrics_;
  std::unique_ptr<httplib::Server> http_;
};

}  // namespace llmkit::server
