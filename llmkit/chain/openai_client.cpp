#include "llmkit/chain/openai_client.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "llmkit/base/error.h"
#include "llmkit/chain/openai_json.h"
#include "llmkit/chain/sse.h"

namespace llmkit::chain {
namespace {

JsonHttpClient::CancelCheck cancel_check(const RunContext& ctx) {
  return [&ctx] { return ctx.cancelled(); };
}

// The client for one run: the read timeout is cut to what is left of the run's deadline.
std::shared_ptr<const JsonHttpClient> client_for(
    const std::shared_ptr<const JsonHttpClient>& client, const RunContext& ctx) {
  if (!ctx.deadline()) return client;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      *ctx.deadline() - std::chrono::steady_clock::now());
  // A little past the deadline, so that a request cut by it finds the run timed out.
  left = std::max(left, std::chrono::milliseconds(0)) + std::chrono::milliseconds(50);
  if (left >= client->options().read_timeout && left >= client->options().connect_timeout)
    return client;
  HttpOptions o = client->options();
  o.read_timeout = std::min(o.read_timeout, left);
  o.connect_timeout = std::min(o.connect_timeout, left);
  return std::make_shared<const JsonHttpClient>(std::move(o));
}

}  // namespace

void l2_normalize(std::vector<float>& v) {
  double sum = 0.0;
  for (float x : v) sum += static_cast<double>(x) * x;
  if (sum <= 0.0) return;
  const float inv = static_cast<float>(1.0 / std::sqrt(sum));
  for (float& x : v) x *= inv;
}

OpenAIChatModel::OpenAIChatModel(HttpOptions http, std::string model, ChatOptions options)
    : client_(std::make_shared<const JsonHttpClient>(std::move(http))),
      model_(std::move(model)),
      options_(std::move(options)) {}

std::shared_ptr<const ChatModel> OpenAIChatModel::with_options(const ChatOptions& options) const {
  auto copy = std::make_shared<OpenAIChatModel>(*this);
  copy->options_ = options;
  return copy;
}

ChatMessage OpenAIChatModel::invoke_impl(const Messages& input, RunContext& ctx) const {
  const nlohmann::json body = openai::chat_request(model_, input, options_, /*stream=*/false);
  nlohmann::json reply;
  try {
    reply = client_for(client_, ctx)->post("/v1/chat/completions", body, cancel_check(ctx));
  } catch (const Error&) {
    ctx.check_cancelled();  // a timeout caused by the run's deadline reports as kCancelled
    throw;
  }
  openai::Usage usage;
  ChatMessage out = openai::parse_chat_response(reply, &usage);
  ctx.add_tokens(usage.prompt_tokens, usage.completion_tokens);
  return out;
}

ChatMessage OpenAIChatModel::stream_impl(const Messages& input,
                                         const std::function<void(const ChatMessage&)>& on_chunk,
                                         RunContext& ctx) const {
  const nlohmann::json body = openai::chat_request(model_, input, options_, /*stream=*/true);
  const std::string url = client_->url("/v1/chat/completions");
  openai::StreamAssembler assembler;
  bool done = false;
  std::string non_sse;  // a server that ignored "stream" answers with one JSON body
  bool saw_event = false;
  SseParser parser([&](const SseEvent& event) {
    saw_event = true;
    if (done) return;
    if (event.data == "[DONE]") {
      done = true;
      return;
    }
    nlohmann::json chunk = nlohmann::json::parse(event.data, nullptr, false);
    LLMKIT_CHECK_CODE(!chunk.is_discarded(), ErrorCode::kCorruptData, "stream from ", url,
                      " sent an event that is not JSON: ", event.data.substr(0, 300));
    const std::string delta = assembler.add(chunk);
    if (!delta.empty()) on_chunk(ChatMessage{"assistant", delta, {}, {}, {}});
  });
  client_for(client_, ctx)
      ->post_stream(
          "/v1/chat/completions", body,
          [&](std::string_view bytes) {
            if (!saw_event && non_sse.size() < (1u << 20)) non_sse.append(bytes);
            parser.feed(bytes);
            return !done;
          },
          cancel_check(ctx));
  parser.finish();
  ChatMessage out;
  if (!saw_event) {
    // Not an event stream: accept a plain chat completion reply.
    nlohmann::json reply = nlohmann::json::parse(non_sse, nullptr, false);
    LLMKIT_CHECK_CODE(!reply.is_discarded(), ErrorCode::kCorruptData, "stream from ", url,
                      " is neither server-sent events nor JSON: ", non_sse.substr(0, 300));
    openai::Usage usage;
    out = openai::parse_chat_response(reply, &usage);
    ctx.add_tokens(usage.prompt_tokens, usage.completion_tokens);
    on_chunk(out);
    return out;
  }
  out = assembler.finish();
  if (!out.tool_calls.empty()) on_chunk(ChatMessage{"assistant", "", out.tool_calls, {}, {}});
  ctx.add_tokens(assembler.usage().prompt_tokens, assembler.usage().completion_tokens);
  return out;
}

OpenAIEmbeddings::OpenAIEmbeddings(HttpOptions http, std::string model, int dim, bool normalize)
    : client_(std::move(http)), model_(std::move(model)), normalize_(normalize), dim_(dim) {
  LLMKIT_CHECK(dim >= 0, "OpenAIEmbeddings: dim must be >= 0, got ", dim);
}

std::vector<std::vector<float>> OpenAIEmbeddings::embed(
    const std::vector<std::string>& texts) const {
  LLMKIT_CHECK(batch_size >= 1, "OpenAIEmbeddings::batch_size must be >= 1, got ", batch_size);
  std::vector<std::vector<float>> out;
  out.reserve(texts.size());
  for (size_t begin = 0; begin < texts.size(); begin += static_cast<size_t>(batch_size)) {
    const size_t end = std::min(texts.size(), begin + static_cast<size_t>(batch_size));
    std::vector<std::string> part(texts.begin() + begin, texts.begin() + end);
    const nlohmann::json reply =
        client_.post("/v1/embeddings", openai::embeddings_request(model_, part));
    auto vectors = openai::parse_embeddings_response(reply, part.size());
    for (auto& v : vectors) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (dim_ == 0) dim_ = static_cast<int>(v.size());
      LLMKIT_CHECK_CODE(static_cast<int>(v.size()) == dim_ && !v.empty(), ErrorCode::kCorruptData,
                        "embeddings from ", client_.url("/v1/embeddings"), " have size ", v.size(),
                        ", expected ", dim_);
      if (normalize_) l2_normalize(v);
      out.push_back(std::move(v));
    }
  }
  return out;
}

int OpenAIEmbeddings::dim() const {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (dim_ > 0) return dim_;
  }
  embed({"dimension probe"});
  std::lock_guard<std::mutex> lock(mutex_);
  return dim_;
}

}  // namespace llmkit::chain
