//===- Utf8.h - UTF-8 encoding shared by the runtime's text code -*- C++ -*-===//
//
// Internal to libxfrt. (Decoding is not shared: the tokenizer and the chat
// template interpreter each decode with the strictness the library they
// reproduce has.)
//
//===----------------------------------------------------------------------===//

#ifndef XF_RUNTIME_LIB_UTF8_H
#define XF_RUNTIME_LIB_UTF8_H

#include <cstdint>
#include <string>

namespace xf::detail {

/// Appends code point `cp` (at most U+10FFFF) to `out` as UTF-8.
inline void appendUtf8(std::string &out, uint32_t cp) {
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

} // namespace xf::detail

#endif // XF_RUNTIME_LIB_UTF8_H
