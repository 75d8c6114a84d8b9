// `llmkit chat -m MODEL [--system TEXT] [--chat-template FILE] [-n N] [sampling options] [--stop
// STR]... [-t N] [--ctx N]`: an interactive conversation in the model's chat format (its own chat
// template, else the built-in format of its architecture: chain/chat_formatter.h).
// Reads one message per line from stdin ("> " on stderr when stdin is a terminal) and streams
// each answer to stdout. Each turn renders the whole conversation and decodes only the tokens
// after the longest prefix the session's KV cache already holds (templates may re-render earlier
// turns differently; the cache then rewinds to where they differ). When a turn (plus room for the
// answer: -n, or a quarter of the context when -n is -1) would overflow the context, the oldest
// turns are dropped (the system text is kept), and stderr says so.
// Commands: /reset (forget the conversation), /exit (or end of input). Ctrl-C during an answer
// stops that answer; at the prompt it ends the program.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "cli/commands.h"
#include "cli/model_args.h"
#include "cli/sampling_args.h"
#include "llmkit/base/error.h"
#include "llmkit/chain/chat_formatter.h"
#include "llmkit/infer/generator.h"

namespace llmkit::cli {
namespace {

struct ChatCommand {
  ModelArgs model;
  SamplingArgs sampling;
  std::string system;
  std::string chat_template;
  int64_t n_predict = -1;
};

volatile std::sig_atomic_t g_interrupted = 0;
void on_sigint(int) {
  g_interrupted = 1;
}

// Installs the Ctrl-C flag for the lifetime of the object. Without SA_RESTART, so that a read at
// the prompt returns (EINTR) instead of waiting for the line.
class SigintFlag {
 public:
  SigintFlag() {
    struct sigaction action = {};
    action.sa_handler = on_sigint;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &previous_);
  }
  ~SigintFlag() { sigaction(SIGINT, &previous_, nullptr); }

 private:
  struct sigaction previous_ = {};
};

// One line from stdin without its line ending; false at end of input, on a read error or when
// interrupted.
bool read_line(std::string& line) {
  char* buf = nullptr;
  size_t cap = 0;
  ssize_t n = ::getline(&buf, &cap, stdin);
  if (n >= 0) line.assign(buf, static_cast<size_t>(n));
  std::free(buf);
  if (n < 0) return false;
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return true;
}

class Chat {
 public:
  Chat(const ChatCommand& c, std::shared_ptr<const infer::Model> model)
      : c_(c),
        model_(model),
        format_(model, read_chat_template(c.chat_template), c.chat_template),
        session_(model, session_options(*model, c.model)),
        sampler_(resolve_sampler_options(c.sampling), model->config().n_vocab) {
    reset();
    options_.max_tokens = c.n_predict;
    options_.stop_tokens = format_.stop_tokens();
    options_.stop_strings = format_.stop_strings();
    for (const std::string& s : c.sampling.stop) options_.stop_strings.push_back(s);
    reserve_ = c.n_predict >= 0 ? c.n_predict : std::max<int64_t>(1, session_.n_ctx() / 4);
    std::fprintf(stderr,
                 "chat: format %s, context %lld tokens; /reset forgets the conversation, /exit "
                 "ends; Ctrl-C stops an answer\n",
                 format_.description().c_str(), static_cast<long long>(session_.n_ctx()));
  }

  void reset() {
    history_.clear();
    if (!c_.system.empty()) history_.push_back(chain::system_message(c_.system));
    session_.reset();
    in_cache_.clear();
    sampler_.reset();
  }

  // One user turn: encode, make room, generate, print.
  void turn(const std::string& message) {
    history_.push_back(chain::user_message(message));
    std::vector<int32_t> tokens = format_.encode(history_, {}, /*add_generation_prompt=*/true);
    if (static_cast<int64_t>(tokens.size()) + reserve_ > session_.n_ctx()) {
      if (!make_room(tokens)) return;
    }
    // Reuse the longest prefix the cache holds; at least one token is decoded anew.
    size_t keep = 0;
    while (keep < in_cache_.size() && keep + 1 < tokens.size() && in_cache_[keep] == tokens[keep]) {
      ++keep;
    }
    session_.truncate(static_cast<int64_t>(keep));
    in_cache_.assign(tokens.begin(), tokens.begin() + static_cast<std::ptrdiff_t>(keep));
    const std::span<const int32_t> fresh(tokens.data() + keep, tokens.size() - keep);
    g_interrupted = 0;
    infer::GenerateStats stats =
        infer::generate(session_, fresh, options_, sampler_, [](const std::string& piece, int32_t) {
          std::fwrite(piece.data(), 1, piece.size(), stdout);
          std::fflush(stdout);
          return g_interrupted == 0;
        });
    std::fputs("\n", stdout);
    std::fflush(stdout);
    in_cache_.insert(in_cache_.end(), fresh.begin(), fresh.end());
    in_cache_.insert(in_cache_.end(), stats.tokens.begin(), stats.tokens.end());
    history_.push_back(chain::assistant_message(stats.text));
    if (g_interrupted) {
      std::fprintf(stderr, "(answer stopped)\n");
    } else if (stats.stop_reason == "context full") {
      std::fprintf(stderr, "(the context is full; the next turn drops the oldest turns)\n");
    }
    g_interrupted = 0;
  }

 private:
  // Restarts the session from the conversation without its oldest turns, so that it and the
  // answer reserve fit. False (and the message dropped) when even the message alone does not fit.
  bool make_room(std::vector<int32_t>& tokens) {
    const int64_t n_ctx = session_.n_ctx();
    const size_t first = !history_.empty() && history_[0].role == "system" ? 1 : 0;
    size_t dropped = 0;
    for (;;) {
      tokens = format_.encode(history_, {}, /*add_generation_prompt=*/true);
      const int64_t need = static_cast<int64_t>(tokens.size()) + reserve_;
      if (need <= n_ctx || history_.size() <= first + 1) break;
      // Drop the oldest message and whatever follows it up to the next user message, so the
      // kept conversation starts with a user turn.
      do {
        history_.erase(history_.begin() + static_cast<std::ptrdiff_t>(first));
        ++dropped;
      } while (history_.size() > first + 1 && history_[first].role != "user");
    }
    if (static_cast<int64_t>(tokens.size()) >= n_ctx) {
      std::fprintf(stderr,
                   "(the message is too long: %zu tokens for a context of %lld; not sent)\n",
                   tokens.size(), static_cast<long long>(n_ctx));
      history_.pop_back();
      return false;
    }
    std::fprintf(stderr, "(context full: dropped the %zu oldest message%s; re-reading the rest)\n",
                 dropped, dropped == 1 ? "" : "s");
    return true;
  }

  const ChatCommand& c_;
  std::shared_ptr<const infer::Model> model_;
  chain::ChatFormatter format_;
  infer::Session session_;
  infer::Sampler sampler_;
  infer::GenerateOptions options_;
  chain::Messages history_;
  std::vector<int32_t> in_cache_;  // the tokens the session's KV cache holds
  int64_t reserve_ = 0;
};

void run_chat(const ChatCommand& c) {
  LLMKIT_CHECK(c.n_predict >= -1, "chat: -n must be >= -1 (-1: until the end of the turn)");
  auto model = load_model_for_inference(c.model);
  Chat chat(c, model);
  SigintFlag sigint;
  const bool tty = ::isatty(STDIN_FILENO) != 0;
  for (;;) {
    if (tty) std::fputs("> ", stderr);
    g_interrupted = 0;
    std::string line;
    if (!read_line(line) || g_interrupted) {
      if (tty) std::fputs("\n", stderr);
      break;
    }
    if (line == "/exit") break;
    if (line == "/reset") {
      chat.reset();
      std::fprintf(stderr, "(conversation reset)\n");
      continue;
    }
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    chat.turn(line);
  }
}

void register_chat(CLI::App& app) {
  auto c = std::make_shared<ChatCommand>();
  CLI::App* cmd = app.add_subcommand("chat", "Chat with a model (interactive, reads stdin)");
  add_model_args(*cmd, c->model);
  cmd->add_option("--system", c->system, "system message for the conversation");
  cmd->add_option("--chat-template", c->chat_template,
                  "Jinja chat template file to use instead of the model's");
  cmd->add_option("-n,--n-predict", c->n_predict,
                  "most tokens per answer (-1: until the end of the turn)")
      ->capture_default_str();
  add_sampling_args(*cmd, c->sampling);
  cmd->callback([c] { run_chat(*c); });
}

}  // namespace

LLMKIT_REGISTER_COMMAND(610, register_chat)

}  // namespace llmkit::cli
