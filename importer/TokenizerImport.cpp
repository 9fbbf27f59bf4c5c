//===- TokenizerImport.cpp - Hugging Face tokenizer.json -> xf ------------===//

#include "importer/TokenizerImport.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/FileSystem.h"

#include <cmath>
#include <cstdlib>
#include <functional>
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

/// Reads and parses the JSON object in `path`; `text` (when not null) gets
/// the file's text.
Result<Value> readJson(const std::string &path, std::string *text = nullptr) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return ErrorMessage{path + ": cannot read: " + buffer.getError().message()};
  if (text)
    *text = (*buffer)->getBuffer().str();
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

/// serde_json's f64 parsing as built without its float_roundtrip feature,
/// which is how `tokenizers` reads tokenizer.json: the decimal digits go
/// into a u64 significand (digits past its range are dropped, the exponent
/// adjusted for integer ones), which is then multiplied or divided once by
/// a power of ten. The result is not always the nearest double (about a
/// third of the 17-digit scores a Unigram trainer writes come out one ulp
/// off), and Unigram's Viterbi compares sums of scores, so the scores are
/// read this way. Nothing for text that is not a JSON number.
std::optional<double> serdeJsonF64(llvm::StringRef text) {
  static const std::vector<double> kPow10 = [] {
    std::vector<double> table;
    for (int k = 0; k <= 308; ++k)
      table.push_back(std::strtod(("1e" + std::to_string(k)).c_str(),
                                  nullptr));
    return table;
  }();
  size_t i = 0, n = text.size();
  bool positive = true;
  if (i < n && text[i] == '-') {
    positive = false;
    ++i;
  }
  auto digit = [&](size_t at) {
    return at < n && text[at] >= '0' && text[at] <= '9';
  };
  if (!digit(i))
    return std::nullopt;
  uint64_t significand = 0;
  int64_t exponent = 0;
  bool overflowed = false, isFloat = false;
  auto push = [&](unsigned d) {
    // serde_json's overflow!(significand * 10 + digit, u64::MAX).
    if (overflowed || (significand >= UINT64_MAX / 10 &&
                       (significand > UINT64_MAX / 10 || d > UINT64_MAX % 10))) {
      overflowed = true;
      return false;
    }
    significand = significand * 10 + d;
    return true;
  };
  if (text[i] == '0') {
    ++i;
  } else {
    for (; digit(i); ++i)
      if (!push(text[i] - '0')) {
        isFloat = true;
        ++exponent; // parse_long_integer: the digit is dropped
      }
  }
  if (i < n && text[i] == '.') {
    isFloat = true;
    ++i;
    if (!digit(i))
      return std::nullopt;
    for (; digit(i); ++i)
      if (push(text[i] - '0'))
        --exponent; // once overflowed, the rest is ignored
  }
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    isFloat = true;
    ++i;
    bool positiveExp = true;
    if (i < n && (text[i] == '+' || text[i] == '-'))
      positiveExp = text[i++] == '+';
    if (!digit(i))
      return std::nullopt;
    int64_t exp = 0;
    for (; digit(i); ++i) {
      exp = exp * 10 + (text[i] - '0');
      if (exp > INT32_MAX) {
        if (significand != 0 && positiveExp)
          return std::nullopt; // out of range
        return positive ? 0.0 : -0.0;
      }
    }
    exponent = positiveExp ? exponent + exp : exponent - exp;
    exponent = std::clamp<int64_t>(exponent, INT32_MIN, INT32_MAX);
  }
  if (i != n)
    return std::nullopt;
  if (!isFloat) {
    // An integer: u64 or i64, then `as f64`.
    double f = static_cast<double>(significand);
    return positive ? f : (significand == 0 ? -0.0 : -f);
  }
  double f = static_cast<double>(significand);
  while (true) {
    uint64_t index = exponent < 0 ? static_cast<uint64_t>(-exponent)
                                  : static_cast<uint64_t>(exponent);
    if (index < kPow10.size()) {
      if (exponent >= 0)
        f *= kPow10[index];
      else
        f /= kPow10[index];
      break;
    }
    if (f == 0.0)
      break;
    if (exponent >= 0)
      return std::nullopt; // out of range
    f /= 1e308;
    exponent += 308;
  }
  if (std::isinf(f))
    return std::nullopt;
  return positive ? f : -f;
}

/// The text of each number model.vocab[i][1] in a tokenizer.json (a
/// Unigram vocab's scores), found by a structural walk of the JSON text;
/// nothing if the walk fails (the document was parsed before, so it only
/// fails on a shape that is not [[piece, score], ...]).
std::optional<std::vector<llvm::StringRef>>
unigramScoreTexts(llvm::StringRef json) {
  size_t at = 0;
  auto space = [&] {
    while (at < json.size() && (json[at] == ' ' || json[at] == '\t' ||
                                json[at] == '\n' || json[at] == '\r'))
      ++at;
  };
  auto eat = [&](char c) {
    space();
    if (at < json.size() && json[at] == c) {
      ++at;
      return true;
    }
    return false;
  };
  // A string's raw text between the quotes.
  auto string = [&](llvm::StringRef &out) {
    space();
    if (at >= json.size() || json[at] != '"')
      return false;
    size_t begin = ++at;
    while (at < json.size() && json[at] != '"')
      at += json[at] == '\\' ? 2 : 1;
    if (at >= json.size())
      return false;
    out = json.slice(begin, at++);
    return true;
  };
  std::function<bool()> skip = [&]() -> bool {
    space();
    if (at >= json.size())
      return false;
    char c = json[at];
    if (c == '"') {
      llvm::StringRef ignored;
      return string(ignored);
    }
    if (c == '{' || c == '[') {
      char close = c == '{' ? '}' : ']';
      ++at;
      if (eat(close))
        return true;
      do {
        if (c == '{') {
          llvm::StringRef key;
          if (!string(key) || !eat(':'))
            return false;
        }
        if (!skip())
          return false;
      } while (eat(','));
      return eat(close);
    }
    while (at < json.size() && !llvm::StringRef(",]} \t\r\n").contains(json[at]))
      ++at;
    return true;
  };
  // Walks an object's members, calling member(key) positioned at each value
  // (which must consume it).
  auto members = [&](auto &&member) -> bool {
    if (!eat('{'))
      return false;
    if (eat('}'))
      return true;
    do {
      llvm::StringRef key;
      if (!string(key) || !eat(':') || !member(key))
        return false;
    } while (eat(','));
    return eat('}');
  };
  std::vector<llvm::StringRef> scores;
  bool found = false;
  bool ok = members([&](llvm::StringRef key) {
    if (key != "model")
      return skip();
    return members([&](llvm::StringRef modelKey) {
      if (modelKey != "vocab")
        return skip();
      found = true;
      if (!eat('['))
        return false;
      if (eat(']'))
        return true;
      do {
        if (!eat('[') || !skip() || !eat(','))
          return false;
        space();
        size_t begin = at;
        if (!skip())
          return false;
        scores.push_back(json.slice(begin, at));
        if (!eat(']'))
          return false;
      } while (eat(','));
      return eat(']');
    });
  });
  if (!ok || !found)
    return std::nullopt;
  return scores;
}

/// Whether the pre-tokenizer is (or has, inside a Sequence) a ByteLevel:
/// then it must be one of the byte-level forms recognizePreTokenizer knows.
bool hasByteLevel(const Value *value) {
  const Object *object = value ? value->getAsObject() : nullptr;
  if (!object)
    return false;
  if (typeOf(*object) == "ByteLevel")
    return true;
  if (const Array *list = object->getArray("pretokenizers"))
    for (const Value &item : *list)
      if (hasByteLevel(&item))
        return true;
  return false;
}

/// A String pattern ({"String": "..."}); Regex ones are refused.
Result<std::string> stringPattern(Reader &reader, const Object &object,
                                  const std::string &path,
                                  const std::string &what) {
  const Object *pattern = object.getObject("pattern");
  if (!pattern)
    return reader.error(path + ".pattern",
                        "expected {\"String\": ...}, found " +
                            (object.get("pattern")
                                 ? kindOf(*object.get("pattern"))
                                 : std::string("nothing")));
  if (auto s = pattern->getString("String")) {
    if (s->empty())
      return reader.error(path + ".pattern.String",
                          what + " with an empty pattern is not supported");
    return s->str();
  }
  if (auto r = pattern->getString("Regex"))
    return reader.error(path + ".pattern",
                        what + " with a Regex pattern ('" + r->str() +
                            "') is not supported (only String patterns)");
  return reader.error(path + ".pattern", "expected {\"String\": ...}");
}

Result<std::string> getString(Reader &reader, const Object &object,
                              const std::string &path, llvm::StringRef key,
                              std::optional<std::string> fallback = {}) {
  const Value *value = object.get(key);
  if ((!value || value->kind() == Value::Null) && fallback)
    return *fallback;
  if (value)
    if (auto s = value->getAsString())
      return s->str();
  return reader.error(path + "." + key.str(),
                      "expected a string, found " +
                          (value ? kindOf(*value) : std::string("nothing")));
}

/// A count (Strip's start and stop).
Result<uint32_t> getCount(Reader &reader, const Object &object,
                          const std::string &path, llvm::StringRef key) {
  const Value *value = object.get(key);
  std::optional<int64_t> n = value ? value->getAsInteger() : std::nullopt;
  if (!value || value->kind() == Value::Null)
    return 0u;
  if (!n || *n < 0 || *n > 1000000)
    return reader.error(path + "." + key.str(),
                        "expected a count, found " + kindOf(*value));
  return static_cast<uint32_t>(*n);
}

/// Metaspace's prepend_scheme, with the older add_prefix_space (false
/// means never; tokenizers refuses it with another scheme).
Result<PrependScheme> prependScheme(Reader &reader, const Object &object,
                                    const std::string &path) {
  Result<std::string> name =
      getString(reader, object, path, "prepend_scheme", std::string("always"));
  if (!name)
    return ErrorMessage{name.error()};
  PrependScheme scheme;
  if (*name == "always")
    scheme = PrependScheme::Always;
  else if (*name == "first")
    scheme = PrependScheme::First;
  else if (*name == "never")
    scheme = PrependScheme::Never;
  else
    return reader.error(path + ".prepend_scheme",
                        "unknown prepend scheme \"" + *name +
                            "\" (always, first, never)");
  if (const Value *legacy = object.get("add_prefix_space");
      legacy && legacy->getAsBoolean() == std::optional<bool>(false)) {
    if (scheme != PrependScheme::Never)
      return reader.error(path + ".add_prefix_space",
                          "false does not match prepend_scheme \"" + *name +
                              "\" (tokenizers refuses this too)");
  }
  return scheme;
}

Result<std::string> oneCharacter(Reader &reader, const Object &object,
                                 const std::string &path,
                                 llvm::StringRef key) {
  Result<std::string> s = getString(reader, object, path, key);
  if (!s)
    return s;
  llvm::StringRef ref(*s);
  size_t length = 0;
  if (!ref.empty()) {
    unsigned char b = static_cast<unsigned char>(ref[0]);
    length = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
  }
  if (ref.empty() || length != ref.size())
    return reader.error(path + "." + key.str(),
                        "expected one character, found \"" + *s + "\"");
  return s;
}

constexpr llvm::StringLiteral kSupportedNormalizers =
    "supported: Sequence, Replace (String pattern), Prepend, NFC, NFD, "
    "NFKC, NFKD, Lowercase, Strip";

Result<void> readNormalizer(Reader &reader, const Value &value,
                            const std::string &path,
                            std::vector<NormalizerStep> &steps) {
  if (value.kind() == Value::Null)
    return {};
  const Object *object = value.getAsObject();
  if (!object)
    return reader.error(path, "expected a normalizer object, found " +
                                  kindOf(value));
  std::string type = typeOf(*object);
  using Kind = NormalizerStep::Kind;
  NormalizerStep step;
  if (type == "Sequence") {
    const Array *list = object->getArray("normalizers");
    if (!list)
      return reader.error(path + ".normalizers", "expected an array");
    for (size_t i = 0; i < list->size(); ++i)
      if (Result<void> r = readNormalizer(reader, (*list)[i],
                                          path + ".normalizers[" +
                                              std::to_string(i) + "]",
                                          steps);
          !r)
        return r;
    return {};
  }
  if (type == "Replace") {
    Result<std::string> pattern =
        stringPattern(reader, *object, path, "normalizer Replace");
    if (!pattern)
      return ErrorMessage{pattern.error()};
    Result<std::string> content = getString(reader, *object, path, "content");
    if (!content)
      return ErrorMessage{content.error()};
    step.kind = Kind::Replace;
    step.pattern = *pattern;
    step.content = *content;
  } else if (type == "Prepend") {
    Result<std::string> prepend = getString(reader, *object, path, "prepend");
    if (!prepend)
      return ErrorMessage{prepend.error()};
    step.kind = Kind::Prepend;
    step.content = *prepend;
  } else if (type == "NFC" || type == "NFD" || type == "NFKC" ||
             type == "NFKD" || type == "Lowercase") {
    step.kind = type == "NFC"    ? Kind::NFC
                : type == "NFD"  ? Kind::NFD
                : type == "NFKC" ? Kind::NFKC
                : type == "NFKD" ? Kind::NFKD
                                 : Kind::Lowercase;
  } else if (type == "Strip") {
    Result<bool> left = getBool(reader, *object, path, "strip_left", false);
    Result<bool> right = getBool(reader, *object, path, "strip_right", false);
    if (!left)
      return ErrorMessage{left.error()};
    if (!right)
      return ErrorMessage{right.error()};
    step.kind = Kind::Strip;
    step.left = *left;
    step.right = *right;
  } else {
    return reader.error(path, "unsupported normalizer " +
                                  (type.empty() ? "(no type)" : type) + " (" +
                                  kSupportedNormalizers.str() + ")");
  }
  steps.push_back(std::move(step));
  return {};
}

/// The pre-tokenizer of a tokenizer without ByteLevel: Split (String
/// pattern), Metaspace, a Sequence of them, or null.
Result<void> readPreTokenizerSteps(Reader &reader, const Value &value,
                                   const std::string &path,
                                   std::vector<PreTokenizerStep> &steps) {
  if (value.kind() == Value::Null)
    return {};
  const Object *object = value.getAsObject();
  if (!object)
    return reader.error(path, "expected a pre-tokenizer object, found " +
                                  kindOf(value));
  std::string type = typeOf(*object);
  PreTokenizerStep step;
  if (type == "Sequence") {
    const Array *list = object->getArray("pretokenizers");
    if (!list)
      return reader.error(path + ".pretokenizers", "expected an array");
    for (size_t i = 0; i < list->size(); ++i)
      if (Result<void> r = readPreTokenizerSteps(
              reader, (*list)[i],
              path + ".pretokenizers[" + std::to_string(i) + "]", steps);
          !r)
        return r;
    return {};
  }
  if (type == "Split") {
    Result<std::string> pattern =
        stringPattern(reader, *object, path, "pre-tokenizer Split");
    if (!pattern)
      return ErrorMessage{pattern.error()};
    Result<std::string> behavior =
        getString(reader, *object, path, "behavior");
    if (!behavior)
      return ErrorMessage{behavior.error()};
    using B = PreTokenizerStep::Behavior;
    std::optional<B> b =
        llvm::StringSwitch<std::optional<B>>(*behavior)
            .Case("Removed", B::Removed)
            .Case("Isolated", B::Isolated)
            .Case("MergedWithPrevious", B::MergedWithPrevious)
            .Case("MergedWithNext", B::MergedWithNext)
            .Case("Contiguous", B::Contiguous)
            .Default(std::nullopt);
    if (!b)
      return reader.error(path + ".behavior",
                          "unknown behavior \"" + *behavior +
                              "\" (Removed, Isolated, MergedWithPrevious, "
                              "MergedWithNext, Contiguous)");
    Result<bool> invert = getBool(reader, *object, path, "invert", false);
    if (!invert)
      return ErrorMessage{invert.error()};
    step.kind = PreTokenizerStep::Kind::Split;
    step.pattern = *pattern;
    step.behavior = *b;
    step.invert = *invert;
  } else if (type == "Metaspace") {
    Result<std::string> replacement =
        oneCharacter(reader, *object, path, "replacement");
    if (!replacement)
      return ErrorMessage{replacement.error()};
    Result<PrependScheme> scheme = prependScheme(reader, *object, path);
    if (!scheme)
      return ErrorMessage{scheme.error()};
    Result<bool> split = getBool(reader, *object, path, "split", true);
    if (!split)
      return ErrorMessage{split.error()};
    step.kind = PreTokenizerStep::Kind::Metaspace;
    step.pattern = *replacement;
    step.prependScheme = *scheme;
    step.split = *split;
  } else {
    return reader.error(
        path, "unsupported pre-tokenizer " +
                  (type.empty() ? "(no type)" : type) +
                  " (supported: ByteLevel; Sequence of Digits + ByteLevel; "
                  "Sequence of the Llama-3 Split + ByteLevel; Split with a "
                  "String pattern; Metaspace; a Sequence of Split and "
                  "Metaspace)");
  }
  steps.push_back(std::move(step));
  return {};
}

constexpr llvm::StringLiteral kSupportedDecoders =
    "supported: Sequence, ByteLevel, Replace (String pattern), "
    "ByteFallback, Fuse, Strip, Metaspace";

Result<void> readDecoder(Reader &reader, const Value &value,
                         const std::string &path,
                         std::vector<DecoderStep> &steps) {
  const Object *object = value.getAsObject();
  if (!object)
    return reader.error(path, "expected a decoder object, found " +
                                  kindOf(value));
  std::string type = typeOf(*object);
  using Kind = DecoderStep::Kind;
  DecoderStep step;
  if (type == "Sequence") {
    const Array *list = object->getArray("decoders");
    if (!list)
      return reader.error(path + ".decoders", "expected an array");
    for (size_t i = 0; i < list->size(); ++i)
      if (Result<void> r = readDecoder(reader, (*list)[i],
                                       path + ".decoders[" +
                                           std::to_string(i) + "]",
                                       steps);
          !r)
        return r;
    return {};
  }
  if (type == "ByteLevel" || type == "ByteFallback" || type == "Fuse") {
    step.kind = type == "ByteLevel"      ? Kind::ByteLevel
                : type == "ByteFallback" ? Kind::ByteFallback
                                         : Kind::Fuse;
  } else if (type == "Replace") {
    Result<std::string> pattern =
        stringPattern(reader, *object, path, "decoder Replace");
    if (!pattern)
      return ErrorMessage{pattern.error()};
    Result<std::string> content = getString(reader, *object, path, "content");
    if (!content)
      return ErrorMessage{content.error()};
    step.kind = Kind::Replace;
    step.pattern = *pattern;
    step.content = *content;
  } else if (type == "Strip") {
    Result<std::string> content =
        oneCharacter(reader, *object, path, "content");
    if (!content)
      return ErrorMessage{content.error()};
    Result<uint32_t> start = getCount(reader, *object, path, "start");
    Result<uint32_t> stop = getCount(reader, *object, path, "stop");
    if (!start)
      return ErrorMessage{start.error()};
    if (!stop)
      return ErrorMessage{stop.error()};
    step.kind = Kind::Strip;
    step.content = *content;
    step.start = *start;
    step.stop = *stop;
  } else if (type == "Metaspace") {
    Result<std::string> replacement =
        oneCharacter(reader, *object, path, "replacement");
    if (!replacement)
      return ErrorMessage{replacement.error()};
    Result<PrependScheme> scheme = prependScheme(reader, *object, path);
    if (!scheme)
      return ErrorMessage{scheme.error()};
    step.kind = Kind::Metaspace;
    step.pattern = *replacement;
    step.prependScheme = *scheme;
  } else {
    return reader.error(path, "unsupported decoder " +
                                  (type.empty() ? "(no type)" : type) + " (" +
                                  kSupportedDecoders.str() + ")");
  }
  steps.push_back(std::move(step));
  return {};
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
  std::string jsonText;
  Result<Value> root = readJson(tokenizerJsonPath, &jsonText);
  if (!root)
    return ErrorMessage{root.error()};
  Reader reader{tokenizerJsonPath};
  const Object &top = *root->getAsObject();
  TokenizerData data;

  // model
  const Object *model = top.getObject("model");
  if (!model)
    return reader.error("model", "expected an object");
  std::string modelType = typeOf(*model);
  if (modelType == "Unigram") {
    data.model = ModelKind::Unigram;
    const Array *vocab = model->getArray("vocab");
    if (!vocab)
      return reader.error("model.vocab",
                          "expected an array of [piece, score]");
    data.vocab.reserve(vocab->size());
    data.scores.reserve(vocab->size());
    for (size_t i = 0; i < vocab->size(); ++i) {
      const Array *entry = (*vocab)[i].getAsArray();
      std::optional<llvm::StringRef> piece =
          entry && entry->size() == 2 ? (*entry)[0].getAsString()
                                      : std::nullopt;
      std::optional<double> score =
          entry && entry->size() == 2 ? (*entry)[1].getAsNumber()
                                      : std::nullopt;
      if (!piece || !score)
        return reader.error("model.vocab[" + std::to_string(i) + "]",
                            "expected [piece, score], found " +
                                kindOf((*vocab)[i]));
      data.vocab.push_back(piece->str());
      data.scores.push_back(*score);
    }
    // The scores as tokenizers reads them (see serdeJsonF64).
    std::optional<std::vector<llvm::StringRef>> texts =
        unigramScoreTexts(jsonText);
    if (!texts || texts->size() != data.scores.size())
      return reader.error("model.vocab",
                          "cannot find the scores' text in the file");
    for (size_t i = 0; i < texts->size(); ++i) {
      std::optional<double> score = serdeJsonF64((*texts)[i]);
      if (!score)
        return reader.error("model.vocab[" + std::to_string(i) + "]",
                            "score '" + (*texts)[i].str() +
                                "' is out of range");
      data.scores[i] = *score;
    }
    const Value *unk = model->get("unk_id");
    std::optional<int64_t> unkId = unk ? unk->getAsInteger() : std::nullopt;
    if (!unkId)
      return reader.error("model.unk_id",
                          "a Unigram model without an unk_id is not "
                          "supported (tokenizers fails on any character "
                          "the vocab lacks), found " +
                              (unk ? kindOf(*unk) : std::string("nothing")));
    if (*unkId < 0 || *unkId >= static_cast<int64_t>(data.vocab.size()))
      return reader.error("model.unk_id",
                          "id " + std::to_string(*unkId) +
                              " is not in the vocab");
    data.unkId = static_cast<int32_t>(*unkId);
    Result<bool> byteFallback =
        getBool(reader, *model, "model", "byte_fallback", false);
    if (!byteFallback)
      return ErrorMessage{byteFallback.error()};
    data.byteFallback = *byteFallback;
  } else if (modelType.empty() || modelType == "BPE") {
    Result<bool> byteFallback =
        getBool(reader, *model, "model", "byte_fallback", false);
    if (!byteFallback)
      return ErrorMessage{byteFallback.error()};
    data.byteFallback = *byteFallback;
    Result<bool> fuseUnk = getBool(reader, *model, "model", "fuse_unk", false);
    if (!fuseUnk)
      return ErrorMessage{fuseUnk.error()};
    data.fuseUnk = *fuseUnk;
    for (llvm::StringRef key :
         {"continuing_subword_prefix", "end_of_word_suffix"}) {
      const Value *v = model->get(key);
      if (v && v->kind() != Value::Null &&
          !(v->getAsString() && v->getAsString()->empty()))
        return reader.error("model." + key.str(),
                            "is not supported (found " + kindOf(*v) +
                                "; only none or \"\")");
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
    if (const Value *unk = model->get("unk_token");
        unk && unk->kind() != Value::Null) {
      std::optional<llvm::StringRef> name = unk->getAsString();
      if (!name)
        return reader.error("model.unk_token",
                            "expected a string, found " + kindOf(*unk));
      if (const Value *id = vocab->get(*name))
        data.unkId = static_cast<int32_t>(*id->getAsInteger());
      else
        return reader.error("model.unk_token",
                            "'" + name->str() + "' is not in the vocab");
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
  } else {
    return reader.error("model.type", "unsupported model type " + modelType +
                                          " (supported: BPE, Unigram)");
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

  // tokenizers does not take the added tokens' ids from the file: it gives
  // each the id of its content in the vocab (or of an earlier added token),
  // else the next id from the vocab's size on (AddedVocabulary::add_tokens,
  // when the file is read). Files it wrote agree; one that does not is
  // refused rather than read with other ids than tokenizers reads it with.
  {
    std::unordered_map<std::string_view, int32_t> vocabIds, addedIds;
    size_t entries = 0;
    for (size_t id = 0; id < data.vocab.size(); ++id)
      if (!data.vocab[id].empty()) {
        vocabIds[data.vocab[id]] = static_cast<int32_t>(id);
        ++entries;
      }
    if (data.model == ModelKind::Unigram)
      entries = data.vocab.size();
    int64_t next = static_cast<int64_t>(entries);
    for (size_t i = 0; i < data.addedTokens.size(); ++i) {
      const AddedToken &token = data.addedTokens[i];
      int64_t expected;
      if (auto it = addedIds.find(token.content); it != addedIds.end())
        expected = it->second;
      else if (auto it = vocabIds.find(token.content); it != vocabIds.end())
        expected = it->second;
      else
        expected = next++;
      if (expected != token.id)
        return reader.error(
            "added_tokens[" + std::to_string(i) + "].id",
            "'" + token.content + "' has id " + std::to_string(token.id) +
                ", but tokenizers gives it id " + std::to_string(expected) +
                " (the id of its content in the vocab, else the next one "
                "after the vocab's " +
                std::to_string(entries) +
                " entries); a file whose added-token ids disagree is not "
                "supported");
      addedIds[token.content] = static_cast<int32_t>(expected);
    }
  }

  // normalizer
  if (const Value *normalizer = top.get("normalizer"))
    if (Result<void> r = readNormalizer(reader, *normalizer, "normalizer",
                                        data.normalizers);
        !r)
      return ErrorMessage{r.error()};

  // pre_tokenizer: a byte-level form, or Split/Metaspace steps.
  const Value *preTokenizer = top.get("pre_tokenizer");
  if (hasByteLevel(preTokenizer)) {
    Result<PreTokenizerInfo> pre = recognizePreTokenizer(reader, preTokenizer);
    if (!pre)
      return ErrorMessage{pre.error()};
    data.preTokenizer = pre->kind;
    data.addPrefixSpace = pre->addPrefixSpace;
  } else {
    data.preTokenizer = PreTokenizerKind::None;
    if (preTokenizer)
      if (Result<void> r = readPreTokenizerSteps(
              reader, *preTokenizer, "pre_tokenizer", data.preTokenizers);
          !r)
        return ErrorMessage{r.error()};
  }

  // decoder: none joins the token strings with spaces.
  data.decoders.clear();
  if (const Value *decoder = top.get("decoder");
      decoder && decoder->kind() != Value::Null)
    if (Result<void> r = readDecoder(reader, *decoder, "decoder",
                                     data.decoders);
        !r)
      return ErrorMessage{r.error()};

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
    // (The step lists are flattened Sequences: decoders[i] is the i-th
    // decoder step.)
    std::string where =
        message.starts_with("merges[")          ? "model."
        : message.starts_with("vocab entry")    ? "model.vocab: "
        : message.starts_with("unigram") ||
                message.starts_with("unk id")
            ? "model: "
        : message.starts_with("added token")    ? "added_tokens: "
        : message.starts_with("normalizers[")   ? "normalizer: "
        : message.starts_with("pre_tokenizers[") ||
                message.starts_with("pre-tokenizer")
            ? "pre_tokenizer: "
        : message.starts_with("decoders[")      ? "decoder: "
        : message.starts_with("bos") || message.starts_with("eos")
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
