//===- Tokenizer.cpp - byte-level BPE tokenizer ---------------------------===//
//
// The algorithms follow Hugging Face `tokenizers` (the reference the parity
// test, test/tokenizer/check_hf_parity.py, compares against):
//
// - AddedVocabulary: added tokens are split out by leftmost-longest exact
//   match, first those with normalized=false, then the others.
// - Pre-tokenizers: the regular expressions of Tokenizer.h, run by
//   hand-written matchers. Every alternative is tried in order at the
//   current position (Oniguruma's leftmost-first semantics); since the
//   alternatives together match any character, a match always starts where
//   the previous one ended.
// - BPE: the word's bytes, each mapped to the byte alphabet, are symbols;
//   a min-heap of (merge rank, position) merges the best pair first, the
//   leftmost among equals (tokenizers' Word::merge_all).
// - ByteLevel decoder: a token whose every character is in the byte
//   alphabet decodes to those bytes, any other to its UTF-8; the result is
//   made valid UTF-8 with U+FFFD for each maximal invalid subsequence.
//
//===----------------------------------------------------------------------===//

#include "xf/Tokenizer.h"

#include "TokenizerSerialization.h"
#include "xf/WeightsFile.h"
#include "xf/xfw_generated.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <mutex>
#include <queue>
#include <unordered_map>

using namespace xf;

//===----------------------------------------------------------------------===//
// Unicode
//===----------------------------------------------------------------------===//

namespace {

enum class CharClass : uint8_t { Other, Letter, Number, Space };

struct UnicodeRange {
  uint32_t first;
  uint32_t last;
  CharClass cls;
};

#include "UnicodeTables.inc"

/// Classes of the code points below 256, indexed directly.
struct Latin1Classes {
  std::array<CharClass, 256> table{};
  constexpr Latin1Classes() {
    for (const UnicodeRange &range : kUnicodeRanges) {
      if (range.first > 255)
        break;
      for (uint32_t cp = range.first; cp <= range.last && cp < 256; ++cp)
        table[cp] = range.cls;
    }
  }
};
constexpr Latin1Classes kLatin1;

/// Marks a byte that is not part of valid UTF-8; of class Other.
constexpr uint32_t kInvalid = 0xFFFFFFFF;

CharClass classify(uint32_t cp) {
  if (cp < 256)
    return kLatin1.table[cp];
  if (cp == kInvalid)
    return CharClass::Other;
  size_t lo = 0, hi = std::size(kUnicodeRanges);
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (kUnicodeRanges[mid].last < cp)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo < std::size(kUnicodeRanges) && kUnicodeRanges[lo].first <= cp)
    return kUnicodeRanges[lo].cls;
  return CharClass::Other;
}

/// The length of the well-formed UTF-8 sequence at `p` (Unicode Table 3-7)
/// and its code point; or 0 if it is not one. `valid` (when not null) gets
/// the number of bytes that form a valid prefix (at least 1 if the first
/// byte could start a sequence), for maximal-subpart replacement;
/// `truncated` says the prefix ran into `end`.
size_t decodeUtf8(const unsigned char *p, const unsigned char *end,
                  uint32_t &cp, size_t *valid = nullptr,
                  bool *truncated = nullptr) {
  if (truncated)
    *truncated = false;
  unsigned char b0 = p[0];
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  size_t need;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2;
    cp = b0 & 0x0F;
    if (b0 == 0xE0)
      lo = 0xA0;
    else if (b0 == 0xED)
      hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3;
    cp = b0 & 0x07;
    if (b0 == 0xF0)
      lo = 0x90;
    else if (b0 == 0xF4)
      hi = 0x8F;
  } else {
    if (valid)
      *valid = 1;
    return 0;
  }
  for (size_t k = 1; k <= need; ++k) {
    if (p + k >= end) {
      if (valid)
        *valid = k;
      if (truncated)
        *truncated = true;
      return 0;
    }
    unsigned char b = p[k];
    unsigned char l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
    if (b < l || b > h) {
      if (valid)
        *valid = k;
      return 0;
    }
    cp = cp << 6 | (b & 0x3F);
  }
  return need + 1;
}

void appendUtf8(std::string &out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | cp >> 6);
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | cp >> 12);
    out += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | cp >> 18);
    out += static_cast<char>(0x80 | (cp >> 12 & 0x3F));
    out += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

/// `bytes` as valid UTF-8: each maximal subpart of an ill-formed sequence
/// becomes U+FFFD (Rust's String::from_utf8_lossy). `holdBack` (when not
/// null) stops before a truncated sequence at the end and says where.
std::string makeValidUtf8(std::string_view bytes, size_t *holdBack = nullptr) {
  std::string out;
  out.reserve(bytes.size());
  auto *p = reinterpret_cast<const unsigned char *>(bytes.data());
  auto *end = p + bytes.size();
  auto *start = p;
  while (p < end) {
    if (*p < 0x80) {
      out += static_cast<char>(*p++);
      continue;
    }
    uint32_t cp;
    size_t valid = 0;
    bool truncated = false;
    size_t length = decodeUtf8(p, end, cp, &valid, &truncated);
    if (length) {
      out.append(reinterpret_cast<const char *>(p), length);
      p += length;
      continue;
    }
    if (truncated && holdBack) {
      *holdBack = static_cast<size_t>(p - start);
      return out;
    }
    out += "\xEF\xBF\xBD";
    p += valid ? valid : 1;
  }
  if (holdBack)
    *holdBack = bytes.size();
  return out;
}

/// One character of the text being split: where it starts, its code point
/// (kInvalid for a stray byte) and its class.
struct Char {
  uint32_t offset;
  uint32_t cp;
  CharClass cls;
};

void decodeChars(std::string_view text, std::vector<Char> &chars) {
  chars.clear();
  auto *begin = reinterpret_cast<const unsigned char *>(text.data());
  auto *end = begin + text.size();
  for (auto *p = begin; p < end;) {
    uint32_t cp;
    size_t length = *p < 0x80 ? (cp = *p, 1) : decodeUtf8(p, end, cp);
    if (!length) {
      cp = kInvalid;
      length = 1;
    }
    chars.push_back({static_cast<uint32_t>(p - begin), cp, classify(cp)});
    p += length;
  }
}

//===----------------------------------------------------------------------===//
// Pre-tokenizers
//===----------------------------------------------------------------------===//

/// The end of the run of characters of class `cls` from `i`.
size_t runOf(const std::vector<Char> &c, size_t i, CharClass cls) {
  while (i < c.size() && c[i].cls == cls)
    ++i;
  return i;
}

/// \s+(?!\S)|\s+ at `i` (a space character): the whitespace run, less its
/// last character when a non-space follows and the run is longer than one.
size_t matchSpaces(const std::vector<Char> &c, size_t i) {
  size_t j = runOf(c, i, CharClass::Space);
  if (j == c.size() || j - i == 1)
    return j;
  return j - 1;
}

bool isContractionTail(uint32_t a, uint32_t b, bool ignoreCase,
                       size_t &length) {
  auto lower = [&](uint32_t cp) -> uint32_t {
    if (!ignoreCase)
      return cp;
    if (cp >= 'A' && cp <= 'Z')
      return cp + 32;
    if (cp == 0x17F) // LATIN SMALL LETTER LONG S folds to 's'.
      return 's';
    return cp;
  };
  a = lower(a);
  if (a == 's' || a == 't' || a == 'm' || a == 'd') {
    length = 2;
    return true;
  }
  b = lower(b);
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') ||
      (a == 'l' && b == 'l')) {
    length = 3;
    return true;
  }
  return false;
}

/// The end of the GPT-2 regex's match at `i`:
/// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
size_t matchGPT2(const std::vector<Char> &c, size_t i) {
  size_t n = c.size();
  uint32_t ch = c[i].cp;
  size_t length;
  if (ch == '\'' && i + 1 < n &&
      isContractionTail(c[i + 1].cp, i + 2 < n ? c[i + 2].cp : 0,
                        /*ignoreCase=*/false, length)) {
    if (length == 2 || i + 2 < n)
      return i + length;
  }
  if (ch == ' ' && i + 1 < n && c[i + 1].cls != CharClass::Space)
    return runOf(c, i + 1, c[i + 1].cls);
  if (c[i].cls != CharClass::Space)
    return runOf(c, i, c[i].cls);
  return matchSpaces(c, i);
}

/// The end of the Llama-3 regex's match at `i`:
/// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
///  ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
size_t matchLlama3(const std::vector<Char> &c, size_t i) {
  size_t n = c.size();
  uint32_t ch = c[i].cp;
  CharClass cls = c[i].cls;
  size_t length;
  if (ch == '\'' && i + 1 < n &&
      isContractionTail(c[i + 1].cp, i + 2 < n ? c[i + 2].cp : 0,
                        /*ignoreCase=*/true, length)) {
    if (length == 2 || i + 2 < n)
      return i + length;
  }
  // [^\r\n\p{L}\p{N}]?\p{L}+
  if (cls != CharClass::Letter && cls != CharClass::Number && ch != '\r' &&
      ch != '\n' && i + 1 < n && c[i + 1].cls == CharClass::Letter)
    return runOf(c, i + 1, CharClass::Letter);
  if (cls == CharClass::Letter)
    return runOf(c, i, CharClass::Letter);
  // \p{N}{1,3}
  if (cls == CharClass::Number)
    return std::min(runOf(c, i, CharClass::Number), i + 3);
  //  ?[^\s\p{L}\p{N}]+[\r\n]*
  size_t j = i;
  if (ch == ' ' && i + 1 < n && c[i + 1].cls == CharClass::Other)
    j = i + 1;
  if (c[j].cls == CharClass::Other) {
    j = runOf(c, j, CharClass::Other);
    while (j < n && (c[j].cp == '\r' || c[j].cp == '\n'))
      ++j;
    return j;
  }
  // \s*[\r\n]+: up to the last \r or \n of the whitespace run.
  j = runOf(c, i, CharClass::Space);
  for (size_t k = j; k > i; --k)
    if (c[k - 1].cp == '\r' || c[k - 1].cp == '\n')
      return k;
  return matchSpaces(c, i);
}

/// Appends the pieces of `text` split by `match` to `pieces`.
template <typename Match>
void splitBy(std::string_view text, std::vector<Char> &chars, Match match,
             std::vector<std::string_view> &pieces) {
  decodeChars(text, chars);
  size_t n = chars.size();
  for (size_t i = 0; i < n;) {
    size_t j = match(chars, i);
    size_t from = chars[i].offset;
    size_t to = j < n ? chars[j].offset : text.size();
    pieces.push_back(text.substr(from, to - from));
    i = j;
  }
}

void preTokenizeInto(PreTokenizerKind kind, std::string_view text,
                     std::vector<Char> &chars,
                     std::vector<std::string_view> &pieces) {
  switch (kind) {
  case PreTokenizerKind::GPT2:
    splitBy(text, chars, matchGPT2, pieces);
    return;
  case PreTokenizerKind::Llama3:
    splitBy(text, chars, matchLlama3, pieces);
    return;
  case PreTokenizerKind::SmolLM: {
    // Digits(individual_digits=true): each \p{N} character alone, the text
    // between them split by the GPT-2 regex.
    decodeChars(text, chars);
    std::vector<std::pair<size_t, size_t>> spans;
    size_t start = 0;
    for (size_t i = 0; i < chars.size(); ++i) {
      if (chars[i].cls != CharClass::Number)
        continue;
      size_t at = chars[i].offset;
      size_t next = i + 1 < chars.size() ? chars[i + 1].offset : text.size();
      if (at > start)
        spans.push_back({start, at});
      spans.push_back({at, next});
      start = next;
    }
    if (start < text.size())
      spans.push_back({start, text.size()});
    std::vector<Char> scratch;
    for (auto [from, to] : spans)
      splitBy(text.substr(from, to - from), scratch, matchGPT2, pieces);
    return;
  }
  }
}

//===----------------------------------------------------------------------===//
// The byte alphabet
//===----------------------------------------------------------------------===//

struct ByteAlphabet {
  std::array<uint32_t, 256> toCodePoint{};
  constexpr ByteAlphabet() {
    uint32_t extra = 0;
    for (uint32_t b = 0; b < 256; ++b) {
      bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) ||
                       (b >= 0xAE && b <= 0xFF);
      toCodePoint[b] = printable ? b : 256 + extra++;
    }
  }
};
constexpr ByteAlphabet kBytes;

/// The byte code point `cp` stands for in the alphabet, or -1.
int byteOfCodePoint(uint32_t cp) {
  if (cp < 256)
    return kBytes.toCodePoint[cp] == cp ? static_cast<int>(cp) : -1;
  if (cp >= 256 + 68)
    return -1;
  for (int b = 0; b < 256; ++b)
    if (kBytes.toCodePoint[b] == cp)
      return b;
  return -1;
}

/// ByteLevel decoding of one token string: its bytes if every character is
/// in the alphabet, else the string itself.
std::string tokenStringToBytes(std::string_view token) {
  std::string out;
  auto *p = reinterpret_cast<const unsigned char *>(token.data());
  auto *end = p + token.size();
  while (p < end) {
    uint32_t cp;
    size_t length = decodeUtf8(p, end, cp);
    int byte = length ? byteOfCodePoint(cp) : -1;
    if (byte < 0)
      return std::string(token);
    out += static_cast<char>(byte);
    p += length;
  }
  return out;
}

//===----------------------------------------------------------------------===//
// Added tokens
//===----------------------------------------------------------------------===//

/// A byte trie of added tokens' contents, for leftmost-longest matching.
class AddedTokenTrie {
public:
  void insert(std::string_view content, int32_t token, bool special) {
    uint32_t node = 0;
    for (unsigned char b : content) {
      auto key = std::make_pair(node, b);
      auto it = edges.find(key);
      if (it == edges.end()) {
        nodes.push_back({});
        it = edges.emplace(key, static_cast<uint32_t>(nodes.size() - 1)).first;
      }
      node = it->second;
    }
    nodes[node].token = token;
    nodes[node].special = special;
    firstByte[static_cast<unsigned char>(content[0])] = true;
    empty = false;
  }

  /// The length and id of the longest token starting at `at`, or {0, -1}.
  std::pair<size_t, int32_t> longestAt(std::string_view text, size_t at,
                                       bool parseSpecial) const {
    std::pair<size_t, int32_t> best{0, -1};
    uint32_t node = 0;
    for (size_t k = at; k < text.size(); ++k) {
      auto it = edges.find({node, static_cast<unsigned char>(text[k])});
      if (it == edges.end())
        break;
      node = it->second;
      const Node &n = nodes[node];
      if (n.token >= 0 && (parseSpecial || !n.special))
        best = {k + 1 - at, n.token};
    }
    return best;
  }

  bool mayStart(unsigned char b) const { return firstByte[b]; }
  bool isEmpty() const { return empty; }

private:
  struct Node {
    int32_t token = -1;
    bool special = false;
  };
  struct PairHash {
    size_t operator()(const std::pair<uint32_t, unsigned char> &key) const {
      return std::hash<uint64_t>()(uint64_t(key.first) << 8 | key.second);
    }
  };
  std::vector<Node> nodes{Node{}};
  std::unordered_map<std::pair<uint32_t, unsigned char>, uint32_t, PairHash>
      edges;
  std::array<bool, 256> firstByte{};
  bool empty = true;
};

/// Piece of text to encode: an added token (token >= 0) or plain text.
struct Segment {
  std::string_view text;
  int32_t token;
};

void splitAddedTokens(const AddedTokenTrie &trie, std::string_view text,
                      bool parseSpecial, std::vector<Segment> &out) {
  if (trie.isEmpty()) {
    out.push_back({text, -1});
    return;
  }
  size_t start = 0;
  for (size_t i = 0; i < text.size();) {
    if (!trie.mayStart(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    auto [length, token] = trie.longestAt(text, i, parseSpecial);
    if (!length) {
      ++i;
      continue;
    }
    if (i > start)
      out.push_back({text.substr(start, i - start), -1});
    out.push_back({text.substr(i, length), token});
    i += length;
    start = i;
  }
  if (start < text.size())
    out.push_back({text.substr(start), -1});
}

struct MergeValue {
  int32_t rank;
  int32_t merged;
};

uint64_t pairKey(int32_t left, int32_t right) {
  return uint64_t(uint32_t(left)) << 32 | uint32_t(right);
}

} // namespace

//===----------------------------------------------------------------------===//
// Names and chat template detection
//===----------------------------------------------------------------------===//

const char *xf::preTokenizerName(PreTokenizerKind kind) {
  switch (kind) {
  case PreTokenizerKind::GPT2:
    return "gpt2";
  case PreTokenizerKind::SmolLM:
    return "smollm";
  case PreTokenizerKind::Llama3:
    return "llama3";
  }
  return "?";
}

std::optional<PreTokenizerKind>
xf::parsePreTokenizerName(std::string_view name) {
  for (PreTokenizerKind kind : {PreTokenizerKind::GPT2,
                                PreTokenizerKind::SmolLM,
                                PreTokenizerKind::Llama3})
    if (name == preTokenizerName(kind))
      return kind;
  return std::nullopt;
}

const char *xf::chatFormatName(ChatFormat format) {
  switch (format) {
  case ChatFormat::None:
    return "none";
  case ChatFormat::ChatML:
    return "chatml";
  case ChatFormat::Llama3:
    return "llama3";
  }
  return "?";
}

std::optional<ChatFormat> xf::parseChatFormatName(std::string_view name) {
  for (ChatFormat format :
       {ChatFormat::None, ChatFormat::ChatML, ChatFormat::Llama3})
    if (name == chatFormatName(format))
      return format;
  return std::nullopt;
}

ChatFormat xf::detectChatFormat(std::string_view text,
                                std::string *defaultSystemPrompt) {
  if (defaultSystemPrompt)
    defaultSystemPrompt->clear();
  bool hasIm = text.find("<|im_start|>") != std::string_view::npos &&
               text.find("<|im_end|>") != std::string_view::npos;
  bool hasHeader = text.find("<|start_header_id|>") != std::string_view::npos &&
                   text.find("<|end_header_id|>") != std::string_view::npos &&
                   text.find("<|eot_id|>") != std::string_view::npos;
  if (hasHeader && !hasIm) {
    // Llama 3.1 and later put dates and tool instructions into the system
    // message; only the plain Llama 3 form is rendered.
    if (text.find("Cutting Knowledge Date") != std::string_view::npos)
      return ChatFormat::None;
    return ChatFormat::Llama3;
  }
  if (!hasIm || hasHeader)
    return ChatFormat::None;
  if (defaultSystemPrompt) {
    // A literal '<|im_start|>system\n...<|im_end|>' with plain text between:
    // the prompt inserted when the conversation has no system message.
    static constexpr std::string_view kOpen = "<|im_start|>system";
    for (size_t at = text.find(kOpen); at != std::string_view::npos;
         at = text.find(kOpen, at + 1)) {
      size_t from = at + kOpen.size();
      if (text.substr(from, 1) == "\n")
        from += 1;
      else if (text.substr(from, 2) == "\\n")
        from += 2;
      else
        continue;
      size_t close = text.find("<|im_end|>", from);
      if (close == std::string_view::npos)
        break;
      std::string_view prompt = text.substr(from, close - from);
      if (prompt.empty() ||
          prompt.find_first_of("'\"{}") != std::string_view::npos)
        continue;
      *defaultSystemPrompt = std::string(prompt);
      break;
    }
  }
  return ChatFormat::ChatML;
}

uint32_t xf::byteToCodePoint(uint8_t byte) { return kBytes.toCodePoint[byte]; }

//===----------------------------------------------------------------------===//
// Tokenizer
//===----------------------------------------------------------------------===//

struct Tokenizer::Impl {
  TokenizerData data;
  /// Per id: the token string (vocab entry or added token content), its
  /// decoded bytes, whether it is special.
  std::vector<std::string_view> strings;
  std::vector<std::string> bytes;
  std::vector<uint8_t> special;
  std::unordered_map<std::string_view, int32_t> idOfString;
  /// BPE vocab entries by their bytes (ignore_merges and whole-word hits).
  std::unordered_map<std::string, int32_t> idOfBytes;
  std::array<int32_t, 256> idOfByte;
  std::unordered_map<uint64_t, MergeValue> merges;
  AddedTokenTrie rawAdded, normalizedAdded;
  std::optional<int32_t> endOfTurn;

  static constexpr size_t kCacheCapacity = 1 << 16;
  static constexpr size_t kMaxCachedWord = 256;
  mutable std::mutex cacheMutex;
  mutable std::unordered_map<std::string, std::vector<int32_t>> cache;

  void encodeWord(std::string_view word, std::vector<int32_t> &out) const;
  void encodeText(std::string_view text, std::vector<int32_t> &out) const;
};

namespace {

struct Symbol {
  int32_t id;
  int32_t prev;
  int32_t next;
  uint32_t length; // 0 once merged into its left neighbour.
};

struct Candidate {
  int32_t rank;
  int32_t pos;
  int32_t merged;
  bool operator>(const Candidate &other) const {
    return rank != other.rank ? rank > other.rank : pos > other.pos;
  }
};

} // namespace

void Tokenizer::Impl::encodeWord(std::string_view word,
                                 std::vector<int32_t> &out) const {
  if (data.ignoreMerges) {
    auto it = idOfBytes.find(std::string(word));
    if (it != idOfBytes.end()) {
      out.push_back(it->second);
      return;
    }
  }
  if (word.size() <= kMaxCachedWord) {
    std::lock_guard<std::mutex> lock(cacheMutex);
    auto it = cache.find(std::string(word));
    if (it != cache.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }

  // Symbols: the word's bytes that are in the vocab (the others are dropped,
  // as tokenizers does without an unknown token).
  thread_local std::vector<Symbol> symbols;
  symbols.clear();
  for (unsigned char b : word) {
    int32_t id = idOfByte[b];
    if (id < 0)
      continue;
    int32_t index = static_cast<int32_t>(symbols.size());
    symbols.push_back({id, index - 1, index + 1, 1});
  }
  if (!symbols.empty())
    symbols.back().next = -1;

  thread_local std::vector<Candidate> heapStorage;
  heapStorage.clear();
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> heap(
      std::greater<>(), std::move(heapStorage));
  auto consider = [&](int32_t pos) {
    int32_t next = symbols[pos].next;
    if (next < 0)
      return;
    auto it = merges.find(pairKey(symbols[pos].id, symbols[next].id));
    if (it != merges.end())
      heap.push({it->second.rank, pos, it->second.merged});
  };
  for (int32_t i = 0; i + 1 < static_cast<int32_t>(symbols.size()); ++i)
    consider(i);

  while (!heap.empty()) {
    Candidate top = heap.top();
    heap.pop();
    Symbol &left = symbols[top.pos];
    if (left.length == 0 || left.next < 0)
      continue;
    Symbol &right = symbols[left.next];
    auto it = merges.find(pairKey(left.id, right.id));
    if (it == merges.end() || it->second.merged != top.merged)
      continue;
    left.id = top.merged;
    left.length += right.length;
    right.length = 0;
    left.next = right.next;
    if (left.next >= 0)
      symbols[left.next].prev = top.pos;
    if (left.prev >= 0)
      consider(left.prev);
    consider(top.pos);
  }

  size_t first = out.size();
  for (const Symbol &symbol : symbols)
    if (symbol.length)
      out.push_back(symbol.id);
  if (word.size() <= kMaxCachedWord) {
    std::lock_guard<std::mutex> lock(cacheMutex);
    if (cache.size() >= kCacheCapacity)
      cache.clear();
    cache.emplace(std::string(word),
                  std::vector<int32_t>(out.begin() + first, out.end()));
  }
}

void Tokenizer::Impl::encodeText(std::string_view text,
                                 std::vector<int32_t> &out) const {
  std::string prefixed;
  if (data.addPrefixSpace && !text.empty() && text[0] != ' ') {
    prefixed = " " + std::string(text);
    text = prefixed;
  }
  thread_local std::vector<Char> chars;
  std::vector<std::string_view> pieces;
  preTokenizeInto(data.preTokenizer, text, chars, pieces);
  for (std::string_view piece : pieces)
    encodeWord(piece, out);
}

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer &&) noexcept = default;
Tokenizer &Tokenizer::operator=(Tokenizer &&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Result<Tokenizer> Tokenizer::fromData(TokenizerData data) {
  auto impl = std::make_unique<Impl>();
  impl->data = std::move(data);
  const TokenizerData &d = impl->data;

  size_t size = d.vocab.size();
  for (const AddedToken &token : d.addedTokens) {
    if (token.id < 0)
      return ErrorMessage{"added token '" + token.content +
                          "' has a negative id " + std::to_string(token.id)};
    if (token.content.empty())
      return ErrorMessage{"added token " + std::to_string(token.id) +
                          " has empty content"};
    size = std::max(size, static_cast<size_t>(token.id) + 1);
  }
  if (size > static_cast<size_t>(INT32_MAX))
    return ErrorMessage{"the vocabulary is too large"};
  impl->strings.assign(size, {});
  impl->bytes.assign(size, {});
  impl->special.assign(size, 0);

  impl->idOfString.reserve(size);
  impl->idOfBytes.reserve(d.vocab.size());
  for (size_t id = 0; id < d.vocab.size(); ++id) {
    const std::string &token = d.vocab[id];
    if (token.empty())
      continue;
    auto [it, inserted] =
        impl->idOfString.emplace(token, static_cast<int32_t>(id));
    if (!inserted)
      return ErrorMessage{"vocab entry '" + token + "' has two ids, " +
                          std::to_string(it->second) + " and " +
                          std::to_string(id)};
    impl->strings[id] = token;
    impl->bytes[id] = tokenStringToBytes(token);
    impl->idOfBytes.emplace(impl->bytes[id], static_cast<int32_t>(id));
  }
  impl->idOfByte.fill(-1);
  for (int b = 0; b < 256; ++b) {
    std::string single;
    appendUtf8(single, kBytes.toCodePoint[b]);
    auto it = impl->idOfString.find(single);
    if (it != impl->idOfString.end())
      impl->idOfByte[b] = it->second;
  }

  for (const AddedToken &token : d.addedTokens) {
    size_t id = static_cast<size_t>(token.id);
    if (!impl->strings[id].empty() && impl->strings[id] != token.content &&
        id < d.vocab.size() && !d.vocab[id].empty())
      return ErrorMessage{"added token '" + token.content + "' has id " +
                          std::to_string(id) + ", which the vocab gives to '" +
                          d.vocab[id] + "'"};
    impl->strings[id] = token.content;
    impl->bytes[id] = tokenStringToBytes(token.content);
    impl->special[id] = token.special;
    impl->idOfString[impl->strings[id]] = token.id;
    (token.normalized ? impl->normalizedAdded : impl->rawAdded)
        .insert(token.content, token.id, token.special);
  }

  impl->merges.reserve(d.merges.size());
  std::string joined;
  for (size_t rank = 0; rank < d.merges.size(); ++rank) {
    const std::string &left = d.merges[rank].first;
    const std::string &right = d.merges[rank].second;
    auto describe = [&] {
      return "merges[" + std::to_string(rank) + "] ('" + left + "' '" +
             right + "')";
    };
    auto l = impl->idOfString.find(left);
    auto r = impl->idOfString.find(right);
    joined = left + right;
    auto m = impl->idOfString.find(joined);
    if (l == impl->idOfString.end() || r == impl->idOfString.end())
      return ErrorMessage{describe() + " names a token not in the vocab"};
    if (m == impl->idOfString.end())
      return ErrorMessage{describe() + ": '" + joined +
                          "' is not in the vocab"};
    // The first of repeated merges counts (tokenizers keeps the last
    // insertion's rank, but a repeated merge is an error there too).
    impl->merges.emplace(pairKey(l->second, r->second),
                         MergeValue{static_cast<int32_t>(rank), m->second});
  }

  for (auto [id, name] : {std::pair(d.bosId, "bos"), std::pair(d.eosId, "eos")})
    if (id < -1 || id >= static_cast<int64_t>(size) ||
        (id >= 0 && impl->strings[id].empty()))
      return ErrorMessage{std::string(name) + " id " + std::to_string(id) +
                          " is not a token"};

  const char *turnEnd = d.chatFormat == ChatFormat::ChatML   ? "<|im_end|>"
                        : d.chatFormat == ChatFormat::Llama3 ? "<|eot_id|>"
                                                             : nullptr;
  if (turnEnd) {
    auto it = impl->idOfString.find(turnEnd);
    if (it != impl->idOfString.end())
      impl->endOfTurn = it->second;
  }
  return Tokenizer(std::move(impl));
}

std::vector<int32_t> Tokenizer::encode(std::string_view text,
                                       bool parseSpecial) const {
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 1);
  std::vector<Segment> raw, segments;
  splitAddedTokens(impl->rawAdded, text, parseSpecial, raw);
  for (const Segment &segment : raw) {
    if (segment.token >= 0)
      segments.push_back(segment);
    else
      splitAddedTokens(impl->normalizedAdded, segment.text, parseSpecial,
                       segments);
  }
  for (const Segment &segment : segments) {
    if (segment.token >= 0)
      out.push_back(segment.token);
    else
      impl->encodeText(segment.text, out);
  }
  return out;
}

std::string Tokenizer::decode(const int32_t *ids, size_t count,
                              bool skipSpecial) const {
  std::string bytes;
  for (size_t i = 0; i < count; ++i) {
    int32_t id = ids[i];
    if (id < 0 || static_cast<size_t>(id) >= impl->bytes.size())
      continue;
    if (skipSpecial && impl->special[id])
      continue;
    bytes += impl->bytes[id];
  }
  return makeValidUtf8(bytes);
}

std::string Tokenizer::decodeToken(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= impl->bytes.size())
    return {};
  return impl->bytes[id];
}

std::string_view Tokenizer::tokenString(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= impl->strings.size())
    return {};
  return impl->strings[id];
}

std::optional<int32_t> Tokenizer::tokenId(std::string_view token) const {
  auto it = impl->idOfString.find(token);
  if (it == impl->idOfString.end())
    return std::nullopt;
  return it->second;
}

std::string Tokenizer::StreamDecoder::push(int32_t id) {
  if (skipSpecial && tokenizer->isSpecial(id))
    return {};
  pending += tokenizer->decodeToken(id);
  size_t complete = 0;
  std::string out = makeValidUtf8(pending, &complete);
  pending.erase(0, complete);
  return out;
}

std::string Tokenizer::StreamDecoder::finish() {
  std::string out = makeValidUtf8(pending);
  pending.clear();
  return out;
}

namespace {

std::string_view trimSpaces(std::string_view text) {
  std::vector<Char> chars;
  decodeChars(text, chars);
  size_t begin = 0, end = chars.size();
  while (begin < end && chars[begin].cls == CharClass::Space)
    ++begin;
  while (end > begin && chars[end - 1].cls == CharClass::Space)
    --end;
  if (begin == end)
    return {};
  size_t from = chars[begin].offset;
  size_t to = end < chars.size() ? chars[end].offset : text.size();
  return text.substr(from, to - from);
}

} // namespace

Result<std::string>
Tokenizer::applyChatTemplate(std::string_view user,
                             std::optional<std::string_view> system) const {
  const TokenizerData &d = impl->data;
  std::string out;
  switch (d.chatFormat) {
  case ChatFormat::None:
    if (d.chatTemplate.empty())
      return ErrorMessage{"the tokenizer has no chat template "
                          "(tokenizer_config.json had no chat_template)"};
    return ErrorMessage{
        "the tokenizer's chat template is of a form this runtime cannot "
        "render (supported: ChatML <|im_start|>...<|im_end|>, Llama 3 "
        "<|start_header_id|>...<|eot_id|>); pass the prompt as ids or text"};
  case ChatFormat::ChatML: {
    std::optional<std::string_view> systemText = system;
    if (!systemText && !d.defaultSystemPrompt.empty())
      systemText = d.defaultSystemPrompt;
    if (systemText)
      out.append("<|im_start|>system\n")
          .append(*systemText)
          .append("<|im_end|>\n");
    out.append("<|im_start|>user\n")
        .append(user)
        .append("<|im_end|>\n<|im_start|>assistant\n");
    return out;
  }
  case ChatFormat::Llama3: {
    if (d.bosId >= 0)
      out.append(tokenString(d.bosId));
    auto turn = [&](std::string_view role, std::string_view content) {
      out.append("<|start_header_id|>")
          .append(role)
          .append("<|end_header_id|>\n\n")
          .append(trimSpaces(content))
          .append("<|eot_id|>");
    };
    if (system)
      turn("system", *system);
    turn("user", user);
    out.append("<|start_header_id|>assistant<|end_header_id|>\n\n");
    return out;
  }
  }
  return ErrorMessage{"unknown chat format"};
}

std::vector<int32_t> Tokenizer::stopIds() const {
  std::vector<int32_t> ids;
  if (impl->data.eosId >= 0)
    ids.push_back(impl->data.eosId);
  if (impl->endOfTurn && *impl->endOfTurn != impl->data.eosId)
    ids.push_back(*impl->endOfTurn);
  return ids;
}

size_t Tokenizer::vocabSize() const { return impl->strings.size(); }
std::optional<int32_t> Tokenizer::bosId() const {
  if (impl->data.bosId < 0)
    return std::nullopt;
  return impl->data.bosId;
}
std::optional<int32_t> Tokenizer::eosId() const {
  if (impl->data.eosId < 0)
    return std::nullopt;
  return impl->data.eosId;
}
bool Tokenizer::addBos() const { return impl->data.addBos; }
bool Tokenizer::isSpecial(int32_t id) const {
  return id >= 0 && static_cast<size_t>(id) < impl->special.size() &&
         impl->special[id];
}
ChatFormat Tokenizer::chatFormat() const { return impl->data.chatFormat; }
PreTokenizerKind Tokenizer::preTokenizer() const {
  return impl->data.preTokenizer;
}
const TokenizerData &Tokenizer::data() const { return impl->data; }

std::vector<std::string_view>
Tokenizer::preTokenize(std::string_view text) const {
  return preTokenize(impl->data.preTokenizer, text);
}

std::vector<std::string_view>
Tokenizer::preTokenize(PreTokenizerKind kind, std::string_view text) {
  std::vector<Char> chars;
  std::vector<std::string_view> pieces;
  preTokenizeInto(kind, text, chars, pieces);
  return pieces;
}

//===----------------------------------------------------------------------===//
// Serialization
//===----------------------------------------------------------------------===//

namespace {
constexpr const char *kTokenizerKind = "bpe-byte-level";
} // namespace

Result<void> detail::checkTokenizerForFile(const TokenizerData &data) {
  for (size_t i = 0; i < data.merges.size(); ++i) {
    const auto &[left, right] = data.merges[i];
    if (left.find(' ') != std::string::npos ||
        right.find(' ') != std::string::npos)
      return ErrorMessage{"merges[" + std::to_string(i) + "] ('" + left +
                          "' '" + right +
                          "') has a space in a part; the .xfw file stores "
                          "merges as \"left right\""};
  }
  Result<Tokenizer> tokenizer = Tokenizer::fromData(data);
  if (!tokenizer)
    return ErrorMessage{tokenizer.error()};
  return {};
}

flatbuffers::Offset<xfw::Tokenizer>
detail::buildTokenizerTable(flatbuffers::FlatBufferBuilder &builder,
                            const TokenizerData &data) {
  auto kind = builder.CreateString(kTokenizerKind);
  auto vocab = builder.CreateVectorOfStrings(data.vocab);
  std::vector<flatbuffers::Offset<flatbuffers::String>> mergeStrings;
  mergeStrings.reserve(data.merges.size());
  std::string joined;
  for (const auto &[left, right] : data.merges) {
    joined.assign(left).append(" ").append(right);
    mergeStrings.push_back(builder.CreateString(joined));
  }
  auto merges = builder.CreateVector(mergeStrings);
  std::vector<flatbuffers::Offset<xfw::SpecialToken>> specials;
  if (data.bosId >= 0)
    specials.push_back(xfw::CreateSpecialToken(
        builder, builder.CreateString("bos"), uint32_t(data.bosId)));
  if (data.eosId >= 0)
    specials.push_back(xfw::CreateSpecialToken(
        builder, builder.CreateString("eos"), uint32_t(data.eosId)));
  auto specialVector = builder.CreateVector(specials);
  std::vector<flatbuffers::Offset<xfw::AddedToken>> added;
  for (const AddedToken &token : data.addedTokens)
    added.push_back(xfw::CreateAddedToken(
        builder, uint32_t(token.id), builder.CreateString(token.content),
        token.special, token.normalized));
  auto addedVector = builder.CreateVector(added);
  auto preTokenizer =
      builder.CreateString(preTokenizerName(data.preTokenizer));
  auto chatTemplate = builder.CreateString(data.chatTemplate);
  auto chatFormat = builder.CreateString(chatFormatName(data.chatFormat));
  auto systemPrompt = builder.CreateString(data.defaultSystemPrompt);
  return xfw::CreateTokenizer(builder, kind, vocab, merges, specialVector,
                              preTokenizer, addedVector, data.addPrefixSpace,
                              data.ignoreMerges, data.addBos, chatTemplate,
                              chatFormat, systemPrompt);
}

Result<TokenizerData> xf::readWeightsFileTokenizer(const WeightsFile &file) {
  const xfw::Tokenizer *table = file.header().tokenizer();
  auto fail = [&](const std::string &problem) {
    return ErrorMessage{file.path() + ": " + problem};
  };
  if (!table || !table->vocab())
    return fail("has no tokenizer (it was written without one; recompile "
                "the model with its tokenizer.json next to it)");
  std::string_view kind = table->kind() ? table->kind()->string_view() : "";
  if (kind != kTokenizerKind)
    return fail("tokenizer kind '" + std::string(kind) +
                "' is not supported (expected '" + kTokenizerKind + "')");
  TokenizerData data;
  data.vocab.reserve(table->vocab()->size());
  for (const flatbuffers::String *token : *table->vocab())
    data.vocab.emplace_back(token ? token->string_view() : "");
  if (const auto *merges = table->merges()) {
    data.merges.reserve(merges->size());
    for (size_t i = 0; i < merges->size(); ++i) {
      std::string_view merge = merges->Get(i)->string_view();
      size_t space = merge.find(' ');
      if (space == std::string_view::npos ||
          merge.find(' ', space + 1) != std::string_view::npos)
        return fail("tokenizer merge " + std::to_string(i) + " ('" +
                    std::string(merge) + "') is not \"left right\"");
      data.merges.emplace_back(merge.substr(0, space),
                               merge.substr(space + 1));
    }
  }
  if (const auto *specials = table->special_tokens())
    for (const xfw::SpecialToken *special : *specials) {
      std::string_view name = special->name()->string_view();
      if (name == "bos")
        data.bosId = static_cast<int32_t>(special->id());
      else if (name == "eos")
        data.eosId = static_cast<int32_t>(special->id());
    }
  if (const auto *added = table->added_tokens())
    for (const xfw::AddedToken *token : *added)
      data.addedTokens.push_back({static_cast<int32_t>(token->id()),
                                  token->content()->str(), token->special(),
                                  token->normalized()});
  std::string_view preTokenizer =
      table->pre_tokenizer() ? table->pre_tokenizer()->string_view() : "";
  std::optional<PreTokenizerKind> preKind = parsePreTokenizerName(preTokenizer);
  if (!preKind)
    return fail("tokenizer pre-tokenizer '" + std::string(preTokenizer) +
                "' is not one of gpt2, smollm, llama3");
  data.preTokenizer = *preKind;
  data.addPrefixSpace = table->add_prefix_space();
  data.ignoreMerges = table->ignore_merges();
  data.addBos = table->add_bos();
  if (table->chat_template())
    data.chatTemplate = table->chat_template()->str();
  std::string_view format =
      table->chat_format() ? table->chat_format()->string_view() : "none";
  std::optional<ChatFormat> chatFormat = parseChatFormatName(format);
  if (!chatFormat)
    return fail("tokenizer chat format '" + std::string(format) +
                "' is not one of none, chatml, llama3");
  data.chatFormat = *chatFormat;
  if (table->default_system_prompt())
    data.defaultSystemPrompt = table->default_system_prompt()->str();
  return data;
}

Result<Tokenizer> Tokenizer::fromWeightsFile(const WeightsFile &file) {
  Result<TokenizerData> data = readWeightsFileTokenizer(file);
  if (!data)
    return ErrorMessage{data.error()};
  Result<Tokenizer> tokenizer = fromData(std::move(*data));
  if (!tokenizer)
    return ErrorMessage{file.path() + ": tokenizer: " + tokenizer.error()};
  return tokenizer;
}
