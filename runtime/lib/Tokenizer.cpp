//===- Tokenizer.cpp - Hugging Face tokenizers pipeline -------------------===//
//
// The algorithms follow Hugging Face `tokenizers` 0.23 (the reference the
// parity test, test/tokenizer/check_hf_parity.py, compares against):
//
// - AddedVocabulary: added tokens are split out by leftmost-longest exact
//   match, first those with normalized=false in the original text, then
//   (after the normalizer) the others, by their normalized content.
// - Normalizers: runtime/lib/TokenizerNormalize.cpp.
// - Byte-level pre-tokenizers: the regular expressions of Tokenizer.h, run
//   by hand-written matchers. Every alternative is tried in order at the
//   current position (Oniguruma's leftmost-first semantics); since the
//   alternatives together match any character, a match always starts where
//   the previous one ended.
// - Split (String pattern) and Metaspace: NormalizedString::split with the
//   SplitDelimiterBehavior; Metaspace's "first" prepend only for the piece
//   at offset 0 of the original text.
// - BPE: the word's characters (bytes mapped to the byte alphabet for
//   byte-level BPE) are symbols, unknown ones replaced by byte tokens or
//   the unk token as BPE::merge_word does; a min-heap of (merge rank,
//   position) merges the best pair first, the leftmost among equals
//   (tokenizers' Word::merge_all).
// - Unigram: Unigram::encode_optimized (Viterbi over a byte trie of the
//   vocab) and Unigram::tokenize (fused unknown runs, byte fallback).
// - Decoders: each step as its decode_chain, run as a pipeline of stages
//   that pass on only what later tokens cannot change (DecodePipeline), so
//   that decode() and StreamDecoder agree.
//
//===----------------------------------------------------------------------===

#include "xf/Tokenizer.h"
#include "xf/ChatTemplate.h"

#include "TokenizerInternal.h"
#include "Utf8.h"
#include "TokenizerSerialization.h"
#include "xf/WeightsFile.h"
#include "xf/xfw_generated.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <mutex>
#include <queue>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

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

using detail::appendUtf8;

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
  case PreTokenizerKind::None:
    pieces.push_back(text);
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

/// Byte ranges [first, second) of a text in which special tokens are not
/// matched (Tokenizer::encode's plainRanges).
using TextRanges = std::vector<std::pair<size_t, size_t>>;

bool overlapsAny(const TextRanges *ranges, size_t begin, size_t end) {
  if (ranges)
    for (const auto &[first, second] : *ranges)
      if (first < end && begin < second)
        return true;
  return false;
}

/// `plain` (offsets into `text`), when given, are where no special token may
/// match.
void splitAddedTokens(const AddedTokenTrie &trie, std::string_view text,
                      bool parseSpecial, std::vector<Segment> &out,
                      const TextRanges *plain = nullptr) {
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
    if (length && parseSpecial && overlapsAny(plain, i, i + length))
      std::tie(length, token) = trie.longestAt(text, i, /*parseSpecial=*/false);
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


//===----------------------------------------------------------------------===//
// Pre-tokenizer steps (PreTokenizerKind::None)
//===----------------------------------------------------------------------===//

/// A piece of text on its way through the pre-tokenizer steps. `atStart`:
/// it begins at offset 0 of the original text (Metaspace's "first").
struct Piece {
  std::string text;
  bool atStart;
};

/// The occurrences of `pattern` in `text` and the text between them, in
/// order, as (begin, end, is an occurrence): tokenizers' find_matches.
void findLiteral(std::string_view text, std::string_view pattern,
                 std::vector<std::tuple<size_t, size_t, bool>> &out) {
  out.clear();
  size_t at = 0;
  while (!pattern.empty()) {
    size_t found = text.find(pattern, at);
    if (found == std::string_view::npos)
      break;
    if (found > at)
      out.emplace_back(at, found, false);
    out.emplace_back(found, found + pattern.size(), true);
    at = found + pattern.size();
  }
  if (at < text.size())
    out.emplace_back(at, text.size(), false);
}

/// NormalizedString::split: the pieces of `piece` around the occurrences of
/// `pattern`, kept as `behavior` says.
void splitPiece(const Piece &piece, std::string_view pattern,
                PreTokenizerStep::Behavior behavior, bool invert,
                std::vector<Piece> &out) {
  using Behavior = PreTokenizerStep::Behavior;
  thread_local std::vector<std::tuple<size_t, size_t, bool>> matches;
  findLiteral(piece.text, pattern, matches);
  if (invert)
    for (auto &match : matches)
      std::get<2>(match) = !std::get<2>(match);
  // (begin, end, remove)
  std::vector<std::tuple<size_t, size_t, bool>> splits;
  bool previous = false;
  switch (behavior) {
  case Behavior::Isolated:
    for (auto [b, e, m] : matches)
      splits.emplace_back(b, e, false);
    break;
  case Behavior::Removed:
    splits = matches;
    break;
  case Behavior::Contiguous:
    for (auto [b, e, m] : matches) {
      if (m == previous && !splits.empty())
        std::get<1>(splits.back()) = e;
      else
        splits.emplace_back(b, e, false);
      previous = m;
    }
    break;
  case Behavior::MergedWithPrevious:
    for (auto [b, e, m] : matches) {
      if (m && !previous && !splits.empty())
        std::get<1>(splits.back()) = e;
      else
        splits.emplace_back(b, e, false);
      previous = m;
    }
    break;
  case Behavior::MergedWithNext:
    for (auto it = matches.rbegin(); it != matches.rend(); ++it) {
      auto [b, e, m] = *it;
      if (m && !previous && !splits.empty())
        std::get<0>(splits.back()) = b;
      else
        splits.emplace_back(b, e, false);
      previous = m;
    }
    std::reverse(splits.begin(), splits.end());
    break;
  }
  for (auto [b, e, remove] : splits)
    if (!remove && e > b)
      out.push_back({piece.text.substr(b, e - b), piece.atStart && b == 0});
}

void runPreTokenizerSteps(const std::vector<PreTokenizerStep> &steps,
                          std::vector<Piece> &pieces) {
  std::vector<Piece> next;
  for (const PreTokenizerStep &step : steps) {
    next.clear();
    for (Piece &piece : pieces) {
      if (step.kind == PreTokenizerStep::Kind::Split) {
        splitPiece(piece, step.pattern, step.behavior, step.invert, next);
        continue;
      }
      // Metaspace
      std::string text;
      text.reserve(piece.text.size() + 8);
      for (char c : piece.text) {
        if (c == ' ')
          text += step.pattern;
        else
          text += c;
      }
      bool startsWith = text.compare(0, step.pattern.size(), step.pattern) == 0;
      if (!startsWith &&
          (step.prependScheme == PrependScheme::Always ||
           (step.prependScheme == PrependScheme::First && piece.atStart)))
        text.insert(0, step.pattern);
      Piece replaced{std::move(text), piece.atStart};
      if (step.split)
        splitPiece(replaced, step.pattern,
                   PreTokenizerStep::Behavior::MergedWithNext, false, next);
      else if (!replaced.text.empty())
        next.push_back(std::move(replaced));
    }
    pieces.swap(next);
  }
}

//===----------------------------------------------------------------------===//
// Unigram: a byte trie of the vocab
//===----------------------------------------------------------------------===//

/// The vocab entries as a trie over their bytes, for the common-prefix
/// walks of Viterbi. Nodes are numbered breadth first; a node's children
/// are contiguous, sorted by byte. The root's children are also indexed by
/// byte.
class PieceTrie {
public:
  /// Builds the trie of `pieces` (empty ones are left out); a node's value
  /// is the id of its string, the largest id when strings repeat (as
  /// tokenizers' map from token to id keeps the last).
  void build(const std::vector<std::string> &pieces) {
    std::vector<int32_t> order;
    order.reserve(pieces.size());
    for (size_t i = 0; i < pieces.size(); ++i)
      if (!pieces[i].empty())
        order.push_back(static_cast<int32_t>(i));
    std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
      int c = pieces[a].compare(pieces[b]);
      return c != 0 ? c < 0 : a < b;
    });
    struct Range {
      uint32_t lo, hi, depth;
    };
    std::vector<Range> queue{{0, static_cast<uint32_t>(order.size()), 0}};
    childBegin.clear();
    labels.clear();
    targets.clear();
    values.clear();
    for (size_t node = 0; node < queue.size(); ++node) {
      Range r = queue[node];
      int32_t value = -1;
      uint32_t lo = r.lo;
      while (lo < r.hi && pieces[order[lo]].size() == r.depth)
        value = std::max(value, order[lo++]);
      values.push_back(value);
      childBegin.push_back(static_cast<uint32_t>(labels.size()));
      while (lo < r.hi) {
        unsigned char byte =
            static_cast<unsigned char>(pieces[order[lo]][r.depth]);
        uint32_t hi = lo;
        while (hi < r.hi &&
               static_cast<unsigned char>(pieces[order[hi]][r.depth]) == byte)
          ++hi;
        labels.push_back(byte);
        targets.push_back(static_cast<uint32_t>(queue.size()));
        queue.push_back({lo, hi, r.depth + 1});
        lo = hi;
      }
    }
    childBegin.push_back(static_cast<uint32_t>(labels.size()));
    rootChild.fill(0);
    for (uint32_t e = childBegin[0]; e < childBegin[1]; ++e)
      rootChild[labels[e]] = targets[e];
  }

  /// Calls visit(length, id) for each vocab entry that `text` starts with,
  /// shortest first.
  template <typename Visit>
  void prefixes(std::string_view text, Visit visit) const {
    if (text.empty())
      return;
    uint32_t node = rootChild[static_cast<unsigned char>(text[0])];
    for (size_t k = 1; node; ++k) {
      if (values[node] >= 0)
        visit(k, values[node]);
      if (k == text.size())
        break;
      unsigned char byte = static_cast<unsigned char>(text[k]);
      uint32_t lo = childBegin[node], hi = childBegin[node + 1];
      const uint8_t *first = labels.data() + lo, *last = labels.data() + hi;
      const uint8_t *it = hi - lo <= 8 ? std::find(first, last, byte)
                                       : std::lower_bound(first, last, byte);
      if (it == last || *it != byte)
        break;
      node = targets[lo + (it - first)];
    }
  }

private:
  std::vector<uint32_t> childBegin;
  std::vector<uint8_t> labels;
  std::vector<uint32_t> targets;
  std::vector<int32_t> values;
  std::array<uint32_t, 256> rootChild{};
};

//===----------------------------------------------------------------------===//
// Decoders
//===----------------------------------------------------------------------===//

/// ByteFallback's test: a token of 6 bytes "<0x..>" whose two middle bytes
/// Rust's u8::from_str_radix(_, 16) reads (it also takes "+F").
int byteFallbackValue(std::string_view token) {
  if (token.size() != 6 || token.compare(0, 3, "<0x") != 0 ||
      token[5] != '>')
    return -1;
  auto hex = [](char c) {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    return -1;
  };
  if (token[3] == '+')
    return hex(token[4]);
  int high = hex(token[3]), low = hex(token[4]);
  if (high < 0 || low < 0)
    return -1;
  return high * 16 + low;
}

bool isValidUtf8(std::string_view bytes) {
  auto *p = reinterpret_cast<const unsigned char *>(bytes.data());
  auto *end = p + bytes.size();
  while (p < end) {
    uint32_t cp;
    size_t length = decodeUtf8(p, end, cp);
    if (!length)
      return false;
    p += length;
  }
  return true;
}

/// ByteLevel decoding of one token string: its bytes if every character is
/// in the alphabet, else nothing.
std::optional<std::string> byteLevelBytes(std::string_view token) {
  std::string out;
  auto *p = reinterpret_cast<const unsigned char *>(token.data());
  auto *end = p + token.size();
  while (p < end) {
    uint32_t cp;
    size_t length = decodeUtf8(p, end, cp);
    int byte = length ? byteOfCodePoint(cp) : -1;
    if (byte < 0)
      return std::nullopt;
    out += static_cast<char>(byte);
    p += length;
  }
  return out;
}

std::string replaceLiteral(std::string_view text, std::string_view pattern,
                           std::string_view content) {
  if (pattern.empty() || text.find(pattern) == std::string_view::npos)
    return std::string(text);
  std::string out;
  size_t at = 0;
  for (size_t found; (found = text.find(pattern, at)) != std::string_view::npos;
       at = found + pattern.size())
    out.append(text.substr(at, found - at)).append(content);
  out.append(text.substr(at));
  return out;
}

/// The characters of a UTF-8 string as (offset, length).
std::vector<std::pair<size_t, size_t>> utf8Chars(std::string_view text) {
  std::vector<std::pair<size_t, size_t>> out;
  auto *begin = reinterpret_cast<const unsigned char *>(text.data());
  auto *end = begin + text.size();
  for (auto *p = begin; p < end;) {
    uint32_t cp;
    size_t length = decodeUtf8(p, end, cp);
    if (!length)
      length = 1;
    out.emplace_back(p - begin, length);
    p += length;
  }
  return out;
}

/// Strip of one token: up to `start` leading and `stop` trailing `content`
/// characters.
std::string stripToken(std::string_view token, std::string_view content,
                       uint32_t start, uint32_t stop) {
  auto chars = utf8Chars(token);
  auto is = [&](size_t i) {
    return token.substr(chars[i].first, chars[i].second) == content;
  };
  size_t begin = 0;
  while (begin < chars.size() && begin < start && is(begin))
    ++begin;
  size_t end = chars.size();
  while (end > begin && chars.size() - end < stop && is(end - 1))
    --end;
  if (begin == end)
    return {};
  size_t from = chars[begin].first;
  size_t to = end < chars.size() ? chars[end].first : token.size();
  return std::string(token.substr(from, to - from));
}

/// The decoder steps as a pipeline of stages that take the token strings
/// one at a time and pass on what can no longer change, so that decode()
/// and StreamDecoder give the same text. A stage after Fuse or ByteLevel
/// sees pieces of one joined token ("joined"); the steps that would need
/// to look across those pieces (a Replace of more than one character, a
/// ByteFallback) are refused there by Tokenizer::fromData.
class DecodePipeline {
public:
  /// `exact`: decode() of a whole list (a ByteLevel after Fuse decides at
  /// the end whether all of the text is in the byte alphabet).
  DecodePipeline(const std::vector<DecoderStep> &steps, bool exact)
      : exact(exact) {
    bool joined = false;
    for (const DecoderStep &step : steps) {
      stages.emplace_back(&step, joined);
      if (step.kind == DecoderStep::Kind::Fuse ||
          step.kind == DecoderStep::Kind::ByteLevel)
        joined = true;
    }
  }

  void push(std::string_view token, std::string &out) {
    if (stages.empty()) {
      // No decoder: tokens joined with spaces.
      if (!first)
        out += ' ';
      first = false;
      out.append(token);
      return;
    }
    feed(0, std::string(token), out);
  }

  void finish(std::string &out) {
    for (size_t i = 0; i < stages.size(); ++i)
      flush(i, out);
    for (Stage &stage : stages)
      stage = Stage(stage.step, stage.joined);
    first = true;
  }

private:
  struct Stage {
    Stage(const DecoderStep *step, bool joined) : step(step), joined(joined) {}
    const DecoderStep *step;
    bool joined;
    size_t index = 0;
    /// ByteFallback: bytes of the pending <0xXX> run. ByteLevel: bytes not
    /// yet passed on (an incomplete character; with exact after Fuse, all).
    std::string bytes;
    /// ByteLevel after Fuse (exact): the raw text, and whether a piece was
    /// not all in the alphabet.
    std::string raw;
    bool notBytes = false;
    /// Strip after Fuse: leading characters stripped so far, whether the
    /// start is past, the trailing run of `content` held back.
    uint32_t stripped = 0;
    bool pastStart = false;
    std::string held;
    uint32_t heldCount = 0;
  };

  void feed(size_t i, std::string item, std::string &out) {
    if (i == stages.size()) {
      out += item;
      return;
    }
    Stage &s = stages[i];
    const DecoderStep &step = *s.step;
    using Kind = DecoderStep::Kind;
    switch (step.kind) {
    case Kind::ByteFallback: {
      int byte = byteFallbackValue(item);
      if (byte >= 0) {
        s.bytes += static_cast<char>(byte);
        return;
      }
      flushBytes(i, out);
      feed(i + 1, std::move(item), out);
      return;
    }
    case Kind::Fuse:
      feed(i + 1, std::move(item), out);
      return;
    case Kind::Replace:
      feed(i + 1, replaceLiteral(item, step.pattern, step.content), out);
      return;
    case Kind::Metaspace: {
      bool firstToken = s.joined || s.index == 0;
      ++s.index;
      bool drop = firstToken && step.prependScheme != PrependScheme::Never;
      std::string text;
      text.reserve(item.size());
      for (size_t at = 0; at < item.size();) {
        if (item.compare(at, step.pattern.size(), step.pattern) == 0) {
          if (!drop)
            text += ' ';
          at += step.pattern.size();
        } else {
          text += item[at++];
        }
      }
      feed(i + 1, std::move(text), out);
      return;
    }
    case Kind::Strip: {
      if (!s.joined) {
        feed(i + 1, stripToken(item, step.content, step.start, step.stop),
             out);
        return;
      }
      std::string text;
      for (auto [at, length] : utf8Chars(item)) {
        std::string_view c(item.data() + at, length);
        bool isContent = c == step.content;
        if (!s.pastStart) {
          if (isContent && s.stripped < step.start) {
            ++s.stripped;
            continue;
          }
          s.pastStart = true;
        }
        if (step.stop == 0) {
          text += c;
        } else if (isContent) {
          s.held += c;
          ++s.heldCount;
        } else {
          text += s.held;
          s.held.clear();
          s.heldCount = 0;
          text += c;
        }
      }
      if (!text.empty())
        feed(i + 1, std::move(text), out);
      return;
    }
    case Kind::ByteLevel: {
      if (s.joined && exact) {
        std::optional<std::string> bytes = byteLevelBytes(item);
        if (!bytes)
          s.notBytes = true;
        else
          s.bytes += *bytes;
        s.raw += item;
        return;
      }
      std::optional<std::string> bytes = byteLevelBytes(item);
      s.bytes += bytes ? *bytes : item;
      size_t complete = 0;
      std::string text = makeValidUtf8(s.bytes, &complete);
      s.bytes.erase(0, complete);
      if (!text.empty())
        feed(i + 1, std::move(text), out);
      return;
    }
    }
  }

  void flushBytes(size_t i, std::string &out) {
    Stage &s = stages[i];
    if (s.bytes.empty())
      return;
    std::string bytes;
    bytes.swap(s.bytes);
    if (isValidUtf8(bytes)) {
      feed(i + 1, std::move(bytes), out);
      return;
    }
    for (size_t k = 0; k < bytes.size(); ++k)
      feed(i + 1, "\xEF\xBF\xBD", out);
  }

  void flush(size_t i, std::string &out) {
    Stage &s = stages[i];
    using Kind = DecoderStep::Kind;
    switch (s.step->kind) {
    case Kind::ByteFallback:
      flushBytes(i, out);
      return;
    case Kind::Strip: {
      if (!s.joined)
        return;
      // The trailing run: `stop` of its characters come off.
      auto chars = utf8Chars(s.held);
      size_t keep = chars.size() > s.step->stop ? chars.size() - s.step->stop
                                                : 0;
      std::string text =
          keep ? s.held.substr(0, keep < chars.size() ? chars[keep].first
                                                      : s.held.size())
               : std::string();
      s.held.clear();
      s.heldCount = 0;
      if (!text.empty())
        feed(i + 1, std::move(text), out);
      return;
    }
    case Kind::ByteLevel: {
      std::string text;
      if (s.joined && exact)
        text = makeValidUtf8(s.notBytes ? s.raw : s.bytes);
      else
        text = makeValidUtf8(s.bytes);
      s.bytes.clear();
      s.raw.clear();
      if (!text.empty())
        feed(i + 1, std::move(text), out);
      return;
    }
    default:
      return;
    }
  }

  std::vector<Stage> stages;
  bool exact;
  bool first = true;
};

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
  case PreTokenizerKind::None:
    return "none";
  }
  return "?";
}

std::optional<PreTokenizerKind>
xf::parsePreTokenizerName(std::string_view name) {
  for (PreTokenizerKind kind :
       {PreTokenizerKind::GPT2, PreTokenizerKind::SmolLM,
        PreTokenizerKind::Llama3, PreTokenizerKind::None})
    if (name == preTokenizerName(kind))
      return kind;
  return std::nullopt;
}

const char *xf::modelKindName(ModelKind kind) {
  switch (kind) {
  case ModelKind::BPE:
    return "bpe";
  case ModelKind::Unigram:
    return "unigram";
  }
  return "?";
}

std::optional<ModelKind> xf::parseModelKindName(std::string_view name) {
  for (ModelKind kind : {ModelKind::BPE, ModelKind::Unigram})
    if (name == modelKindName(kind))
      return kind;
  return std::nullopt;
}

bool detail::isWhiteSpace(uint32_t cp) {
  return classify(cp) == CharClass::Space;
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

  Result<void> indexVocab(bool unigram, size_t size);
  Result<void> indexAddedTokens(size_t size);
  Result<void> indexMerges();
  /// Per id: the token string (vocab entry or added token content), the
  /// string the decoder steps get (the normalized content for a normalized
  /// added token), whether decode's skipSpecial leaves it out.
  std::vector<std::string_view> strings;
  std::vector<std::string> decoderInput;
  std::vector<uint8_t> special;
  std::unordered_map<std::string_view, int32_t> idOfString;
  /// The model's vocab alone (what BPE and Unigram look pieces up in).
  std::unordered_map<std::string_view, int32_t> modelIds;
  /// Byte-level BPE: vocab entries by their bytes (ignore_merges), the id
  /// of each byte's alphabet character.
  std::unordered_map<std::string, int32_t> idOfBytes;
  std::array<int32_t, 256> idOfByte;
  /// The ids of the <0xXX> tokens, -1 for those not in the vocab.
  std::array<int32_t, 256> byteTokenId;
  std::unordered_map<uint64_t, MergeValue> merges;
  AddedTokenTrie rawAdded, normalizedAdded;
  /// The normalized contents of the normalized added tokens.
  std::vector<std::string> normalizedContents;
  PieceTrie pieceTrie;
  double unkScore = 0;
  bool byteLevel = true;
  std::optional<int32_t> endOfTurn;
  /// tokenizer_config.json's chat template, parsed; or why it cannot be.
  std::optional<ChatTemplate> chatTemplate;
  std::string chatTemplateError;

  static constexpr size_t kCacheCapacity = 1 << 16;
  static constexpr size_t kMaxCachedWord = 256;
  mutable std::mutex cacheMutex;
  mutable std::unordered_map<std::string, std::vector<int32_t>> cache;

  void encodeWord(std::string_view word, std::vector<int32_t> &out) const;
  void encodeBPE(std::string_view word, std::vector<int32_t> &out) const;
  void encodeUnigram(std::string_view piece, std::vector<int32_t> &out) const;
  void encodeSegment(std::string_view text, bool atStart,
                     std::vector<int32_t> &out) const;
  /// The model's ids for a run the vocab does not have: its <0xXX> byte
  /// tokens with byte fallback when the vocab has them all (true), else
  /// nothing (false).
  bool byteFallbackIds(std::string_view text, std::vector<int32_t> &out) const;
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

bool Tokenizer::Impl::byteFallbackIds(std::string_view text,
                                      std::vector<int32_t> &out) const {
  if (!data.byteFallback)
    return false;
  for (unsigned char b : text)
    if (byteTokenId[b] < 0)
      return false;
  for (unsigned char b : text)
    out.push_back(byteTokenId[b]);
  return true;
}

void Tokenizer::Impl::encodeWord(std::string_view word,
                                 std::vector<int32_t> &out) const {
  if (word.empty())
    return;
  if (data.model == ModelKind::Unigram) {
    encodeUnigram(word, out);
    return;
  }
  if (data.ignoreMerges) {
    if (byteLevel) {
      auto it = idOfBytes.find(std::string(word));
      if (it != idOfBytes.end()) {
        out.push_back(it->second);
        return;
      }
    } else {
      auto it = modelIds.find(word);
      if (it != modelIds.end()) {
        out.push_back(it->second);
        return;
      }
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
  size_t first = out.size();
  encodeBPE(word, out);
  if (word.size() <= kMaxCachedWord) {
    std::lock_guard<std::mutex> lock(cacheMutex);
    if (cache.size() >= kCacheCapacity)
      cache.clear();
    cache.emplace(std::string(word),
                  std::vector<int32_t>(out.begin() + first, out.end()));
  }
}

void Tokenizer::Impl::encodeBPE(std::string_view word,
                                std::vector<int32_t> &out) const {
  // Symbols: the word's characters (bytes, for byte-level BPE, as their
  // alphabet characters) that are in the vocab; the others become byte
  // tokens (byte_fallback), the unk token (fused or not) or nothing, in
  // tokenizers' order (BPE::merge_word: a pending unk is added when the
  // next known character comes, after any byte tokens before it).
  thread_local std::vector<Symbol> symbols;
  symbols.clear();
  auto add = [&](int32_t id) {
    int32_t index = static_cast<int32_t>(symbols.size());
    symbols.push_back({id, index - 1, index + 1, 1});
  };
  int32_t pendingUnk = -1;
  thread_local std::vector<int32_t> fallback;
  auto *begin = reinterpret_cast<const unsigned char *>(word.data());
  auto *end = begin + word.size();
  for (auto *p = begin; p < end;) {
    int32_t id = -1;
    std::string_view character;
    std::string alphabetChar;
    if (byteLevel) {
      id = idOfByte[*p];
      if (id < 0) {
        appendUtf8(alphabetChar, kBytes.toCodePoint[*p]);
        character = alphabetChar;
      }
      ++p;
    } else {
      uint32_t cp;
      size_t length = *p < 0x80 ? 1 : decodeUtf8(p, end, cp);
      if (!length)
        length = 1;
      character = std::string_view(reinterpret_cast<const char *>(p), length);
      auto it = modelIds.find(character);
      if (it != modelIds.end())
        id = it->second;
      p += length;
    }
    if (id >= 0) {
      if (pendingUnk >= 0) {
        add(data.unkId);
        pendingUnk = -1;
      }
      add(id);
      continue;
    }
    fallback.clear();
    if (byteFallbackIds(character, fallback)) {
      for (int32_t byteId : fallback)
        add(byteId);
      continue;
    }
    if (data.unkId < 0)
      continue;
    if (pendingUnk >= 0 && !data.fuseUnk)
      add(data.unkId);
    pendingUnk = data.unkId;
  }
  if (pendingUnk >= 0)
    add(data.unkId);
  if (symbols.empty())
    return;
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

  for (const Symbol &symbol : symbols)
    if (symbol.length)
      out.push_back(symbol.id);
}

void Tokenizer::Impl::encodeUnigram(std::string_view piece,
                                    std::vector<int32_t> &out) const {
  // tokenizers' Unigram::encode_optimized (SentencePiece's Viterbi): for
  // each character boundary, every vocab entry starting there extends the
  // best path ending there; a character no single-character entry covers
  // gets the unk token scored min(score) - 10. Ties keep the first
  // candidate (the shortest entry).
  struct Node {
    double score;
    int32_t start;
    int32_t id;
  };
  size_t n = piece.size();
  thread_local std::vector<Node> best;
  best.assign(n + 1, Node{0.0, -1, 0});
  auto *bytes = reinterpret_cast<const unsigned char *>(piece.data());
  for (size_t at = 0; at < n;) {
    double here = best[at].score;
    uint32_t cp;
    size_t charLength =
        bytes[at] < 0x80 ? 1 : decodeUtf8(bytes + at, bytes + n, cp);
    if (!charLength)
      charLength = 1;
    bool single = false;
    pieceTrie.prefixes(piece.substr(at), [&](size_t length, int32_t id) {
      Node &target = best[at + length];
      double candidate = data.scores[id] + here;
      if (target.start < 0 || candidate > target.score)
        target = {candidate, static_cast<int32_t>(at), id};
      if (length == charLength)
        single = true;
    });
    if (!single) {
      Node &target = best[at + charLength];
      double candidate = unkScore + here;
      if (target.start < 0 || candidate > target.score)
        target = {candidate, static_cast<int32_t>(at), data.unkId};
    }
    at += charLength;
  }
  // Back from the end; runs of unk nodes are fused into one string, which
  // is looked up again (as Unigram::tokenize does), then byte fallback,
  // then the unk token.
  thread_local std::vector<std::pair<size_t, size_t>> spans; // [from, to)
  thread_local std::vector<int32_t> ids;                     // -1: fused unk
  spans.clear();
  ids.clear();
  for (size_t end = n; end > 0;) {
    const Node &node = best[end];
    size_t start = static_cast<size_t>(node.start);
    if (node.id == data.unkId && !ids.empty() && ids.back() == -1) {
      spans.back().first = start;
    } else {
      spans.emplace_back(start, end);
      ids.push_back(node.id == data.unkId ? -1 : node.id);
    }
    end = start;
  }
  for (size_t k = spans.size(); k-- > 0;) {
    if (ids[k] >= 0) {
      out.push_back(ids[k]);
      continue;
    }
    std::string_view text =
        piece.substr(spans[k].first, spans[k].second - spans[k].first);
    auto it = modelIds.find(text);
    if (it != modelIds.end()) {
      out.push_back(it->second);
      continue;
    }
    if (byteFallbackIds(text, out))
      continue;
    out.push_back(data.unkId);
  }
}

void Tokenizer::Impl::encodeSegment(std::string_view text, bool atStart,
                                    std::vector<int32_t> &out) const {
  if (text.empty())
    return;
  if (byteLevel) {
    std::string prefixed;
    if (data.addPrefixSpace && text[0] != ' ') {
      prefixed = " " + std::string(text);
      text = prefixed;
    }
    thread_local std::vector<Char> chars;
    std::vector<std::string_view> pieces;
    preTokenizeInto(data.preTokenizer, text, chars, pieces);
    for (std::string_view piece : pieces)
      encodeWord(piece, out);
    return;
  }
  if (data.preTokenizers.empty()) {
    encodeWord(text, out);
    return;
  }
  std::vector<Piece> pieces{{std::string(text), atStart}};
  runPreTokenizerSteps(data.preTokenizers, pieces);
  for (const Piece &piece : pieces)
    encodeWord(piece.text, out);
}

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer &&) noexcept = default;
Tokenizer &Tokenizer::operator=(Tokenizer &&) noexcept = default;
Tokenizer::~Tokenizer() = default;

namespace {

/// Steps that Tokenizer::fromData cannot run, said in a message.
std::optional<std::string> checkSteps(const TokenizerData &d) {
  auto oneChar = [](std::string_view s) {
    if (s.empty())
      return false;
    uint32_t cp;
    auto *p = reinterpret_cast<const unsigned char *>(s.data());
    return decodeUtf8(p, p + s.size(), cp) == s.size();
  };
  for (size_t i = 0; i < d.normalizers.size(); ++i) {
    const NormalizerStep &step = d.normalizers[i];
    if (step.kind == NormalizerStep::Kind::Replace && step.pattern.empty())
      return "normalizers[" + std::to_string(i) +
             "]: Replace with an empty pattern";
  }
  if (d.preTokenizer != PreTokenizerKind::None && !d.preTokenizers.empty())
    return std::string("pre-tokenizer steps are only for pre-tokenizer "
                       "'none' (not with a byte-level one)");
  for (size_t i = 0; i < d.preTokenizers.size(); ++i) {
    const PreTokenizerStep &step = d.preTokenizers[i];
    if (step.kind == PreTokenizerStep::Kind::Split && step.pattern.empty())
      return "pre_tokenizers[" + std::to_string(i) +
             "]: Split with an empty pattern";
    if (step.kind == PreTokenizerStep::Kind::Metaspace && !oneChar(step.pattern))
      return "pre_tokenizers[" + std::to_string(i) +
             "]: Metaspace's replacement must be one character";
  }
  bool joined = false;
  for (size_t i = 0; i < d.decoders.size(); ++i) {
    const DecoderStep &step = d.decoders[i];
    std::string at = "decoders[" + std::to_string(i) + "]: ";
    using Kind = DecoderStep::Kind;
    switch (step.kind) {
    case Kind::Replace:
      if (step.pattern.empty())
        return at + "Replace with an empty pattern";
      if (joined && !oneChar(step.pattern))
        return at + "Replace of more than one character after Fuse or "
                    "ByteLevel is not supported";
      break;
    case Kind::ByteFallback:
      if (joined)
        return at + "ByteFallback after Fuse or ByteLevel is not supported";
      break;
    case Kind::Strip:
      if (!oneChar(step.content))
        return at + "Strip's content must be one character";
      break;
    case Kind::Metaspace:
      if (!oneChar(step.pattern))
        return at + "Metaspace's replacement must be one character";
      break;
    case Kind::Fuse:
    case Kind::ByteLevel:
      break;
    }
    if (step.kind == Kind::Fuse || step.kind == Kind::ByteLevel)
      joined = true;
  }
  return std::nullopt;
}

} // namespace

/// Indexes the model's vocab: ids by string (and by bytes for byte-level
/// BPE), the single-byte and <0xXX> tokens.
Result<void> Tokenizer::Impl::indexVocab(bool unigram, size_t size) {
  const TokenizerData &d = data;
  idOfString.reserve(size);
  modelIds.reserve(d.vocab.size());
  if (byteLevel)
    idOfBytes.reserve(d.vocab.size());
  for (size_t id = 0; id < d.vocab.size(); ++id) {
    const std::string &token = d.vocab[id];
    if (token.empty())
      continue;
    auto [it, inserted] =
        modelIds.emplace(token, static_cast<int32_t>(id));
    if (!inserted) {
      // A Unigram vocab is a list (the last of equal entries counts, as in
      // tokenizers); a BPE vocab is a map.
      if (!unigram)
        return ErrorMessage{"vocab entry '" + token + "' has two ids, " +
                            std::to_string(it->second) + " and " +
                            std::to_string(id)};
      it->second = static_cast<int32_t>(id);
    }
    idOfString[token] = static_cast<int32_t>(id);
    strings[id] = token;
    decoderInput[id] = token;
    if (byteLevel)
      idOfBytes.emplace(tokenStringToBytes(token),
                              static_cast<int32_t>(id));
  }
  idOfByte.fill(-1);
  if (byteLevel)
    for (int b = 0; b < 256; ++b) {
      std::string single;
      appendUtf8(single, kBytes.toCodePoint[b]);
      auto it = modelIds.find(single);
      if (it != modelIds.end())
        idOfByte[b] = it->second;
    }
  byteTokenId.fill(-1);
  for (int b = 0; b < 256; ++b) {
    static const char *kHex = "0123456789ABCDEF";
    std::string name = std::string("<0x") + kHex[b >> 4] + kHex[b & 15] + ">";
    auto it = modelIds.find(name);
    if (it != modelIds.end())
      byteTokenId[b] = it->second;
  }
  return {};
}

/// Indexes the added tokens (matched raw or by their normalized content)
/// and marks the special ones for decode's skipSpecial.
Result<void> Tokenizer::Impl::indexAddedTokens(size_t size) {
  const TokenizerData &d = data;
  std::unordered_set<std::string_view> specialContents;
  normalizedContents.reserve(d.addedTokens.size());
  for (const AddedToken &token : d.addedTokens) {
    size_t id = static_cast<size_t>(token.id);
    if (!strings[id].empty() && strings[id] != token.content &&
        id < d.vocab.size() && !d.vocab[id].empty())
      return ErrorMessage{"added token '" + token.content + "' has id " +
                          std::to_string(id) + ", which the vocab gives to '" +
                          d.vocab[id] + "'"};
    strings[id] = token.content;
    idOfString[strings[id]] = token.id;
    if (token.special)
      specialContents.insert(token.content);
    if (!token.normalized || d.normalizers.empty()) {
      decoderInput[id] = token.content;
      (token.normalized ? normalizedAdded : rawAdded)
          .insert(token.content, token.id, token.special);
      continue;
    }
    // Matched, and decoded, by its normalized content.
    std::string normalized = detail::normalizeText(d.normalizers,
                                                   token.content);
    decoderInput[id] = normalized;
    if (!normalized.empty())
      normalizedAdded.insert(normalized, token.id, token.special);
  }
  // decode's skip_special_tokens leaves out every token whose string is a
  // special token's content.
  if (!specialContents.empty())
    for (size_t id = 0; id < size; ++id)
      special[id] = specialContents.count(decoderInput[id]);

  return {};
}

/// Indexes the BPE merges by pair, with their rank and result.
Result<void> Tokenizer::Impl::indexMerges() {
  const TokenizerData &d = data;
  merges.reserve(d.merges.size());
  std::string joined;
  for (size_t rank = 0; rank < d.merges.size(); ++rank) {
    const std::string &left = d.merges[rank].first;
    const std::string &right = d.merges[rank].second;
    auto describe = [&] {
      return "merges[" + std::to_string(rank) + "] ('" + left + "' '" +
             right + "')";
    };
    auto l = modelIds.find(left);
    auto r = modelIds.find(right);
    joined = left + right;
    auto m = modelIds.find(joined);
    if (l == modelIds.end() || r == modelIds.end())
      return ErrorMessage{describe() + " names a token not in the vocab"};
    if (m == modelIds.end())
      return ErrorMessage{describe() + ": '" + joined +
                          "' is not in the vocab"};
    // The first of repeated merges counts (tokenizers keeps the last
    // insertion's rank, but a repeated merge is an error there too).
    merges.emplace(pairKey(l->second, r->second),
                         MergeValue{static_cast<int32_t>(rank), m->second});
  }

  return {};
}

Result<Tokenizer> Tokenizer::fromData(TokenizerData data) {
  auto impl = std::make_unique<Impl>();
  impl->data = std::move(data);
  const TokenizerData &d = impl->data;
  impl->byteLevel = d.preTokenizer != PreTokenizerKind::None;
  bool unigram = d.model == ModelKind::Unigram;

  if (std::optional<std::string> problem = checkSteps(d))
    return ErrorMessage{*problem};
  if (unigram) {
    if (d.scores.size() != d.vocab.size())
      return ErrorMessage{"unigram: " + std::to_string(d.scores.size()) +
                          " scores for " + std::to_string(d.vocab.size()) +
                          " vocab entries"};
    if (!d.merges.empty())
      return ErrorMessage{"unigram: has merges"};
    if (impl->byteLevel)
      return ErrorMessage{"unigram: a byte-level pre-tokenizer is not "
                          "supported"};
    if (d.unkId < 0 || static_cast<size_t>(d.unkId) >= d.vocab.size())
      return ErrorMessage{"unigram: unk id " + std::to_string(d.unkId) +
                          " is not a vocab entry (an unk token is needed)"};
  } else if (!d.scores.empty()) {
    return ErrorMessage{"bpe: has scores"};
  }

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
  impl->decoderInput.assign(size, {});
  impl->special.assign(size, 0);

  if (Result<void> indexed = impl->indexVocab(unigram, size); !indexed)
    return ErrorMessage{indexed.error()};
  if (d.unkId >= 0 && (static_cast<size_t>(d.unkId) >= d.vocab.size() ||
                       d.vocab[d.unkId].empty()))
    return ErrorMessage{"unk id " + std::to_string(d.unkId) +
                        " is not a vocab entry"};

  if (Result<void> indexed = impl->indexAddedTokens(size); !indexed)
    return ErrorMessage{indexed.error()};
  if (Result<void> indexed = impl->indexMerges(); !indexed)
    return ErrorMessage{indexed.error()};

  if (unigram) {
    impl->pieceTrie.build(d.vocab);
    double minScore = std::numeric_limits<double>::infinity();
    for (double score : d.scores)
      minScore = std::min(minScore, score);
    impl->unkScore = minScore - 10.0;
  }

  for (auto [id, name] : {std::pair(d.bosId, "bos"), std::pair(d.eosId, "eos")})
    if (id < -1 || id >= static_cast<int64_t>(size) ||
        (id >= 0 && impl->strings[id].empty()))
      return ErrorMessage{std::string(name) + " id " + std::to_string(id) +
                          " is not a token"};

  if (!d.chatTemplate.empty()) {
    Result<ChatTemplate> parsed = ChatTemplate::parse(d.chatTemplate);
    if (parsed)
      impl->chatTemplate.emplace(std::move(*parsed));
    else
      impl->chatTemplateError = parsed.error();
  }
  Tokenizer tokenizer(std::move(impl));
  tokenizer.impl->endOfTurn = tokenizer.findEndOfTurn();
  return tokenizer;
}

std::vector<int32_t> Tokenizer::encode(std::string_view text,
                                       bool parseSpecial) const {
  return encodeText(text, parseSpecial, nullptr);
}

std::vector<int32_t>
Tokenizer::encode(std::string_view text,
                  const std::vector<std::pair<size_t, size_t>> &plainRanges)
    const {
  return encodeText(text, /*parseSpecial=*/true, &plainRanges);
}

std::vector<int32_t>
Tokenizer::encodeText(std::string_view text, bool parseSpecial,
                      const TextRanges *plainRanges) const {
  const TokenizerData &d = impl->data;
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 1);
  // AddedVocabulary::extract_and_normalize: the non-normalized added tokens
  // in the original text, then each other segment normalized and the
  // normalized added tokens split out of it.
  std::vector<Segment> raw, segments;
  splitAddedTokens(impl->rawAdded, text, parseSpecial, raw, plainRanges);
  std::string normalized;
  for (const Segment &segment : raw) {
    if (segment.token >= 0) {
      out.push_back(segment.token);
      continue;
    }
    bool atStart = segment.text.data() == text.data();
    std::string_view view = segment.text;
    if (!d.normalizers.empty()) {
      bool keepsStart = true;
      normalized = detail::normalizeText(d.normalizers, segment.text,
                                         &keepsStart);
      atStart = atStart && keepsStart;
      view = normalized;
    }
    // Offsets in normalized text no longer line up with the ranges: a
    // piece that touches one gets no special tokens at all.
    size_t offset = static_cast<size_t>(segment.text.data() - text.data());
    bool specialHere =
        parseSpecial &&
        !overlapsAny(plainRanges, offset, offset + segment.text.size());
    segments.clear();
    splitAddedTokens(impl->normalizedAdded, view, specialHere, segments);
    for (const Segment &part : segments) {
      if (part.token >= 0)
        out.push_back(part.token);
      else
        impl->encodeSegment(part.text, atStart && part.text.data() ==
                                                      view.data(),
                            out);
    }
  }
  return out;
}

std::string Tokenizer::decode(const int32_t *ids, size_t count,
                              bool skipSpecial) const {
  DecodePipeline pipeline(impl->data.decoders, /*exact=*/true);
  std::string out;
  for (size_t i = 0; i < count; ++i) {
    int32_t id = ids[i];
    if (id < 0 || static_cast<size_t>(id) >= impl->strings.size() ||
        impl->strings[id].empty())
      continue;
    if (skipSpecial && impl->special[id])
      continue;
    pipeline.push(impl->decoderInput[id], out);
  }
  pipeline.finish(out);
  return out;
}

std::string Tokenizer::decodeToken(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= impl->strings.size() ||
      impl->strings[id].empty())
    return {};
  std::string text = impl->decoderInput[id];
  bool joined = false;
  for (const DecoderStep &step : impl->data.decoders) {
    using Kind = DecoderStep::Kind;
    switch (step.kind) {
    case Kind::ByteFallback:
      if (int byte = byteFallbackValue(text); byte >= 0)
        return std::string(1, static_cast<char>(byte));
      break;
    case Kind::Replace:
      text = replaceLiteral(text, step.pattern, step.content);
      break;
    case Kind::Strip:
      if (!joined)
        text = stripToken(text, step.content, step.start, step.stop);
      break;
    case Kind::Metaspace:
      text = replaceLiteral(
          text, step.pattern,
          joined && step.prependScheme != PrependScheme::Never ? "" : " ");
      break;
    case Kind::ByteLevel:
      if (std::optional<std::string> bytes = byteLevelBytes(text))
        text = *bytes;
      joined = true;
      break;
    case Kind::Fuse:
      joined = true;
      break;
    }
  }
  return text;
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

struct Tokenizer::StreamDecoder::State {
  DecodePipeline pipeline;
};

Tokenizer::StreamDecoder::StreamDecoder(const Tokenizer &tokenizer,
                                        bool skipSpecial)
    : tokenizer(&tokenizer), skipSpecial(skipSpecial),
      state(std::make_unique<State>(State{
          DecodePipeline(tokenizer.impl->data.decoders, /*exact=*/false)})) {}
Tokenizer::StreamDecoder::StreamDecoder(StreamDecoder &&) noexcept = default;
Tokenizer::StreamDecoder &
Tokenizer::StreamDecoder::operator=(StreamDecoder &&) noexcept = default;
Tokenizer::StreamDecoder::~StreamDecoder() = default;

std::string Tokenizer::StreamDecoder::push(int32_t id) {
  const Impl &impl = *tokenizer->impl;
  if (id < 0 || static_cast<size_t>(id) >= impl.strings.size() ||
      impl.strings[id].empty())
    return {};
  if (skipSpecial && impl.special[id])
    return {};
  std::string out;
  state->pipeline.push(impl.decoderInput[id], out);
  return out;
}

std::string Tokenizer::StreamDecoder::finish() {
  std::string out;
  state->pipeline.finish(out);
  return out;
}


Result<std::string>
Tokenizer::renderChat(const std::vector<ChatMessage> &messages,
                      bool addGenerationPrompt) const {
  const TokenizerData &d = impl->data;
  if (!impl->chatTemplate) {
    if (d.chatTemplate.empty())
      return ErrorMessage{"the tokenizer has no chat template "
                          "(tokenizer_config.json had no chat_template)"};
    return ErrorMessage{"the tokenizer's chat template cannot be rendered "
                        "by this runtime: " +
                        impl->chatTemplateError +
                        "; pass the prompt as text or ids"};
  }
  std::map<std::string, std::string> variables;
  if (d.bosId >= 0)
    variables["bos_token"] = std::string(tokenString(d.bosId));
  if (d.eosId >= 0)
    variables["eos_token"] = std::string(tokenString(d.eosId));
  Result<std::string> text =
      impl->chatTemplate->render(messages, addGenerationPrompt, variables);
  if (!text)
    return ErrorMessage{"the chat template: " + text.error()};
  return text;
}

Result<std::vector<int32_t>>
Tokenizer::encodeChat(const std::vector<ChatMessage> &messages,
                      bool addGenerationPrompt) const {
  Result<std::string> rendered = renderChat(messages, addGenerationPrompt);
  if (!rendered)
    return ErrorMessage{rendered.error()};
  // Where the template puts each content: render again with a marker in
  // its place (markers are ASCII that no template trims or escapes), then
  // splice the contents back in and check that this gives the same text.
  const std::string open = "<<xf-content-", close = ">>";
  std::vector<ChatMessage> marked = messages;
  for (size_t i = 0; i < marked.size(); ++i)
    marked[i].content = open + std::to_string(i) + close;
  Result<std::string> skeleton = renderChat(marked, addGenerationPrompt);
  auto trim = [](std::string_view s) {
    size_t begin = s.find_first_not_of(" \t\n\r");
    if (begin == std::string_view::npos)
      return std::string_view();
    return s.substr(begin, s.find_last_not_of(" \t\n\r") + 1 - begin);
  };
  for (bool trimmed : {false, true}) {
    if (!skeleton)
      break;
    std::string text;
    TextRanges plain;
    size_t at = 0;
    for (;;) {
      size_t found = skeleton->find(open, at);
      size_t digits = found + open.size();
      size_t end = found == std::string::npos
                       ? std::string::npos
                       : skeleton->find_first_not_of("0123456789", digits);
      if (end == std::string::npos || end == digits || end - digits > 9 ||
          skeleton->compare(end, close.size(), close) != 0) {
        text.append(*skeleton, at);
        break;
      }
      size_t index = std::stoul(skeleton->substr(digits, end - digits));
      if (index >= messages.size())
        break;
      text.append(*skeleton, at, found - at);
      std::string_view content = messages[index].content;
      if (trimmed)
        content = trim(content);
      plain.emplace_back(text.size(), text.size() + content.size());
      text += content;
      at = end + close.size();
    }
    if (text == *rendered)
      return encode(text, plain);
  }
  return ErrorMessage{"the chat template changes the messages' text, so "
                      "their special-token spellings cannot be kept apart "
                      "from the template's own"};
}

std::optional<int32_t> Tokenizer::findEndOfTurn() const {
  // The special token that closes an assistant turn: render one and take
  // the first special token after its text (<|im_end|>, <|eot_id|>,
  // <end_of_turn>, </s>, ...). Models stop there as at end of sequence.
  const std::string reply = "xf-assistant-reply";
  Result<std::string> text =
      renderChat({{"user", "xf-user-turn"}, {"assistant", reply}},
                 /*addGenerationPrompt=*/false);
  if (!text)
    return std::nullopt;
  size_t after = text->find(reply);
  if (after == std::string::npos)
    return std::nullopt;
  after += reply.size();
  std::optional<int32_t> found;
  size_t best = std::string::npos;
  for (const AddedToken &token : impl->data.addedTokens) {
    if (!token.special)
      continue;
    size_t at = text->find(token.content, after);
    if (at < best || (at == best && found &&
                      token.content.size() > tokenString(*found).size())) {
      best = at;
      found = token.id;
    }
  }
  return found;
}

Result<std::string>
Tokenizer::applyChatTemplate(std::string_view user,
                             std::optional<std::string_view> system) const {
  std::vector<ChatMessage> messages;
  if (system)
    messages.push_back({"system", std::string(*system)});
  messages.push_back({"user", std::string(user)});
  return renderChat(messages, /*addGenerationPrompt=*/true);
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
ModelKind Tokenizer::model() const { return impl->data.model; }
const TokenizerData &Tokenizer::data() const { return impl->data; }

std::vector<std::string_view>
Tokenizer::preTokenize(std::string_view text) const {
  if (impl->data.preTokenizer != PreTokenizerKind::None)
    return preTokenize(impl->data.preTokenizer, text);
  thread_local std::vector<Piece> pieces;
  pieces.assign(1, Piece{std::string(text), true});
  if (text.empty())
    pieces.clear();
  runPreTokenizerSteps(impl->data.preTokenizers, pieces);
  std::vector<std::string_view> out;
  for (const Piece &piece : pieces)
    out.push_back(piece.text);
  return out;
}

std::string Tokenizer::normalize(std::string_view text) const {
  return detail::normalizeText(impl->data.normalizers, text);
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

/// Byte-level BPE as before the other kinds, which readers of every
/// version read; "bpe" and "unigram" use the step fields.
constexpr const char *kByteLevelKind = "bpe-byte-level";

bool isPlainByteLevel(const TokenizerData &data) {
  return data.model == ModelKind::BPE &&
         data.preTokenizer != PreTokenizerKind::None &&
         data.normalizers.empty() && data.preTokenizers.empty() &&
         data.decoders.size() == 1 &&
         data.decoders[0].kind == DecoderStep::Kind::ByteLevel &&
         data.unkId < 0 && !data.byteFallback && !data.fuseUnk;
}

const char *behaviorName(PreTokenizerStep::Behavior behavior) {
  using B = PreTokenizerStep::Behavior;
  switch (behavior) {
  case B::Removed:
    return "removed";
  case B::Isolated:
    return "isolated";
  case B::MergedWithPrevious:
    return "merged_with_previous";
  case B::MergedWithNext:
    return "merged_with_next";
  case B::Contiguous:
    return "contiguous";
  }
  return "?";
}

const char *prependSchemeName(PrependScheme scheme) {
  switch (scheme) {
  case PrependScheme::Always:
    return "always";
  case PrependScheme::First:
    return "first";
  case PrependScheme::Never:
    return "never";
  }
  return "?";
}

const char *normalizerTypeName(NormalizerStep::Kind kind) {
  using K = NormalizerStep::Kind;
  switch (kind) {
  case K::Replace:
    return "Replace";
  case K::Prepend:
    return "Prepend";
  case K::NFC:
    return "NFC";
  case K::NFD:
    return "NFD";
  case K::NFKC:
    return "NFKC";
  case K::NFKD:
    return "NFKD";
  case K::Lowercase:
    return "Lowercase";
  case K::Strip:
    return "Strip";
  }
  return "?";
}

const char *decoderTypeName(DecoderStep::Kind kind) {
  using K = DecoderStep::Kind;
  switch (kind) {
  case K::ByteLevel:
    return "ByteLevel";
  case K::Replace:
    return "Replace";
  case K::ByteFallback:
    return "ByteFallback";
  case K::Fuse:
    return "Fuse";
  case K::Strip:
    return "Strip";
  case K::Metaspace:
    return "Metaspace";
  }
  return "?";
}

template <typename Kind>
std::optional<Kind> parseByName(std::string_view name,
                                 std::initializer_list<Kind> kinds,
                                 const char *(*nameOf)(Kind)) {
  for (Kind kind : kinds)
    if (name == nameOf(kind))
      return kind;
  return std::nullopt;
}

} // namespace

Result<void> detail::checkTokenizerForFile(const TokenizerData &data) {
  if (isPlainByteLevel(data))
    for (size_t i = 0; i < data.merges.size(); ++i) {
      const auto &[left, right] = data.merges[i];
      if (left.find(' ') != std::string::npos ||
          right.find(' ') != std::string::npos)
        return ErrorMessage{"merges[" + std::to_string(i) + "] ('" + left +
                            "' '" + right +
                            "') has a space in a part; the .xfw file stores "
                            "byte-level merges as \"left right\""};
    }
  Result<Tokenizer> tokenizer = Tokenizer::fromData(data);
  if (!tokenizer)
    return ErrorMessage{tokenizer.error()};
  return {};
}

flatbuffers::Offset<xfw::Tokenizer>
detail::buildTokenizerTable(flatbuffers::FlatBufferBuilder &builder,
                            const TokenizerData &data) {
  bool plain = isPlainByteLevel(data);
  auto kind = builder.CreateString(plain ? kByteLevelKind
                                         : modelKindName(data.model));
  auto vocab = builder.CreateVectorOfStrings(data.vocab);
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>>
      merges;
  flatbuffers::Offset<flatbuffers::Vector<uint32_t>> mergeIds;
  if (plain) {
    std::vector<flatbuffers::Offset<flatbuffers::String>> mergeStrings;
    mergeStrings.reserve(data.merges.size());
    std::string joined;
    for (const auto &[left, right] : data.merges) {
      joined.assign(left).append(" ").append(right);
      mergeStrings.push_back(builder.CreateString(joined));
    }
    merges = builder.CreateVector(mergeStrings);
  } else if (!data.merges.empty()) {
    // Kind "bpe": merges as pairs of vocab ids (parts may hold spaces).
    std::unordered_map<std::string_view, uint32_t> ids;
    for (size_t id = 0; id < data.vocab.size(); ++id)
      if (!data.vocab[id].empty())
        ids.emplace(data.vocab[id], static_cast<uint32_t>(id));
    std::vector<uint32_t> pairs;
    pairs.reserve(2 * data.merges.size());
    for (const auto &[left, right] : data.merges) {
      pairs.push_back(ids.at(left));
      pairs.push_back(ids.at(right));
    }
    mergeIds = builder.CreateVector(pairs);
  }
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

  flatbuffers::Offset<flatbuffers::Vector<double>> scores;
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<xfw::TokenizerStep>>>
      normalizers, preTokenizers, decoders;
  if (!plain) {
    if (!data.scores.empty())
      scores = builder.CreateVector(data.scores);
    auto step = [&](const char *type, const std::string &pattern,
                    const std::string &content, const char *behavior,
                    const char *scheme, uint32_t start, uint32_t stop,
                    bool left, bool right, bool invert, bool split) {
      return xfw::CreateTokenizerStep(
          builder, builder.CreateString(type),
          pattern.empty() ? 0 : builder.CreateString(pattern),
          content.empty() ? 0 : builder.CreateString(content),
          behavior ? builder.CreateString(behavior) : 0,
          scheme ? builder.CreateString(scheme) : 0, start, stop, left, right,
          invert, split);
    };
    std::vector<flatbuffers::Offset<xfw::TokenizerStep>> steps;
    for (const NormalizerStep &s : data.normalizers)
      steps.push_back(step(normalizerTypeName(s.kind), s.pattern, s.content,
                           nullptr, nullptr, 0, 0, s.left, s.right, false,
                           true));
    normalizers = builder.CreateVector(steps);
    steps.clear();
    for (const PreTokenizerStep &s : data.preTokenizers)
      steps.push_back(
          s.kind == PreTokenizerStep::Kind::Split
              ? step("Split", s.pattern, "", behaviorName(s.behavior),
                     nullptr, 0, 0, false, false, s.invert, true)
              : step("Metaspace", s.pattern, "", nullptr,
                     prependSchemeName(s.prependScheme), 0, 0, false, false,
                     false, s.split));
    preTokenizers = builder.CreateVector(steps);
    steps.clear();
    for (const DecoderStep &s : data.decoders)
      steps.push_back(step(decoderTypeName(s.kind), s.pattern, s.content,
                           nullptr, prependSchemeName(s.prependScheme),
                           s.start, s.stop, false, false, false, true));
    decoders = builder.CreateVector(steps);
  }

  xfw::TokenizerBuilder table(builder);
  table.add_kind(kind);
  table.add_vocab(vocab);
  if (plain)
    table.add_merges(merges);
  if (!mergeIds.IsNull())
    table.add_merge_ids(mergeIds);
  table.add_special_tokens(specialVector);
  table.add_pre_tokenizer(preTokenizer);
  table.add_added_tokens(addedVector);
  table.add_add_prefix_space(data.addPrefixSpace);
  table.add_ignore_merges(data.ignoreMerges);
  table.add_add_bos(data.addBos);
  table.add_chat_template(chatTemplate);
  table.add_chat_format(chatFormat);
  table.add_default_system_prompt(systemPrompt);
  if (!plain) {
    if (!scores.IsNull())
      table.add_scores(scores);
    table.add_unk_id(data.unkId);
    table.add_fuse_unk(data.fuseUnk);
    table.add_byte_fallback(data.byteFallback);
    table.add_normalizers(normalizers);
    table.add_pre_tokenizers(preTokenizers);
    table.add_decoders(decoders);
  }
  return table.Finish();
}

/// The normalizer, pre-tokenizer and decoder steps of a tokenizer table;
/// the problem, if one is malformed.
static std::optional<std::string>
readTokenizerSteps(const xfw::Tokenizer &table, TokenizerData &data) {
  auto text = [](const flatbuffers::String *s) {
    return s ? s->str() : std::string();
  };
  auto view = [](const flatbuffers::String *s) {
    return s ? s->string_view() : std::string_view();
  };
  auto bad = [](const std::string &list, size_t i,
                const std::string &problem) {
    return std::optional<std::string>("tokenizer " + list + "[" +
                                      std::to_string(i) + "]: " + problem);
  };
  if (const auto *steps = table.normalizers())
    for (size_t i = 0; i < steps->size(); ++i) {
      const xfw::TokenizerStep *s = steps->Get(i);
      using K = NormalizerStep::Kind;
      std::optional<K> k = parseByName(
          view(s->type()),
          {K::Replace, K::Prepend, K::NFC, K::NFD, K::NFKC, K::NFKD,
           K::Lowercase, K::Strip},
          normalizerTypeName);
      if (!k)
        return bad("normalizers", i,
                   "unknown type '" + text(s->type()) + "'");
      NormalizerStep step;
      step.kind = *k;
      step.pattern = text(s->pattern());
      step.content = text(s->content());
      step.left = s->left();
      step.right = s->right();
      data.normalizers.push_back(std::move(step));
    }
  if (const auto *steps = table.pre_tokenizers())
    for (size_t i = 0; i < steps->size(); ++i) {
      const xfw::TokenizerStep *s = steps->Get(i);
      PreTokenizerStep step;
      std::string_view type = view(s->type());
      step.pattern = text(s->pattern());
      if (type == "Split") {
        step.kind = PreTokenizerStep::Kind::Split;
        using B = PreTokenizerStep::Behavior;
        std::optional<B> behavior = parseByName(
            view(s->behavior()),
            {B::Removed, B::Isolated, B::MergedWithPrevious,
             B::MergedWithNext, B::Contiguous},
            behaviorName);
        if (!behavior)
          return bad("pre_tokenizers", i,
                     "unknown behavior '" + text(s->behavior()) + "'");
        step.behavior = *behavior;
        step.invert = s->invert();
      } else if (type == "Metaspace") {
        step.kind = PreTokenizerStep::Kind::Metaspace;
        std::optional<PrependScheme> scheme = parseByName(
            view(s->prepend_scheme()),
            {PrependScheme::Always, PrependScheme::First,
             PrependScheme::Never},
            prependSchemeName);
        if (!scheme)
          return bad("pre_tokenizers", i,
                     "unknown prepend scheme '" + text(s->prepend_scheme()) +
                         "'");
        step.prependScheme = *scheme;
        step.split = s->split();
      } else {
        return bad("pre_tokenizers", i,
                   "unknown type '" + std::string(type) + "'");
      }
      data.preTokenizers.push_back(std::move(step));
    }
  data.decoders.clear();
  if (const auto *steps = table.decoders())
    for (size_t i = 0; i < steps->size(); ++i) {
      const xfw::TokenizerStep *s = steps->Get(i);
      using K = DecoderStep::Kind;
      std::optional<K> k = parseByName(
          view(s->type()),
          {K::ByteLevel, K::Replace, K::ByteFallback, K::Fuse, K::Strip,
           K::Metaspace},
          decoderTypeName);
      if (!k)
        return bad("decoders", i, "unknown type '" + text(s->type()) + "'");
      DecoderStep step;
      step.kind = *k;
      step.pattern = text(s->pattern());
      step.content = text(s->content());
      step.start = s->start();
      step.stop = s->stop();
      std::optional<PrependScheme> scheme = parseByName(
          s->prepend_scheme() ? view(s->prepend_scheme()) : "always",
          {PrependScheme::Always, PrependScheme::First, PrependScheme::Never},
          prependSchemeName);
      if (!scheme)
        return bad("decoders", i,
                   "unknown prepend scheme '" + text(s->prepend_scheme()) +
                       "'");
      step.prependScheme = *scheme;
      data.decoders.push_back(std::move(step));
    }
  return std::nullopt;
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
  std::optional<ModelKind> model = parseModelKindName(kind);
  bool plain = kind == kByteLevelKind;
  if (!plain && !model)
    return fail("tokenizer kind '" + std::string(kind) +
                "' is not supported (expected '" + kByteLevelKind +
                "', 'bpe' or 'unigram')");
  TokenizerData data;
  data.model = model.value_or(ModelKind::BPE);
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
  if (const auto *pairs = table->merge_ids()) {
    if (pairs->size() % 2)
      return fail("tokenizer merge_ids has an odd length");
    data.merges.reserve(pairs->size() / 2);
    for (size_t i = 0; i < pairs->size(); i += 2) {
      uint32_t left = pairs->Get(i), right = pairs->Get(i + 1);
      if (left >= data.vocab.size() || right >= data.vocab.size())
        return fail("tokenizer merge " + std::to_string(i / 2) +
                    " names an id outside the vocab");
      data.merges.emplace_back(data.vocab[left], data.vocab[right]);
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
  if (!preKind || (plain && *preKind == PreTokenizerKind::None))
    return fail("tokenizer pre-tokenizer '" + std::string(preTokenizer) +
                "' is not one of gpt2, smollm, llama3" +
                (plain ? "" : ", none"));
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
  if (plain)
    return data; // decoders: the default, ByteLevel

  if (const auto *scores = table->scores())
    data.scores.assign(scores->begin(), scores->end());
  data.unkId = table->unk_id();
  data.fuseUnk = table->fuse_unk();
  data.byteFallback = table->byte_fallback();
  if (std::optional<std::string> problem = readTokenizerSteps(*table, data))
    return fail(*problem);
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
