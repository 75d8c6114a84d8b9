// JsonHttpClient: POSTs JSON to an HTTP(S) endpoint (cpp-httplib) with an API key, timeouts and
// retries, for the OpenAI-compatible model clients.
//
// Retries: a connection error, HTTP 429 or any 5xx is retried up to max_retries times, waiting
// initial_backoff * multiplier^k (capped at max_backoff; a Retry-After header in seconds is used
// when larger, still capped); other statuses fail at once. A streamed request is retried only
// while nothing of its body has been delivered. Failures throw llmkit::Error naming the URL,
// the status and an excerpt of the body (kIo for HTTP/connection failures, kCorruptData for a
// reply that is not JSON, kCancelled when the caller cancelled).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace llmkit::chain {

struct HttpOptions {
  // scheme://host[:port][/prefix]; paths such as "/v1/chat/completions" are appended to it (a
  // prefix ending in "/v1" is not doubled). https needs cpp-httplib built with OpenSSL.
  std::string base_url = "http://127.0.0.1:8080";
  std::string api_key;  // "" -> no Authorization header; else "Bearer <api_key>"
  std::map<std::string, std::string> headers;  // extra request headers
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds read_timeout{300'000};  // per read (between streamed chunks)
  std::chrono::milliseconds write_timeout{60'000};
  int max_retries = 3;
  std::chrono::milliseconds initial_backoff{500};
  double backoff_multiplier = 2.0;
  std::chrono::milliseconds max_backoff{20'000};
  // How waits between retries happen (tests inject a recorder); null: std::this_thread.
  std::function<void(std::chrono::milliseconds)> sleep;
};

class JsonHttpClient {
 public:
  explicit JsonHttpClient(HttpOptions options);

  const HttpOptions& options() const { return options_; }
  // base_url + path with the "/v1" rule above.
  std::string url(const std::string& path) const;

  // Cancellation probe, checked between retries and while streaming; returns true to stop.
  using CancelCheck = std::function<bool()>;

  // POST body; the reply parsed as JSON (2xx), else Error as described above.
  nlohmann::json post(const std::string& path, const nlohmann::json& body,
                      const CancelCheck& cancelled = nullptr) const;
  // POST body and pass the 2xx reply's bytes to on_bytes as they arrive (return false to stop
  // reading). Non-2xx replies throw (retried as above).
  void post_stream(const std::string& path, const nlohmann::json& body,
                   const std::function<bool(std::string_view)>& on_bytes,
                   const CancelCheck& cancelled = nullptr) const;

 private:
  void sleep_for(std::chrono::milliseconds d) const;
  std::chrono::milliseconds backoff(int attempt, const std::string& retry_after) const;

  HttpOptions options_;
  std::string scheme_host_port_;
  std::string prefix_;  // path prefix without trailing '/'
};

}  // namespace llmkit::chain
