#include "llmkit/chain/http_client.h"

#include <algorithm>
#include <cmath>
#include <thread>

#include <httplib.h>

#include "llmkit/base/error.h"

namespace llmkit::chain {
namespace {

std::string body_excerpt(const std::string& body) {
  std::string s = body.size() > 300 ? body.substr(0, 300) + "..." : body;
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return s;
}

bool retryable_status(int status) {
  return status == 429 || (status >= 500 && status <= 599);
}

void set_timeouts(httplib::Client& client, const HttpOptions& o) {
  auto split = [](std::chrono::milliseconds d) {
    return std::pair<time_t, time_t>(static_cast<time_t>(d.count() / 1000),
                                     static_cast<time_t>((d.count() % 1000) * 1000));
  };
  auto [cs, cu] = split(o.connect_timeout);
  auto [rs, ru] = split(o.read_timeout);
  auto [ws, wu] = split(o.write_timeout);
  client.set_connection_timeout(cs, cu);
  client.set_read_timeout(rs, ru);
  client.set_write_timeout(ws, wu);
}

}  // namespace

JsonHttpClient::JsonHttpClient(HttpOptions options) : options_(std::move(options)) {
  const std::string& url = options_.base_url;
  size_t scheme_end = url.find("://");
  LLMKIT_CHECK(scheme_end != std::string::npos, "base_url '", url,
               "' needs a scheme: http://host:port or https://host");
  const std::string scheme = url.substr(0, scheme_end);
  LLMKIT_CHECK(scheme == "http" || scheme == "https", "base_url '", url,
               "': scheme must be http or https");
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
  LLMKIT_CHECK_CODE(scheme == "http", ErrorCode::kUnsupported, "base_url '", url,
                    "': https needs cpp-httplib with OpenSSL support; use http://");
#endif
  size_t path_start = url.find('/', scheme_end + 3);
  scheme_host_port_ = url.substr(0, path_start);
  LLMKIT_CHECK(scheme_host_port_.size() > scheme_end + 3, "base_url '", url, "' has no host");
  prefix_ = path_start == std::string::npos ? "" : url.substr(path_start);
  while (!prefix_.empty() && prefix_.back() == '/') prefix_.pop_back();
  LLMKIT_CHECK(options_.max_retries >= 0, "HttpOptions::max_retries must be >= 0, got ",
               options_.max_retries);
}

std::string JsonHttpClient::url(const std::string& path) const {
  std::string p = path;
  const std::string v1 = "/v1";
  if (prefix_.size() >= 3 && prefix_.compare(prefix_.size() - 3, 3, v1) == 0 &&
      p.rfind(v1 + "/", 0) == 0) {
    p = p.substr(3);
  }
  return scheme_host_port_ + prefix_ + p;
}

void JsonHttpClient::sleep_for(std::chrono::milliseconds d) const {
  if (options_.sleep) {
    options_.sleep(d);
  } else {
    std::this_thread::sleep_for(d);
  }
}

std::chrono::milliseconds JsonHttpClient::backoff(int attempt,
                                                  const std::string& retry_after) const {
  double ms = static_cast<double>(options_.initial_backoff.count()) *
              std::pow(options_.backoff_multiplier, attempt);
  if (!retry_after.empty()) {
    char* end = nullptr;
    double s = std::strtod(retry_after.c_str(), &end);
    if (end != retry_after.c_str() && s > 0) ms = std::max(ms, s * 1000.0);
  }
  ms = std::min(ms, static_cast<double>(options_.max_backoff.count()));
  return std::chrono::milliseconds(static_cast<int64_t>(ms));
}

void JsonHttpClient::post_stream(const std::string& path, const nlohmann::json& body,
                                 const std::function<bool(std::string_view)>& on_bytes,
                                 const CancelCheck& cancelled) const {
  const std::string full_url = url(path);
  const std::string request_path = url(path).substr(scheme_host_port_.size());
  const std::string payload = body.dump();
  for (int attempt = 0;; ++attempt) {
    LLMKIT_CHECK_CODE(!(cancelled && cancelled()), ErrorCode::kCancelled, "POST ", full_url,
                      " cancelled");
    httplib::Client client(scheme_host_port_);
    set_timeouts(client, options_);
    httplib::Request req;
    req.method = "POST";
    req.path = request_path;
    req.body = payload;
    req.set_header("Content-Type", "application/json");
    req.set_header("Accept", "application/json, text/event-stream");
    if (!options_.api_key.empty()) req.set_header("Authorization", "Bearer " + options_.api_key);
    for (const auto& [k, v] : options_.headers) req.set_header(k, v);

    int status = -1;
    bool delivered = false, stopped = false, was_cancelled = false;
    std::string error_body;
    req.response_handler = [&](const httplib::Response& res) {
      status = res.status;
      return true;
    };
    req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
      if (status < 200 || status > 299) {
        if (error_body.size() < 4096) error_body.append(data, n);
        return true;
      }
      if (cancelled && cancelled()) {
        was_cancelled = true;
        return false;
      }
      delivered = true;
      if (!on_bytes(std::string_view(data, n))) {
        stopped = true;
        return false;
      }
      return true;
    };
    httplib::Response res;
    httplib::Error err = httplib::Error::Success;
    const bool ok = client.send(req, res, err);
    LLMKIT_CHECK_CODE(!was_cancelled, ErrorCode::kCancelled, "POST ", full_url, " cancelled");
    if (stopped) return;
    std::string failure;
    bool retry = false;
    if (!ok && status < 0) {
      failure = str_cat("POST ", full_url, " failed: ", httplib::to_string(err));
      retry = !delivered;
    } else if (status < 200 || status > 299) {
      if (status < 0) status = res.status;
      if (error_body.empty()) error_body = res.body;
      failure =
          str_cat("POST ", full_url, " returned HTTP ", status, ": ", body_excerpt(error_body));
      retry = retryable_status(status);
    } else if (!ok) {
      failure =
          str_cat("POST ", full_url, " failed while reading the reply: ", httplib::to_string(err));
      retry = !delivered;
    } else {
      return;
    }
    if (!retry || attempt >= options_.max_retries) {
      if (attempt > 0) failure += str_cat(" (after ", attempt + 1, " attempts)");
      throw_error(ErrorCode::kIo, failure);
    }
    sleep_for(backoff(attempt, res.get_header_value("Retry-After")));
  }
}

nlohmann::json JsonHttpClient::post(const std::string& path, const nlohmann::json& body,
                                    const CancelCheck& cancelled) const {
  std::string text;
  post_stream(
      path, body,
      [&](std::string_view bytes) {
        text.append(bytes);
        return true;
      },
      cancelled);
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  LLMKIT_CHECK_CODE(!j.is_discarded(), ErrorCode::kCorruptData, "POST ", url(path),
                    " returned a body that is not JSON: ", body_excerpt(text));
  return j;
}

}  // namespace llmkit::chain
