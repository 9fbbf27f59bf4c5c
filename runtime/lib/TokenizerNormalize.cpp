//===- TokenizerNormalize.cpp - tokenizer normalizers ---------------------===//
//
// The normalizers of Hugging Face tokenizers that TokenizerData can hold:
// Replace (literal pattern), Prepend, NFC, NFD, NFKC, NFKD, Lowercase and
// Strip. The Unicode algorithms are those of UAX #15 (full decomposition,
// canonical ordering, canonical composition with blocking; Hangul
// syllables by arithmetic), on tables generated from Python's unicodedata
// (runtime/tools/gen_unicode_tables.py -> UnicodeNormalization.inc).
//
//===----------------------------------------------------------------------===//

#include "TokenizerInternal.h"
#include "Utf8.h"

#include <algorithm>
#include <cstdint>
#include <iterator>

using namespace xf;

namespace {

struct CombiningClassRange {
  uint32_t first;
  uint32_t last;
  uint8_t cls;
};

struct Decomposition {
  uint32_t cp;
  uint32_t start;
  uint8_t length;
  uint8_t compat;
};

struct Composition {
  uint32_t first;
  uint32_t second;
  uint32_t composite;
};

#include "UnicodeNormalization.inc"

/// A byte that is not part of valid UTF-8 travels as this bit plus the byte.
constexpr uint32_t kRawByte = 0x80000000u;

constexpr uint32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161,
                   kTBase = 0x11A7, kLCount = 19, kVCount = 21, kTCount = 28,
                   kNCount = kVCount * kTCount, kSCount = kLCount * kNCount;

std::vector<uint32_t> toCodePoints(std::string_view text) {
  std::vector<uint32_t> out;
  out.reserve(text.size());
  auto *p = reinterpret_cast<const unsigned char *>(text.data());
  auto *end = p + text.size();
  while (p < end) {
    unsigned char b = *p;
    size_t need = b < 0x80 ? 0 : b >= 0xC2 && b <= 0xDF ? 1
                              : b >= 0xE0 && b <= 0xEF   ? 2
                              : b >= 0xF0 && b <= 0xF4   ? 3
                                                         : 99;
    if (need == 0) {
      out.push_back(b);
      ++p;
      continue;
    }
    bool ok = need != 99 && static_cast<size_t>(end - p) > need;
    uint32_t cp = need == 1 ? b & 0x1F : need == 2 ? b & 0x0F : b & 0x07;
    for (size_t k = 1; ok && k <= need; ++k) {
      unsigned char c = p[k];
      unsigned char lo = 0x80, hi = 0xBF;
      if (k == 1 && b == 0xE0)
        lo = 0xA0;
      else if (k == 1 && b == 0xED)
        hi = 0x9F;
      else if (k == 1 && b == 0xF0)
        lo = 0x90;
      else if (k == 1 && b == 0xF4)
        hi = 0x8F;
      if (c < lo || c > hi)
        ok = false;
      else
        cp = cp << 6 | (c & 0x3F);
    }
    if (!ok) {
      out.push_back(kRawByte | b);
      ++p;
      continue;
    }
    out.push_back(cp);
    p += need + 1;
  }
  return out;
}

void appendCodePoint(std::string &out, uint32_t cp) {
  if (cp & kRawByte)
    out += static_cast<char>(cp & 0xFF);
  else
    detail::appendUtf8(out, cp);
}

std::string fromCodePoints(const std::vector<uint32_t> &cps) {
  std::string out;
  out.reserve(cps.size());
  for (uint32_t cp : cps)
    appendCodePoint(out, cp);
  return out;
}

uint8_t combiningClass(uint32_t cp) {
  if (cp < 0x300 || (cp & kRawByte))
    return 0;
  const auto *end = std::end(kCombiningClasses);
  const auto *it = std::lower_bound(
      std::begin(kCombiningClasses), end, cp,
      [](const CombiningClassRange &r, uint32_t c) { return r.last < c; });
  return it != end && it->first <= cp ? it->cls : 0;
}

void decompose(uint32_t cp, bool compat, std::vector<uint32_t> &out) {
  if (cp < 0xC0 && !(compat && cp >= 0xA0)) {
    out.push_back(cp);
    return;
  }
  if (cp >= kSBase && cp < kSBase + kSCount) {
    uint32_t s = cp - kSBase;
    out.push_back(kLBase + s / kNCount);
    out.push_back(kVBase + (s % kNCount) / kTCount);
    if (s % kTCount)
      out.push_back(kTBase + s % kTCount);
    return;
  }
  const auto *end = std::end(kDecompositions);
  const auto *it = std::lower_bound(
      std::begin(kDecompositions), end, cp,
      [](const Decomposition &d, uint32_t c) { return d.cp < c; });
  const Decomposition *use = nullptr;
  for (; it != end && it->cp == cp; ++it)
    if (!it->compat || compat)
      use = it; // The compat entry follows the canonical one.
  if (!use) {
    out.push_back(cp);
    return;
  }
  out.insert(out.end(), kDecompositionData + use->start,
             kDecompositionData + use->start + use->length);
}

/// Full decomposition and canonical ordering (a stable sort of each run of
/// non-starters by combining class).
std::vector<uint32_t> decomposeAll(const std::vector<uint32_t> &cps,
                                   bool compat) {
  std::vector<uint32_t> out;
  out.reserve(cps.size() + cps.size() / 4);
  for (uint32_t cp : cps)
    decompose(cp, compat, out);
  for (size_t i = 0; i < out.size();) {
    if (combiningClass(out[i]) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < out.size() && combiningClass(out[j]) != 0)
      ++j;
    // Insertion sort: stable, and the runs are short.
    for (size_t k = i + 1; k < j; ++k) {
      uint32_t cp = out[k];
      uint8_t cls = combiningClass(cp);
      size_t m = k;
      while (m > i && combiningClass(out[m - 1]) > cls) {
        out[m] = out[m - 1];
        --m;
      }
      out[m] = cp;
    }
    i = j;
  }
  return out;
}

uint32_t composePair(uint32_t a, uint32_t b) {
  if (a >= kLBase && a < kLBase + kLCount && b >= kVBase &&
      b < kVBase + kVCount)
    return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
  if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 &&
      b > kTBase && b < kTBase + kTCount)
    return a + (b - kTBase);
  const auto *end = std::end(kCompositions);
  const auto *it = std::lower_bound(
      std::begin(kCompositions), end, std::make_pair(a, b),
      [](const Composition &c, const std::pair<uint32_t, uint32_t> &key) {
        return c.first != key.first ? c.first < key.first
                                    : c.second < key.second;
      });
  if (it != end && it->first == a && it->second == b)
    return it->composite;
  return 0;
}

/// Canonical composition of a decomposed, ordered sequence.
std::vector<uint32_t> composeAll(const std::vector<uint32_t> &cps) {
  std::vector<uint32_t> out;
  out.reserve(cps.size());
  long starter = -1;
  uint8_t lastClass = 0;
  for (uint32_t cp : cps) {
    uint8_t cls = combiningClass(cp);
    if (starter >= 0 && !(cp & kRawByte)) {
      bool adjacent = static_cast<long>(out.size()) - 1 == starter;
      bool blocked = !adjacent && lastClass >= cls;
      if (!blocked) {
        if (uint32_t composite = composePair(out[starter], cp)) {
          out[starter] = composite;
          continue;
        }
      }
    }
    if (cls == 0)
      starter = (cp & kRawByte) ? -1 : static_cast<long>(out.size());
    out.push_back(cp);
    lastClass = cls;
  }
  return out;
}

void lowercase(const std::vector<uint32_t> &cps, std::vector<uint32_t> &out) {
  out.clear();
  for (uint32_t cp : cps) {
    if (cp < 0x80 || (cp & kRawByte)) {
      out.push_back(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
      continue;
    }
    const auto *end = std::end(kLowercase);
    const auto *it = std::lower_bound(
        std::begin(kLowercase), end, cp,
        [](const Decomposition &d, uint32_t c) { return d.cp < c; });
    if (it != end && it->cp == cp)
      out.insert(out.end(), kLowercaseData + it->start,
                 kLowercaseData + it->start + it->length);
    else
      out.push_back(cp);
  }
}

std::string replaceAll(std::string_view text, std::string_view pattern,
                       std::string_view content, bool *keepsStart) {
  std::string out;
  out.reserve(text.size());
  size_t at = 0;
  while (true) {
    size_t found = text.find(pattern, at);
    if (found == std::string_view::npos)
      break;
    if (found == 0 && content.empty() && keepsStart)
      *keepsStart = false;
    out.append(text.substr(at, found - at)).append(content);
    at = found + pattern.size();
  }
  out.append(text.substr(at));
  return out;
}

} // namespace

std::string detail::normalizeText(const std::vector<NormalizerStep> &steps,
                                  std::string_view text, bool *keepsStart) {
  std::string current(text);
  std::vector<uint32_t> scratch;
  for (const NormalizerStep &step : steps) {
    using Kind = NormalizerStep::Kind;
    switch (step.kind) {
    case Kind::Replace:
      if (!step.pattern.empty())
        current = replaceAll(current, step.pattern, step.content, keepsStart);
      break;
    case Kind::Prepend:
      if (!current.empty())
        current.insert(0, step.content);
      break;
    case Kind::NFD:
    case Kind::NFKD:
    case Kind::NFC:
    case Kind::NFKC: {
      bool compat = step.kind == Kind::NFKD || step.kind == Kind::NFKC;
      bool compose = step.kind == Kind::NFC || step.kind == Kind::NFKC;
      bool ascii = std::all_of(current.begin(), current.end(), [](char c) {
        return static_cast<unsigned char>(c) < 0x80;
      });
      if (ascii)
        break;
      std::vector<uint32_t> cps = decomposeAll(toCodePoints(current), compat);
      current = fromCodePoints(compose ? composeAll(cps) : cps);
      break;
    }
    case Kind::Lowercase:
      lowercase(toCodePoints(current), scratch);
      current = fromCodePoints(scratch);
      break;
    case Kind::Strip: {
      std::vector<uint32_t> cps = toCodePoints(current);
      size_t begin = 0, end = cps.size();
      if (step.left)
        while (begin < end && detail::isWhiteSpace(cps[begin]))
          ++begin;
      if (step.right)
        while (end > begin && detail::isWhiteSpace(cps[end - 1]))
          --end;
      if (begin > 0 && keepsStart)
        *keepsStart = false;
      current = fromCodePoints(
          std::vector<uint32_t>(cps.begin() + begin, cps.begin() + end));
      break;
    }
    }
  }
  return current;
}
