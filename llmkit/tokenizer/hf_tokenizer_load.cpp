// Parsing of tokenizer.json into HfTokenizer::Impl.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "llmkit/base/error.h"
#include "llmkit/tokenizer/hf_tokenizer_impl.h"

namespace llmkit::tokenizer {

namespace {

using json = nlohmann::json;

[[noreturn]] void corrupt(const std::string& what) {
  throw Error(ErrorCode::kCorruptData, what);
}

hf::BpeConfig parse_bpe(const json& model) {
  if (!model.is_object()) corrupt("'model' is missing or not an object");
  const std::string type = model.value("type", std::string("BPE"));
  if (type != "BPE") {
    throw Error(ErrorCode::kUnsupported,
                "model.type = '" + type + "' is not supported (only BPE is)");
  }
  hf::BpeConfig cfg;
  if (!model.contains("vocab") || !model["vocab"].is_object()) {
    corrupt("model.vocab is missing or not an object");
  }
  cfg.vocab.reserve(model["vocab"].size());
  for (const auto& [piece, id] : model["vocab"].items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > INT32_MAX - 1) {
      corrupt("model.vocab['" + piece + "'] is not a valid id");
    }
    cfg.vocab.emplace_back(piece, id.get<int32_t>());
  }
  if (!model.contains("merges") || !model["merges"].is_array()) {
    corrupt("model.merges is missing or not an array");
  }
  const json& merges = model["merges"];
  cfg.merges.reserve(merges.size());
  for (size_t i = 0; i < merges.size(); ++i) {
    const json& m = merges[i];
    if (m.is_string()) {
      // legacy format "left right": split at the first space
      const std::string s = m.get<std::string>();
      const size_t sp = s.find(' ');
      if (sp == std::string::npos) corrupt("model.merges[" + std::to_string(i) + "] has no space");
      std::string right = s.substr(sp + 1);
      right = right.substr(0, right.find(' '));
      cfg.merges.emplace_back(s.substr(0, sp), right);
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      cfg.merges.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
    } else {
      corrupt("model.merges[" + std::to_string(i) + "] is neither \"a b\" nor [\"a\", \"b\"]");
    }
  }
  if (model.contains("unk_token") && model["unk_token"].is_string()) {
    cfg.unk_token = model["unk_token"].get<std::string>();
  }
  const auto flag = [&](const char* key) {
    return model.contains(key) && model[key].is_boolean() && model[key].get<bool>();
  };
  cfg.byte_fallback = flag("byte_fallback");
  cfg.ignore_merges = flag("ignore_merges");
  cfg.fuse_unk = flag("fuse_unk");
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    if (model.contains(key) && model[key].is_string() && !model[key].get<std::string>().empty()) {
      throw Error(ErrorCode::kUnsupported, std::string("model.") + key + " is not supported");
    }
  }
  if (model.contains("dropout") && model["dropout"].is_number() &&
      model["dropout"].get<double>() > 0) {
    throw Error(ErrorCode::kUnsupported, "model.dropout > 0 is not supported");
  }
  return cfg;
}

int32_t find_added(const HfTokenizer::Impl& impl, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    const auto it = impl.added_by_content.find(n);
    if (it != impl.added_by_content.end()) return impl.added[static_cast<size_t>(it->second)].id;
  }
  return -1;
}

// The ids the post-processor puts before the text (TemplateProcessing's "single" template).
std::vector<int32_t> parse_bos(const json& pp, const HfTokenizer::Impl& impl) {
  std::vector<int32_t> ids;
  if (!pp.is_object() || pp.value("type", std::string()) != "TemplateProcessing") return ids;
  const json& single = pp.value("single", json::array());
  const json& specials = pp.value("special_tokens", json::object());
  for (const json& item : single) {
    if (item.contains("Sequence")) break;
    if (!item.contains("SpecialToken")) continue;
    const std::string name = item["SpecialToken"].value("id", std::string());
    if (specials.contains(name) && specials[name].contains("ids")) {
      for (const json& id : specials[name]["ids"]) ids.push_back(id.get<int32_t>());
    } else {
      const int32_t id = impl.model->piece_to_id(name);
      if (id < 0) corrupt("post_processor names the unknown special token '" + name + "'");
      ids.push_back(id);
    }
  }
  return ids;
}

}  // namespace

void load_hf_tokenizer(std::string_view json_text, HfTokenizer::Impl& impl) {
  json root;
  try {
    root = json::parse(json_text.begin(), json_text.end());
  } catch (const json::exception& e) {
    corrupt(std::string("malformed JSON: ") + e.what());
  }
  if (!root.is_object()) corrupt("the top level is not a JSON object");
  try {
    hf::BpeConfig cfg = parse_bpe(root.value("model", json()));
    int32_t max_id = -1;
    for (const auto& [piece, id] : cfg.vocab) max_id = std::max(max_id, id);
    std::vector<std::pair<std::string, int32_t>> vocab_copy = cfg.vocab;
    impl.model = std::make_unique<hf::BpeModel>(std::move(cfg));

    const json& added = root.value("added_tokens", json::array());
    for (size_t i = 0; i < added.size(); ++i) {
      const json& a = added[i];
      if (!a.is_object() || !a.contains("id") || !a["id"].is_number_integer() ||
          !a.contains("content") || !a["content"].is_string() || a["id"].get<int64_t>() < 0 ||
          a["id"].get<int64_t>() > INT32_MAX - 1) {
        corrupt("added_tokens[" + std::to_string(i) + "] needs an 'id' and a 'content'");
      }
      HfAddedToken t;
      t.content = a["content"].get<std::string>();
      t.id = a["id"].get<int32_t>();
      t.special = a.value("special", false);
      t.lstrip = a.value("lstrip", false);
      t.rstrip = a.value("rstrip", false);
      if (t.content.empty()) continue;
      max_id = std::max(max_id, t.id);
      impl.model->add_piece(t.content, t.id);
      const auto index = static_cast<int32_t>(impl.added.size());
      impl.added_by_content[t.content] = index;
      impl.added_contents.insert(t.content);
      impl.trie.insert(t.content, index);
      impl.added.push_back(std::move(t));
    }
    impl.pieces.assign(static_cast<size_t>(max_id + 1), std::string());
    impl.special.assign(static_cast<size_t>(max_id + 1), 0);
    for (auto& [piece, id] : vocab_copy) impl.pieces[static_cast<size_t>(id)] = std::move(piece);
    for (const HfAddedToken& t : impl.added) {
      impl.pieces[static_cast<size_t>(t.id)] = t.content;
      if (t.special) impl.special[static_cast<size_t>(t.id)] = 1;
    }

    impl.normalizer = hf::make_normalizer(root.value("normalizer", json()), "normalizer");
    impl.pre_tokenizer =
        hf::make_pre_tokenizer(root.value("pre_tokenizer", json()), "pre_tokenizer");
    impl.decoder = hf::make_decoder(root.value("decoder", json()), "decoder", &impl.added_contents);

    impl.unk = impl.model->unk_id();
    impl.bos_ids = parse_bos(root.value("post_processor", json()), impl);
    impl.bos = !impl.bos_ids.empty()
                   ? impl.bos_ids.front()
                   : find_added(impl, {"<bos>", "<s>", "<|begin_of_text|>", "<|startoftext|>"});
    impl.eos =
        find_added(impl, {"<eos>", "</s>", "<|end_of_text|>", "<|endoftext|>", "<|im_end|>"});
    impl.pad = find_added(impl, {"<pad>", "[PAD]", "<|pad|>", "<|finetune_right_pad_id|>"});
    // llmkit's own key (written by gguf_bpe.cpp): explicit special ids, -1 for none
    if (root.contains("llmkit_special_ids")) {
      const json& s = root["llmkit_special_ids"];
      const auto get = [&](const char* key, int32_t fallback) {
        if (!s.contains(key)) return fallback;
        const int64_t id = s[key].get<int64_t>();
        return id >= 0 && id <= max_id ? static_cast<int32_t>(id) : -1;
      };
      impl.bos = get("bos", impl.bos);
      impl.eos = get("eos", impl.eos);
      impl.pad = get("pad", impl.pad);
    }
  } catch (const json::exception& e) {
    corrupt(std::string("unexpected JSON structure: ") + e.what());
  }
}

}  // namespace llmkit::tokenizer
