// A real HTTP server on loopback (httplib::Server on 127.0.0.1, a free port) that speaks the
// documented OpenAI chat completions and embeddings formats, for the OpenAI client tests. It
// records every request (path, headers, parsed JSON body) and answers:
//   - chat: a deterministic reply of max_tokens (default 20) words chosen by a hash of the
//     messages, cut before the first stop string; when tools are offered and the last message
//     is a user message mentioning "weather", a call of the first tool with {"city": "Paris"};
//     "stream": true -> text/event-stream, one `data: {chunk}\n\n` per word (tool call pieces:
//     id+name first, then the arguments in two parts), usage when stream_options.include_usage,
//     then `data: [DONE]\n\n`;
//   - embeddings: an 8-float vector per input from a hash of the text (not normalised), items
//     listed in reverse order with their "index";
//   - scripted failures first: each queued status is answered once, with a JSON error body (and
//     "Retry-After" when set); "bad json" answers 200 with a body that is not JSON;
//   - delay: sleeps before answering (timeouts).
#pragma once

#include <algorithm>
#include <chrono>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace llmkit::chain::testing {

class OpenAITestServer {
 public:
  struct Request {
    std::string path;
    std::string authorization;
    nlohmann::json body;
  };
  struct Failure {
    int status = 500;
    std::string retry_after;
    bool bad_json = false;
  };

  explicit OpenAITestServer(std::string api_key = "") : api_key_(std::move(api_key)) {
    server_.Post("/v1/chat/completions",
                 [this](const httplib::Request& req, httplib::Response& res) { chat(req, res); });
    server_.Post("/v1/embeddings",
                 [this](const httplib::Request& req, httplib::Response& res) { embed(req, res); });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~OpenAITestServer() {
    server_.stop();
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // Answers the next request with `status` (or, bad_json, 200 with a non-JSON body).
  void fail_next(int status, std::string retry_after = "", bool bad_json = false) {
    std::lock_guard<std::mutex> lock(mutex_);
    failures_.push_back({status, std::move(retry_after), bad_json});
  }
  void set_delay(std::chrono::milliseconds d) { delay_ = d; }
  std::vector<Request> requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }

  static std::vector<float> vector_of(const std::string& text) {
    std::vector<float> v(8);
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
    for (int k = 0; k < 8; ++k) {
      h = h * 6364136223846793005ull + 1442695040888963407ull;
      v[k] = static_cast<float>(static_cast<int64_t>(h >> 40) % 1000) / 100.0f + 0.5f;
    }
    return v;
  }

 private:
  static const std::vector<std::string>& words() {
    static const std::vector<std::string> w = {"the",  "sea",   "is",    "wide", "and",  "blue",
                                               "sky",  "a",     "storm", "came", "over", "quiet",
                                               "ship", "sails", "far",   "light"};
    return w;
  }

  // Records the request; false (with the response set) when it must be refused.
  bool admit(const httplib::Request& req, httplib::Response& res, nlohmann::json& body) {
    if (delay_.count() > 0) std::this_thread::sleep_for(delay_);
    body = nlohmann::json::parse(req.body, nullptr, false);
    std::optional<Failure> failure;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      requests_.push_back({req.path, req.get_header_value("Authorization"), body});
      if (!failures_.empty()) {
        failure = failures_.front();
        failures_.pop_front();
      }
    }
    if (failure) {
      if (failure->bad_json) {
        res.status = 200;
        res.set_content("<html>not json</html>", "text/html");
      } else {
        res.status = failure->status;
        if (!failure->retry_after.empty()) res.set_header("Retry-After", failure->retry_after);
        res.set_content(R"({"error": {"message": "scripted failure"}})", "application/json");
      }
      return false;
    }
    if (body.is_discarded() || !body.is_object()) {
      res.status = 400;
      res.set_content(R"({"error": {"message": "request body is not JSON"}})", "application/json");
      return false;
    }
    if (!api_key_.empty() && req.get_header_value("Authorization") != "Bearer " + api_key_) {
      res.status = 401;
      res.set_content(R"({"error": {"message": "bad api key"}})", "application/json");
      return false;
    }
    return true;
  }

  void chat(const httplib::Request& req, httplib::Response& res) {
    nlohmann::json body;
    if (!admit(req, res, body)) return;
    const nlohmann::json& messages = body["messages"];
    std::string all;
    int64_t prompt_tokens = 0;
    for (const auto& m : messages) {
      std::string c = m["content"].is_string() ? m["content"].get<std::string>() : "";
      all += m["role"].get<std::string>() + ":" + c + ";";
      prompt_tokens += 1 + static_cast<int64_t>(std::count(c.begin(), c.end(), ' '));
    }
    const nlohmann::json& last = messages.back();
    const bool call_tool = body.contains("tools") && last["role"] == "user" &&
                           last["content"].get<std::string>().find("weather") != std::string::npos;
    std::vector<std::string> pieces;
    if (!call_tool) {
      uint64_t h = 1469598103934665603ull;
      for (unsigned char c : all) h = (h ^ c) * 1099511628211ull;
      const int64_t n = body.value("max_tokens", int64_t{20});
      for (int64_t i = 0; i < n; ++i) {
        h = h * 6364136223846793005ull + 1442695040888963407ull;
        pieces.push_back((i ? " " : "") + words()[(h >> 33) % words().size()]);
      }
      std::string text;
      for (const auto& p : pieces) text += p;
      size_t cut = text.size();
      for (const auto& s : body.value("stop", std::vector<std::string>{}))
        cut = std::min(cut, text.find(s));
      // Re-split the cut text at the same boundaries.
      std::vector<std::string> kept;
      size_t pos = 0;
      for (const auto& p : pieces) {
        if (pos >= cut) break;
        kept.push_back(p.substr(0, cut - pos));
        pos += p.size();
      }
      pieces = kept;
    }
    std::string content;
    for (const auto& p : pieces) content += p;
    const std::string tool_name =
        call_tool ? body["tools"][0]["function"]["name"].get<std::string>() : "";
    const nlohmann::json usage = {
        {"prompt_tokens", prompt_tokens},
        {"completion_tokens", call_tool ? 9 : pieces.size()},
        {"total_tokens", prompt_tokens + (call_tool ? 9 : pieces.size())}};
    if (!body.value("stream", false)) {
      nlohmann::json message = {{"role", "assistant"}, {"content", content}};
      if (call_tool) {
        message["content"] = nullptr;
        message["tool_calls"] = {
            {{"id", "call_abc"},
             {"type", "function"},
             {"function", {{"name", tool_name}, {"arguments", R"({"city": "Paris"})"}}}}};
      }
      nlohmann::json reply = {{"id", "chatcmpl-1"},
                              {"object", "chat.completion"},
                              {"model", body["model"]},
                              {"choices",
                               {{{"index", 0},
                                 {"message", message},
                                 {"finish_reason", call_tool ? "tool_calls" : "stop"}}}},
                              {"usage", usage}};
      res.set_content(reply.dump(), "application/json");
      return;
    }
    std::vector<nlohmann::json> chunks;
    auto chunk = [&](nlohmann::json delta, nlohmann::json finish) {
      return nlohmann::json{
          {"id", "chatcmpl-1"},
          {"object", "chat.completion.chunk"},
          {"choices", {{{"index", 0}, {"delta", delta}, {"finish_reason", finish}}}}};
    };
    chunks.push_back(chunk({{"role", "assistant"}, {"content", ""}}, nullptr));
    for (const auto& p : pieces) chunks.push_back(chunk({{"content", p}}, nullptr));
    if (call_tool) {
      chunks.push_back(chunk({{"tool_calls",
                               {{{"index", 0},
                                 {"id", "call_abc"},
                                 {"type", "function"},
                                 {"function", {{"name", tool_name}, {"arguments", ""}}}}}}},
                             nullptr));
      chunks.push_back(
          chunk({{"tool_calls", {{{"index", 0}, {"function", {{"arguments", R"({"city": )"}}}}}}},
                nullptr));
      chunks.push_back(
          chunk({{"tool_calls", {{{"index", 0}, {"function", {{"arguments", R"("Paris"})"}}}}}}},
                nullptr));
    }
    chunks.push_back(chunk(nlohmann::json::object(), call_tool ? "tool_calls" : "stop"));
    if (body.contains("stream_options") && body["stream_options"].value("include_usage", false)) {
      chunks.push_back({{"id", "chatcmpl-1"},
                        {"object", "chat.completion.chunk"},
                        {"choices", nlohmann::json::array()},
                        {"usage", usage}});
    }
    auto events = std::make_shared<std::vector<std::string>>();
    for (const auto& c : chunks) events->push_back("data: " + c.dump() + "\n\n");
    events->push_back("data: [DONE]\n\n");
    res.set_chunked_content_provider(
        "text/event-stream", [events, k = size_t{0}](size_t, httplib::DataSink& sink) mutable {
          if (k < events->size()) {
            const std::string& e = (*events)[k++];
            sink.write(e.data(), e.size());
          } else {
            sink.done();
          }
          return true;
        });
  }

  void embed(const httplib::Request& req, httplib::Response& res) {
    nlohmann::json body;
    if (!admit(req, res, body)) return;
    std::vector<std::string> inputs;
    if (body["input"].is_string()) {
      inputs.push_back(body["input"]);
    } else {
      inputs = body["input"].get<std::vector<std::string>>();
    }
    nlohmann::json data = nlohmann::json::array();
    for (size_t i = inputs.size(); i-- > 0;) {
      data.push_back({{"object", "embedding"}, {"index", i}, {"embedding", vector_of(inputs[i])}});
    }
    res.set_content(
        nlohmann::json{{"object", "list"}, {"data", data}, {"model", body["model"]}}.dump(),
        "application/json");
  }

  std::string api_key_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::deque<Failure> failures_;
  std::vector<Request> requests_;
  std::chrono::milliseconds delay_{0};
};

}  // namespace llmkit::chain::testing
