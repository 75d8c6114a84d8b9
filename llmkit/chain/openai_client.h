// OpenAI-compatible HTTP models: OpenAIChatModel (POST /v1/chat/completions, with SSE streaming,
// tools and response_format) and OpenAIEmbeddings (POST /v1/embeddings). They work against
// llama.cpp's server, Ollama, vLLM and hosted APIs; transport, retries and errors are
// JsonHttpClient's (http_client.h).
//
// Streaming: "stream": true; each SSE "data:" event is a chat.completion.chunk whose
// choices[0].delta.content is passed on as one assistant chunk; tool call pieces are assembled
// by index and arrive complete in one last chunk (content ""); "data: [DONE]" ends the stream.
// Token usage (from "usage", also requested in streams) goes to RunContext::add_tokens.
// A run's timeout (RunConfig::timeout) also caps the connect and read timeouts of its requests;
// cancellation is checked between retries and between streamed chunks.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "llmkit/chain/chat_model.h"
#include "llmkit/chain/http_client.h"

namespace llmkit::chain {

class OpenAIChatModel : public ChatModel {
 public:
  // model: the "model" field sent (servers serving one model often ignore it).
  OpenAIChatModel(HttpOptions http, std::string model, ChatOptions options = {});

  std::string name() const override { return "OpenAIChatModel(" + model_ + ")"; }
  std::shared_ptr<const ChatModel> with_options(const ChatOptions& options) const override;
  const ChatOptions& options() const override { return options_; }
  const std::string& model() const { return model_; }
  const JsonHttpClient& client() const { return *client_; }

 protected:
  ChatMessage invoke_impl(const Messages& input, RunContext& ctx) const override;
  ChatMessage stream_impl(const Messages& input,
                          const std::function<void(const ChatMessage&)>& on_chunk,
                          RunContext& ctx) const override;

 private:
  std::shared_ptr<const JsonHttpClient> client_;
  std::string model_;
  ChatOptions options_;
};

class OpenAIEmbeddings : public Embeddings {
 public:
  // dim: the vector size when known; 0: learned from the first reply (dim() embeds a probe text
  // when asked before any call). normalize: L2-normalise the returned vectors.
  OpenAIEmbeddings(HttpOptions http, std::string model, int dim = 0, bool normalize = true);

  // Sends the texts in requests of at most batch_size inputs; Error when a vector's size
  // differs from dim().
  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) const override;
  int dim() const override;

  int batch_size = 64;

 private:
  JsonHttpClient client_;
  std::string model_;
  bool normalize_;
  mutable std::mutex mutex_;
  mutable int dim_;
};

// Scales v to unit L2 norm (unchanged when its norm is 0).
void l2_normalize(std::vector<float>& v);

}  // namespace llmkit::chain
