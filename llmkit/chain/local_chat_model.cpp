#include "llmkit/chain/local_chat_model.h"

#include <map>
#include <mutex>

#include "llmkit/base/error.h"
#include "llmkit/chain/openai_client.h"
#include "llmkit/chain/tool_call_parser.h"
#include "llmkit/infer/grammar.h"
#include "llmkit/infer/json_schema_grammar.h"
#include "llmkit/infer/token_constraint.h"

namespace llmkit::chain {

struct LocalChatModel::Shared {
  Shared(std::shared_ptr<const infer::Model> m, const std::string& tmpl)
      : model(std::move(m)), formatter(model, tmpl) {}

  std::shared_ptr<const infer::Model> model;
  ChatFormatter formatter;
  std::mutex mutex;
  std::shared_ptr<const infer::TokenTrie> trie;
  std::map<std::string, std::shared_ptr<const infer::Grammar>> grammars;  // by schema text

  std::shared_ptr<const infer::TokenTrie> token_trie() {
    std::lock_guard<std::mutex> lock(mutex);
    if (!trie) trie = infer::TokenTrie::build(model->require_tokenizer());
    return trie;
  }
  std::shared_ptr<const infer::Grammar> grammar(const nlohmann::json& schema) {
    const std::string key = schema.dump();
    {
      std::lock_guard<std::mutex> lock(mutex);
      auto it = grammars.find(key);
      if (it != grammars.end()) return it->second;
    }
    auto g = infer::Grammar::parse(infer::json_schema_to_gbnf(nlohmann::ordered_json::parse(key)));
    std::lock_guard<std::mutex> lock(mutex);
    grammars.emplace(key, g);
    return g;
  }
};

LocalChatModel::LocalChatModel(std::shared_ptr<const infer::Model> model, ChatOptions options,
                               LocalChatConfig config)
    : options_(std::move(options)), config_(std::move(config)) {
  LLMKIT_CHECK(model != nullptr, "LocalChatModel: model is null");
  shared_ = std::make_shared<Shared>(std::move(model), config_.chat_template);
}

std::shared_ptr<const ChatModel> LocalChatModel::with_options(const ChatOptions& options) const {
  auto copy = std::make_shared<LocalChatModel>(*this);
  copy->options_ = options;
  return copy;
}

const ChatFormatter& LocalChatModel::formatter() const {
  return shared_->formatter;
}
const std::shared_ptr<const infer::Model>& LocalChatModel::model() const {
  return shared_->model;
}

infer::GenerateOptions LocalChatModel::generate_options() const {
  infer::GenerateOptions g;
  g.max_tokens = options_.max_tokens.value_or(config_.max_tokens);
  LLMKIT_CHECK(g.max_tokens >= 0, "LocalChatModel: max_tokens must be >= 0, got ", g.max_tokens);
  g.stop_tokens = shared_->formatter.stop_tokens();
  g.stop_strings = shared_->formatter.stop_strings();
  for (const std::string& s : options_.stop) {
    LLMKIT_CHECK(!s.empty(), "LocalChatModel: stop strings must not be empty");
    g.stop_strings.push_back(s);
  }
  g.sampler = config_.sampler;
  if (options_.temperature) g.sampler.temperature = *options_.temperature;
  if (options_.seed) g.sampler.seed = *options_.seed;
  if (options_.json_schema) {
    g.grammar = shared_->grammar(*options_.json_schema);
    g.token_trie = shared_->token_trie();
  }
  return g;
}

ChatMessage LocalChatModel::generate(
    const Messages& input, RunContext& ctx,
    const std::function<void(const ChatMessage&)>* on_chunk) const {
  LLMKIT_CHECK(!input.empty(), "LocalChatModel: no messages to answer");
  const infer::GenerateOptions g = generate_options();
  const std::vector<int32_t> prompt = shared_->formatter.encode(input, options_.tools, true);
  infer::Session session(shared_->model, config_.session);
  const bool tools = !options_.tools.empty() && config_.parse_tool_calls;
  std::string text;      // generated so far
  std::string streamed;  // what on_chunk received so far
  bool cancelled = false;
  auto emit = [&](const std::string& visible) {
    if (on_chunk && visible.size() > streamed.size()) {
      (*on_chunk)(ChatMessage{"assistant", visible.substr(streamed.size()), {}, {}, {}});
      streamed = visible;
    }
  };
  infer::GenerateStats stats;
  if (g.max_tokens > 0) {
    stats = infer::generate(session, prompt, g, [&](const std::string& piece, int32_t) {
      text += piece;
      if (on_chunk) emit(tools ? streamable_content(text) : text);
      if (ctx.cancelled()) {
        cancelled = true;
        return false;
      }
      return true;
    });
  } else {
    stats.prompt_tokens = static_cast<int64_t>(prompt.size());
  }
  ctx.add_tokens(stats.prompt_tokens, stats.generated_tokens);
  if (cancelled) ctx.check_cancelled();
  ChatMessage out = assistant_message(text);
  if (tools) {
    ParsedToolCalls parsed = parse_tool_calls(text);
    out.content = parsed.content;
    out.tool_calls = std::move(parsed.calls);
  }
  if (on_chunk) {
    LLMKIT_CHECK_CODE(out.content.compare(0, streamed.size(), streamed) == 0, ErrorCode::kInternal,
                      "LocalChatModel: streamed text is not a prefix of the answer");
    if (out.content.size() > streamed.size() || !out.tool_calls.empty()) {
      (*on_chunk)(
          ChatMessage{"assistant", out.content.substr(streamed.size()), out.tool_calls, {}, {}});
    }
  }
  return out;
}

ChatMessage LocalChatModel::invoke_impl(const Messages& input, RunContext& ctx) const {
  return generate(input, ctx, nullptr);
}

ChatMessage LocalChatModel::stream_impl(const Messages& input,
                                        const std::function<void(const ChatMessage&)>& on_chunk,
                                        RunContext& ctx) const {
  return generate(input, ctx, &on_chunk);
}

LocalEmbeddings::LocalEmbeddings(std::shared_ptr<const infer::Model> model, Pooling pooling,
                                 bool add_bos, infer::SessionOptions session)
    : model_(std::move(model)), pooling_(pooling), add_bos_(add_bos), session_(session) {
  LLMKIT_CHECK(model_ != nullptr, "LocalEmbeddings: model is null");
  model_->require_tokenizer();
}

int LocalEmbeddings::dim() const {
  return static_cast<int>(model_->config().n_embd);
}

std::vector<std::vector<float>> LocalEmbeddings::embed(
    const std::vector<std::string>& texts) const {
  const tokenizer::Tokenizer& tok = model_->require_tokenizer();
  const int64_t C = model_->config().n_embd;
  const int64_t V = model_->config().n_vocab;
  std::vector<std::vector<float>> out;
  if (texts.empty()) return out;
  infer::Session session(model_, session_);
  // Tokens per decode_all call: the logits buffer [n, V] stays below 2^24 floats.
  const int64_t step =
      std::max<int64_t>(1, std::min<int64_t>(session.options().n_batch, (int64_t{1} << 24) / V));
  std::vector<float> logits(static_cast<size_t>(step * V));
  std::vector<float> hidden(static_cast<size_t>(step * C));
  for (size_t t = 0; t < texts.size(); ++t) {
    std::vector<int32_t> ids = tok.encode(texts[t], add_bos_, /*parse_special=*/false);
    LLMKIT_CHECK(!ids.empty(), "LocalEmbeddings: text ", t,
                 " is empty and there is no BOS to embed");
    if (static_cast<int64_t>(ids.size()) > session.n_ctx()) ids.resize(session.n_ctx());
    session.reset();
    std::vector<double> sum(static_cast<size_t>(C), 0.0);
    std::vector<float> last(static_cast<size_t>(C));
    for (size_t begin = 0; begin < ids.size(); begin += static_cast<size_t>(step)) {
      const size_t n = std::min(ids.size() - begin, static_cast<size_t>(step));
      session.decode_all(std::span<const int32_t>(ids.data() + begin, n), logits.data(),
                         hidden.data());
      for (size_t i = 0; i < n; ++i) {
        for (int64_t c = 0; c < C; ++c) sum[c] += hidden[i * C + c];
      }
      std::copy(hidden.begin() + static_cast<int64_t>(n - 1) * C,
                hidden.begin() + static_cast<int64_t>(n) * C, last.begin());
    }
    std::vector<float> v(static_cast<size_t>(C));
    for (int64_t c = 0; c < C; ++c) {
      v[c] = pooling_ == Pooling::kMean
                 ? static_cast<float>(sum[c] / static_cast<double>(ids.size()))
                 : last[c];
    }
    l2_normalize(v);
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace llmkit::chain
