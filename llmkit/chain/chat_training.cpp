#include "llmkit/chain/chat_training.h"

#include <algorithm>

#include "llmkit/base/error.h"

namespace llmkit::chain {
namespace {

size_t common_prefix(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  size_t n = 0;
  while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
  return n;
}

}  // namespace

MaskedConversation render_for_training(const ChatFormatter& formatter, const Messages& messages) {
  MaskedConversation out;
  out.ids = formatter.encode(messages, {}, false);
  out.mask.assign(out.ids.size(), 0);
  const std::vector<int32_t> stops = formatter.stop_tokens();
  bool any = false;
  for (size_t k = 0; k < messages.size(); ++k) {
    if (messages[k].role != "assistant") continue;
    any = true;
    const Messages before(messages.begin(), messages.begin() + static_cast<std::ptrdiff_t>(k));
    const Messages through(messages.begin(), messages.begin() + static_cast<std::ptrdiff_t>(k + 1));
    const size_t begin = common_prefix(out.ids, formatter.encode(before, {}, true));
    size_t end = common_prefix(out.ids, formatter.encode(through, {}, false));
    for (size_t i = begin; i < end; ++i) {
      if (std::find(stops.begin(), stops.end(), out.ids[i]) != stops.end()) {
        end = i + 1;
        break;
      }
    }
    for (size_t i = begin; i < end; ++i) out.mask[i] = 1;
  }
  LLMKIT_CHECK(any, "finetune: a conversation has no assistant message to learn from");
  return out;
}

const char* gemma_chat_template() {
  return "{{ bos_token }}{%- set ns = namespace(system='') -%}"
         "{%- for message in messages -%}"
         "{%- if message['role'] == 'system' -%}"
         "{%- set ns.system = ns.system + ('\\n\\n' if ns.system else '') + message['content'] | "
         "trim "
         "-%}"
         "{%- elif message['role'] == 'user' -%}"
         "{{ '<start_of_turn>user\\n' + ((ns.system + '\\n\\n') if ns.system else '') + "
         "message['content'] | trim + '<end_of_turn>\\n' }}{%- set ns.system = '' -%}"
         "{%- else -%}"
         "{{ '<start_of_turn>model\\n' + message['content'] | trim + '<end_of_turn>\\n' }}"
         "{%- endif -%}"
         "{%- endfor -%}"
         "{%- if ns.system -%}{{ '<start_of_turn>user\\n' + ns.system + '<end_of_turn>\\n' }}"
         "{%- endif -%}"
         "{%- if add_generation_prompt -%}{{ '<start_of_turn>model\\n' }}{%- endif -%}";
}

}  // namespace llmkit::chain
