#include "llmkit/server/http_server.h"

#include <httplib.h>

#include <chrono>
#include <utility>

#include "llmkit/base/error.h"
#include "llmkit/server/openai_request.h"
#include "llmkit/server/openai_response.h"
#include "llmkit/server/web_assets.h"

namespace llmkit::server {
namespace {

using json = nlohmann::json;

std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

void send_error(httplib::Response& res, const ApiError& e) {
  res.status = e.status;
  res.set_content(dump(error_json(e)), "application/json");
}

const char* status_phrase_code(int status) {
  switch (status) {
    case 400:
      return "bad_request";
    case 401:
      return "invalid_api_key";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 413:
      return "request_too_large";
    case 414:
      return "uri_too_long";
    default:
      return "";
  }
}

// Writes one SSE event; false when the client is gone.
bool write_event(httplib::DataSink& sink, const std::string& data) {
  return sink.write(data.data(), data.size());
}

// Streams a running request's choices as chunks until every choice ended. False when the client
// went away (the jobs are then cancelled).
bool stream_request(RunningRequest& run, const std::string& model, httplib::DataSink& sink) {
  const GenerationRequest& req = run.request;
  const size_t n = run.jobs.size();
  if (req.chat) {
    for (size_t i = 0; i < n; ++i) {
      json first = chat_chunk_json(run.id, model, run.created, static_cast<int64_t>(i),
                                   std::string("assistant"), "", nullptr, "", nullptr);
      if (i == 0 && req.rag) first["sources"] = sources_json(run.sources);
      if (!write_event(sink, sse_data(first))) return false;
    }
  } else if (req.rag) {
    json first = completion_chunk_json(run.id, model, run.created, 0, "", "", nullptr);
    first["sources"] = sources_json(run.sources);
    if (!write_event(sink, sse_data(first))) return false;
  }
  Usage usage;
  usage.prompt_tokens = run.prompt_tokens;
  std::vector<bool> done(n, false);
  std::vector<int64_t> sent_bytes(n, 0);
  size_t remaining = n;
  auto content_chunk = [&](size_t i, const std::string& delta,
                           const std::vector<TokenLogprob>* lps) {
    if (req.chat) {
      return sse_data(chat_chunk_json(run.id, model, run.created, static_cast<int64_t>(i),
                                      std::nullopt, delta, nullptr, "", lps));
    }
    std::string chunk = sse_data(completion_chunk_json(
        run.id, model, run.created, static_cast<int64_t>(i), delta, "", lps, sent_bytes[i]));
    sent_bytes[i] += static_cast<int64_t>(delta.size());
    return chunk;
  };
  if (!req.chat && req.echo) {
    for (size_t i = 0; i < n; ++i) {
      std::string echo = run.choices[i].add(JobEvent{});
      if (!echo.empty() && !write_event(sink, content_chunk(i, echo, nullptr))) return false;
    }
  }
  while (remaining > 0) {
    bool waited = false;
    for (size_t i = 0; i < n; ++i) {
      if (done[i]) continue;
      JobEvent event;
      // Block briefly on the first open choice only, so that every choice is polled.
      const auto wait = waited ? std::chrono::milliseconds(0) : std::chrono::milliseconds(50);
      waited = true;
      while (run.jobs[i]->next(event, wait)) {
        ChoiceBuilder& choice = run.choices[i];
        if (!event.done) {
          const std::string delta = choice.add(event);
          std::vector<TokenLogprob> lps;
          if (req.logprobs) lps = choice.take_new_logprobs();
          if (delta.empty() && lps.empty()) continue;
          if (!write_event(sink, content_chunk(i, delta, lps.empty() ? nullptr : &lps))) {
            run.cancel();
            return false;
          }
          continue;
        }
        done[i] = true;
        --remaining;
        if (event.stop_reason == "timeout" || event.stop_reason == "error" ||
            event.stop_reason == "cancelled") {
          run.cancel();
          const ApiError e =
              event.stop_reason == "timeout"
                  ? ApiError(408, "timeout_error", "timeout", "",
                             "the request ran past the server's time limit (--timeout)")
                  : ApiError(500, "server_error", "", "",
                             "generation failed: " +
                                 (event.error.empty() ? event.stop_reason : event.error));
          write_event(sink, sse_data(error_json(e)));
          write_event(sink, kSseDone);
          return true;
        }
        std::string delta;
        ChoiceResult result = choice.finish(event, &delta);
        usage.completion_tokens += event.generated_tokens;
        usage.cached_tokens = std::max(usage.cached_tokens, event.cached_tokens);
        std::vector<TokenLogprob> lps;
        if (req.logprobs) lps = choice.take_new_logprobs();
        std::string out;
        if (!delta.empty() || !lps.empty()) {
          out += content_chunk(i, delta, lps.empty() ? nullptr : &lps);
        }
        if (req.chat) {
          out += sse_data(chat_chunk_json(
              run.id, model, run.created, static_cast<int64_t>(i), std::nullopt, "",
              result.message.tool_calls.empty() ? nullptr : &result.message.tool_calls,
              result.finish_reason, nullptr));
        } else {
          out += sse_data(completion_chunk_json(run.id, model, run.created, static_cast<int64_t>(i),
                                                "", result.finish_reason, nullptr, sent_bytes[i]));
        }
        if (!write_event(sink, out)) {
          run.cancel();
          return false;
        }
        break;
      }
    }
  }
  if (req.include_usage) {
    if (!write_event(sink,
                     sse_data(usage_chunk_json(run.id, model, run.created, req.chat, usage)))) {
      return false;
    }
  }
  return write_event(sink, kSseDone);
}

}  // namespace

HttpServer::HttpServer(CompletionService& service, Engine& engine, HttpOptions options)
    : service_(service),
      engine_(engine),
      options_(std::move(options)),
      http_(std::make_unique<httplib::Server>()) {
  const int threads = std::max(4, options_.threads);
  http_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http_->set_payload_max_length(static_cast<size_t>(options_.limits.max_body_bytes));
  http_->set_read_timeout(options_.read_timeout_seconds, 0);
  http_->set_write_timeout(options_.read_timeout_seconds, 0);
  http_->set_keep_alive_timeout(5);
  routes();
}

HttpServer::~HttpServer() = default;

int HttpServer::bind() {
  int port = options_.port;
  if (port == 0) {
    port = http_->bind_to_any_port(options_.host);
    LLMKIT_CHECK_CODE(port > 0, ErrorCode::kIo, "serve: cannot bind ", options_.host,
                      " on any port; check --host");
  } else {
    LLMKIT_CHECK_CODE(http_->bind_to_port(options_.host, port), ErrorCode::kIo,
                      "serve: cannot bind ", options_.host, ":", port,
                      " (in use, or not an address of this machine); pick another --port");
  }
  return port;
}

void HttpServer::listen() {
  http_->listen_after_bind();
}

void HttpServer::stop() {
  http_->stop();
}

void HttpServer::routes() {
  using httplib::Request;
  using httplib::Response;
  using HR = httplib::Server::HandlerResponse;
  http_->set_pre_routing_handler([this](const Request& req, Response& res) {
    if (options_.api_key.empty() || req.path.rfind("/v1/", 0) != 0) return HR::Unhandled;
    const std::string want = "Bearer " + options_.api_key;
    const std::string got = req.get_header_value("Authorization");
    if (got == want) return HR::Unhandled;
    send_error(res, ApiError(401, "authentication_error", "invalid_api_key", "",
                             got.empty() ? "no API key given; send \"Authorization: Bearer KEY\""
                                         : "the API key is not valid for this server"));
    metrics_.record(req.path, 401);
    return HR::Handled;
  });
  http_->set_error_handler([](const Request& req, Response& res) {
    if (!res.body.empty()) return;
    std::string message;
    if (res.status == 404) {
      message = "no route " + req.method + " " + req.path +
                "; see GET /v1/models, POST /v1/chat/completions, /v1/completions, /v1/embeddings";
    } else if (res.status == 413) {
      message = "the request body is too large for this server";
    } else {
      message = "the HTTP request is malformed (status " + std::to_string(res.status) + ")";
    }
    res.set_content(dump(error_json(ApiError(
                        res.status, res.status >= 500 ? "server_error" : "invalid_request_error",
                        status_phrase_code(res.status), "", message))),
                    "application/json");
  });
  http_->set_exception_handler([](const Request&, Response& res, std::exception_ptr ep) {
    ApiError e(500, "server_error", "", "", "internal error");
    try {
      std::rethrow_exception(ep);
    } catch (const ApiError& a) {
      e = a;
    } catch (const Error& x) {
      e = api_error_from(x);
    } catch (const std::exception& x) {
      e = api_error_from(x);
    } catch (...) {
    }
    send_error(res, e);
  });

  // Runs a JSON handler: ApiError / Error become error objects; records the status.
  auto guarded = [this](const std::string& endpoint, auto&& handler) {
    return [this, endpoint, handler](const Request& req, Response& res) {
      try {
        handler(req, res);
      } catch (const ApiError& e) {
        send_error(res, e);
      } catch (const Error& e) {
        send_error(res, api_error_from(e));
      } catch (const std::exception& e) {
        send_error(res, api_error_from(e));
      }
      metrics_.record(endpoint, res.status == -1 ? 200 : res.status);
    };
  };

  http_->Get("/health", guarded("/health", [this](const Request&, Response& res) {
               json j = {{"status", "ok"},
                         {"model", service_.options().model_id},
                         {"rag", service_.has_rag()},
                         {"slots", engine_.options().slots},
                         {"n_ctx", engine_.options().n_ctx}};
               res.set_content(dump(j), "application/json");
             }));
  http_->Get("/v1/models", guarded("/v1/models", [this](const Request&, Response& res) {
               res.set_content(dump(models_json(service_.model_ids(),
                                                static_cast<int64_t>(std::time(nullptr)))),
                               "application/json");
             }));
  http_->Get("/metrics", [this](const Request&, Response& res) {
    res.set_content(metrics_.render(engine_.stats()), "text/plain; version=0.0.4");
  });
  for (const WebAsset& asset : web_assets()) {
    auto serve = [asset](const Request&, Response& res) {
      res.set_content(std::string(asset.body), std::string(asset.content_type).c_str());
    };
    std::string pattern;  // httplib routes are regular expressions: match the path literally
    for (char ch : asset.path) {
      if (std::string_view(".+*?()[]{}|^$\\").find(ch) != std::string_view::npos) pattern += '\\';
      pattern += ch;
    }
    http_->Get(pattern, serve);
    if (asset.path == "/index.html") http_->Get("/", serve);
  }

  auto generation = [this](bool chat) {
    return [this, chat](const Request& req, Response& res) {
      const json body = parse_json_body(req.body);
      GenerationRequest request = chat ? parse_chat_request(body, options_.limits)
                                       : parse_completion_request(body, options_.limits);
      std::shared_ptr<RunningRequest> run = service_.start(std::move(request));
      if (!run->request.stream) {
        try {
          res.set_content(dump(service_.wait_response(*run)), "application/json");
        } catch (...) {
          run->cancel();
          throw;
        }
        return;
      }
      res.set_header("Cache-Control", "no-cache");
      res.set_header("X-Accel-Buffering", "no");
      const std::string model = service_.options().model_id;
      res.set_chunked_content_provider(
          "text/event-stream",
          [run, model](size_t, httplib::DataSink& sink) {
            const bool ok = stream_request(*run, model, sink);
            if (!ok) {
              run->cancel();
              return false;
            }
            sink.done();
            return true;
          },
          [run](bool) { run->cancel(); });
    };
  };
  http_->Post("/v1/chat/completions", guarded("/v1/chat/completions", generation(true)));
  http_->Post("/v1/completions", guarded("/v1/completions", generation(false)));
  http_->Post("/v1/embeddings",
              guarded("/v1/embeddings", [this](const Request& req, Response& res) {
                const EmbeddingRequest request =
                    parse_embedding_request(parse_json_body(req.body), options_.limits);
                res.set_content(dump(service_.embed(request)), "application/json");
              }));
  // Known paths with another method: 405 rather than 404.
  for (const char* path : {"/v1/chat/completions", "/v1/completions", "/v1/embeddings",
                           "/v1/models", "/health", "/metrics"}) {
    auto not_allowed = [path](const Request& req, Response& res) {
      send_error(res, ApiError(405, "invalid_request_error", "method_not_allowed", "",
                               req.method + " is not allowed on " + path));
    };
    const std::string p = path;
    const bool post = p.rfind("/v1/c", 0) == 0 || p == "/v1/embeddings";
    if (post) {
      http_->Get(p, not_allowed);
    } else {
      http_->Post(p, not_allowed);
    }
    http_->Put(p, not_allowed);
    http_->Delete(p, not_allowed);
    http_->Patch(p, not_allowed);
  }
}

}  // namespace llmkit::server
