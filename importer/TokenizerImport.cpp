//===- TokenizerImport.cpp - Hugging Face tokenizer.json -> xf ------------===//

#include "importer/TokenizerImport.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/FileSystem.h"

#include <unordered_map>

using namespace xf;
using llvm::json::Array;
using llvm::json::Object;
using llvm::json::Value;

namespace {

/// The regular expressions the pre-tokenizers are recognized by, as
/// tokenizer.json writes them in Split's pattern.Regex.
constexpr llvm::StringLiteral kGPT2Regex =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|"
    "\\s+(?!\\S)|\\s+";
constexpr llvm::StringLiteral kLlama3Regex =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|"
    "\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/// Errors say "FILE: JSON.PATH: problem".
struct Reader {
  std::string file;

  ErrorMessage error(const std::string &path, const std::string &problem) {
    return ErrorMessage{file + ": " + (path.empty() ? "" : path + ": ") +
                        problem};
  }
};

std::string kindOf(const Value &value) {
  switch (value.kind()) {
  case Value::Null:
    return "null";
  case Value::Boolean:
    return "a boolean";
  case Value::Number:
    return "a number";
  case Value::String:
    return "a string";
  case Value::Array:
    return "an array";
  case Value::Object:
    return "an object";
  }
  return "?";
}

Result<Value> readJson(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return ErrorMessage{path + ": cannot read: " + buffer.getError().message()};
  llvm::Expected<Value> value = llvm::json::parse((*buffer)->getBuffer());
  if (!value)
    return ErrorMessage{path + ": not valid JSON: " +
                        llvm::toString(value.takeError())};
  if (!value->getAsObject())
    return ErrorMessage{path + ": expected a JSON object at the top, found " +
                        kindOf(*value)};
  return std::move(*value);
}

std::string typeOf(const Object &object) {
  if (auto type = object.getString("type"))
    return type->str();
  return "";
}

/// A boolean member, `fallback` when absent or null.
Result<bool> getBool(Reader &reader, const Object &object,
                     const std::string &path, llvm::StringRef key,
                     bool fallback) {
  const Value *value = object.get(key);
  if (!value || value->kind() == Value::Null)
    return fallback;
  if (auto b = value->getAsBoolean())
    return *b;
  return reader.error(path + "." + key.str(),
                      "expected a boolean, found " + kindOf(*value));
}

struct PreTokenizerInfo {
  PreTokenizerKind kind;
  bool addPrefixSpace;
};

Result<PreTokenizerInfo> recognizePreTokenizer(Reader &reader,
                                               const Value *value) {
  const std::string path = "pre_tokenizer";
  const Object *object = value ? value->getAsObject() : nullptr;
  if (!object)
    return reader.error(path, "expected a pre-tokenizer object, found " +
                                  (value ? kindOf(*value) : "nothing") +
                                  " (only byte-level BPE is supported)");
  std::string type = typeOf(*object);
  auto byteLevel = [&](const Object &o, const std::string &at,
                       bool wantRegex) -> Result<bool> {
    if (typeOf(o) != "ByteLevel")
      return reader.error(at, "expected ByteLevel, found " +
                                  (typeOf(o).empty() ? "no type"
                                                     : typeOf(o)));
    Result<bool> useRegex = getBool(reader, o, at, "use_regex", true);
    if (!useRegex)
      return ErrorMessage{useRegex.error()};
    if (*useRegex != wantRegex)
      return reader.error(at + ".use_regex",
                          std::string("expected ") +
                              (wantRegex ? "true" : "false") + " here");
    return getBool(reader, o, at, "add_prefix_space", false);
  };

  if (type == "ByteLevel") {
    Result<bool> prefix = byteLevel(*object, path, true);
    if (!prefix)
      return ErrorMessage{prefix.error()};
    return PreTokenizerInfo{PreTokenizerKind::GPT2, *prefix};
  }
  if (type != "Sequence")
    return reader.error(path, "unsupported pre-tokenizer " +
                                  (type.empty() ? "(no type)" : type) +
                                  " (supported: ByteLevel; Sequence of "
                                  "Digits + ByteLevel; Sequence of the "
                                  "Llama-3 Split + ByteLevel)");
  const Array *list = object->getArray("pretokenizers");
  if (!list)
    return reader.error(path + ".pretokenizers", "expected an array");
  std::string found;
  for (const Value &item : *list) {
    const Object *o = item.getAsObject();
    found += (found.empty() ? "" : ", ") +
             (o && !typeOf(*o).empty() ? typeOf(*o) : kindOf(item));
  }
  auto unsupported = [&] {
    return reader.error(path, "unsupported pre-tokenizer sequence [" + found +
                                  "] (supported: [Digits(individual_digits)"
                                  ", ByteLevel], [Split(Llama-3 or GPT-2 "
                                  "regex), ByteLevel(use_regex=false)])");
  };
  if (list->size() != 2 || !(*list)[0].getAsObject() ||
      !(*list)[1].getAsObject())
    return unsupported();
  const Object &first = *(*list)[0].getAsObject();
  const Object &second = *(*list)[1].getAsObject();
  std::string firstPath = path + ".pretokenizers[0]";
  std::string secondPath = path + ".pretokenizers[1]";

  if (typeOf(first) == "Digits") {
    Result<bool> individual =
        getBool(reader, first, firstPath, "individual_digits", false);
    if (!individual)
      return ErrorMessage{individual.error()};
    if (!*individual)
      return reader.error(firstPath + ".individual_digits",
                          "Digits without individual_digits is not "
                          "supported");
    Result<bool> prefix = byteLevel(second, secondPath, true);
    if (!prefix)
      return ErrorMessage{prefix.error()};
    return PreTokenizerInfo{PreTokenizerKind::SmolLM, *prefix};
  }
  if (typeOf(first) == "Split") {
    const Object *pattern = first.getObject("pattern");
    std::optional<llvm::StringRef> regex =
        pattern ? pattern->getString("Regex") : std::nullopt;
    if (!regex)
      return reader.error(firstPath + ".pattern",
                          "expected {\"Regex\": ...}, found " +
                              (pattern ? std::string("another pattern")
                                       : std::string("nothing")));
    PreTokenizerKind kind;
    if (*regex == kLlama3Regex)
      kind = PreTokenizerKind::Llama3;
    else if (*regex == kGPT2Regex)
      kind = PreTokenizerKind::GPT2;
    else
      return reader.error(firstPath + ".pattern.Regex",
                          "unsupported split regex '" + regex->str() +
                              "' (supported: the Llama-3 and GPT-2 ones)");
    auto behavior = first.getString("behavior");
    if (!behavior || *behavior != "Isolated")
      return reader.error(firstPath + ".behavior",
                          "expected \"Isolated\", found " +
                              (behavior ? "\"" + behavior->str() + "\""
                                        : std::string("nothing")));
    Result<bool> invert = getBool(reader, first, firstPath, "invert", false);
    if (!invert)
      return ErrorMessage{invert.error()};
    if (*invert)
      return reader.error(firstPath + ".invert", "expected false");
    Result<bool> prefix = byteLevel(second, secondPath, false);
    if (!prefix)
      return ErrorMessage{prefix.error()};
    return PreTokenizerInfo{kind, *prefix};
  }
  return unsupported();
}

/// The id of `content` among the added tokens, then the vocab.
std::optional<int32_t> findToken(const TokenizerData &data,
                                 llvm::StringRef content) {
  for (const AddedToken &token : data.addedTokens)
    if (token.content == content)
      return token.id;
  for (size_t id = 0; id < data.vocab.size(); ++id)
    if (data.vocab[id] == content)
      return static_cast<int32_t>(id);
  return std::nullopt;
}

/// Reads the post-processor's leading special token (TemplateProcessing,
/// also inside a Sequence); sets `bos` to its id.
Result<void> readPostProcessor(Reader &reader, const Value *value,
                               const std::string &path,
                               std::optional<int32_t> &bos) {
  if (!value || value->kind() == Value::Null)
    return {};
  const Object *object = value->getAsObject();
  if (!object)
    return reader.error(path, "expected an object, found " + kindOf(*value));
  std::string type = typeOf(*object);
  if (type == "Sequence") {
    const Array *list = object->getArray("processors");
    if (!list)
      return reader.error(path + ".processors", "expected an array");
    for (size_t i = 0; i < list->size(); ++i)
      if (Result<void> r = readPostProcessor(
              reader, &(*list)[i], path + ".processors[" +
                                       std::to_string(i) + "]", bos);
          !r)
        return r;
    return {};
  }
  if (type != "TemplateProcessing")
    return {}; // ByteLevel and the like change no ids.
  const Array *single = object->getArray("single");
  if (!single || single->empty())
    return {};
  const Object *head = (*single)[0].getAsObject();
  const Object *special = head ? head->getObject("SpecialToken") : nullptr;
  if (!special)
    return {};
  auto name = special->getString("id");
  const Object *table = object->getObject("special_tokens");
  const Object *entry = (name && table) ? table->getObject(*name) : nullptr;
  const Array *ids = entry ? entry->getArray("ids") : nullptr;
  if (!ids || ids->size() != 1 || !(*ids)[0].getAsInteger())
    return reader.error(path + ".special_tokens",
                        "expected the ids of the leading special token '" +
                            (name ? name->str() : std::string("?")) + "'");
  bos = static_cast<int32_t>(*(*ids)[0].getAsInteger());
  return {};
}

/// tokenizer_config.json's bos_token/eos_token: a string, {"content": ...}
/// or null.
Result<std::optional<std::string>> tokenContent(Reader &reader,
                                                const Object &config,
                                                llvm::StringRef key) {
  const Value *value = config.get(key);
  if (!value || value->kind() == Value::Null)
    return std::optional<std::string>();
  if (auto s = value->getAsString())
    return std::optional<std::string>(s->str());
  if (const Object *o = value->getAsObject())
    if (auto s = o->getString("content"))
      return std::optional<std::string>(s->str());
  return reader.error(key.str(), "expected a string or {\"content\": ...}, "
                                 "found " +
                                     kindOf(*value));
}

Result<void> readConfig(const std::string &path, TokenizerData &data) {
  Result<Value> root = readJson(path);
  if (!root)
    return ErrorMessage{root.error()};
  Reader reader{path};
  const Object &config = *root->getAsObject();

  if (const Value *t = config.get("chat_template");
      t && t->kind() != Value::Null) {
    if (auto s = t->getAsString()) {
      data.chatTemplate = s->str();
    } else if (const Array *list = t->getAsArray()) {
      // [{"name": "default", "template": ...}, ...]
      for (size_t i = 0; i < list->size(); ++i) {
        const Object *o = (*list)[i].getAsObject();
        if (!o || o->getString("name") != llvm::StringRef("default"))
          continue;
        auto text = o->getString("template");
        if (!text)
          return reader.error("chat_template[" + std::to_string(i) +
                                  "].template",
                              "expected a string");
        data.chatTemplate = text->str();
      }
    } else {
      return reader.error("chat_template",
                          "expected a string or a list of named templates, "
                          "found " +
                              kindOf(*t));
    }
  }
  data.chatFormat =
      detectChatFormat(data.chatTemplate, &data.defaultSystemPrompt);

  for (auto [key, target] : {std::pair<llvm::StringRef, int32_t *>(
                                 "bos_token", &data.bosId),
                             std::pair<llvm::StringRef, int32_t *>(
                                 "eos_token", &data.eosId)}) {
    Result<std::optional<std::string>> content =
        tokenContent(reader, config, key);
    if (!content)
      return ErrorMessage{content.error()};
    if (!*content)
      continue;
    std::optional<int32_t> id = findToken(data, **content);
    if (!id)
      return reader.error(key.str(), "token '" + **content +
                                         "' is not in the tokenizer's "
                                         "vocabulary");
    *target = *id;
  }
  Result<bool> addBos = getBool(reader, config, "", "add_bos_token",
                                data.addBos);
  if (!addBos)
    return ErrorMessage{addBos.error()};
  data.addBos = *addBos && data.bosId >= 0;
  return {};
}

} // namespace

Result<TokenizerData>
xf::importHFTokenizer(const std::string &tokenizerJsonPath,
                      const std::optional<std::string> &configJsonPath) {
  Result<Value> root = readJson(tokenizerJsonPath);
  if (!root)
    return ErrorMessage{root.error()};
  Reader reader{tokenizerJsonPath};
  const Object &top = *root->getAsObject();
  TokenizerData data;

  // model
  const Object *model = top.getObject("model");
  if (!model)
    return reader.error("model", "expected an object");
  if (std::string type = typeOf(*model); !type.empty() && type != "BPE")
    return reader.error("model.type", "unsupported model type " + type +
                                          " (only BPE is supported)");
  Result<bool> byteFallback =
      getBool(reader, *model, "model", "byte_fallback", false);
  if (!byteFallback)
    return ErrorMessage{byteFallback.error()};
  if (*byteFallback)
    return reader.error("model.byte_fallback",
                        "byte fallback is not supported (only byte-level "
                        "BPE)");
  for (llvm::StringRef key : {"continuing_subword_prefix",
                              "end_of_word_suffix"}) {
    const Value *v = model->get(key);
    if (v && v->kind() != Value::Null &&
        !(v->getAsString() && v->getAsString()->empty()))
      return reader.error("model." + key.str(), "is not supported");
  }
  if (const Value *dropout = model->get("dropout");
      dropout && dropout->kind() != Value::Null &&
      dropout->getAsNumber().value_or(0) != 0)
    return reader.error("model.dropout", "BPE dropout is not supported");
  Result<bool> ignoreMerges =
      getBool(reader, *model, "model", "ignore_merges", false);
  if (!ignoreMerges)
    return ErrorMessage{ignoreMerges.error()};
  data.ignoreMerges = *ignoreMerges;

  const Object *vocab = model->getObject("vocab");
  if (!vocab)
    return reader.error("model.vocab", "expected an object token -> id");
  int64_t maxId = -1;
  for (const auto &[key, value] : *vocab) {
    std::optional<int64_t> id = value.getAsInteger();
    if (!id || *id < 0 || *id >= (int64_t(1) << 31))
      return reader.error("model.vocab[\"" + key.str() + "\"]",
                          "expected a token id, found " + kindOf(value));
    maxId = std::max(maxId, *id);
  }
  data.vocab.assign(static_cast<size_t>(maxId + 1), {});
  for (const auto &[key, value] : *vocab) {
    std::string &slot = data.vocab[*value.getAsInteger()];
    if (!slot.empty())
      return reader.error("model.vocab[\"" + key.str() + "\"]",
                          "id " + std::to_string(*value.getAsInteger()) +
                              " is also the id of '" + slot + "'");
    slot = key.str();
  }

  const Array *merges = model->getArray("merges");
  if (!merges)
    return reader.error("model.merges", "expected an array");
  data.merges.reserve(merges->size());
  for (size_t i = 0; i < merges->size(); ++i) {
    const Value &merge = (*merges)[i];
    std::string at = "model.merges[" + std::to_string(i) + "]";
    if (auto s = merge.getAsString()) {
      auto [left, right] = s->split(' ');
      if (left.empty() || right.empty() || right.contains(' '))
        return reader.error(at, "expected \"left right\", found \"" +
                                    s->str() + "\"");
      data.merges.emplace_back(left.str(), right.str());
      continue;
    }
    const Array *pair = merge.getAsArray();
    if (!pair || pair->size() != 2 || !(*pair)[0].getAsString() ||
        !(*pair)[1].getAsString())
      return reader.error(at, "expected \"left right\" or [left, right], "
                              "found " +
                                  kindOf(merge));
    data.merges.emplace_back((*pair)[0].getAsString()->str(),
                             (*pair)[1].getAsString()->str());
  }

  // added_tokens
  if (const Value *added = top.get("added_tokens");
      added && added->kind() != Value::Null) {
    const Array *list = added->getAsArray();
    if (!list)
      return reader.error("added_tokens", "expected an array");
    for (size_t i = 0; i < list->size(); ++i) {
      std::string at = "added_tokens[" + std::to_string(i) + "]";
      const Object *o = (*list)[i].getAsObject();
      if (!o)
        return reader.error(at, "expected an object");
      std::optional<int64_t> id = o->getInteger("id");
      auto content = o->getString("content");
      if (!id || *id < 0 || *id >= (int64_t(1) << 31))
        return reader.error(at + ".id", "expected a token id");
      if (!content || content->empty())
        return reader.error(at + ".content", "expected a non-empty string");
      for (llvm::StringRef flag : {"single_word", "lstrip", "rstrip"}) {
        Result<bool> set = getBool(reader, *o, at, flag, false);
        if (!set)
          return ErrorMessage{set.error()};
        if (*set)
          return reader.error(at + "." + flag.str(),
                              "added token '" + content->str() + "': " +
                                  flag.str() + " is not supported");
      }
      Result<bool> special = getBool(reader, *o, at, "special", false);
      Result<bool> normalized = getBool(reader, *o, at, "normalized", false);
      if (!special)
        return ErrorMessage{special.error()};
      if (!normalized)
        return ErrorMessage{normalized.error()};
      data.addedTokens.push_back({static_cast<int32_t>(*id), content->str(),
                                  *special, *normalized});
    }
  }

  // normalizer
  if (const Value *normalizer = top.get("normalizer");
      normalizer && normalizer->kind() != Value::Null) {
    const Object *o = normalizer->getAsObject();
    std::string type = o ? typeOf(*o) : kindOf(*normalizer);
    return reader.error("normalizer", "unsupported normalizer " + type +
                                          " (byte-level tokenizers have "
                                          "none)");
  }

  // pre_tokenizer
  Result<PreTokenizerInfo> pre =
      recognizePreTokenizer(reader, top.get("pre_tokenizer"));
  if (!pre)
    return ErrorMessage{pre.error()};
  data.preTokenizer = pre->kind;
  data.addPrefixSpace = pre->addPrefixSpace;

  // decoder
  const Value *decoder = top.get("decoder");
  const Object *decoderObject = decoder ? decoder->getAsObject() : nullptr;
  if (!decoderObject || typeOf(*decoderObject) != "ByteLevel")
    return reader.error(
        "decoder", "expected a ByteLevel decoder, found " +
                       (decoderObject ? (typeOf(*decoderObject).empty()
                                             ? std::string("no type")
                                             : typeOf(*decoderObject))
                                      : decoder ? kindOf(*decoder)
                                                : std::string("nothing")));

  // post_processor: a leading special token is the BOS the model expects.
  std::optional<int32_t> bos;
  if (Result<void> r = readPostProcessor(reader, top.get("post_processor"),
                                         "post_processor", bos);
      !r)
    return ErrorMessage{r.error()};
  if (bos) {
    data.bosId = *bos;
    data.addBos = true;
  }
  if (std::optional<int32_t> end = findToken(data, "<|endoftext|>"))
    data.eosId = *end;

  if (configJsonPath)
    if (Result<void> r = readConfig(*configJsonPath, data); !r)
      return ErrorMessage{r.error()};

  Result<Tokenizer> check = Tokenizer::fromData(data);
  if (!check) {
    // Name the JSON path of what fromData refused.
    llvm::StringRef message = check.error();
    std::string where = message.starts_with("merges[")        ? "model."
                        : message.starts_with("vocab entry")   ? "model.vocab: "
                        : message.starts_with("added token")   ? "added_tokens: "
                        : message.starts_with("bos") ||
                                message.starts_with("eos")
                            ? "bos/eos: "
                            : "";
    return ErrorMessage{tokenizerJsonPath + ": " + where + check.error()};
  }
  return data;
}

Result<std::optional<TokenizerData>>
xf::importHFTokenizerNextTo(const std::string &modelPath) {
  llvm::SmallString<256> directory(modelPath);
  llvm::sys::path::remove_filename(directory);
  if (directory.empty())
    directory = ".";
  llvm::SmallString<256> tokenizer(directory), config(directory);
  llvm::sys::path::append(tokenizer, "tokenizer.json");
  llvm::sys::path::append(config, "tokenizer_config.json");
  if (!llvm::sys::fs::exists(tokenizer))
    return std::optional<TokenizerData>();
  std::optional<std::string> configPath;
  if (llvm::sys::fs::exists(config))
    configPath = config.str().str();
  Result<TokenizerData> data =
      importHFTokenizer(tokenizer.str().str(), configPath);
  if (!data)
    return ErrorMessage{data.error()};
  return std::optional<TokenizerData>(std::move(*data));
}
