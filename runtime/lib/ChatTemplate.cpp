//===- ChatTemplate.cpp - Jinja subset for Hugging Face chat templates ----===//
//
// The reference is what transformers' apply_chat_template runs: jinja2 3.1's
// ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
// extensions=[loopcontrols, AssistantTracker]) with the globals
// raise_exception and strftime_now and the filter tojson = json.dumps(
// ensure_ascii=False, ...). test/tokenizer/check_chat_templates.py renders
// real models' templates both ways and requires identical bytes.
//
// Supported:
// - Lexing as jinja2's lexer does it: newlines normalized and one trailing
//   newline dropped; `{%- -%}`, `{{- -}}`, `{#- -#}`, `{%+` and `+%}`;
//   trim_blocks (the newline after a block or comment tag) and
//   lstrip_blocks (the whitespace before a block or comment tag that starts
//   a line); {% raw %}; string escapes as Python's unicode-escape.
// - Statements: for (tuple targets, `if` filter, else, loop.index/index0/
//   revindex/revindex0/first/last/length/previtem/nextitem/cycle/depth),
//   break/continue, if/elif/else, set (names, tuples, namespace
//   attributes, block set with filters), macro (positional and keyword
//   arguments, defaults), call blocks with caller(), filter blocks, with,
//   print, and transformers' generation block. Scoping follows jinja2: a
//   loop iteration, macro, with, call, filter or set block is a scope of
//   its own; `if` is not; macros see their defining scope at call time.
// - Expressions with jinja2's precedence and Python's semantics: literals
//   (lists, tuples, dicts), arithmetic (+ - * / // % **), ~, comparisons,
//   in / not in, and/or/not, conditional expressions, attribute and item
//   access with jinja2's sandboxed fallbacks (a missing key is undefined;
//   anything taken from an undefined value is an error), slicing, calls.
// - Values: undefined (jinja2's default Undefined), none, bool, int (64-bit;
//   overflow is an error), float (printed as Python's repr), str (UTF-8,
//   indexed by code point), list, tuple, dict (insertion-ordered), range,
//   dict views, namespace, generators (select/map/items/reverse return
//   single-use iterators, as in jinja2), markup (|safe, which escapes what
//   `+` adds to it).
// - Filters: abs capitalize count d default first float indent int items
//   join last length list lower map reject rejectattr replace reverse safe
//   select selectattr string title tojson trim upper. Tests: all of
//   jinja2's. String methods: strip lstrip rstrip split
//   rsplit splitlines startswith endswith upper lower title capitalize
//   replace find rfind count join removeprefix removesuffix isspace and the
//   ASCII is*() tests; dict: items keys values get copy; list: count index
//   copy. Globals: range namespace dict raise_exception strftime_now.
//
// Refused (an error, never a different rendering): any other filter, test,
// tag or method; include/import/extends/blocks; recursive loops; *args and
// **kwargs; `%` on strings; case mapping of non-ASCII cased letters (the
// tables in ChatTemplateTables.inc say which code points Python would
// change); printing functions, generators and other objects whose Python
// text is an address. Such a construct fails parse() where it can be seen
// in the template text (an unknown filter too, even in a branch jinja2
// would not run), render() otherwise.
//
// Limits, since templates come from model files: values nest at most 500
// deep, blocks and expressions 200, macro calls 64; a render runs at most
// 10 million loop iterations and macro calls and makes at most 256 MiB of
// text; integers are 64-bit. Past a limit the render fails.
//
// Errors do not unwind by exception (the runtime has none): the first
// error is kept by the lexer, parser or interpreter, every caller checks
// failed() after a call that can fail, and parse()/render() return it.
//
//===----------------------------------------------------------------------===//

#include "xf/ChatTemplate.h"
#include "Utf8.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>

using namespace xf;

namespace {

//===----------------------------------------------------------------------===//
// UTF-8 and Python's character classes
//===----------------------------------------------------------------------===//

struct CodePointRange {
  uint32_t first;
  uint32_t last;
};

#include "ChatTemplateTables.inc"

template <size_t N>
bool inRanges(const CodePointRange (&table)[N], uint32_t cp) {
  const CodePointRange *it = std::upper_bound(
      table, table + N, cp,
      [](uint32_t c, const CodePointRange &r) { return c < r.first; });
  return it != table && cp <= (it - 1)->last;
}

/// str.isspace(), which is also what `\s` matches in jinja2's lexer.
bool isPySpace(uint32_t cp) {
  if (cp < 0x80)
    return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20);
  return cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
         cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/// The line boundaries of str.splitlines().
bool isPyLineBreak(uint32_t cp) {
  return cp == '\n' || cp == '\r' || cp == 0x0B || cp == 0x0C ||
         (cp >= 0x1C && cp <= 0x1E) || cp == 0x85 || cp == 0x2028 ||
         cp == 0x2029;
}

bool isPyPrintable(uint32_t cp) {
  if (cp < 0x80)
    return cp >= 0x20 && cp < 0x7F;
  return !inRanges(kNonPrintable, cp);
}

/// Whether Python's case functions could treat `cp` differently from ASCII
/// rules (only true beyond ASCII).
bool isCasedBeyondAscii(uint32_t cp) {
  return cp >= 0x80 && inRanges(kCased, cp);
}

/// Decodes the code point at s[i] and advances i. The text is valid UTF-8
/// (checked where it enters: template source, JSON, variables).
uint32_t decodeAt(std::string_view s, size_t &i) {
  auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  uint8_t b0 = byte(i);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  if (b0 < 0xE0) {
    uint32_t cp = (b0 & 0x1F) << 6 | (byte(i + 1) & 0x3F);
    i += 2;
    return cp;
  }
  if (b0 < 0xF0) {
    uint32_t cp =
        (b0 & 0x0F) << 12 | (byte(i + 1) & 0x3F) << 6 | (byte(i + 2) & 0x3F);
    i += 3;
    return cp;
  }
  uint32_t cp = (b0 & 0x07) << 18 | (byte(i + 1) & 0x3F) << 12 |
                (byte(i + 2) & 0x3F) << 6 | (byte(i + 3) & 0x3F);
  i += 4;
  return cp;
}

using detail::appendUtf8;

/// Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF),
/// what Python accepts when it decodes text.
bool isValidUtf8(std::string_view s) {
  size_t i = 0, n = s.size();
  while (i < n) {
    uint8_t b0 = static_cast<uint8_t>(s[i]);
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    size_t len = b0 >= 0xC2 && b0 <= 0xDF   ? 2
                 : b0 >= 0xE0 && b0 <= 0xEF ? 3
                 : b0 >= 0xF0 && b0 <= 0xF4 ? 4
                                            : 0;
    if (len == 0 || i + len > n)
      return false;
    for (size_t k = 1; k < len; ++k)
      if ((static_cast<uint8_t>(s[i + k]) & 0xC0) != 0x80)
        return false;
    uint8_t b1 = static_cast<uint8_t>(s[i + 1]);
    if ((b0 == 0xE0 && b1 < 0xA0) || (b0 == 0xED && b1 > 0x9F) ||
        (b0 == 0xF0 && b1 < 0x90) || (b0 == 0xF4 && b1 > 0x8F))
      return false;
    i += len;
  }
  return true;
}

std::vector<uint32_t> toCodePoints(std::string_view s) {
  std::vector<uint32_t> out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();)
    out.push_back(decodeAt(s, i));
  return out;
}

std::string fromCodePoints(const uint32_t *begin, const uint32_t *end) {
  std::string out;
  for (const uint32_t *p = begin; p != end; ++p)
    appendUtf8(out, *p);
  return out;
}

size_t codePointCount(std::string_view s) {
  size_t count = 0;
  for (char c : s)
    count += (static_cast<uint8_t>(c) & 0xC0) != 0x80;
  return count;
}

//===----------------------------------------------------------------------===//
// Values
//===----------------------------------------------------------------------===//

enum class Kind : uint8_t {
  Undefined,
  None,
  Bool,
  Int,
  Float,
  String,
  List,
  Dict,
  Namespace,
  Loop,
  Callable,
  Generator,
};

/// What a List value is in Python: they share storage and iteration but
/// print, compare and index differently.
enum class ListFlavor : uint8_t {
  List,
  Tuple,
  Range,
  DictKeys,
  DictValues,
  DictItems,
};

struct Value;
struct DictData;
struct Callable;
struct LoopState;
struct GeneratorState;
using ValueList = std::vector<Value>;

/// How deeply values may nest. Comparing, printing and freeing values
/// recurse, so an unbounded depth (a namespace attribute wrapped in a list
/// in every loop iteration) could exhaust the stack.
constexpr uint32_t kMaxNesting = 500;

struct Value {
  Kind kind = Kind::Undefined;
  /// 0 for scalars, else 1 + the deepest value inside (see kMaxNesting).
  uint32_t depth = 0;
  /// String: jinja2's Markup (from |safe).
  bool markup = false;
  ListFlavor flavor = ListFlavor::List;
  bool boolean = false;
  int64_t integer = 0;
  double number = 0;
  /// String: the text. Undefined: why, for the error if it is used.
  /// Range: its repr.
  std::string text;
  std::shared_ptr<const ValueList> list;
  /// Dict (immutable) and Namespace (mutable, shared by reference).
  std::shared_ptr<DictData> dict;
  std::shared_ptr<const Callable> callable;
  std::shared_ptr<LoopState> loop;
  std::shared_ptr<GeneratorState> generator;

  static Value undefined(std::string why) {
    Value v;
    v.text = std::move(why);
    return v;
  }
  static Value none() {
    Value v;
    v.kind = Kind::None;
    return v;
  }
  static Value fromBool(bool b) {
    Value v;
    v.kind = Kind::Bool;
    v.boolean = b;
    return v;
  }
  static Value fromInt(int64_t i) {
    Value v;
    v.kind = Kind::Int;
    v.integer = i;
    return v;
  }
  static Value fromFloat(double d) {
    Value v;
    v.kind = Kind::Float;
    v.number = d;
    return v;
  }
  static Value fromString(std::string s, bool markup = false) {
    Value v;
    v.kind = Kind::String;
    v.text = std::move(s);
    v.markup = markup;
    return v;
  }
  static uint32_t deepest(const ValueList &items) {
    uint32_t d = 0;
    for (const Value &item : items)
      d = std::max(d, item.depth);
    return d;
  }
  static Value fromList(ValueList items, ListFlavor flavor = ListFlavor::List) {
    Value v;
    v.kind = Kind::List;
    v.flavor = flavor;
    v.depth = 1 + deepest(items);
    v.list = std::make_shared<const ValueList>(std::move(items));
    return v;
  }
  static Value fromDict(DictData data);
  static Value namespaceOf(DictData data);

  bool isUndefined() const { return kind == Kind::Undefined; }
  bool isString() const { return kind == Kind::String; }
  bool isNumber() const {
    return kind == Kind::Bool || kind == Kind::Int || kind == Kind::Float;
  }
  /// bool and int, which Python treats alike in arithmetic and indexing.
  bool isIntegral() const { return kind == Kind::Bool || kind == Kind::Int; }
  int64_t asInt() const { return kind == Kind::Bool ? boolean : integer; }
  double asFloat() const {
    return kind == Kind::Float ? number : static_cast<double>(asInt());
  }
  /// Indexable like a Python sequence (list, tuple, range).
  bool isSequence() const {
    return kind == Kind::List &&
           (flavor == ListFlavor::List || flavor == ListFlavor::Tuple ||
            flavor == ListFlavor::Range);
  }
};

/// A dict in insertion order, keyed by Python equality (1, 1.0 and true
/// are one key). Chat template dicts are small: lookups are linear.
struct DictData {
  std::vector<std::pair<Value, Value>> items;
};

Value Value::fromDict(DictData data) {
  Value v;
  v.kind = Kind::Dict;
  v.depth = 1;
  for (const auto &item : data.items)
    v.depth = std::max({v.depth, item.first.depth + 1, item.second.depth + 1});
  v.dict = std::make_shared<DictData>(std::move(data));
  return v;
}

Value Value::namespaceOf(DictData data) {
  // Depth 1 whatever it holds: its attributes change, and the interpreter
  // empties every namespace when a render ends (which also frees cycles).
  Value v;
  v.kind = Kind::Namespace;
  v.depth = 1;
  v.dict = std::make_shared<DictData>(std::move(data));
  return v;
}

/// Python's ==, for the kinds a template can compare.
bool pyEquals(const Value &a, const Value &b);

bool numbersEqual(const Value &a, const Value &b) {
  if (a.isIntegral() && b.isIntegral())
    return a.asInt() == b.asInt();
  // An int against a float compares exactly, as Python does.
  if (a.isIntegral() || b.isIntegral()) {
    int64_t i = a.isIntegral() ? a.asInt() : b.asInt();
    double d = a.isIntegral() ? b.number : a.number;
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
      return false;
    return std::trunc(d) == d && static_cast<int64_t>(d) == i;
  }
  return a.number == b.number;
}

const Value *dictFind(const DictData &dict, const Value &key) {
  for (const auto &item : dict.items)
    if (pyEquals(item.first, key))
      return &item.second;
  return nullptr;
}

const Value *dictFind(const DictData &dict, std::string_view key) {
  for (const auto &item : dict.items)
    if (item.first.kind == Kind::String && item.first.text == key)
      return &item.second;
  return nullptr;
}

void dictSet(DictData &dict, Value key, Value value) {
  for (auto &item : dict.items)
    if (pyEquals(item.first, key)) {
      item.second = std::move(value);
      return;
    }
  dict.items.emplace_back(std::move(key), std::move(value));
}

bool pyEquals(const Value &a, const Value &b) {
  if (a.isNumber() && b.isNumber())
    return numbersEqual(a, b);
  if (a.kind != b.kind)
    return false;
  switch (a.kind) {
  case Kind::Undefined:
  case Kind::None:
    return true;
  case Kind::String:
    return a.text == b.text;
  case Kind::List: {
    // A list never equals a tuple; ranges and views compare by items.
    bool aSeq = a.flavor == ListFlavor::List || a.flavor == ListFlavor::Tuple;
    if ((aSeq || b.flavor == ListFlavor::List ||
         b.flavor == ListFlavor::Tuple) &&
        a.flavor != b.flavor)
      return false;
    if (a.list->size() != b.list->size())
      return false;
    for (size_t i = 0; i < a.list->size(); ++i)
      if (!pyEquals((*a.list)[i], (*b.list)[i]))
        return false;
    return true;
  }
  case Kind::Dict: {
    if (a.dict->items.size() != b.dict->items.size())
      return false;
    for (const auto &item : a.dict->items) {
      const Value *other = dictFind(*b.dict, item.first);
      if (!other || !pyEquals(item.second, *other))
        return false;
    }
    return true;
  }
  case Kind::Namespace:
    return a.dict == b.dict;
  case Kind::Callable:
    return a.callable == b.callable;
  case Kind::Loop:
    return a.loop == b.loop;
  case Kind::Generator:
    return a.generator == b.generator;
  default:
    return false;
  }
}

/// Python's name for a value's type, for error messages.
const char *typeName(const Value &v) {
  switch (v.kind) {
  case Kind::Undefined:
    return "Undefined";
  case Kind::None:
    return "NoneType";
  case Kind::Bool:
    return "bool";
  case Kind::Int:
    return "int";
  case Kind::Float:
    return "float";
  case Kind::String:
    return "str";
  case Kind::List:
    switch (v.flavor) {
    case ListFlavor::List:
      return "list";
    case ListFlavor::Tuple:
      return "tuple";
    case ListFlavor::Range:
      return "range";
    case ListFlavor::DictKeys:
      return "dict_keys";
    case ListFlavor::DictValues:
      return "dict_values";
    case ListFlavor::DictItems:
      return "dict_items";
    }
    return "list";
  case Kind::Dict:
    return "dict";
  case Kind::Namespace:
    return "Namespace";
  case Kind::Loop:
    return "LoopContext";
  case Kind::Callable:
    return "function";
  case Kind::Generator:
    return "generator";
  }
  return "object";
}

//===----------------------------------------------------------------------===//
// Python's number formatting
//===----------------------------------------------------------------------===//

/// repr(float): the shortest digits that round-trip, in positional notation
/// for decimal exponents -4 < e <= 16 and scientific otherwise.
std::string pyFloatRepr(double value) {
  if (std::isnan(value))
    return "nan";
  if (std::isinf(value))
    return value < 0 ? "-inf" : "inf";
  char buffer[64];
  std::to_chars_result result = std::to_chars(
      buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  std::string_view text(buffer, result.ptr - buffer);
  std::string out;
  if (text.front() == '-') {
    out += '-';
    text.remove_prefix(1);
  }
  size_t e = text.find('e');
  std::string digits;
  for (char c : text.substr(0, e))
    if (c != '.')
      digits += c;
  int exponent = 0;
  std::from_chars(text.data() + e + 1 + (text[e + 1] == '+'),
                  text.data() + text.size(), exponent);
  // The value is 0.<digits> * 10^decimalPoint.
  int decimalPoint = exponent + 1;
  int count = static_cast<int>(digits.size());
  if (decimalPoint > -4 && decimalPoint <= 16) {
    if (decimalPoint <= 0)
      out += "0." + std::string(-decimalPoint, '0') + digits;
    else if (decimalPoint >= count)
      out += digits + std::string(decimalPoint - count, '0') + ".0";
    else
      out += digits.substr(0, decimalPoint) + "." + digits.substr(decimalPoint);
    return out;
  }
  out += digits[0];
  if (count > 1)
    out += "." + digits.substr(1);
  int shown = decimalPoint - 1;
  out += shown < 0 ? "e-" : "e+";
  std::string magnitude = std::to_string(shown < 0 ? -shown : shown);
  if (magnitude.size() < 2)
    out += '0';
  out += magnitude;
  return out;
}

/// repr(str): single quotes unless the text has ' and no ", escapes for
/// the quote, backslash, \t \n \r and what is not printable.
void appendStringRepr(std::string &out, std::string_view text) {
  bool hasSingle = text.find('\'') != std::string_view::npos;
  bool hasDouble = text.find('"') != std::string_view::npos;
  char quote = hasSingle && !hasDouble ? '"' : '\'';
  out += quote;
  for (size_t i = 0; i < text.size();) {
    size_t start = i;
    uint32_t cp = decodeAt(text, i);
    if (cp == static_cast<uint32_t>(quote) || cp == '\\') {
      out += '\\';
      out += static_cast<char>(cp);
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (isPyPrintable(cp)) {
      out.append(text.substr(start, i - start));
    } else {
      char buffer[16];
      if (cp < 0x100)
        snprintf(buffer, sizeof buffer, "\\x%02x", cp);
      else if (cp < 0x10000)
        snprintf(buffer, sizeof buffer, "\\u%04x", cp);
      else
        snprintf(buffer, sizeof buffer, "\\U%08x", cp);
      out += buffer;
    }
  }
  out += quote;
}

//===----------------------------------------------------------------------===//
// JSON (json.loads for the context, json.dumps for tojson)
//===----------------------------------------------------------------------===//

class JsonReader {
public:
  explicit JsonReader(std::string_view text) : text(text) {}

  Result<Value> read() {
    skipSpace();
    Value v = value(0);
    if (error.empty()) {
      skipSpace();
      if (pos != text.size())
        fail("extra data after the JSON value");
    }
    if (!error.empty())
      return ErrorMessage{error};
    return v;
  }

private:
  std::string_view text;
  size_t pos = 0;
  std::string error;

  void fail(const std::string &what) {
    if (error.empty())
      error = "JSON: " + what + " at offset " + std::to_string(pos);
  }
  void skipSpace() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t' ||
                                 text[pos] == '\n' || text[pos] == '\r'))
      ++pos;
  }
  bool consume(std::string_view word) {
    if (text.substr(pos, word.size()) != word)
      return false;
    pos += word.size();
    return true;
  }

  Value value(int depth) {
    if (depth > 512) {
      fail("nesting too deep");
      return {};
    }
    if (pos >= text.size()) {
      fail("unexpected end");
      return {};
    }
    char c = text[pos];
    if (c == '{')
      return object(depth);
    if (c == '[')
      return array(depth);
    if (c == '"') {
      std::string s = string();
      return Value::fromString(std::move(s));
    }
    if (consume("true"))
      return Value::fromBool(true);
    if (consume("false"))
      return Value::fromBool(false);
    if (consume("null"))
      return Value::none();
    // Python's json also reads these.
    if (consume("NaN"))
      return Value::fromFloat(std::numeric_limits<double>::quiet_NaN());
    if (consume("Infinity"))
      return Value::fromFloat(std::numeric_limits<double>::infinity());
    if (consume("-Infinity"))
      return Value::fromFloat(-std::numeric_limits<double>::infinity());
    return numberValue();
  }

  Value numberValue() {
    size_t start = pos;
    if (pos < text.size() && text[pos] == '-')
      ++pos;
    size_t digitsStart = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9')
      ++pos;
    if (pos == digitsStart ||
        (text[digitsStart] == '0' && pos - digitsStart > 1)) {
      pos = start;
      fail("invalid value");
      return {};
    }
    bool isFloat = false;
    if (pos < text.size() && text[pos] == '.') {
      isFloat = true;
      size_t fracStart = ++pos;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9')
        ++pos;
      if (pos == fracStart) {
        fail("invalid number");
        return {};
      }
    }
    if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
      isFloat = true;
      ++pos;
      if (pos < text.size() && (text[pos] == '+' || text[pos] == '-'))
        ++pos;
      size_t expStart = pos;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9')
        ++pos;
      if (pos == expStart) {
        fail("invalid number");
        return {};
      }
    }
    const char *first = text.data() + start;
    const char *last = text.data() + pos;
    if (!isFloat) {
      int64_t i = 0;
      auto [ptr, ec] = std::from_chars(first, last, i);
      if (ec != std::errc() || ptr != last) {
        fail("integer out of the 64-bit range");
        return {};
      }
      return Value::fromInt(i);
    }
    double d = 0;
    auto [ptr, ec] = std::from_chars(first, last, d);
    if (ec == std::errc::result_out_of_range) {
      // Python reads overflow as infinity and underflow as zero.
      d = std::strtod(std::string(first, last).c_str(), nullptr);
    } else if (ec != std::errc() || ptr != last) {
      fail("invalid number");
      return {};
    }
    return Value::fromFloat(d);
  }

  uint32_t hex4() {
    if (pos + 4 > text.size()) {
      fail("truncated \\u escape");
      return 0;
    }
    uint32_t cp = 0;
    for (int k = 0; k < 4; ++k) {
      char c = text[pos++];
      cp <<= 4;
      if (c >= '0' && c <= '9')
        cp |= c - '0';
      else if (c >= 'a' && c <= 'f')
        cp |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        cp |= c - 'A' + 10;
      else {
        fail("invalid \\u escape");
        return 0;
      }
    }
    return cp;
  }

  std::string string() {
    ++pos;
    std::string out;
    while (true) {
      if (pos >= text.size()) {
        fail("unterminated string");
        return out;
      }
      char c = text[pos];
      if (c == '"') {
        ++pos;
        break;
      }
      if (static_cast<uint8_t>(c) < 0x20) {
        fail("control character in string");
        return out;
      }
      if (c != '\\') {
        out += c;
        ++pos;
        continue;
      }
      if (++pos >= text.size()) {
        fail("unterminated string");
        return out;
      }
      char e = text[pos++];
      switch (e) {
      case '"':
      case '\\':
      case '/':
        out += e;
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        uint32_t cp = hex4();
        if (cp >= 0xD800 && cp < 0xDC00 && text.substr(pos, 2) == "\\u") {
          size_t save = pos;
          pos += 2;
          uint32_t low = hex4();
          if (low >= 0xDC00 && low < 0xE000)
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          else
            pos = save;
        }
        if (cp >= 0xD800 && cp < 0xE000) {
          fail("lone surrogate in string");
          return out;
        }
        appendUtf8(out, cp);
        break;
      }
      default:
        fail("invalid escape");
        return out;
      }
    }
    return out;
  }

  Value array(int depth) {
    ++pos;
    ValueList items;
    skipSpace();
    if (consume("]"))
      return Value::fromList(std::move(items));
    while (error.empty()) {
      skipSpace();
      items.push_back(value(depth + 1));
      skipSpace();
      if (consume("]"))
        break;
      if (!consume(","))
        fail("expected ',' or ']'");
    }
    return Value::fromList(std::move(items));
  }

  Value object(int depth) {
    ++pos;
    DictData dict;
    skipSpace();
    if (consume("}"))
      return Value::fromDict(std::move(dict));
    while (error.empty()) {
      skipSpace();
      if (pos >= text.size() || text[pos] != '"') {
        fail("expected a string key");
        break;
      }
      std::string key = string();
      skipSpace();
      if (!consume(":")) {
        fail("expected ':'");
        break;
      }
      skipSpace();
      Value v = value(depth + 1);
      dictSet(dict, Value::fromString(std::move(key)), std::move(v));
      skipSpace();
      if (consume("}"))
        break;
      if (!consume(","))
        fail("expected ',' or '}'");
    }
    return Value::fromDict(std::move(dict));
  }
};

/// json.dumps's options, as transformers' tojson passes them.
struct JsonOptions {
  bool ensureAscii = false;
  std::optional<std::string> indent;
  std::string itemSeparator = ", ";
  std::string keySeparator = ": ";
  bool sortKeys = false;
  /// The longest output allowed.
  size_t sizeLimit = std::numeric_limits<size_t>::max();
};

void appendJsonString(std::string &out, std::string_view text,
                      bool ensureAscii) {
  out += '"';
  for (size_t i = 0; i < text.size();) {
    size_t start = i;
    uint32_t cp = decodeAt(text, i);
    char buffer[16];
    switch (cp) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\f':
      out += "\\f";
      break;
    default:
      if (cp < 0x20 || (ensureAscii && cp >= 0x7F)) {
        if (cp >= 0x10000) {
          uint32_t v = cp - 0x10000;
          snprintf(buffer, sizeof buffer, "\\u%04x\\u%04x", 0xD800 + (v >> 10),
                   0xDC00 + (v & 0x3FF));
        } else {
          snprintf(buffer, sizeof buffer, "\\u%04x", cp);
        }
        out += buffer;
      } else {
        out.append(text.substr(start, i - start));
      }
    }
  }
  out += '"';
}

std::string jsonFloat(double d) {
  if (std::isnan(d))
    return "NaN";
  if (std::isinf(d))
    return d < 0 ? "-Infinity" : "Infinity";
  return pyFloatRepr(d);
}

/// json.dumps. Returns an error message for what json cannot serialize.
std::optional<std::string> dumpJson(std::string &out, const Value &v,
                                    const JsonOptions &options, int depth) {
  if (depth > 512)
    return std::string("tojson: nesting too deep");
  if (out.size() > options.sizeLimit)
    return std::string("tojson: output too long");
  auto newline = [&](int level) {
    if (!options.indent)
      return;
    out += '\n';
    for (int k = 0; k < level; ++k)
      out += *options.indent;
  };
  switch (v.kind) {
  case Kind::None:
    out += "null";
    return std::nullopt;
  case Kind::Bool:
    out += v.boolean ? "true" : "false";
    return std::nullopt;
  case Kind::Int:
    out += std::to_string(v.integer);
    return std::nullopt;
  case Kind::Float:
    out += jsonFloat(v.number);
    return std::nullopt;
  case Kind::String:
    appendJsonString(out, v.text, options.ensureAscii);
    return std::nullopt;
  case Kind::List: {
    if (v.flavor != ListFlavor::List && v.flavor != ListFlavor::Tuple)
      break;
    if (v.list->empty()) {
      out += "[]";
      return std::nullopt;
    }
    out += '[';
    for (size_t i = 0; i < v.list->size(); ++i) {
      if (i)
        out += options.itemSeparator;
      newline(depth + 1);
      if (auto err = dumpJson(out, (*v.list)[i], options, depth + 1))
        return err;
    }
    newline(depth);
    out += ']';
    return std::nullopt;
  }
  case Kind::Dict: {
    if (v.dict->items.empty()) {
      out += "{}";
      return std::nullopt;
    }
    std::vector<const std::pair<Value, Value> *> items;
    for (const auto &item : v.dict->items)
      items.push_back(&item);
    if (options.sortKeys) {
      for (const auto *item : items)
        if (!item->first.isString())
          return std::string("tojson: sort_keys with a key that is not a "
                             "string is not supported");
      // Dict keys are distinct, so the order is total.
      std::sort(items.begin(), items.end(), [](const auto *a, const auto *b) {
        return a->first.text < b->first.text;
      });
    }
    out += '{';
    bool first = true;
    for (const auto *item : items) {
      if (!first)
        out += options.itemSeparator;
      first = false;
      newline(depth + 1);
      const Value &key = item->first;
      switch (key.kind) {
      case Kind::String:
        appendJsonString(out, key.text, options.ensureAscii);
        break;
      case Kind::Int:
        out += '"' + std::to_string(key.integer) + '"';
        break;
      case Kind::Float:
        out += '"' + jsonFloat(key.number) + '"';
        break;
      case Kind::Bool:
        out += key.boolean ? "\"true\"" : "\"false\"";
        break;
      case Kind::None:
        out += "\"null\"";
        break;
      default:
        return std::string("tojson: keys must be str, int, float, bool or "
                           "None, not ") +
               typeName(key);
      }
      out += options.keySeparator;
      if (auto err = dumpJson(out, item->second, options, depth + 1))
        return err;
    }
    newline(depth);
    out += '}';
    return std::nullopt;
  }
  default:
    break;
  }
  return std::string("tojson: Object of type ") + typeName(v) +
         " is not JSON serializable";
}

} // namespace

//===----------------------------------------------------------------------===//
// Lexer
//===----------------------------------------------------------------------===//

namespace {

struct SourcePos {
  uint32_t line = 1;
  uint32_t column = 1;
};

std::string describe(SourcePos pos) {
  return "line " + std::to_string(pos.line) + ", column " +
         std::to_string(pos.column);
}

enum class Tok : uint8_t {
  Data,
  VariableBegin,
  VariableEnd,
  BlockBegin,
  BlockEnd,
  Name,
  String,
  Integer,
  Float,
  Operator,
  Eof,
};

struct Token {
  Tok type;
  SourcePos pos;
  /// Data: the text. Name: the name. String: the unescaped value.
  /// Operator: its spelling.
  std::string text;
  int64_t integer = 0;
  double number = 0;
};

/// Splits a template into tokens as jinja2's lexer does with
/// trim_blocks=True and lstrip_blocks=True.
class Lexer {
public:
  explicit Lexer(std::string_view raw) {
    // Every line break becomes \n and one trailing newline is dropped
    // (keep_trailing_newline=False).
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '\r') {
        source += '\n';
        if (i + 1 < raw.size() && raw[i + 1] == '\n')
          ++i;
      } else {
        source += raw[i];
      }
    }
    if (!source.empty() && source.back() == '\n')
      source.pop_back();
    lineStarts.push_back(0);
    for (size_t i = 0; i < source.size(); ++i)
      if (source[i] == '\n')
        lineStarts.push_back(i + 1);
  }

  std::vector<Token> run() {
    bool lineStarting = true;
    while (pos < source.size() && !failed()) {
      size_t tag = findTagStart(pos);
      if (tag == std::string::npos) {
        emitData(source.substr(pos), pos);
        break;
      }
      std::string text = source.substr(pos, tag - pos);
      size_t textStart = pos;
      char kind = source[tag + 1];
      size_t rawEnd = kind == '%' ? matchRawBegin(tag) : 0;
      char sign = tag + 2 < source.size() ? source[tag + 2] : '\0';
      if (sign != '-' && sign != '+')
        sign = '\0';
      stripBeforeTag(text, sign, kind != '{', lineStarting);
      emitData(std::move(text), textStart);
      if (rawEnd) {
        lineStarting = source[rawEnd - 1] == '\n';
        lexRaw(rawEnd, lineStarting);
        continue;
      }
      pos = tag + 2 + (sign ? 1 : 0);
      if (kind == '#') {
        lexComment(tag, lineStarting);
        continue;
      }
      tokens.push_back(
          {kind == '%' ? Tok::BlockBegin : Tok::VariableBegin, posAt(tag), ""});
      lexTag(kind == '%', lineStarting);
    }
    tokens.push_back({Tok::Eof, posAt(source.size()), ""});
    return std::move(tokens);
  }

  bool failed() const { return !error.empty(); }
  const std::string &errorMessage() const { return error; }
  SourcePos posAt(size_t offset) const {
    size_t line =
        std::upper_bound(lineStarts.begin(), lineStarts.end(), offset) -
        lineStarts.begin();
    size_t lineStart = lineStarts[line - 1];
    return {
        static_cast<uint32_t>(line),
        static_cast<uint32_t>(codePointCount(std::string_view(source).substr(
                                  lineStart, offset - lineStart)) +
                              1)};
  }

private:
  std::string source;
  std::vector<size_t> lineStarts;
  size_t pos = 0;
  std::vector<Token> tokens;
  std::vector<char> brackets;
  std::string error;

  void fail(size_t offset, const std::string &what) {
    if (error.empty())
      error = describe(posAt(offset)) + ": " + what;
    pos = source.size();
  }

  void emitData(std::string text, size_t offset) {
    if (!text.empty())
      tokens.push_back({Tok::Data, posAt(offset), std::move(text)});
  }

  size_t findTagStart(size_t from) const {
    for (size_t i = source.find('{', from); i != std::string::npos;
         i = source.find('{', i + 1))
      if (i + 1 < source.size() &&
          (source[i + 1] == '{' || source[i + 1] == '%' ||
           source[i + 1] == '#'))
        return i;
    return std::string::npos;
  }

  /// Python whitespace (one code point) at `at`, or 0.
  size_t spaceAt(size_t at) const {
    if (at >= source.size())
      return 0;
    size_t next = at;
    uint32_t cp = decodeAt(source, next);
    return isPySpace(cp) ? next - at : 0;
  }
  size_t skipSpaces(size_t at) const {
    while (size_t n = spaceAt(at))
      at += n;
    return at;
  }

  /// The text before a tag: `-` strips all trailing whitespace; otherwise
  /// lstrip_blocks removes the spaces between the line start and a block or
  /// comment tag, unless the tag says `+`.
  void stripBeforeTag(std::string &text, char sign, bool isBlockOrComment,
                      bool lineStarting) const {
    if (sign == '-') {
      size_t end = text.size();
      while (end > 0) {
        size_t start = end - 1;
        while (start > 0 && (static_cast<uint8_t>(text[start]) & 0xC0) == 0x80)
          --start;
        size_t next = start;
        if (!isPySpace(decodeAt(text, next)))
          break;
        end = start;
      }
      text.resize(end);
      return;
    }
    if (sign == '+' || !isBlockOrComment)
      return;
    size_t lineStart = text.rfind('\n');
    lineStart = lineStart == std::string::npos ? 0 : lineStart + 1;
    if (lineStart == 0 && !lineStarting)
      return;
    if (lineStart == text.size())
      return;
    for (size_t i = lineStart; i < text.size();) {
      if (!isPySpace(decodeAt(text, i)))
        return;
    }
    text.resize(lineStart);
  }

  /// `{%(-|+|)\s*raw\s*(-%}\s*|%})` at `at`: the offset after it, or 0.
  size_t matchRawBegin(size_t at) const {
    size_t i = at + 2;
    if (i < source.size() && (source[i] == '-' || source[i] == '+'))
      ++i;
    i = skipSpaces(i);
    if (source.compare(i, 3, "raw") != 0)
      return 0;
    i = skipSpaces(i + 3);
    if (source.compare(i, 3, "-%}") == 0)
      return skipSpaces(i + 3);
    if (source.compare(i, 2, "%}") == 0)
      return i + 2;
    return 0;
  }

  void lexRaw(size_t from, bool &lineStarting) {
    for (size_t i = source.find("{%", from); i != std::string::npos;
         i = source.find("{%", i + 1)) {
      size_t j = i + 2;
      char sign = j < source.size() ? source[j] : '\0';
      if (sign == '-' || sign == '+')
        ++j;
      else
        sign = '\0';
      j = skipSpaces(j);
      if (source.compare(j, 6, "endraw") != 0)
        continue;
      j = skipSpaces(j + 6);
      size_t end;
      if (source.compare(j, 3, "+%}") == 0)
        end = j + 3;
      else if (source.compare(j, 3, "-%}") == 0)
        end = skipSpaces(j + 3);
      else if (source.compare(j, 2, "%}") == 0)
        end = j + 2 + (j + 2 < source.size() && source[j + 2] == '\n');
      else
        continue;
      std::string text = source.substr(from, i - from);
      stripBeforeTag(text, sign, true, lineStarting);
      emitData(std::move(text), from);
      pos = end;
      lineStarting = source[end - 1] == '\n';
      return;
    }
    fail(from, "missing end of raw directive");
  }

  void lexComment(size_t tag, bool &lineStarting) {
    size_t close = source.find("#}", pos);
    if (close == std::string::npos) {
      fail(tag, "missing end of comment tag");
      return;
    }
    size_t end = close + 2;
    if (close > pos && source[close - 1] == '-')
      end = skipSpaces(end);
    else if (!(close > pos && source[close - 1] == '+') &&
             end < source.size() && source[end] == '\n')
      ++end;
    lineStarting = source[end - 1] == '\n';
    pos = end;
  }

  /// The end of the current tag at pos: its length, 0 if none.
  size_t matchTagEnd(bool block) const {
    if (block) {
      if (source.compare(pos, 3, "+%}") == 0)
        return 3;
      if (source.compare(pos, 3, "-%}") == 0)
        return skipSpaces(pos + 3) - pos;
      if (source.compare(pos, 2, "%}") == 0)
        return 2 + (pos + 2 < source.size() && source[pos + 2] == '\n');
      return 0;
    }
    if (source.compare(pos, 3, "-}}") == 0)
      return skipSpaces(pos + 3) - pos;
    if (source.compare(pos, 2, "}}") == 0)
      return 2;
    return 0;
  }

  static bool isDigit(char c) { return c >= '0' && c <= '9'; }
  static bool isNameStart(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  }

  /// Digits with single underscores between them, as jinja2's number
  /// regexes allow; returns the end.
  size_t scanDigits(size_t i) const {
    if (i >= source.size() || !isDigit(source[i]))
      return i;
    while (true) {
      while (i < source.size() && isDigit(source[i]))
        ++i;
      if (i + 1 < source.size() && source[i] == '_' && isDigit(source[i + 1]))
        ++i;
      else
        return i;
    }
  }

  void lexTag(bool block, bool &lineStarting) {
    size_t tagStart = pos;
    while (true) {
      if (pos >= source.size()) {
        fail(tagStart, block ? "unexpected end of template, expected '%}'"
                             : "unexpected end of template, expected '}}'");
        return;
      }
      if (brackets.empty()) {
        if (size_t n = matchTagEnd(block)) {
          tokens.push_back(
              {block ? Tok::BlockEnd : Tok::VariableEnd, posAt(pos), ""});
          pos += n;
          lineStarting = source[pos - 1] == '\n';
          return;
        }
      }
      if (size_t n = spaceAt(pos)) {
        pos += n;
        continue;
      }
      char c = source[pos];
      if (isDigit(c)) {
        lexNumber();
      } else if (isNameStart(c)) {
        size_t start = pos;
        while (pos < source.size() &&
               (isNameStart(source[pos]) || isDigit(source[pos])))
          ++pos;
        if (pos < source.size() && static_cast<uint8_t>(source[pos]) >= 0x80) {
          fail(start, "non-ASCII identifiers are not supported");
          return;
        }
        tokens.push_back(
            {Tok::Name, posAt(start), source.substr(start, pos - start)});
      } else if (c == '\'' || c == '"') {
        lexString();
      } else if (!lexOperator()) {
        if (static_cast<uint8_t>(c) >= 0x80)
          fail(pos, "non-ASCII identifiers are not supported");
        else
          fail(pos, std::string("unexpected char '") + c + "'");
      }
      if (failed())
        return;
    }
  }

  void lexNumber() {
    size_t start = pos;
    std::string digits;
    auto keep = [&](size_t from, size_t to) {
      for (size_t i = from; i < to; ++i)
        if (source[i] != '_')
          digits += source[i];
    };
    // Floats first, as jinja2 tries them first: 1.5, 1e5, 1.5e-3. A number
    // right after a dot (x.0.1) is never a float.
    bool afterDot = start > 0 && source[start - 1] == '.';
    size_t intEnd = scanDigits(start);
    size_t i = intEnd;
    bool isFloat = false;
    if (!afterDot) {
      size_t fracEnd = i;
      if (i + 1 < source.size() && source[i] == '.' && isDigit(source[i + 1]))
        fracEnd = scanDigits(i + 1);
      size_t expEnd = fracEnd;
      if (fracEnd < source.size() &&
          (source[fracEnd] == 'e' || source[fracEnd] == 'E')) {
        size_t j = fracEnd + 1;
        if (j < source.size() && (source[j] == '+' || source[j] == '-'))
          ++j;
        if (j < source.size() && isDigit(source[j]))
          expEnd = scanDigits(j);
      }
      if (expEnd != intEnd) {
        isFloat = true;
        i = expEnd;
      }
    }
    if (isFloat) {
      keep(start, i);
      double d = std::strtod(digits.c_str(), nullptr);
      Token t{Tok::Float, posAt(start), ""};
      t.number = d;
      tokens.push_back(std::move(t));
      pos = i;
      return;
    }
    int base = 10;
    size_t digitsStart = start;
    if (source[start] == '0' && start + 1 < source.size()) {
      char p = static_cast<char>(source[start + 1] | 0x20);
      if (p == 'x' || p == 'o' || p == 'b') {
        base = p == 'x' ? 16 : p == 'o' ? 8 : 2;
        digitsStart = start + 2;
      }
    }
    i = digitsStart;
    if (base != 10) {
      auto isBaseDigit = [&](char c) {
        c = static_cast<char>(c | 0x20);
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                       : 99;
        return d < base;
      };
      while (i < source.size() && (isBaseDigit(source[i]) ||
                                   (source[i] == '_' && i + 1 < source.size() &&
                                    isBaseDigit(source[i + 1]))))
        ++i;
      if (i == digitsStart) {
        // "0x" alone lexes as the integer 0 and the name x.
        i = start + 1;
        base = 10;
        digitsStart = start;
      }
    } else if (source[start] == '0') {
      // Python allows 0, 00, 0_0 but no other leading zero.
      i = start + 1;
      while (i + 1 < source.size() &&
             (source[i] == '0' || (source[i] == '_' && source[i + 1] == '0')))
        ++i;
      if (i < source.size() && source[i] == '0')
        ++i;
    } else {
      i = intEnd;
    }
    keep(digitsStart, i);
    int64_t value = 0;
    auto [ptr, ec] = std::from_chars(
        digits.data(), digits.data() + digits.size(), value, base);
    if (ec != std::errc()) {
      fail(start, "integer literal out of the 64-bit range");
      return;
    }
    Token t{Tok::Integer, posAt(start), ""};
    t.integer = value;
    tokens.push_back(std::move(t));
    pos = i;
  }

  /// A string literal, unescaped as Python's unicode-escape codec does it
  /// (after jinja2's encode("ascii", "backslashreplace")).
  void lexString() {
    size_t start = pos;
    char quote = source[pos++];
    std::string value;
    while (true) {
      if (pos >= source.size()) {
        fail(start, "unterminated string");
        return;
      }
      char c = source[pos];
      if (c == quote) {
        ++pos;
        break;
      }
      if (c != '\\') {
        value += c;
        ++pos;
        continue;
      }
      if (pos + 1 >= source.size()) {
        fail(start, "unterminated string");
        return;
      }
      char e = source[pos + 1];
      pos += 2;
      auto hexDigits = [&](int count) -> std::optional<uint32_t> {
        uint32_t cp = 0;
        for (int k = 0; k < count; ++k) {
          char h = pos < source.size() ? source[pos] : '\0';
          int d = h >= '0' && h <= '9'   ? h - '0'
                  : h >= 'a' && h <= 'f' ? h - 'a' + 10
                  : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                         : -1;
          if (d < 0)
            return std::nullopt;
          cp = cp << 4 | d;
          ++pos;
        }
        return cp;
      };
      switch (e) {
      case '\n':
        break;
      case '\\':
      case '\'':
      case '"':
        value += e;
        break;
      case 'a':
        value += '\a';
        break;
      case 'b':
        value += '\b';
        break;
      case 'f':
        value += '\f';
        break;
      case 'n':
        value += '\n';
        break;
      case 'r':
        value += '\r';
        break;
      case 't':
        value += '\t';
        break;
      case 'v':
        value += '\v';
        break;
      case 'x':
      case 'u':
      case 'U': {
        std::optional<uint32_t> cp = hexDigits(e == 'x' ? 2 : e == 'u' ? 4 : 8);
        if (!cp || *cp > 0x10FFFF) {
          fail(start, std::string("invalid \\") + e + " escape in string");
          return;
        }
        if (*cp >= 0xD800 && *cp < 0xE000) {
          fail(start, "surrogate escapes in strings are not supported");
          return;
        }
        appendUtf8(value, *cp);
        break;
      }
      case 'N':
        fail(start, "\\N{...} escapes in strings are not supported");
        return;
      default:
        if (e >= '0' && e <= '7') {
          uint32_t cp = e - '0';
          for (int k = 0; k < 2 && pos < source.size() && source[pos] >= '0' &&
                          source[pos] <= '7';
               ++k)
            cp = cp * 8 + (source[pos++] - '0');
          appendUtf8(value, cp);
        } else if (static_cast<uint8_t>(e) >= 0x80) {
          // The code point after the backslash was turned into a \x, \u or
          // \U escape first, so this backslash escapes only itself.
          size_t at = pos - 1;
          uint32_t cp = decodeAt(source, at);
          pos = at;
          char buffer[16];
          snprintf(buffer, sizeof buffer,
                   cp < 0x100     ? "\\x%02x"
                   : cp < 0x10000 ? "\\u%04x"
                                  : "\\U%08x",
                   cp);
          value += buffer;
        } else {
          // Unknown escapes stay as written.
          value += '\\';
          value += e;
        }
      }
    }
    Token t{Tok::String, posAt(start), std::move(value)};
    tokens.push_back(std::move(t));
  }

  bool lexOperator() {
    static const char *const twoChar[] = {"//", "**", "==", "!=", ">=", "<="};
    for (const char *op : twoChar)
      if (source.compare(pos, 2, op) == 0) {
        tokens.push_back({Tok::Operator, posAt(pos), op});
        pos += 2;
        return true;
      }
    char c = source[pos];
    if (!std::strchr("+-/*%~[](){}><=.:|,;", c))
      return false;
    if (c == '(' || c == '[' || c == '{') {
      brackets.push_back(c == '(' ? ')' : c == '[' ? ']' : '}');
    } else if (c == ')' || c == ']' || c == '}') {
      if (brackets.empty()) {
        fail(pos, std::string("unexpected '") + c + "'");
        return true;
      }
      if (brackets.back() != c) {
        fail(pos, std::string("unexpected '") + c + "', expected '" +
                      brackets.back() + "'");
        return true;
      }
      brackets.pop_back();
    }
    tokens.push_back({Tok::Operator, posAt(pos), std::string(1, c)});
    ++pos;
    return true;
  }
};

} // namespace

//===----------------------------------------------------------------------===//
// Syntax tree
//===----------------------------------------------------------------------===//

namespace {

enum class ExprKind : uint8_t {
  Const,
  Name,
  List,
  Tuple,
  Dict,
  Getattr,
  Getitem,
  Slice,
  Call,
  Filter,
  Test,
  Neg,
  Pos,
  Not,
  Binary,
  Compare,
  And,
  Or,
  CondExpr,
  Concat,
};

enum class BinaryOp : uint8_t { Add, Sub, Mul, Div, FloorDiv, Mod, Pow };
enum class CompareOp : uint8_t { Eq, Ne, Lt, Le, Gt, Ge, In, NotIn };

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Keyword {
  std::string name;
  ExprPtr value;
};

/// One expression node. `operands` by kind:
///   Getattr [object] (attribute in name); Getitem [object, key];
///   Slice [object, start, stop, step] (each of the last three may be null);
///   Call [callee, args...]; Filter [input (null in a filter block), args...]
///   and Test [input, args...] (name in name); Neg/Pos/Not [x];
///   Binary, And, Or [left, right]; Compare [first, others...] with
///   compareOps; CondExpr [then, condition, else (may be null)];
///   List, Tuple, Concat [items...]; Dict [key0, value0, key1, ...].
struct Expr {
  ExprKind kind;
  SourcePos pos;
  Value constant;
  std::string name;
  BinaryOp binaryOp = BinaryOp::Add;
  std::vector<CompareOp> compareOps;
  std::vector<ExprPtr> operands;
  std::vector<Keyword> keywords;
};

enum class StmtKind : uint8_t {
  Text,
  Output,
  If,
  For,
  Set,
  SetBlock,
  Macro,
  CallBlock,
  FilterBlock,
  With,
  Scoped,
  Break,
  Continue,
};

struct Stmt;
using Body = std::vector<std::unique_ptr<Stmt>>;

/// What `set` and `for` assign: one name, several (unpacking), or a
/// namespace attribute (names[0].nsAttribute).
struct Target {
  std::vector<std::string> names;
  bool isTuple = false;
  std::string nsAttribute;
};

/// One statement. By kind:
///   Text: text. Output: exprs (printed in order).
///   If: exprs[i] is the condition of bodies[i]; one more body is the else.
///   For: exprs [iterable, filter (may be null)], bodies [body, else].
///   Set: target, exprs [value]. SetBlock: target, exprs [filter or null],
///   bodies [body]. Macro: name, params, exprs = the defaults of the last
///   params, bodies [body]. CallBlock: exprs [call], bodies [caller's body].
///   FilterBlock: exprs [filter chain], bodies [body]. With: params = names,
///   exprs = values, bodies [body]. Scoped ({% generation %}): bodies [body].
struct Stmt {
  StmtKind kind;
  SourcePos pos;
  std::string text;
  std::vector<ExprPtr> exprs;
  std::vector<Body> bodies;
  Target target;
  std::string name;
  std::vector<std::string> params;
};

/// jinja2's built-in filters and tests, to tell "not supported" from
/// "no such filter", and what `is filter` / `is test` answer.
constexpr const char *kJinjaFilters[] = {
    "abs",       "attr",       "batch",       "capitalize",
    "center",    "count",      "d",           "default",
    "dictsort",  "e",          "escape",      "filesizeformat",
    "first",     "float",      "forceescape", "format",
    "groupby",   "indent",     "int",         "join",
    "last",      "length",     "list",        "lower",
    "items",     "map",        "min",         "max",
    "pprint",    "random",     "reject",      "rejectattr",
    "replace",   "reverse",    "round",       "safe",
    "select",    "selectattr", "slice",       "sort",
    "string",    "striptags",  "sum",         "title",
    "trim",      "truncate",   "unique",      "upper",
    "urlencode", "urlize",     "wordcount",   "wordwrap",
    "xmlattr",   "tojson"};
constexpr const char *kSupportedFilters[] = {
    "abs",     "capitalize", "count", "d",      "default",    "first",
    "float",   "indent",     "int",   "items",  "join",       "last",
    "length",  "list",       "lower", "map",    "reject",     "rejectattr",
    "replace", "reverse",    "safe",  "select", "selectattr", "string",
    "title",   "tojson",     "trim",  "upper"};
constexpr const char *kJinjaTests[] = {
    "odd",      "even",        "divisibleby", "defined", "undefined", "filter",
    "test",     "none",        "boolean",     "false",   "true",      "integer",
    "float",    "lower",       "upper",       "string",  "mapping",   "number",
    "sequence", "iterable",    "callable",    "sameas",  "escaped",   "in",
    "==",       "eq",          "equalto",     "!=",      "ne",        ">",
    "gt",       "greaterthan", "ge",          ">=",      "<",         "lt",
    "lessthan", "<=",          "le"};

template <size_t N>
bool isOneOf(const char *const (&names)[N], std::string_view name) {
  for (const char *n : names)
    if (name == n)
      return true;
  return false;
}

bool isSupportedTest(std::string_view name) {
  return isOneOf(kJinjaTests, name);
}

//===----------------------------------------------------------------------===//
// Parser
//===----------------------------------------------------------------------===//

/// Recursive descent over the tokens, in the structure (and so with the
/// precedence) of jinja2's parser.py.
class Parser {
public:
  explicit Parser(std::vector<Token> tokens) : toks(std::move(tokens)) {}

  Body parseTemplate() {
    Body body = subparse({});
    if (!failed() && cur().type != Tok::Eof)
      fail(cur().pos, "unexpected " + describeToken(cur()));
    return body;
  }

  bool failed() const { return !error.empty(); }
  const std::string &errorMessage() const { return error; }

private:
  std::vector<Token> toks;
  size_t index = 0;
  int exprDepth = 0;
  int stmtDepth = 0;
  int loopDepth = 0;
  int macroDepth = 0;
  std::string error;

  const Token &cur() const { return toks[index]; }
  const Token &peek() const {
    return toks[std::min(index + 1, toks.size() - 1)];
  }
  void advance() {
    if (index + 1 < toks.size())
      ++index;
  }

  void fail(SourcePos pos, const std::string &what) {
    if (error.empty())
      error = describe(pos) + ": " + what;
  }
  void unsupported(SourcePos pos, const std::string &what) {
    fail(pos, what + " is not supported");
  }

  static std::string describeToken(const Token &t) {
    switch (t.type) {
    case Tok::Data:
      return "template data";
    case Tok::VariableBegin:
      return "'{{'";
    case Tok::VariableEnd:
      return "'}}'";
    case Tok::BlockBegin:
      return "'{%'";
    case Tok::BlockEnd:
      return "'%}'";
    case Tok::Name:
      return "'" + t.text + "'";
    case Tok::String:
      return "string literal";
    case Tok::Integer:
    case Tok::Float:
      return "number";
    case Tok::Operator:
      return "'" + t.text + "'";
    case Tok::Eof:
      return "end of template";
    }
    return "token";
  }

  bool isOp(const char *op) const {
    return cur().type == Tok::Operator && cur().text == op;
  }
  bool isName(const char *name) const {
    return cur().type == Tok::Name && cur().text == name;
  }
  bool skipOp(const char *op) {
    if (!isOp(op))
      return false;
    advance();
    return true;
  }
  bool skipName(const char *name) {
    if (!isName(name))
      return false;
    advance();
    return true;
  }
  bool expectOp(const char *op) {
    if (skipOp(op))
      return true;
    fail(cur().pos,
         std::string("expected '") + op + "', got " + describeToken(cur()));
    return false;
  }
  bool expect(Tok type, const char *what) {
    if (cur().type == type) {
      advance();
      return true;
    }
    fail(cur().pos,
         std::string("expected ") + what + ", got " + describeToken(cur()));
    return false;
  }
  std::string expectName() {
    if (cur().type != Tok::Name) {
      fail(cur().pos, "expected a name, got " + describeToken(cur()));
      return {};
    }
    std::string name = cur().text;
    advance();
    return name;
  }

  static ExprPtr node(ExprKind kind, SourcePos pos) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->pos = pos;
    return e;
  }

  //===--------------------------------------------------------------------===//
  // Statements
  //===--------------------------------------------------------------------===//

  /// Template data and tags until a block tag whose name is one of
  /// `endNames` (left as the current token), or the end of the template.
  Body subparse(std::initializer_list<const char *> endNames) {
    Body body;
    while (!failed()) {
      const Token &t = cur();
      if (t.type == Tok::Eof) {
        if (endNames.size() != 0) {
          std::string names;
          for (const char *n : endNames)
            names += std::string(names.empty() ? "'" : ", '") + n + "'";
          fail(t.pos, "unexpected end of template, expected " + names);
        }
        return body;
      }
      if (t.type == Tok::Data) {
        auto s = std::make_unique<Stmt>();
        s->kind = StmtKind::Text;
        s->pos = t.pos;
        s->text = t.text;
        body.push_back(std::move(s));
        advance();
        continue;
      }
      if (t.type == Tok::VariableBegin) {
        auto s = std::make_unique<Stmt>();
        s->kind = StmtKind::Output;
        s->pos = t.pos;
        advance();
        s->exprs.push_back(parseTuple(true, {}, false));
        expect(Tok::VariableEnd, "'}}'");
        body.push_back(std::move(s));
        continue;
      }
      if (t.type != Tok::BlockBegin) {
        fail(t.pos, "unexpected " + describeToken(t));
        return body;
      }
      advance();
      if (cur().type == Tok::Name)
        for (const char *n : endNames)
          if (cur().text == n)
            return body;
      std::unique_ptr<Stmt> s = parseStatement();
      if (failed())
        return body;
      if (s)
        body.push_back(std::move(s));
      expect(Tok::BlockEnd, "'%}'");
    }
    return body;
  }

  /// The body of a block statement: an optional colon, '%}', then
  /// statements until one of `endNames`.
  Body parseBody(std::initializer_list<const char *> endNames) {
    skipOp(":");
    if (!expect(Tok::BlockEnd, "'%}'"))
      return {};
    return subparse(endNames);
  }

  /// After parseBody: the end tag's name, consumed.
  std::string takeEndName() {
    std::string name = cur().text;
    advance();
    return name;
  }

  std::unique_ptr<Stmt> newStmt(StmtKind kind, SourcePos pos) {
    auto s = std::make_unique<Stmt>();
    s->kind = kind;
    s->pos = pos;
    return s;
  }

  /// Statements nest by recursion: bounded, like expressions.
  std::unique_ptr<Stmt> parseStatement() {
    if (++stmtDepth > 200) {
      fail(cur().pos, "blocks nested too deeply");
      return nullptr;
    }
    std::unique_ptr<Stmt> s = parseTag();
    --stmtDepth;
    return s;
  }

  std::unique_ptr<Stmt> parseTag() {
    const Token &t = cur();
    if (t.type != Tok::Name) {
      fail(t.pos, "tag name expected");
      return nullptr;
    }
    std::string tag = t.text;
    SourcePos pos = t.pos;
    if (tag == "for")
      return parseFor();
    if (tag == "if")
      return parseIf();
    if (tag == "set")
      return parseSet();
    if (tag == "macro")
      return parseMacro();
    if (tag == "call")
      return parseCallBlock();
    if (tag == "filter")
      return parseFilterBlock();
    if (tag == "with")
      return parseWith();
    if (tag == "print") {
      advance();
      auto s = newStmt(StmtKind::Output, pos);
      while (cur().type != Tok::BlockEnd && !failed()) {
        if (!s->exprs.empty() && !expectOp(","))
          break;
        s->exprs.push_back(parseExpression(true));
      }
      return s;
    }
    if (tag == "break" || tag == "continue") {
      advance();
      if (loopDepth == 0) {
        fail(pos, "'" + tag + "' outside of a loop");
        return nullptr;
      }
      return newStmt(tag == "break" ? StmtKind::Break : StmtKind::Continue,
                     pos);
    }
    if (tag == "generation") {
      // transformers' AssistantTracker: renders its body (through a
      // caller, so in a scope of its own).
      advance();
      auto s = newStmt(StmtKind::Scoped, pos);
      s->bodies.push_back(parseBody({"endgeneration"}));
      if (!failed())
        takeEndName();
      return s;
    }
    if (tag == "block" || tag == "extends" || tag == "include" ||
        tag == "import" || tag == "from" || tag == "autoescape") {
      unsupported(pos, "the '" + tag + "' tag");
      return nullptr;
    }
    fail(pos, "unknown tag '" + tag + "'");
    return nullptr;
  }

  std::unique_ptr<Stmt> parseFor() {
    auto s = newStmt(StmtKind::For, cur().pos);
    advance();
    s->target = parseAssignTarget(false, "in");
    if (failed())
      return nullptr;
    if (!skipName("in")) {
      fail(cur().pos, "expected 'in', got " + describeToken(cur()));
      return nullptr;
    }
    s->exprs.push_back(parseTuple(false, {"recursive"}, false));
    ExprPtr filter;
    if (skipName("if"))
      filter = parseExpression(true);
    s->exprs.push_back(std::move(filter));
    if (isName("recursive")) {
      unsupported(cur().pos, "a recursive loop");
      return nullptr;
    }
    ++loopDepth;
    s->bodies.push_back(parseBody({"endfor", "else"}));
    --loopDepth;
    if (failed())
      return nullptr;
    if (takeEndName() == "else") {
      s->bodies.push_back(parseBody({"endfor"}));
      if (failed())
        return nullptr;
      takeEndName();
    } else {
      s->bodies.emplace_back();
    }
    return s;
  }

  std::unique_ptr<Stmt> parseIf() {
    auto s = newStmt(StmtKind::If, cur().pos);
    advance();
    while (!failed()) {
      s->exprs.push_back(parseTuple(false, {}, false));
      s->bodies.push_back(parseBody({"elif", "else", "endif"}));
      if (failed())
        return nullptr;
      std::string end = takeEndName();
      if (end == "elif")
        continue;
      if (end == "else") {
        s->bodies.push_back(parseBody({"endif"}));
        if (!failed())
          takeEndName();
      }
      break;
    }
    return s;
  }

  std::unique_ptr<Stmt> parseSet() {
    SourcePos pos = cur().pos;
    advance();
    Target target = parseAssignTarget(true, nullptr);
    if (failed())
      return nullptr;
    if (skipOp("=")) {
      auto s = newStmt(StmtKind::Set, pos);
      s->target = std::move(target);
      s->exprs.push_back(parseTuple(true, {}, false));
      return s;
    }
    auto s = newStmt(StmtKind::SetBlock, pos);
    s->target = std::move(target);
    s->exprs.push_back(isOp("|") ? parseFilter(nullptr, false) : nullptr);
    s->bodies.push_back(parseBody({"endset"}));
    if (!failed())
      takeEndName();
    return s;
  }

  /// Names, a tuple of names, or (in `set`) a namespace attribute.
  Target parseAssignTarget(bool withNamespace, const char *extraEnd) {
    Target target;
    while (!failed()) {
      if (!target.names.empty() && !expectOp(","))
        break;
      if (cur().type == Tok::BlockEnd || (extraEnd && isName(extraEnd)) ||
          (!target.names.empty() && (isOp("=") || isOp("|")))) {
        break;
      }
      SourcePos pos = cur().pos;
      if (cur().type != Tok::Name) {
        fail(pos, "can't assign to " + describeToken(cur()));
        break;
      }
      std::string name = cur().text;
      if (name == "true" || name == "false" || name == "True" ||
          name == "False" || name == "none" || name == "None") {
        fail(pos, "can't assign to '" + name + "'");
        break;
      }
      advance();
      if (withNamespace && isOp(".")) {
        advance();
        target.nsAttribute = expectName();
        if (!target.names.empty() || isOp(",")) {
          unsupported(pos, "a namespace attribute in a tuple assignment");
          break;
        }
      }
      target.names.push_back(std::move(name));
      if (!isOp(","))
        break;
      target.isTuple = true;
    }
    if (!failed() && target.names.empty())
      fail(cur().pos, "expected an assignment target");
    return target;
  }

  std::unique_ptr<Stmt> parseMacro() {
    auto s = newStmt(StmtKind::Macro, cur().pos);
    advance();
    s->name = expectName();
    parseSignature(*s);
    if (failed())
      return nullptr;
    int savedLoopDepth = loopDepth;
    loopDepth = 0;
    ++macroDepth;
    s->bodies.push_back(parseBody({"endmacro"}));
    --macroDepth;
    loopDepth = savedLoopDepth;
    if (!failed())
      takeEndName();
    return s;
  }

  void parseSignature(Stmt &s) {
    if (!expectOp("("))
      return;
    while (!failed() && !isOp(")")) {
      if (!s.params.empty() && !expectOp(","))
        return;
      if (isOp(")"))
        break;
      s.params.push_back(expectName());
      if (skipOp("="))
        s.exprs.push_back(parseExpression(true));
      else if (!s.exprs.empty())
        fail(cur().pos, "non-default argument follows default argument");
    }
    expectOp(")");
  }

  std::unique_ptr<Stmt> parseCallBlock() {
    auto s = newStmt(StmtKind::CallBlock, cur().pos);
    advance();
    if (isOp("(")) {
      unsupported(cur().pos, "a call block with caller arguments");
      return nullptr;
    }
    ExprPtr call = parseExpression(true);
    if (failed())
      return nullptr;
    if (call->kind != ExprKind::Call) {
      fail(s->pos, "expected call");
      return nullptr;
    }
    s->exprs.push_back(std::move(call));
    int savedLoopDepth = loopDepth;
    loopDepth = 0;
    s->bodies.push_back(parseBody({"endcall"}));
    loopDepth = savedLoopDepth;
    if (!failed())
      takeEndName();
    return s;
  }

  std::unique_ptr<Stmt> parseFilterBlock() {
    auto s = newStmt(StmtKind::FilterBlock, cur().pos);
    advance();
    s->exprs.push_back(parseFilter(nullptr, true));
    s->bodies.push_back(parseBody({"endfilter"}));
    if (!failed())
      takeEndName();
    return s;
  }

  std::unique_ptr<Stmt> parseWith() {
    auto s = newStmt(StmtKind::With, cur().pos);
    advance();
    while (!failed() && cur().type != Tok::BlockEnd) {
      if (!s->params.empty() && !expectOp(","))
        return nullptr;
      s->params.push_back(expectName());
      if (!expectOp("="))
        return nullptr;
      s->exprs.push_back(parseExpression(true));
    }
    s->bodies.push_back(parseBody({"endwith"}));
    if (!failed())
      takeEndName();
    return s;
  }

  //===--------------------------------------------------------------------===//
  // Expressions
  //===--------------------------------------------------------------------===//

  bool isTupleEnd(std::initializer_list<const char *> extraEnd) const {
    if (cur().type == Tok::VariableEnd || cur().type == Tok::BlockEnd ||
        isOp(")"))
      return true;
    for (const char *n : extraEnd)
      if (isName(n))
        return true;
    return false;
  }

  ExprPtr parseTuple(bool withCondexpr,
                     std::initializer_list<const char *> extraEnd,
                     bool explicitParens) {
    SourcePos pos = cur().pos;
    std::vector<ExprPtr> items;
    bool isTuple = false;
    while (!failed()) {
      if (!items.empty() && !expectOp(","))
        break;
      if (isTupleEnd(extraEnd))
        break;
      items.push_back(parseExpression(withCondexpr));
      if (isOp(","))
        isTuple = true;
      else
        break;
    }
    if (failed())
      return nullptr;
    if (!isTuple) {
      if (!items.empty())
        return std::move(items[0]);
      if (!explicitParens) {
        fail(cur().pos, "expected an expression, got " + describeToken(cur()));
        return nullptr;
      }
    }
    ExprPtr e = node(ExprKind::Tuple, pos);
    e->operands = std::move(items);
    return e;
  }

  ExprPtr parseExpression(bool withCondexpr) {
    if (++exprDepth > 200) {
      fail(cur().pos, "expression nested too deeply");
      --exprDepth;
      return nullptr;
    }
    ExprPtr e = withCondexpr ? parseCondexpr() : parseOr();
    --exprDepth;
    return failed() ? nullptr : std::move(e);
  }

  ExprPtr parseCondexpr() {
    SourcePos pos = cur().pos;
    ExprPtr expr = parseOr();
    while (!failed() && skipName("if")) {
      ExprPtr cond = parseOr();
      ExprPtr otherwise;
      if (skipName("else"))
        otherwise = parseCondexpr();
      ExprPtr e = node(ExprKind::CondExpr, pos);
      e->operands.push_back(std::move(expr));
      e->operands.push_back(std::move(cond));
      e->operands.push_back(std::move(otherwise));
      expr = std::move(e);
    }
    return expr;
  }

  ExprPtr binaryNode(ExprKind kind, SourcePos pos, ExprPtr l, ExprPtr r) {
    ExprPtr e = node(kind, pos);
    e->operands.push_back(std::move(l));
    e->operands.push_back(std::move(r));
    return e;
  }

  ExprPtr parseOr() {
    SourcePos pos = cur().pos;
    ExprPtr left = parseAnd();
    while (!failed() && skipName("or"))
      left = binaryNode(ExprKind::Or, pos, std::move(left), parseAnd());
    return left;
  }

  ExprPtr parseAnd() {
    SourcePos pos = cur().pos;
    ExprPtr left = parseNot();
    while (!failed() && skipName("and"))
      left = binaryNode(ExprKind::And, pos, std::move(left), parseNot());
    return left;
  }

  ExprPtr parseNot() {
    if (isName("not")) {
      SourcePos pos = cur().pos;
      advance();
      if (++exprDepth > 200) {
        fail(pos, "expression nested too deeply");
        return nullptr;
      }
      ExprPtr e = node(ExprKind::Not, pos);
      e->operands.push_back(parseNot());
      --exprDepth;
      return e;
    }
    return parseCompare();
  }

  ExprPtr parseCompare() {
    SourcePos pos = cur().pos;
    ExprPtr expr = parseMath1();
    ExprPtr e;
    while (!failed()) {
      std::optional<CompareOp> op;
      if (cur().type == Tok::Operator) {
        const std::string &o = cur().text;
        op = o == "=="   ? std::optional(CompareOp::Eq)
             : o == "!=" ? std::optional(CompareOp::Ne)
             : o == "<"  ? std::optional(CompareOp::Lt)
             : o == "<=" ? std::optional(CompareOp::Le)
             : o == ">"  ? std::optional(CompareOp::Gt)
             : o == ">=" ? std::optional(CompareOp::Ge)
                         : std::nullopt;
        if (op)
          advance();
      } else if (isName("in")) {
        advance();
        op = CompareOp::In;
      } else if (isName("not") && peek().type == Tok::Name &&
                 peek().text == "in") {
        advance();
        advance();
        op = CompareOp::NotIn;
      }
      if (!op)
        break;
      if (!e) {
        e = node(ExprKind::Compare, pos);
        e->operands.push_back(std::move(expr));
      }
      e->compareOps.push_back(*op);
      e->operands.push_back(parseMath1());
    }
    return e ? std::move(e) : std::move(expr);
  }

  ExprPtr parseMath1() {
    SourcePos pos = cur().pos;
    ExprPtr left = parseConcat();
    while (!failed() && (isOp("+") || isOp("-"))) {
      BinaryOp op = isOp("+") ? BinaryOp::Add : BinaryOp::Sub;
      advance();
      left = binaryNode(ExprKind::Binary, pos, std::move(left), parseConcat());
      left->binaryOp = op;
    }
    return left;
  }

  ExprPtr parseConcat() {
    SourcePos pos = cur().pos;
    ExprPtr first = parseMath2();
    if (!isOp("~"))
      return first;
    ExprPtr e = node(ExprKind::Concat, pos);
    e->operands.push_back(std::move(first));
    while (!failed() && skipOp("~"))
      e->operands.push_back(parseMath2());
    return e;
  }

  ExprPtr parseMath2() {
    SourcePos pos = cur().pos;
    ExprPtr left = parsePow();
    while (!failed() && (isOp("*") || isOp("/") || isOp("//") || isOp("%"))) {
      BinaryOp op = isOp("*")    ? BinaryOp::Mul
                    : isOp("/")  ? BinaryOp::Div
                    : isOp("//") ? BinaryOp::FloorDiv
                                 : BinaryOp::Mod;
      advance();
      left = binaryNode(ExprKind::Binary, pos, std::move(left), parsePow());
      left->binaryOp = op;
    }
    return left;
  }

  ExprPtr parsePow() {
    SourcePos pos = cur().pos;
    ExprPtr left = parseUnary(true);
    while (!failed() && skipOp("**")) {
      left =
          binaryNode(ExprKind::Binary, pos, std::move(left), parseUnary(true));
      left->binaryOp = BinaryOp::Pow;
    }
    return left;
  }

  ExprPtr parseUnary(bool withFilter) {
    SourcePos pos = cur().pos;
    ExprPtr e;
    if (isOp("-") || isOp("+")) {
      ExprKind kind = isOp("-") ? ExprKind::Neg : ExprKind::Pos;
      advance();
      if (++exprDepth > 200) {
        fail(pos, "expression nested too deeply");
        return nullptr;
      }
      e = node(kind, pos);
      e->operands.push_back(parseUnary(false));
      --exprDepth;
    } else {
      e = parsePrimary();
    }
    if (failed())
      return nullptr;
    e = parsePostfix(std::move(e));
    if (withFilter && !failed())
      e = parseFilterExpr(std::move(e));
    return e;
  }

  ExprPtr parsePrimary() {
    const Token &t = cur();
    SourcePos pos = t.pos;
    if (t.type == Tok::Name) {
      std::string name = t.text;
      advance();
      ExprPtr e = node(ExprKind::Const, pos);
      if (name == "true" || name == "True" || name == "false" ||
          name == "False") {
        e->constant = Value::fromBool(name == "true" || name == "True");
      } else if (name == "none" || name == "None") {
        e->constant = Value::none();
      } else {
        if (macroDepth > 0 && (name == "varargs" || name == "kwargs")) {
          unsupported(pos, "'" + name + "' in a macro");
          return nullptr;
        }
        e->kind = ExprKind::Name;
        e->name = std::move(name);
      }
      return e;
    }
    if (t.type == Tok::String) {
      ExprPtr e = node(ExprKind::Const, pos);
      std::string text;
      while (cur().type == Tok::String) {
        text += cur().text;
        advance();
      }
      e->constant = Value::fromString(std::move(text));
      return e;
    }
    if (t.type == Tok::Integer || t.type == Tok::Float) {
      ExprPtr e = node(ExprKind::Const, pos);
      e->constant = t.type == Tok::Integer ? Value::fromInt(t.integer)
                                           : Value::fromFloat(t.number);
      advance();
      return e;
    }
    if (isOp("(")) {
      advance();
      ExprPtr e = parseTuple(true, {}, true);
      expectOp(")");
      return e;
    }
    if (isOp("["))
      return parseList();
    if (isOp("{"))
      return parseDict();
    fail(pos, "unexpected " + describeToken(t));
    return nullptr;
  }

  ExprPtr parseList() {
    ExprPtr e = node(ExprKind::List, cur().pos);
    advance();
    while (!failed() && !isOp("]")) {
      if (!e->operands.empty() && !expectOp(","))
        return nullptr;
      if (isOp("]"))
        break;
      e->operands.push_back(parseExpression(true));
    }
    expectOp("]");
    return e;
  }

  ExprPtr parseDict() {
    ExprPtr e = node(ExprKind::Dict, cur().pos);
    advance();
    while (!failed() && !isOp("}")) {
      if (!e->operands.empty() && !expectOp(","))
        return nullptr;
      if (isOp("}"))
        break;
      e->operands.push_back(parseExpression(true));
      if (!expectOp(":"))
        return nullptr;
      e->operands.push_back(parseExpression(true));
    }
    expectOp("}");
    return e;
  }

  ExprPtr parsePostfix(ExprPtr e) {
    while (!failed()) {
      if (isOp(".") || isOp("["))
        e = parseSubscript(std::move(e));
      else if (isOp("("))
        e = parseCall(std::move(e));
      else
        break;
    }
    return e;
  }

  ExprPtr parseFilterExpr(ExprPtr e) {
    while (!failed()) {
      if (isOp("|"))
        e = parseFilter(std::move(e), false);
      else if (isName("is"))
        e = parseTest(std::move(e));
      else if (isOp("("))
        e = parseCall(std::move(e));
      else
        break;
    }
    return e;
  }

  ExprPtr parseSubscript(ExprPtr object) {
    SourcePos pos = cur().pos;
    if (skipOp(".")) {
      const Token &t = cur();
      if (t.type == Tok::Name) {
        ExprPtr e = node(ExprKind::Getattr, pos);
        e->name = t.text;
        e->operands.push_back(std::move(object));
        advance();
        return e;
      }
      if (t.type != Tok::Integer) {
        fail(t.pos, "expected name or number");
        return nullptr;
      }
      ExprPtr key = node(ExprKind::Const, t.pos);
      key->constant = Value::fromInt(t.integer);
      advance();
      ExprPtr e = node(ExprKind::Getitem, pos);
      e->operands.push_back(std::move(object));
      e->operands.push_back(std::move(key));
      return e;
    }
    advance();
    std::vector<ExprPtr> args;
    while (!failed() && !isOp("]")) {
      if (!args.empty() && !expectOp(","))
        return nullptr;
      args.push_back(parseSubscribed());
    }
    if (failed() || !expectOp("]"))
      return nullptr;
    if (args.empty()) {
      fail(pos, "expected subscript expression");
      return nullptr;
    }
    if (args.size() == 1 && args[0]->kind == ExprKind::Slice) {
      args[0]->operands[0] = std::move(object);
      return std::move(args[0]);
    }
    ExprPtr key;
    if (args.size() == 1) {
      key = std::move(args[0]);
    } else {
      for (const ExprPtr &a : args)
        if (a->kind == ExprKind::Slice) {
          unsupported(a->pos, "a slice in a tuple subscript");
          return nullptr;
        }
      key = node(ExprKind::Tuple, pos);
      key->operands = std::move(args);
    }
    ExprPtr e = node(ExprKind::Getitem, pos);
    e->operands.push_back(std::move(object));
    e->operands.push_back(std::move(key));
    return e;
  }

  /// An index or a slice `start:stop:step` (the slice's object is filled
  /// in by the caller).
  ExprPtr parseSubscribed() {
    SourcePos pos = cur().pos;
    ExprPtr start;
    if (!isOp(":")) {
      start = parseExpression(true);
      if (failed() || !isOp(":"))
        return start;
    }
    advance();
    ExprPtr e = node(ExprKind::Slice, pos);
    e->operands.push_back(nullptr);
    e->operands.push_back(std::move(start));
    ExprPtr stop, step;
    if (!isOp("]") && !isOp(",") && !isOp(":"))
      stop = parseExpression(true);
    if (skipOp(":") && !isOp("]") && !isOp(","))
      step = parseExpression(true);
    e->operands.push_back(std::move(stop));
    e->operands.push_back(std::move(step));
    return e;
  }

  /// `(args, name=value, ...)` into e's operands (after those it has)
  /// and keywords.
  void parseCallArgs(Expr &e) {
    SourcePos pos = cur().pos;
    if (!expectOp("("))
      return;
    bool requireComma = false;
    while (!failed() && !isOp(")")) {
      if (requireComma) {
        if (!expectOp(","))
          return;
        if (isOp(")"))
          break;
      }
      if (isOp("*") || isOp("**")) {
        unsupported(cur().pos, "an '" + cur().text + "' argument");
        return;
      }
      if (cur().type == Tok::Name && peek().type == Tok::Operator &&
          peek().text == "=") {
        std::string name = cur().text;
        advance();
        advance();
        e.keywords.push_back({std::move(name), parseExpression(true)});
      } else {
        if (!e.keywords.empty()) {
          fail(pos, "invalid syntax for function call expression");
          return;
        }
        e.operands.push_back(parseExpression(true));
      }
      requireComma = true;
    }
    expectOp(")");
  }

  ExprPtr parseCall(ExprPtr callee) {
    SourcePos pos = callee->pos;
    if (callee->kind == ExprKind::Name &&
        (callee->name == "lipsum" || callee->name == "cycler" ||
         callee->name == "joiner")) {
      unsupported(callee->pos, "the global '" + callee->name + "'");
      return nullptr;
    }
    ExprPtr e = node(ExprKind::Call, pos);
    e->operands.push_back(std::move(callee));
    parseCallArgs(*e);
    return e;
  }

  std::string parseDottedName() {
    std::string name = expectName();
    while (!failed() && isOp(".")) {
      advance();
      name += "." + expectName();
    }
    return name;
  }

  /// `| name(args) | ...`; `startInline` for a filter block, where the
  /// first filter has no pipe before it.
  ExprPtr parseFilter(ExprPtr input, bool startInline) {
    while (!failed() && (isOp("|") || startInline)) {
      if (!startInline)
        advance();
      startInline = false;
      SourcePos pos = cur().pos;
      std::string name = parseDottedName();
      if (failed())
        return nullptr;
      if (!isOneOf(kSupportedFilters, name)) {
        if (isOneOf(kJinjaFilters, name))
          unsupported(pos, "the filter '" + name + "'");
        else
          fail(pos, "no filter named '" + name + "'");
        return nullptr;
      }
      ExprPtr e = node(ExprKind::Filter, pos);
      e->name = std::move(name);
      e->operands.push_back(std::move(input));
      if (isOp("("))
        parseCallArgs(*e);
      input = std::move(e);
    }
    return input;
  }

  ExprPtr parseTest(ExprPtr input) {
    SourcePos pos = cur().pos;
    advance();
    bool negated = skipName("not");
    SourcePos namePos = cur().pos;
    std::string name = parseDottedName();
    if (failed())
      return nullptr;
    if (!isSupportedTest(name)) {
      if (isOneOf(kJinjaTests, name))
        unsupported(namePos, "the test '" + name + "'");
      else
        fail(namePos, "no test named '" + name + "'");
      return nullptr;
    }
    ExprPtr e = node(ExprKind::Test, pos);
    e->name = std::move(name);
    e->operands.push_back(std::move(input));
    const Token &t = cur();
    if (isOp("(")) {
      parseCallArgs(*e);
    } else if ((t.type == Tok::Name || t.type == Tok::String ||
                t.type == Tok::Integer || t.type == Tok::Float || isOp("[") ||
                isOp("{")) &&
               !isName("else") && !isName("or") && !isName("and")) {
      if (isName("is")) {
        fail(t.pos, "you cannot chain multiple tests with is");
        return nullptr;
      }
      ExprPtr arg = parsePrimary();
      if (!failed())
        e->operands.push_back(parsePostfix(std::move(arg)));
    }
    if (!negated)
      return e;
    ExprPtr n = node(ExprKind::Not, pos);
    n->operands.push_back(std::move(e));
    return n;
  }
};

} // namespace

//===----------------------------------------------------------------------===//
// Python string operations
//===----------------------------------------------------------------------===//

namespace {

/// str.strip/lstrip/rstrip: `chars` (any of its code points) or, when
/// absent, whitespace.
std::string pyStrip(std::string_view text, const std::string *chars, bool left,
                    bool right) {
  std::vector<uint32_t> set;
  if (chars)
    set = toCodePoints(*chars);
  auto strippable = [&](uint32_t cp) {
    return chars ? std::find(set.begin(), set.end(), cp) != set.end()
                 : isPySpace(cp);
  };
  std::vector<uint32_t> cps = toCodePoints(text);
  size_t begin = 0, end = cps.size();
  if (left)
    while (begin < end && strippable(cps[begin]))
      ++begin;
  if (right)
    while (end > begin && strippable(cps[end - 1]))
      --end;
  return fromCodePoints(cps.data() + begin, cps.data() + end);
}

/// str.split / str.rsplit. Without `sep`, runs of whitespace separate and
/// leading/trailing whitespace yields no empty pieces.
ValueList pySplit(std::string_view text, const std::string *sep,
                  int64_t maxSplit, bool fromRight) {
  std::vector<std::string> pieces;
  if (sep) {
    if (maxSplit < 0)
      maxSplit = std::numeric_limits<int64_t>::max();
    if (!fromRight) {
      size_t start = 0;
      for (int64_t n = 0; n < maxSplit; ++n) {
        size_t at = text.find(*sep, start);
        if (at == std::string_view::npos)
          break;
        pieces.emplace_back(text.substr(start, at - start));
        start = at + sep->size();
      }
      pieces.emplace_back(text.substr(start));
    } else {
      size_t end = text.size();
      for (int64_t n = 0; n < maxSplit && end >= sep->size(); ++n) {
        size_t at = text.rfind(*sep, end - sep->size());
        if (at == std::string_view::npos)
          break;
        pieces.emplace_back(
            text.substr(at + sep->size(), end - at - sep->size()));
        end = at;
      }
      pieces.emplace_back(text.substr(0, end));
      std::reverse(pieces.begin(), pieces.end());
    }
  } else {
    std::vector<uint32_t> cps = toCodePoints(text);
    if (maxSplit < 0)
      maxSplit = std::numeric_limits<int64_t>::max();
    if (!fromRight) {
      size_t i = 0, n = cps.size();
      int64_t splits = 0;
      while (true) {
        while (i < n && isPySpace(cps[i]))
          ++i;
        if (i == n)
          break;
        if (splits == maxSplit) {
          // The rest is kept as it is, trailing whitespace included.
          pieces.push_back(fromCodePoints(cps.data() + i, cps.data() + n));
          break;
        }
        size_t start = i;
        while (i < n && !isPySpace(cps[i]))
          ++i;
        pieces.push_back(fromCodePoints(cps.data() + start, cps.data() + i));
        ++splits;
      }
    } else {
      size_t i = cps.size();
      int64_t splits = 0;
      while (true) {
        while (i > 0 && isPySpace(cps[i - 1]))
          --i;
        if (i == 0)
          break;
        if (splits == maxSplit) {
          pieces.push_back(fromCodePoints(cps.data(), cps.data() + i));
          break;
        }
        size_t end = i;
        while (i > 0 && !isPySpace(cps[i - 1]))
          --i;
        pieces.push_back(fromCodePoints(cps.data() + i, cps.data() + end));
        ++splits;
      }
      std::reverse(pieces.begin(), pieces.end());
    }
  }
  ValueList out;
  for (std::string &p : pieces)
    out.push_back(Value::fromString(std::move(p)));
  return out;
}

/// str.splitlines(keepends).
std::vector<std::string> pySplitLines(std::string_view text, bool keepEnds) {
  std::vector<std::string> lines;
  size_t start = 0, i = 0;
  while (i < text.size()) {
    size_t at = i;
    uint32_t cp = decodeAt(text, i);
    if (!isPyLineBreak(cp))
      continue;
    size_t end = i;
    if (cp == '\r' && i < text.size() && text[i] == '\n')
      end = ++i;
    lines.emplace_back(text.substr(start, (keepEnds ? end : at) - start));
    start = i;
  }
  if (start < text.size())
    lines.emplace_back(text.substr(start));
  return lines;
}

/// The length of str.replace(old, new, count)'s result, to check before
/// making it.
size_t pyReplaceSize(std::string_view text, std::string_view old,
                     std::string_view replacement, int64_t count) {
  if (count < 0)
    count = std::numeric_limits<int64_t>::max();
  size_t n = 0;
  if (old.empty()) {
    n = std::min<uint64_t>(count, codePointCount(text) + 1);
  } else {
    for (size_t at = text.find(old);
         at != std::string_view::npos && static_cast<int64_t>(n) < count;
         at = text.find(old, at + old.size()))
      ++n;
  }
  return text.size() - n * old.size() + n * replacement.size();
}

/// str.replace(old, new, count).
std::string pyReplace(std::string_view text, std::string_view old,
                      std::string_view replacement, int64_t count) {
  if (count < 0)
    count = std::numeric_limits<int64_t>::max();
  std::string out;
  if (old.empty()) {
    // The replacement goes before every code point and at the end.
    size_t i = 0;
    int64_t n = 0;
    while (n < count) {
      out += replacement;
      ++n;
      if (i >= text.size())
        break;
      size_t start = i;
      decodeAt(text, i);
      out.append(text.substr(start, i - start));
    }
    out.append(text.substr(i));
    return out;
  }
  size_t start = 0;
  for (int64_t n = 0; n < count; ++n) {
    size_t at = text.find(old, start);
    if (at == std::string_view::npos)
      break;
    out.append(text.substr(start, at - start));
    out += replacement;
    start = at + old.size();
  }
  out.append(text.substr(start));
  return out;
}

enum class CaseMap : uint8_t { Upper, Lower, Capitalize, Title, JinjaTitle };

bool isAsciiLetter(uint32_t cp) {
  return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
}
uint32_t asciiUpper(uint32_t cp) {
  return cp >= 'a' && cp <= 'z' ? cp - 32 : cp;
}
uint32_t asciiLower(uint32_t cp) {
  return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
}

/// Python's case functions, and jinja2's |title. Nothing (the caller
/// refuses) when the text has a non-ASCII character Python would treat as
/// cased.
std::optional<std::string> caseMap(std::string_view text, CaseMap mode) {
  std::vector<uint32_t> cps = toCodePoints(text);
  for (uint32_t cp : cps)
    if (isCasedBeyondAscii(cp))
      return std::nullopt;
  switch (mode) {
  case CaseMap::Upper:
    for (uint32_t &cp : cps)
      cp = asciiUpper(cp);
    break;
  case CaseMap::Lower:
    for (uint32_t &cp : cps)
      cp = asciiLower(cp);
    break;
  case CaseMap::Capitalize:
    for (size_t i = 0; i < cps.size(); ++i)
      cps[i] = i == 0 ? asciiUpper(cps[i]) : asciiLower(cps[i]);
    break;
  case CaseMap::Title: {
    // A letter after a cased letter is lowered, any other is raised.
    bool previousCased = false;
    for (uint32_t &cp : cps) {
      cp = previousCased ? asciiLower(cp) : asciiUpper(cp);
      previousCased = isAsciiLetter(cp);
    }
    break;
  }
  case CaseMap::JinjaTitle: {
    // jinja2 splits on runs of [-\s({\[<] and capitalizes each piece.
    bool atStart = true;
    for (uint32_t &cp : cps) {
      bool separator = isPySpace(cp) || cp == '-' || cp == '(' || cp == '{' ||
                       cp == '[' || cp == '<';
      if (separator) {
        atStart = true;
        continue;
      }
      cp = atStart ? asciiUpper(cp) : asciiLower(cp);
      atStart = false;
    }
    break;
  }
  }
  return fromCodePoints(cps.data(), cps.data() + cps.size());
}

std::string htmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&#34;";
      break;
    case '\'':
      out += "&#39;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

/// Python's slice bounds for a sequence of `length` items.
struct SliceRange {
  int64_t start, stop, step;
  size_t count;
};

SliceRange adjustSlice(std::optional<int64_t> start,
                       std::optional<int64_t> stop, int64_t step,
                       int64_t length) {
  auto clamp = [&](std::optional<int64_t> v, int64_t ifNone) {
    if (!v)
      return ifNone;
    int64_t i = *v;
    if (i < 0) {
      i += length;
      if (i < 0)
        i = step < 0 ? -1 : 0;
    } else if (i >= length) {
      i = step < 0 ? length - 1 : length;
    }
    return i;
  };
  SliceRange r;
  r.step = step;
  r.start = clamp(start, step < 0 ? length - 1 : 0);
  r.stop = clamp(stop, step < 0 ? -1 : length);
  if (step > 0)
    r.count = r.start < r.stop ? (r.stop - r.start - 1) / step + 1 : 0;
  else
    r.count = r.start > r.stop ? (r.start - r.stop - 1) / -step + 1 : 0;
  return r;
}

//===----------------------------------------------------------------------===//
// Interpreter state
//===----------------------------------------------------------------------===//

struct Scope;
using ScopePtr = std::shared_ptr<Scope>;

/// Variables of one jinja2 frame; lookups continue in the parent.
struct Scope {
  ScopePtr parent;
  std::vector<std::pair<std::string, Value>> vars;

  explicit Scope(ScopePtr parent) : parent(std::move(parent)) {}

  const Value *find(std::string_view name) const {
    for (const Scope *s = this; s; s = s->parent.get())
      for (const auto &var : s->vars)
        if (var.first == name)
          return &var.second;
    return nullptr;
  }
  void set(const std::string &name, Value value) {
    for (auto &var : vars)
      if (var.first == name) {
        var.second = std::move(value);
        return;
      }
    vars.emplace_back(name, std::move(value));
  }
};

struct Callable {
  enum class Kind : uint8_t { Global, Method, Macro, Caller, LoopCycle };
  Kind kind;
  /// Global or method name; macro name.
  std::string name;
  /// Method receiver; LoopCycle: the loop.
  Value self;
  /// Macro: its definition. Caller: the call block.
  const Stmt *stmt = nullptr;
  ScopePtr closure;
};

struct LoopState {
  std::shared_ptr<const ValueList> items;
  size_t index = 0;
};

class Interpreter;

/// A Python iterator (what select, map, items and reverse return): produced
/// when first iterated, single-use afterwards.
struct GeneratorState {
  std::function<std::optional<ValueList>(Interpreter &)> produce;
  std::optional<ValueList> buffer;
  size_t next = 0;
};

struct Args {
  ValueList positional;
  std::vector<std::pair<std::string, Value>> keywords;
};

uint32_t argsDepth(const Args &args) {
  uint32_t d = Value::deepest(args.positional);
  for (const auto &kw : args.keywords)
    d = std::max(d, kw.second.depth);
  return d;
}

Value callableValue(Callable c) {
  Value v;
  v.kind = Kind::Callable;
  v.depth = 1 + c.self.depth;
  v.callable = std::make_shared<const Callable>(std::move(c));
  return v;
}

/// A generator whose producer holds values as deep as `inputDepth`.
Value generatorValue(
    std::function<std::optional<ValueList>(Interpreter &)> produce,
    uint32_t inputDepth) {
  Value v;
  v.kind = Kind::Generator;
  v.depth = 1 + inputDepth;
  v.generator = std::make_shared<GeneratorState>();
  v.generator->produce = std::move(produce);
  return v;
}

Value generatorOf(ValueList items) {
  uint32_t depth = Value::deepest(items);
  auto shared = std::make_shared<ValueList>(std::move(items));
  return generatorValue(
      [shared](Interpreter &) -> std::optional<ValueList> { return *shared; },
      depth);
}

/// Attributes Python's types have: a method here that the engine does not
/// implement is refused when called (it exists in Python); a mutator is
/// what ImmutableSandboxedEnvironment blocks (undefined, an error when
/// called); any other name is a missing attribute (undefined).
constexpr const char *kStrMethods[] = {
    "capitalize",   "casefold",     "center",    "count",     "encode",
    "endswith",     "expandtabs",   "find",      "format",    "format_map",
    "index",        "isalnum",      "isalpha",   "isascii",   "isdecimal",
    "isdigit",      "isidentifier", "islower",   "isnumeric", "isprintable",
    "isspace",      "istitle",      "isupper",   "join",      "ljust",
    "lower",        "lstrip",       "maketrans", "partition", "removeprefix",
    "removesuffix", "replace",      "rfind",     "rindex",    "rjust",
    "rpartition",   "rsplit",       "rstrip",    "split",     "splitlines",
    "startswith",   "strip",        "swapcase",  "title",     "translate",
    "upper",        "zfill"};
constexpr const char *kDictMethods[] = {"copy",  "fromkeys", "get",
                                        "items", "keys",     "values"};
constexpr const char *kDictMutators[] = {"clear", "pop", "popitem",
                                         "setdefault", "update"};
constexpr const char *kListMethods[] = {"copy", "count", "index"};
constexpr const char *kListMutators[] = {"append", "clear", "pop",    "reverse",
                                         "insert", "sort",  "extend", "remove"};
constexpr const char *kNumberAttributes[] = {
    "as_integer_ratio", "bit_count", "bit_length", "conjugate", "denominator",
    "from_bytes",       "fromhex",   "hex",        "imag",      "is_integer",
    "numerator",        "real",      "to_bytes"};

//===----------------------------------------------------------------------===//
// Interpreter
//===----------------------------------------------------------------------===//

class Interpreter {
public:
  explicit Interpreter(std::optional<std::tm> fixedTime)
      : fixedTime(fixedTime) {}
  Interpreter(const Interpreter &) = delete;
  Interpreter &operator=(const Interpreter &) = delete;

  /// Scopes (through macros' closures) and namespaces can form cycles and
  /// long chains; emptying them all, one by one, frees everything without
  /// deep recursion.
  ~Interpreter() {
    for (const ScopePtr &scope : scopes)
      scope->vars.clear();
    for (const std::shared_ptr<DictData> &ns : namespaces)
      ns->items.clear();
  }

  Result<std::string> render(const Body &body, const ScopePtr &root) {
    scopes.push_back(root);
    std::string out;
    execBody(body, root, out);
    if (failed())
      return ErrorMessage{error};
    return out;
  }

  ScopePtr newScope(ScopePtr parent) {
    scopes.push_back(std::make_shared<Scope>(std::move(parent)));
    return scopes.back();
  }

  /// Counts loop iterations and macro calls: a template that runs away
  /// fails instead of rendering for hours.
  bool step(SourcePos pos) {
    if (++steps <= kMaxSteps)
      return true;
    fail(pos, "the template runs more than " + std::to_string(kMaxSteps) +
                  " loop iterations and macro calls");
    return false;
  }

  /// Whether a string of `size` bytes may be made.
  bool checkSize(size_t size, SourcePos pos) {
    if (size <= kMaxText)
      return true;
    unsupported(pos,
                "text longer than " + std::to_string(kMaxText >> 20) + " MiB");
    return false;
  }

  bool failed() const { return !error.empty(); }

  Value fail(SourcePos pos, const std::string &what) {
    if (error.empty())
      error = describe(pos) + ": " + what;
    return Value();
  }
  Value unsupported(SourcePos pos, const std::string &what) {
    return fail(pos, what + " is not supported");
  }
  /// The error of using an undefined value (jinja2's UndefinedError).
  Value undefinedError(SourcePos pos, const Value &v) {
    return fail(pos, v.text.empty() ? "undefined value" : v.text);
  }

  //===--------------------------------------------------------------------===//
  // Conversions
  //===--------------------------------------------------------------------===//

  static bool truthy(const Value &v) {
    switch (v.kind) {
    case Kind::Undefined:
    case Kind::None:
      return false;
    case Kind::Bool:
      return v.boolean;
    case Kind::Int:
      return v.integer != 0;
    case Kind::Float:
      return v.number != 0;
    case Kind::String:
      return !v.text.empty();
    case Kind::List:
      return !v.list->empty();
    case Kind::Dict:
      return !v.dict->items.empty();
    default:
      return true;
    }
  }

  /// Python's repr().
  bool appendRepr(std::string &out, const Value &v, SourcePos pos,
                  int depth = 0) {
    if (depth > 100) {
      fail(pos, "value nested too deeply to print");
      return false;
    }
    auto items = [&](const ValueList &list, const char *open,
                     const char *close) {
      out += open;
      for (size_t i = 0; i < list.size(); ++i) {
        if (i)
          out += ", ";
        if (!appendRepr(out, list[i], pos, depth + 1))
          return false;
      }
      out += close;
      return true;
    };
    auto dictItems = [&](const DictData &dict) {
      out += '{';
      bool first = true;
      for (const auto &item : dict.items) {
        if (!first)
          out += ", ";
        first = false;
        if (!appendRepr(out, item.first, pos, depth + 1))
          return false;
        out += ": ";
        if (!appendRepr(out, item.second, pos, depth + 1))
          return false;
      }
      out += '}';
      return true;
    };
    switch (v.kind) {
    case Kind::Undefined:
      out += "Undefined";
      return true;
    case Kind::None:
      out += "None";
      return true;
    case Kind::Bool:
      out += v.boolean ? "True" : "False";
      return true;
    case Kind::Int:
      out += std::to_string(v.integer);
      return true;
    case Kind::Float:
      out += pyFloatRepr(v.number);
      return true;
    case Kind::String:
      if (v.markup)
        out += "Markup(";
      appendStringRepr(out, v.text);
      if (v.markup)
        out += ')';
      return true;
    case Kind::List:
      switch (v.flavor) {
      case ListFlavor::List:
        return items(*v.list, "[", "]");
      case ListFlavor::Tuple:
        return items(*v.list, "(", v.list->size() == 1 ? ",)" : ")");
      case ListFlavor::Range:
        out += v.text;
        return true;
      case ListFlavor::DictKeys:
        return items(*v.list, "dict_keys([", "])");
      case ListFlavor::DictValues:
        return items(*v.list, "dict_values([", "])");
      case ListFlavor::DictItems:
        return items(*v.list, "dict_items([", "])");
      }
      return false;
    case Kind::Dict:
      return dictItems(*v.dict);
    case Kind::Namespace:
      out += "<Namespace ";
      if (!dictItems(*v.dict))
        return false;
      out += '>';
      return true;
    case Kind::Loop:
      out += "<LoopContext " + std::to_string(v.loop->index + 1) + "/" +
             std::to_string(v.loop->items->size()) + ">";
      return true;
    case Kind::Callable:
      // A macro prints its name; anything else would print an address.
      if (v.callable->kind == Callable::Kind::Macro ||
          v.callable->kind == Callable::Kind::Caller) {
        out += "<Macro '" + v.callable->name + "'>";
        return true;
      }
      unsupported(pos, "printing a function");
      return false;
    case Kind::Generator:
      unsupported(pos, "printing a generator (apply |list first)");
      return false;
    }
    return false;
  }

  /// Python's str(): what {{ }}, ~ and |string print.
  bool appendStr(std::string &out, const Value &v, SourcePos pos) {
    if (v.kind == Kind::Undefined)
      return true;
    if (v.kind == Kind::String) {
      out += v.text;
      return true;
    }
    return appendRepr(out, v, pos);
  }

  std::optional<std::string> toStr(const Value &v, SourcePos pos) {
    std::string s;
    if (!appendStr(s, v, pos))
      return std::nullopt;
    return s;
  }

  /// jinja2's soft_str: str(), keeping Markup.
  Value softStr(const Value &v, SourcePos pos) {
    if (v.kind == Kind::String)
      return v;
    std::optional<std::string> s = toStr(v, pos);
    return s ? Value::fromString(std::move(*s)) : Value();
  }

  /// iter(): the items of anything a for loop accepts.
  std::optional<ValueList> iterate(const Value &v, SourcePos pos) {
    switch (v.kind) {
    case Kind::Undefined:
      return ValueList();
    case Kind::String: {
      ValueList out;
      for (size_t i = 0; i < v.text.size();) {
        size_t start = i;
        decodeAt(v.text, i);
        out.push_back(Value::fromString(v.text.substr(start, i - start)));
      }
      return out;
    }
    case Kind::List:
      return *v.list;
    case Kind::Dict: {
      ValueList out;
      for (const auto &item : v.dict->items)
        out.push_back(item.first);
      return out;
    }
    case Kind::Loop:
      return *v.loop->items;
    case Kind::Generator: {
      GeneratorState &g = *v.generator;
      if (!g.buffer) {
        g.buffer = g.produce(*this);
        if (!g.buffer)
          return std::nullopt;
      }
      ValueList rest(g.buffer->begin() + g.next, g.buffer->end());
      g.next = g.buffer->size();
      return rest;
    }
    default:
      fail(pos, std::string("'") + typeName(v) + "' object is not iterable");
      return std::nullopt;
    }
  }

  /// len().
  std::optional<int64_t> length(const Value &v, SourcePos pos) {
    switch (v.kind) {
    case Kind::Undefined:
      return 0;
    case Kind::String:
      return codePointCount(v.text);
    case Kind::List:
      return v.list->size();
    case Kind::Dict:
      return v.dict->items.size();
    default:
      fail(pos,
           std::string("object of type '") + typeName(v) + "' has no len()");
      return std::nullopt;
    }
  }

  //===--------------------------------------------------------------------===//
  // Operators
  //===--------------------------------------------------------------------===//

  Value intResult(bool overflow, int64_t r, SourcePos pos) {
    if (overflow)
      return unsupported(pos, "an integer beyond 64 bits");
    return Value::fromInt(r);
  }

  Value typeError(SourcePos pos, const char *op, const Value &a,
                  const Value &b) {
    return fail(pos, std::string("unsupported operand type(s) for ") + op +
                         ": '" + typeName(a) + "' and '" + typeName(b) + "'");
  }

  Value repeat(const Value &seq, int64_t times, SourcePos pos) {
    if (times < 0)
      times = 0;
    size_t unit = seq.kind == Kind::String ? seq.text.size() : seq.list->size();
    if (unit && !checkSize(static_cast<uint64_t>(times) > kMaxText / unit
                               ? kMaxText + 1
                               : times * unit,
                           pos))
      return Value();
    if (seq.kind == Kind::String) {
      std::string out;
      for (int64_t k = 0; k < times; ++k)
        out += seq.text;
      return Value::fromString(std::move(out), seq.markup);
    }
    ValueList out;
    for (int64_t k = 0; k < times; ++k)
      out.insert(out.end(), seq.list->begin(), seq.list->end());
    return Value::fromList(std::move(out), seq.flavor);
  }

  Value binary(BinaryOp op, const Value &a, const Value &b, SourcePos pos) {
    if (a.isUndefined())
      return undefinedError(pos, a);
    if (b.isUndefined())
      return undefinedError(pos, b);
    static const char *const names[] = {"+", "-", "*", "/", "//", "%", "**"};
    const char *name = names[static_cast<int>(op)];
    bool ints = a.isIntegral() && b.isIntegral();
    bool numbers = a.isNumber() && b.isNumber();
    int64_t r = 0;
    switch (op) {
    case BinaryOp::Add:
      if (ints)
        return intResult(__builtin_add_overflow(a.asInt(), b.asInt(), &r), r,
                         pos);
      if (numbers)
        return Value::fromFloat(a.asFloat() + b.asFloat());
      if (a.isString() && b.isString()) {
        // Markup escapes what is added to it.
        if (a.markup != b.markup)
          return Value::fromString(a.markup ? a.text + htmlEscape(b.text)
                                            : htmlEscape(a.text) + b.text,
                                   true);
        return Value::fromString(a.text + b.text, a.markup);
      }
      if (a.kind == Kind::List && b.kind == Kind::List &&
          a.flavor == b.flavor &&
          (a.flavor == ListFlavor::List || a.flavor == ListFlavor::Tuple)) {
        ValueList out = *a.list;
        out.insert(out.end(), b.list->begin(), b.list->end());
        return Value::fromList(std::move(out), a.flavor);
      }
      return typeError(pos, name, a, b);
    case BinaryOp::Sub:
      if (ints)
        return intResult(__builtin_sub_overflow(a.asInt(), b.asInt(), &r), r,
                         pos);
      if (numbers)
        return Value::fromFloat(a.asFloat() - b.asFloat());
      return typeError(pos, name, a, b);
    case BinaryOp::Mul:
      if (ints)
        return intResult(__builtin_mul_overflow(a.asInt(), b.asInt(), &r), r,
                         pos);
      if (numbers)
        return Value::fromFloat(a.asFloat() * b.asFloat());
      if ((a.isString() || a.isSequence()) && a.flavor != ListFlavor::Range &&
          b.isIntegral())
        return repeat(a, b.asInt(), pos);
      if ((b.isString() || b.isSequence()) && b.flavor != ListFlavor::Range &&
          a.isIntegral())
        return repeat(b, a.asInt(), pos);
      return typeError(pos, name, a, b);
    case BinaryOp::Div:
      if (!numbers)
        return typeError(pos, name, a, b);
      if (b.asFloat() == 0)
        return fail(pos, "division by zero");
      return Value::fromFloat(a.asFloat() / b.asFloat());
    case BinaryOp::FloorDiv:
    case BinaryOp::Mod: {
      if (a.isString() && op == BinaryOp::Mod)
        return unsupported(pos, "'%' formatting of a string");
      if (!numbers)
        return typeError(pos, name, a, b);
      if ((ints && b.asInt() == 0) || (!ints && b.asFloat() == 0))
        return fail(pos, ints ? "integer division or modulo by zero"
                              : "float division by zero");
      if (ints) {
        int64_t x = a.asInt(), y = b.asInt();
        if (x == std::numeric_limits<int64_t>::min() && y == -1)
          return op == BinaryOp::Mod ? Value::fromInt(0)
                                     : unsupported(pos, "an integer beyond "
                                                        "64 bits");
        int64_t q = x / y, m = x % y;
        if (m != 0 && ((m < 0) != (y < 0))) {
          --q;
          m += y;
        }
        return Value::fromInt(op == BinaryOp::Mod ? m : q);
      }
      // CPython's float_divmod.
      double vx = a.asFloat(), wx = b.asFloat();
      double mod = std::fmod(vx, wx);
      double div = (vx - mod) / wx;
      if (mod != 0) {
        if ((wx < 0) != (mod < 0)) {
          mod += wx;
          div -= 1.0;
        }
      } else {
        mod = std::copysign(0.0, wx);
      }
      if (op == BinaryOp::Mod)
        return Value::fromFloat(mod);
      double floorDiv;
      if (div != 0) {
        floorDiv = std::floor(div);
        if (div - floorDiv > 0.5)
          floorDiv += 1.0;
      } else {
        floorDiv = std::copysign(0.0, vx / wx);
      }
      return Value::fromFloat(floorDiv);
    }
    case BinaryOp::Pow: {
      if (!numbers)
        return typeError(pos, name, a, b);
      if (ints && b.asInt() >= 0) {
        int64_t base = a.asInt(), exp = b.asInt(), result = 1;
        bool overflow = false;
        while (exp > 0 && !overflow) {
          if (exp & 1)
            overflow |= __builtin_mul_overflow(result, base, &result);
          exp >>= 1;
          if (exp)
            overflow |= __builtin_mul_overflow(base, base, &base);
        }
        return intResult(overflow, result, pos);
      }
      double x = a.asFloat(), y = b.asFloat();
      if (y == 0)
        return Value::fromFloat(1.0);
      if (x == 0 && y < 0)
        return fail(pos, "0.0 cannot be raised to a negative power");
      if (x < 0 && std::floor(y) != y && std::isfinite(y))
        return unsupported(pos, "a complex power");
      double result = std::pow(x, y);
      if (std::isinf(result) && std::isfinite(x) && std::isfinite(y))
        return fail(pos, "numerical result out of range");
      return Value::fromFloat(result);
    }
    }
    return Value();
  }

  /// Python's ordering: -1, 0, 1, or 2 when unordered (a NaN).
  std::optional<int> order(const Value &a, const Value &b, SourcePos pos) {
    if (a.isUndefined() || b.isUndefined()) {
      undefinedError(pos, a.isUndefined() ? a : b);
      return std::nullopt;
    }
    if (a.isIntegral() && b.isIntegral())
      return a.asInt() < b.asInt() ? -1 : a.asInt() > b.asInt() ? 1 : 0;
    if (a.isNumber() && b.isNumber()) {
      if (numbersEqual(a, b))
        return 0;
      double x = a.asFloat(), y = b.asFloat();
      if (std::isnan(x) || std::isnan(y))
        return 2;
      return x < y ? -1 : 1;
    }
    if (a.isString() && b.isString()) {
      int c = a.text.compare(b.text);
      return c < 0 ? -1 : c > 0 ? 1 : 0;
    }
    if (a.kind == Kind::List && b.kind == Kind::List && a.flavor == b.flavor &&
        (a.flavor == ListFlavor::List || a.flavor == ListFlavor::Tuple)) {
      size_t n = std::min(a.list->size(), b.list->size());
      for (size_t i = 0; i < n; ++i) {
        if (pyEquals((*a.list)[i], (*b.list)[i]))
          continue;
        return order((*a.list)[i], (*b.list)[i], pos);
      }
      return a.list->size() < b.list->size()   ? -1
             : a.list->size() > b.list->size() ? 1
                                               : 0;
    }
    fail(pos, std::string("'<' not supported between instances of '") +
                  typeName(a) + "' and '" + typeName(b) + "'");
    return std::nullopt;
  }

  /// `item in container`.
  std::optional<bool> contains(const Value &container, const Value &item,
                               SourcePos pos) {
    switch (container.kind) {
    case Kind::String:
      if (!item.isString()) {
        fail(pos, std::string("'in <string>' requires string as left "
                              "operand, not ") +
                      typeName(item));
        return std::nullopt;
      }
      return container.text.find(item.text) != std::string::npos;
    case Kind::Dict:
      if (item.kind == Kind::List || item.kind == Kind::Dict) {
        fail(pos, std::string("unhashable type: '") + typeName(item) + "'");
        return std::nullopt;
      }
      return dictFind(*container.dict, item) != nullptr;
    case Kind::List:
    case Kind::Undefined:
    case Kind::Generator:
    case Kind::Loop: {
      std::optional<ValueList> items = iterate(container, pos);
      if (!items)
        return std::nullopt;
      for (const Value &v : *items)
        if (pyEquals(v, item))
          return true;
      return false;
    }
    default:
      fail(pos, std::string("argument of type '") + typeName(container) +
                    "' is not iterable");
      return std::nullopt;
    }
  }

  std::optional<bool> compare(CompareOp op, const Value &a, const Value &b,
                              SourcePos pos) {
    switch (op) {
    case CompareOp::Eq:
      return pyEquals(a, b);
    case CompareOp::Ne:
      return !pyEquals(a, b);
    case CompareOp::In:
    case CompareOp::NotIn: {
      std::optional<bool> r = contains(b, a, pos);
      if (!r)
        return std::nullopt;
      return op == CompareOp::In ? *r : !*r;
    }
    default: {
      std::optional<int> c = order(a, b, pos);
      if (!c)
        return std::nullopt;
      if (*c == 2)
        return false;
      switch (op) {
      case CompareOp::Lt:
        return *c < 0;
      case CompareOp::Le:
        return *c <= 0;
      case CompareOp::Gt:
        return *c > 0;
      default:
        return *c >= 0;
      }
    }
    }
  }

  //===--------------------------------------------------------------------===//
  // Attribute and item access (jinja2's sandboxed getattr / getitem)
  //===--------------------------------------------------------------------===//

  Value method(const Value &self, const std::string &name) {
    Callable c;
    c.kind = Callable::Kind::Method;
    c.name = name;
    c.self = self;
    return callableValue(std::move(c));
  }

  /// Attributes Python objects have (methods included), or nothing when
  /// the object has no attribute `name`.
  std::optional<Value> pythonAttribute(const Value &obj,
                                       const std::string &name, SourcePos pos) {
    auto unsafe = [&] {
      return Value::undefined("access to attribute '" + name + "' of '" +
                              typeName(obj) + "' object is unsafe.");
    };
    switch (obj.kind) {
    case Kind::String:
      if (isOneOf(kStrMethods, name))
        return method(obj, name);
      break;
    case Kind::Dict:
      if (isOneOf(kDictMethods, name))
        return method(obj, name);
      if (isOneOf(kDictMutators, name))
        return unsafe();
      break;
    case Kind::List:
      if (obj.flavor == ListFlavor::List) {
        if (isOneOf(kListMethods, name))
          return method(obj, name);
        if (isOneOf(kListMutators, name))
          return unsafe();
      } else if (obj.flavor == ListFlavor::Tuple ||
                 obj.flavor == ListFlavor::Range) {
        if (name == "count" || name == "index")
          return method(obj, name);
        if (obj.flavor == ListFlavor::Range &&
            (name == "start" || name == "stop" || name == "step"))
          return unsupported(pos, "range." + name);
      } else if (name == "mapping" || name == "isdisjoint") {
        return unsupported(pos, std::string(typeName(obj)) + "." + name);
      }
      break;
    case Kind::Bool:
    case Kind::Int:
    case Kind::Float:
      if (isOneOf(kNumberAttributes, name))
        return unsupported(pos, std::string(typeName(obj)) + "." + name);
      break;
    case Kind::Loop:
      return loopAttribute(obj, name, pos);
    case Kind::Namespace:
      if (const Value *v = dictFind(*obj.dict, name))
        return *v;
      break;
    case Kind::Callable:
      return unsupported(pos, "an attribute of a function");
    default:
      break;
    }
    if (!name.empty() && name[0] == '_')
      return unsupported(pos, "the attribute '" + name + "'");
    return std::nullopt;
  }

  std::optional<Value> loopAttribute(const Value &obj, const std::string &name,
                                     SourcePos pos) {
    const LoopState &loop = *obj.loop;
    int64_t i = loop.index, n = loop.items->size();
    if (name == "index")
      return Value::fromInt(i + 1);
    if (name == "index0")
      return Value::fromInt(i);
    if (name == "revindex")
      return Value::fromInt(n - i);
    if (name == "revindex0")
      return Value::fromInt(n - i - 1);
    if (name == "first")
      return Value::fromBool(i == 0);
    if (name == "last")
      return Value::fromBool(i == n - 1);
    if (name == "length")
      return Value::fromInt(n);
    if (name == "depth")
      return Value::fromInt(1);
    if (name == "depth0")
      return Value::fromInt(0);
    if (name == "previtem")
      return i > 0 ? (*loop.items)[i - 1]
                   : Value::undefined("there is no previous item");
    if (name == "nextitem")
      return i + 1 < n ? (*loop.items)[i + 1]
                       : Value::undefined("there is no next item");
    if (name == "cycle") {
      Callable c;
      c.kind = Callable::Kind::LoopCycle;
      c.self = obj;
      return callableValue(std::move(c));
    }
    if (name == "changed")
      return unsupported(pos, "loop.changed");
    return std::nullopt;
  }

  static std::string objectName(const Value &obj) {
    return std::string("'") + typeName(obj) + " object'";
  }

  /// `obj.name`: the Python attribute, else the item, else undefined.
  Value getattr(const Value &obj, const std::string &name, SourcePos pos) {
    if (obj.isUndefined())
      return undefinedError(pos, obj);
    if (std::optional<Value> attr = pythonAttribute(obj, name, pos))
      return *attr;
    if (failed())
      return Value();
    if (obj.kind == Kind::Dict)
      if (const Value *v = dictFind(*obj.dict, name))
        return *v;
    return Value::undefined(objectName(obj) + " has no attribute '" + name +
                            "'");
  }

  /// `obj[key]`: the item, else (for a string key) the Python attribute,
  /// else undefined.
  Value getitem(const Value &obj, const Value &key, SourcePos pos) {
    if (obj.isUndefined())
      return undefinedError(pos, obj);
    switch (obj.kind) {
    case Kind::Dict:
      // An unhashable key is a TypeError, which jinja2 turns into
      // undefined like a missing key.
      if (const Value *v = dictFind(*obj.dict, key))
        return *v;
      break;
    case Kind::List:
      if (obj.isSequence() && key.isIntegral()) {
        int64_t n = obj.list->size(), i = key.asInt();
        if (i < 0)
          i += n;
        if (i >= 0 && i < n)
          return (*obj.list)[i];
        return Value::undefined(objectName(obj) + " has no element " +
                                std::to_string(key.asInt()));
      }
      break;
    case Kind::String:
      if (key.isIntegral()) {
        std::vector<uint32_t> cps = toCodePoints(obj.text);
        int64_t n = cps.size(), i = key.asInt();
        if (i < 0)
          i += n;
        if (i >= 0 && i < n)
          return Value::fromString(fromCodePoints(&cps[i], &cps[i] + 1));
        return Value::undefined(objectName(obj) + " has no element " +
                                std::to_string(key.asInt()));
      }
      break;
    default:
      break;
    }
    if (key.isString()) {
      if (std::optional<Value> attr = pythonAttribute(obj, key.text, pos))
        return *attr;
      if (failed())
        return Value();
      return Value::undefined(objectName(obj) + " has no attribute '" +
                              key.text + "'");
    }
    return Value::undefined(objectName(obj) + " has no element");
  }

  Value slice(const Value &obj, const Value *start, const Value *stop,
              const Value *step, SourcePos pos) {
    if (obj.isUndefined())
      return undefinedError(pos, obj);
    auto index = [](const Value *v, bool &ok) -> std::optional<int64_t> {
      if (!v || v->kind == Kind::None)
        return std::nullopt;
      if (!v->isIntegral()) {
        ok = false;
        return std::nullopt;
      }
      return v->asInt();
    };
    bool ok = true;
    std::optional<int64_t> a = index(start, ok), b = index(stop, ok),
                           c = index(step, ok);
    bool sliceable = obj.kind == Kind::String ||
                     (obj.isSequence() && obj.flavor != ListFlavor::Range);
    if (obj.kind == Kind::List && obj.flavor == ListFlavor::Range)
      return unsupported(pos, "slicing a range");
    if (!sliceable || !ok)
      return Value::undefined(objectName(obj) + " has no such slice");
    if (c && *c == 0)
      return fail(pos, "slice step cannot be zero");
    int64_t s = c ? *c : 1;
    if (obj.kind == Kind::String) {
      std::vector<uint32_t> cps = toCodePoints(obj.text);
      SliceRange r = adjustSlice(a, b, s, cps.size());
      std::string out;
      for (size_t k = 0; k < r.count; ++k)
        appendUtf8(out, cps[r.start + k * s]);
      return Value::fromString(std::move(out));
    }
    SliceRange r = adjustSlice(a, b, s, obj.list->size());
    ValueList out;
    for (size_t k = 0; k < r.count; ++k)
      out.push_back((*obj.list)[r.start + k * s]);
    return Value::fromList(std::move(out), obj.flavor);
  }

  /// Looks up `attribute` ("a.b.0") in `item` as jinja2's make_attrgetter.
  Value attributePath(const Value &item, const std::string &attribute,
                      SourcePos pos, const Value *defaultValue = nullptr) {
    Value v = item;
    size_t start = 0;
    while (true) {
      size_t dot = attribute.find('.', start);
      std::string part = attribute.substr(
          start, dot == std::string::npos ? std::string::npos : dot - start);
      bool digits = !part.empty() &&
                    std::all_of(part.begin(), part.end(),
                                [](char c) { return c >= '0' && c <= '9'; });
      Value key = Value::fromString(part);
      if (digits) {
        int64_t i = 0;
        std::from_chars(part.data(), part.data() + part.size(), i);
        key = Value::fromInt(i);
      }
      v = getitem(v, key, pos);
      if (defaultValue && v.isUndefined())
        v = *defaultValue;
      if (failed() || dot == std::string::npos)
        return v;
      start = dot + 1;
    }
  }

  //===--------------------------------------------------------------------===//
  // Calls
  //===--------------------------------------------------------------------===//

  using Bound = std::vector<std::optional<Value>>;

  /// Binds `args` to `params` as a Python call does; unset ones stay empty.
  bool bind(const Args &args, std::initializer_list<const char *> params,
            const std::string &name, SourcePos pos, Bound &out) {
    out.assign(params.size(), std::nullopt);
    if (args.positional.size() > params.size()) {
      fail(pos, name + "() takes at most " + std::to_string(params.size()) +
                    " argument(s)");
      return false;
    }
    for (size_t i = 0; i < args.positional.size(); ++i)
      out[i] = args.positional[i];
    for (const auto &kw : args.keywords) {
      const char *const *it =
          std::find_if(params.begin(), params.end(),
                       [&](const char *p) { return kw.first == p; });
      if (it == params.end()) {
        fail(pos,
             name + "() got an unexpected keyword argument '" + kw.first + "'");
        return false;
      }
      size_t i = it - params.begin();
      if (out[i]) {
        fail(pos,
             name + "() got multiple values for argument '" + kw.first + "'");
        return false;
      }
      out[i] = kw.second;
    }
    return true;
  }

  std::optional<std::string> strArg(const Value &v, const std::string &what,
                                    SourcePos pos) {
    if (!v.isString()) {
      fail(pos, what + " must be str, not " + typeName(v));
      return std::nullopt;
    }
    return v.text;
  }

  std::optional<int64_t> intArg(const Value &v, const std::string &what,
                                SourcePos pos) {
    if (!v.isIntegral()) {
      fail(pos, std::string("'") + typeName(v) +
                    "' object cannot be "
                    "interpreted as an integer (" +
                    what + ")");
      return std::nullopt;
    }
    return v.asInt();
  }

  Value call(const Value &callee, const Args &args, SourcePos pos,
             const Value *caller = nullptr) {
    if (callee.isUndefined())
      return undefinedError(pos, callee);
    if (callee.kind != Kind::Callable)
      return fail(pos, std::string("'") + typeName(callee) +
                           "' object is not callable");
    const Callable &c = *callee.callable;
    if (caller && c.kind != Callable::Kind::Macro)
      return unsupported(pos, "a call block that calls something other than "
                              "a macro");
    switch (c.kind) {
    case Callable::Kind::Global:
      return callGlobal(c.name, args, pos);
    case Callable::Kind::Method:
      return callMethod(c.self, c.name, args, pos);
    case Callable::Kind::Macro:
      return callMacro(c, args, pos, caller);
    case Callable::Kind::Caller: {
      if (!args.positional.empty() || !args.keywords.empty())
        return unsupported(pos, "passing arguments to caller()");
      std::string out;
      if (!enterCall(pos))
        return Value();
      execBody(c.stmt->bodies[0], newScope(c.closure), out);
      --callDepth;
      return failed() ? Value() : Value::fromString(std::move(out));
    }
    case Callable::Kind::LoopCycle: {
      if (!args.keywords.empty() || args.positional.empty())
        return fail(pos, "loop.cycle() needs at least one positional argument");
      return args.positional[c.self.loop->index % args.positional.size()];
    }
    }
    return Value();
  }

  bool enterCall(SourcePos pos) {
    if (!step(pos))
      return false;
    if (callDepth >= 64) {
      fail(pos, "macro calls nested too deeply");
      return false;
    }
    ++callDepth;
    return true;
  }

  Value callMacro(const Callable &c, const Args &args, SourcePos pos,
                  const Value *caller) {
    const Stmt &m = *c.stmt;
    size_t nParams = m.params.size();
    size_t firstDefault = nParams - m.exprs.size();
    if (args.positional.size() > nParams)
      return fail(pos, "macro '" + m.name + "' takes not more than " +
                           std::to_string(nParams) + " argument(s)");
    auto scope = newScope(c.closure);
    std::vector<bool> bound(nParams, false);
    for (size_t i = 0; i < args.positional.size(); ++i) {
      scope->set(m.params[i], args.positional[i]);
      bound[i] = true;
    }
    for (const auto &kw : args.keywords) {
      auto it = std::find(m.params.begin(), m.params.end(), kw.first);
      if (it == m.params.end())
        return fail(pos, "macro '" + m.name + "' takes no keyword argument '" +
                             kw.first + "'");
      size_t i = it - m.params.begin();
      if (bound[i])
        return fail(pos, "macro '" + m.name +
                             "' got multiple values for argument '" + kw.first +
                             "'");
      scope->set(kw.first, kw.second);
      bound[i] = true;
    }
    // Defaults are evaluated at call time, in the macro's scope, in order.
    for (size_t i = 0; i < nParams; ++i) {
      if (bound[i])
        continue;
      Value v = i >= firstDefault
                    ? eval(*m.exprs[i - firstDefault], scope)
                    : Value::undefined("parameter '" + m.params[i] +
                                       "' was not provided");
      if (failed())
        return Value();
      scope->set(m.params[i], std::move(v));
    }
    if (caller)
      scope->set("caller", *caller);
    if (!enterCall(pos))
      return Value();
    std::string out;
    execBody(m.bodies[0], scope, out);
    --callDepth;
    return failed() ? Value() : Value::fromString(std::move(out));
  }

  Value callGlobal(const std::string &name, const Args &args, SourcePos pos) {
    if (name == "raise_exception") {
      if (args.positional.size() != 1 || !args.keywords.empty())
        return fail(pos, "raise_exception() takes one argument");
      std::optional<std::string> message = toStr(args.positional[0], pos);
      return message ? fail(pos, *message) : Value();
    }
    if (name == "namespace" || name == "dict") {
      DictData data;
      if (args.positional.size() > 1)
        return fail(pos, name + "() takes at most one positional argument");
      if (args.positional.size() == 1) {
        const Value &from = args.positional[0];
        if (from.kind != Kind::Dict)
          return unsupported(pos, name + "() of a " + typeName(from));
        data = *from.dict;
      }
      for (const auto &kw : args.keywords)
        dictSet(data, Value::fromString(kw.first), kw.second);
      if (name == "dict")
        return Value::fromDict(std::move(data));
      Value ns = Value::namespaceOf(std::move(data));
      namespaces.push_back(ns.dict);
      return ns;
    }
    if (name == "range")
      return range(args, pos);
    if (name == "strftime_now") {
      Bound p;
      if (!bind(args, {"format"}, name, pos, p))
        return Value();
      if (!p[0])
        return fail(pos, "strftime_now() missing the format");
      std::optional<std::string> format = strArg(*p[0], "format", pos);
      return format ? strftimeNow(*format) : Value();
    }
    return fail(pos, "unknown function '" + name + "'");
  }

  Value range(const Args &args, SourcePos pos) {
    if (!args.keywords.empty() || args.positional.empty() ||
        args.positional.size() > 3)
      return fail(pos, "range() takes 1 to 3 positional arguments");
    int64_t bounds[3] = {0, 0, 1};
    for (size_t i = 0; i < args.positional.size(); ++i) {
      std::optional<int64_t> v = intArg(args.positional[i], "range", pos);
      if (!v)
        return Value();
      bounds[args.positional.size() == 1 ? 1 : i] = *v;
    }
    int64_t start = bounds[0], stop = bounds[1], step = bounds[2];
    if (step == 0)
      return fail(pos, "range() arg 3 must not be zero");
    // The sandbox's limit (jinja2 MAX_RANGE).
    int64_t count = step > 0
                        ? (stop > start ? (stop - start - 1) / step + 1 : 0)
                        : (start > stop ? (start - stop - 1) / -step + 1 : 0);
    if (count > 100000)
      return fail(pos, "range too big, the sandbox blocks ranges larger than "
                       "MAX_RANGE (100000)");
    ValueList items;
    for (int64_t k = 0; k < count; ++k)
      items.push_back(Value::fromInt(start + k * step));
    Value v = Value::fromList(std::move(items), ListFlavor::Range);
    v.text = "range(" + std::to_string(start) + ", " + std::to_string(stop) +
             (step != 1 ? ", " + std::to_string(step) : "") + ")";
    return v;
  }

  /// datetime.now().strftime(format): Python formats %f, %z and %Z of a
  /// naive datetime itself and hands the rest to the C library.
  Value strftimeNow(const std::string &format) {
    std::tm tm{};
    long micros = 0;
    if (fixedTime) {
      std::tm copy = *fixedTime;
      time_t t = timegm(&copy);
      gmtime_r(&t, &tm);
    } else {
      auto now = std::chrono::system_clock::now();
      time_t t = std::chrono::system_clock::to_time_t(now);
      localtime_r(&t, &tm);
      micros = std::chrono::duration_cast<std::chrono::microseconds>(
                   now.time_since_epoch())
                   .count() %
               1000000;
    }
    std::string fmt;
    for (size_t i = 0; i < format.size(); ++i) {
      if (format[i] == '%' && i + 1 < format.size()) {
        char c = format[i + 1];
        ++i;
        if (c == 'f') {
          char buffer[8];
          snprintf(buffer, sizeof buffer, "%06ld", micros);
          fmt += buffer;
        } else if (c != 'z' && c != 'Z') {
          fmt += '%';
          fmt += c;
        }
        continue;
      }
      fmt += format[i];
    }
    // A trailing character tells an empty result from a failed one.
    fmt += '.';
    std::vector<char> buffer(256);
    while (true) {
      size_t n = std::strftime(buffer.data(), buffer.size(), fmt.c_str(), &tm);
      if (n > 0)
        return Value::fromString(std::string(buffer.data(), n - 1));
      if (buffer.size() > (1 << 20))
        return Value::fromString("");
      buffer.resize(buffer.size() * 4);
    }
  }

  //===--------------------------------------------------------------------===//
  // Methods of str, dict and list
  //===--------------------------------------------------------------------===//

  Value caseMapped(const Value &s, CaseMap mode, const std::string &what,
                   SourcePos pos, bool keepMarkup) {
    std::optional<std::string> mapped = caseMap(s.text, mode);
    if (!mapped)
      return unsupported(pos, what + " of text with non-ASCII cased letters");
    return Value::fromString(std::move(*mapped), keepMarkup && s.markup);
  }

  /// A str method that returns a bool from a per-code-point test; false on
  /// empty text, as Python's.
  Value asciiPredicate(const Value &self, const std::string &name,
                       SourcePos pos, bool (*pred)(uint32_t)) {
    std::vector<uint32_t> cps = toCodePoints(self.text);
    for (uint32_t cp : cps)
      if (cp >= 0x80)
        return unsupported(pos, "str." + name + "() of non-ASCII text");
    return Value::fromBool(!cps.empty() &&
                           std::all_of(cps.begin(), cps.end(), pred));
  }

  Value strMethod(const Value &self, const std::string &name, const Args &args,
                  SourcePos pos) {
    Bound p;
    std::string fn = "str." + name;
    if (self.markup && name != "strip" && name != "lstrip" &&
        name != "rstrip" && name != "upper" && name != "lower")
      return unsupported(pos, fn + "() of Markup");
    if (name == "strip" || name == "lstrip" || name == "rstrip") {
      if (!bind(args, {"chars"}, fn, pos, p))
        return Value();
      std::optional<std::string> chars;
      if (p[0] && p[0]->kind != Kind::None)
        if (!(chars = strArg(*p[0], fn + "() chars", pos)))
          return Value();
      return Value::fromString(pyStrip(self.text, chars ? &*chars : nullptr,
                                       name != "rstrip", name != "lstrip"),
                               self.markup);
    }
    if (name == "split" || name == "rsplit") {
      if (!bind(args, {"sep", "maxsplit"}, fn, pos, p))
        return Value();
      std::optional<std::string> sep;
      if (p[0] && p[0]->kind != Kind::None)
        if (!(sep = strArg(*p[0], fn + "() sep", pos)))
          return Value();
      if (sep && sep->empty())
        return fail(pos, "empty separator");
      int64_t maxSplit = -1;
      if (p[1]) {
        std::optional<int64_t> m = intArg(*p[1], "maxsplit", pos);
        if (!m)
          return Value();
        maxSplit = *m;
      }
      return Value::fromList(pySplit(self.text, sep ? &*sep : nullptr, maxSplit,
                                     name == "rsplit"));
    }
    if (name == "splitlines") {
      if (!bind(args, {"keepends"}, fn, pos, p))
        return Value();
      ValueList lines;
      for (std::string &line : pySplitLines(self.text, p[0] && truthy(*p[0])))
        lines.push_back(Value::fromString(std::move(line)));
      return Value::fromList(std::move(lines));
    }
    if (name == "startswith" || name == "endswith") {
      if (!bind(args, {"prefix"}, fn, pos, p))
        return Value();
      if (!p[0])
        return fail(pos, fn + "() takes at least 1 argument");
      ValueList options;
      if (p[0]->kind == Kind::List && p[0]->flavor == ListFlavor::Tuple)
        options = *p[0]->list;
      else
        options.push_back(*p[0]);
      for (const Value &o : options) {
        std::optional<std::string> affix = strArg(o, fn + "() argument", pos);
        if (!affix)
          return Value();
        std::string_view text = self.text;
        if (text.size() >= affix->size() &&
            (name == "startswith"
                 ? text.substr(0, affix->size()) == *affix
                 : text.substr(text.size() - affix->size()) == *affix))
          return Value::fromBool(true);
      }
      return Value::fromBool(false);
    }
    if (name == "upper" || name == "lower" || name == "title" ||
        name == "capitalize") {
      if (!bind(args, {}, fn, pos, p))
        return Value();
      CaseMap mode = name == "upper"   ? CaseMap::Upper
                     : name == "lower" ? CaseMap::Lower
                     : name == "title" ? CaseMap::Title
                                       : CaseMap::Capitalize;
      return caseMapped(self, mode, fn + "()", pos, true);
    }
    if (name == "replace") {
      if (!bind(args, {"old", "new", "count"}, fn, pos, p))
        return Value();
      if (!p[0] || !p[1])
        return fail(pos, fn + "() takes at least 2 arguments");
      std::optional<std::string> old =
          strArg(*p[0], "replace() argument 1", pos);
      std::optional<std::string> replacement =
          old ? strArg(*p[1], "replace() argument 2", pos) : std::nullopt;
      if (!replacement)
        return Value();
      int64_t count = -1;
      if (p[2]) {
        std::optional<int64_t> c = intArg(*p[2], "count", pos);
        if (!c)
          return Value();
        count = *c;
      }
      if (!checkSize(pyReplaceSize(self.text, *old, *replacement, count), pos))
        return Value();
      return Value::fromString(pyReplace(self.text, *old, *replacement, count));
    }
    if (name == "find" || name == "rfind" || name == "count") {
      if (!bind(args, {"sub"}, fn, pos, p))
        return Value();
      if (!p[0])
        return fail(pos, fn + "() takes exactly one argument");
      std::optional<std::string> sub = strArg(*p[0], fn + "() argument", pos);
      if (!sub)
        return Value();
      if (name == "count") {
        if (sub->empty())
          return Value::fromInt(codePointCount(self.text) + 1);
        int64_t n = 0;
        for (size_t at = self.text.find(*sub); at != std::string::npos;
             at = self.text.find(*sub, at + sub->size()))
          ++n;
        return Value::fromInt(n);
      }
      size_t at = name == "find" ? self.text.find(*sub) : self.text.rfind(*sub);
      if (at == std::string::npos)
        return Value::fromInt(-1);
      return Value::fromInt(
          codePointCount(std::string_view(self.text).substr(0, at)));
    }
    if (name == "join") {
      if (!bind(args, {"iterable"}, fn, pos, p))
        return Value();
      if (!p[0])
        return fail(pos, fn + "() takes exactly one argument");
      std::optional<ValueList> items = iterate(*p[0], pos);
      if (!items)
        return Value();
      std::string out;
      for (size_t i = 0; i < items->size(); ++i) {
        std::optional<std::string> s =
            strArg((*items)[i], "sequence item " + std::to_string(i), pos);
        if (!s)
          return Value();
        if (i)
          out += self.text;
        out += *s;
        if (!checkSize(out.size(), pos))
          return Value();
      }
      return Value::fromString(std::move(out));
    }
    if (name == "removeprefix" || name == "removesuffix") {
      if (!bind(args, {"affix"}, fn, pos, p))
        return Value();
      if (!p[0])
        return fail(pos, fn + "() takes exactly one argument");
      std::optional<std::string> affix = strArg(*p[0], fn + "() argument", pos);
      if (!affix)
        return Value();
      std::string_view text = self.text;
      if (name == "removeprefix" && text.substr(0, affix->size()) == *affix)
        text.remove_prefix(affix->size());
      else if (name == "removesuffix" && text.size() >= affix->size() &&
               text.substr(text.size() - affix->size()) == *affix)
        text.remove_suffix(affix->size());
      return Value::fromString(std::string(text));
    }
    if (name == "isspace") {
      if (!bind(args, {}, fn, pos, p))
        return Value();
      std::vector<uint32_t> cps = toCodePoints(self.text);
      return Value::fromBool(!cps.empty() &&
                             std::all_of(cps.begin(), cps.end(), isPySpace));
    }
    if (name == "isdigit" || name == "isdecimal" || name == "isnumeric") {
      if (!bind(args, {}, fn, pos, p))
        return Value();
      return asciiPredicate(self, name, pos,
                            [](uint32_t c) { return c >= '0' && c <= '9'; });
    }
    if (name == "isalpha") {
      if (!bind(args, {}, fn, pos, p))
        return Value();
      return asciiPredicate(self, name, pos, isAsciiLetter);
    }
    if (name == "isalnum") {
      if (!bind(args, {}, fn, pos, p))
        return Value();
      return asciiPredicate(self, name, pos, [](uint32_t c) {
        return isAsciiLetter(c) || (c >= '0' && c <= '9');
      });
    }
    if (name == "islower" || name == "isupper") {
      if (!bind(args, {}, fn, pos, p))
        return Value();
      std::optional<bool> r = hasCase(self.text, name == "islower", pos);
      return r ? Value::fromBool(*r) : Value();
    }
    return unsupported(pos, fn + "()");
  }

  /// str.islower() / str.isupper(): some cased letter and none of the
  /// other case.
  std::optional<bool> hasCase(const std::string &text, bool lower,
                              SourcePos pos) {
    bool any = false;
    for (uint32_t cp : toCodePoints(text)) {
      if (isCasedBeyondAscii(cp)) {
        unsupported(pos, "a case test of text with non-ASCII cased letters");
        return std::nullopt;
      }
      if (!isAsciiLetter(cp))
        continue;
      if ((cp >= 'a' && cp <= 'z') != lower)
        return false;
      any = true;
    }
    return any;
  }

  Value callMethod(const Value &self, const std::string &name, const Args &args,
                   SourcePos pos) {
    if (self.kind == Kind::String)
      return strMethod(self, name, args, pos);
    Bound p;
    std::string fn = std::string(typeName(self)) + "." + name;
    if (self.kind == Kind::Dict) {
      if (name == "get") {
        if (!bind(args, {"key", "default"}, fn, pos, p))
          return Value();
        if (!p[0])
          return fail(pos, "get expected at least 1 argument");
        if (const Value *v = dictFind(*self.dict, *p[0]))
          return *v;
        return p[1] ? *p[1] : Value::none();
      }
      if (!bind(args, {}, fn, pos, p))
        return Value();
      if (name == "copy")
        return Value::fromDict(*self.dict);
      ValueList out;
      for (const auto &item : self.dict->items) {
        if (name == "keys")
          out.push_back(item.first);
        else if (name == "values")
          out.push_back(item.second);
        else if (name == "items")
          out.push_back(
              Value::fromList({item.first, item.second}, ListFlavor::Tuple));
        else
          return unsupported(pos, fn + "()");
      }
      return Value::fromList(std::move(out),
                             name == "keys"     ? ListFlavor::DictKeys
                             : name == "values" ? ListFlavor::DictValues
                                                : ListFlavor::DictItems);
    }
    if (self.kind == Kind::List) {
      if (name == "copy") {
        if (!bind(args, {}, fn, pos, p))
          return Value();
        return Value::fromList(*self.list, self.flavor);
      }
      if (!bind(args, {"value"}, fn, pos, p))
        return Value();
      if (!p[0])
        return fail(pos, fn + "() takes exactly one argument");
      int64_t count = 0;
      for (size_t i = 0; i < self.list->size(); ++i) {
        if (!pyEquals((*self.list)[i], *p[0]))
          continue;
        if (name == "index")
          return Value::fromInt(i);
        ++count;
      }
      if (name == "index")
        return fail(pos, "value is not in list");
      return Value::fromInt(count);
    }
    return unsupported(pos, fn + "()");
  }

  //===--------------------------------------------------------------------===//
  // Tests
  //===--------------------------------------------------------------------===//

  std::optional<bool> test(const std::string &name, const Value &v,
                           const Args &args, SourcePos pos) {
    Bound p;
    auto arg = [&](const char *param) -> const Value * {
      if (!bind(args, {param}, name, pos, p))
        return nullptr;
      if (!p[0]) {
        fail(pos, "the test '" + name + "' takes an argument");
        return nullptr;
      }
      return &*p[0];
    };
    auto noArgs = [&] { return bind(args, {}, name, pos, p); };
    if (name == "defined" || name == "undefined") {
      if (!noArgs())
        return std::nullopt;
      return v.isUndefined() == (name == "undefined");
    }
    if (name == "none")
      return noArgs() ? std::optional(v.kind == Kind::None) : std::nullopt;
    if (name == "boolean")
      return noArgs() ? std::optional(v.kind == Kind::Bool) : std::nullopt;
    if (name == "true" || name == "false") {
      if (!noArgs())
        return std::nullopt;
      return v.kind == Kind::Bool && v.boolean == (name == "true");
    }
    if (name == "integer")
      return noArgs() ? std::optional(v.kind == Kind::Int) : std::nullopt;
    if (name == "float")
      return noArgs() ? std::optional(v.kind == Kind::Float) : std::nullopt;
    if (name == "number")
      return noArgs() ? std::optional(v.isNumber()) : std::nullopt;
    if (name == "string")
      return noArgs() ? std::optional(v.isString()) : std::nullopt;
    if (name == "mapping")
      return noArgs() ? std::optional(v.kind == Kind::Dict) : std::nullopt;
    if (name == "escaped")
      return noArgs() ? std::optional(v.isString() && v.markup) : std::nullopt;
    if (name == "callable")
      return noArgs()
                 ? std::optional(v.kind == Kind::Callable || v.isUndefined())
                 : std::nullopt;
    if (name == "sequence") {
      // len() and __getitem__: Undefined has both.
      if (!noArgs())
        return std::nullopt;
      return v.isString() || v.kind == Kind::Dict || v.isUndefined() ||
             v.isSequence();
    }
    if (name == "iterable") {
      if (!noArgs())
        return std::nullopt;
      return v.isString() || v.kind == Kind::List || v.kind == Kind::Dict ||
             v.isUndefined() || v.kind == Kind::Generator ||
             v.kind == Kind::Loop;
    }
    if (name == "odd" || name == "even" || name == "divisibleby") {
      Value divisor = Value::fromInt(2);
      if (name == "divisibleby") {
        const Value *d = arg("num");
        if (!d)
          return std::nullopt;
        divisor = *d;
      } else if (!noArgs()) {
        return std::nullopt;
      }
      Value r = binary(BinaryOp::Mod, v, divisor, pos);
      if (failed())
        return std::nullopt;
      return pyEquals(r, Value::fromInt(name == "odd" ? 1 : 0));
    }
    if (name == "lower" || name == "upper") {
      if (!noArgs())
        return std::nullopt;
      std::optional<std::string> s = toStr(v, pos);
      if (!s)
        return std::nullopt;
      return hasCase(*s, name == "lower", pos);
    }
    if (name == "filter" || name == "test") {
      if (!noArgs())
        return std::nullopt;
      return v.isString() && (name == "filter" ? isOneOf(kJinjaFilters, v.text)
                                               : isOneOf(kJinjaTests, v.text));
    }
    if (name == "sameas") {
      const Value *other = arg("other");
      if (!other)
        return std::nullopt;
      if (v.kind == Kind::None || v.kind == Kind::Bool ||
          other->kind == Kind::None || other->kind == Kind::Bool)
        return v.kind == other->kind && v.boolean == other->boolean;
      if (v.kind != other->kind)
        return false;
      if (v.kind == Kind::List)
        return v.list == other->list;
      if (v.kind == Kind::Dict || v.kind == Kind::Namespace)
        return v.dict == other->dict;
      unsupported(pos, std::string("the test 'sameas' on a ") + typeName(v));
      return std::nullopt;
    }
    if (name == "in") {
      const Value *seq = arg("seq");
      if (!seq)
        return std::nullopt;
      return contains(*seq, v, pos);
    }
    std::optional<CompareOp> op;
    if (name == "==" || name == "eq" || name == "equalto")
      op = CompareOp::Eq;
    else if (name == "!=" || name == "ne")
      op = CompareOp::Ne;
    else if (name == ">" || name == "gt" || name == "greaterthan")
      op = CompareOp::Gt;
    else if (name == ">=" || name == "ge")
      op = CompareOp::Ge;
    else if (name == "<" || name == "lt" || name == "lessthan")
      op = CompareOp::Lt;
    else if (name == "<=" || name == "le")
      op = CompareOp::Le;
    if (op) {
      const Value *other = arg("other");
      if (!other)
        return std::nullopt;
      return compare(*op, v, *other, pos);
    }
    fail(pos, "no test named '" + name + "'");
    return std::nullopt;
  }

  //===--------------------------------------------------------------------===//
  // Filters
  //===--------------------------------------------------------------------===//

  /// jinja2's select/reject/selectattr/rejectattr.
  Value selectOrReject(const Value &input, const Args &args, bool select,
                       bool byAttribute, SourcePos pos) {
    if (!truthy(input))
      return generatorOf({});
    std::optional<std::string> attribute;
    size_t off = 0;
    if (byAttribute) {
      if (args.positional.empty())
        return fail(pos, "missing parameter for attribute name");
      std::optional<std::string> a = toStr(args.positional[0], pos);
      if (!a)
        return Value();
      attribute = std::move(a);
      off = 1;
    }
    std::optional<std::string> testName;
    Args testArgs;
    if (args.positional.size() > off) {
      if (!args.positional[off].isString())
        return unsupported(pos, "a test name that is not a string");
      testName = args.positional[off].text;
      testArgs.positional.assign(args.positional.begin() + off + 1,
                                 args.positional.end());
    }
    testArgs.keywords = args.keywords;
    return generatorValue(
        [input, attribute, testName, testArgs, select,
         pos](Interpreter &in) -> std::optional<ValueList> {
          std::optional<ValueList> items = in.iterate(input, pos);
          if (!items)
            return std::nullopt;
          ValueList out;
          for (const Value &item : *items) {
            Value subject =
                attribute ? in.attributePath(item, *attribute, pos) : item;
            if (in.failed())
              return std::nullopt;
            bool keep;
            if (testName) {
              if (!isSupportedTest(*testName)) {
                in.fail(pos, "no test named '" + *testName + "'");
                return std::nullopt;
              }
              std::optional<bool> r =
                  in.test(*testName, subject, testArgs, pos);
              if (!r)
                return std::nullopt;
              keep = *r;
            } else {
              keep = truthy(subject);
            }
            if (keep == select)
              out.push_back(item);
          }
          return out;
        },
        std::max(input.depth, argsDepth(testArgs)));
  }

  Value mapFilter(const Value &input, const Args &args, SourcePos pos) {
    if (!truthy(input))
      return generatorOf({});
    std::optional<std::string> attribute;
    std::optional<Value> defaultValue;
    std::string filterName;
    Args filterArgs;
    bool byAttribute =
        args.positional.empty() &&
        std::any_of(args.keywords.begin(), args.keywords.end(),
                    [](const auto &kw) { return kw.first == "attribute"; });
    if (byAttribute) {
      for (const auto &kw : args.keywords) {
        if (kw.first == "attribute") {
          std::optional<std::string> a = toStr(kw.second, pos);
          if (!a)
            return Value();
          attribute = std::move(a);
        } else if (kw.first == "default") {
          defaultValue = kw.second;
        } else {
          return fail(pos, "unexpected keyword argument '" + kw.first + "'");
        }
      }
    } else {
      if (args.positional.empty())
        return fail(pos, "map requires a filter argument");
      if (!args.positional[0].isString())
        return unsupported(pos, "a filter name that is not a string");
      filterName = args.positional[0].text;
      if (!isOneOf(kSupportedFilters, filterName))
        return isOneOf(kJinjaFilters, filterName)
                   ? unsupported(pos, "the filter '" + filterName + "'")
                   : fail(pos, "no filter named '" + filterName + "'");
      filterArgs.positional.assign(args.positional.begin() + 1,
                                   args.positional.end());
      filterArgs.keywords = args.keywords;
    }
    return generatorValue(
        [input, attribute, defaultValue, filterName, filterArgs,
         pos](Interpreter &in) -> std::optional<ValueList> {
          std::optional<ValueList> items = in.iterate(input, pos);
          if (!items)
            return std::nullopt;
          ValueList out;
          for (const Value &item : *items) {
            Value v;
            if (attribute) {
              bool hasDefault =
                  defaultValue && defaultValue->kind != Kind::None;
              v = in.attributePath(item, *attribute, pos,
                                   hasDefault ? &*defaultValue : nullptr);
            } else {
              v = in.filter(filterName, item, filterArgs, pos);
            }
            if (in.failed())
              return std::nullopt;
            out.push_back(std::move(v));
          }
          return out;
        },
        std::max({input.depth, argsDepth(filterArgs),
                  defaultValue ? defaultValue->depth : 0u}));
  }

  Value tojson(const Value &input, const Args &args, SourcePos pos) {
    Bound p;
    if (!bind(args, {"ensure_ascii", "indent", "separators", "sort_keys"},
              "tojson", pos, p))
      return Value();
    JsonOptions options;
    options.ensureAscii = p[0] && truthy(*p[0]);
    if (p[1] && p[1]->kind != Kind::None) {
      if (p[1]->isString())
        options.indent = p[1]->text;
      else if (p[1]->isIntegral() &&
               checkSize(std::max<int64_t>(0, p[1]->asInt()), pos))
        options.indent = std::string(std::max<int64_t>(0, p[1]->asInt()), ' ');
      else if (failed())
        return Value();
      else if (!input.isString()) // json.dumps uses no indent for a str
        return fail(pos, "tojson: indent must be an int or a str");
      options.itemSeparator = ",";
    }
    if (p[2] && p[2]->kind != Kind::None) {
      const Value &s = *p[2];
      if (!s.isSequence() || s.list->size() != 2 || !(*s.list)[0].isString() ||
          !(*s.list)[1].isString())
        return fail(pos, "tojson: separators must be two strings");
      options.itemSeparator = (*s.list)[0].text;
      options.keySeparator = (*s.list)[1].text;
    }
    options.sortKeys = p[3] && truthy(*p[3]);
    options.sizeLimit = kMaxText;
    std::string out;
    if (std::optional<std::string> err = dumpJson(out, input, options, 0))
      return fail(pos, *err);
    return Value::fromString(std::move(out));
  }

  /// jinja2's do_int: int(value), else int(float(value)), else default.
  Value toInt(const Value &v, const Value &fallback, int64_t base,
              SourcePos pos) {
    if (v.isIntegral())
      return Value::fromInt(v.asInt());
    if (v.kind == Kind::Float) {
      if (!std::isfinite(v.number) || std::fabs(v.number) >= 9.2e18)
        return std::isfinite(v.number)
                   ? unsupported(pos, "an int() beyond 64 bits")
                   : fallback;
      return Value::fromInt(static_cast<int64_t>(v.number));
    }
    if (!v.isString())
      return fallback;
    std::string text = pyStrip(v.text, nullptr, true, true);
    for (char c : text)
      if (static_cast<uint8_t>(c) >= 0x80)
        return unsupported(pos, "int() of non-ASCII text");
    // Python's int(text, base): sign, digits with single underscores, and
    // for base 0 or a matching base a 0x/0o/0b prefix.
    std::string digits;
    size_t i = 0;
    bool negative = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-'))
      negative = text[i++] == '-';
    int b = static_cast<int>(base);
    if (i + 1 < text.size() && text[i] == '0') {
      char p2 = static_cast<char>(text[i + 1] | 0x20);
      int prefixBase = p2 == 'x' ? 16 : p2 == 'o' ? 8 : p2 == 'b' ? 2 : 0;
      if (prefixBase && (b == 0 || b == prefixBase)) {
        b = prefixBase;
        i += 2;
        if (i < text.size() && text[i] == '_')
          ++i;
      }
    }
    if (b == 0)
      b = 10;
    bool valid = i < text.size() && text[i] != '_' && text.back() != '_';
    for (size_t k = i; valid && k < text.size(); ++k) {
      if (text[k] == '_') {
        valid = text[k - 1] != '_';
        continue;
      }
      char c = static_cast<char>(text[k] | 0x20);
      int d = c >= '0' && c <= '9'   ? c - '0'
              : c >= 'a' && c <= 'z' ? c - 'a' + 10
                                     : 99;
      valid = d < b;
      digits += text[k];
    }
    if (valid && b >= 2 && b <= 36) {
      int64_t r = 0;
      auto [ptr, ec] =
          std::from_chars(digits.data(), digits.data() + digits.size(), r, b);
      if (ec != std::errc() || ptr != digits.data() + digits.size())
        return unsupported(pos, "an int() beyond 64 bits");
      return Value::fromInt(negative ? -r : r);
    }
    // "42.23"|int is 42: through float().
    std::optional<double> d = parsePyFloat(v.text);
    if (!d || !std::isfinite(*d))
      return fallback;
    if (std::fabs(*d) >= 9.2e18)
      return unsupported(pos, "an int() beyond 64 bits");
    return Value::fromInt(static_cast<int64_t>(*d));
  }

  /// Python's float(text), for ASCII text.
  static std::optional<double> parsePyFloat(const std::string &raw) {
    std::string text = pyStrip(raw, nullptr, true, true);
    std::string lower;
    for (char c : text) {
      if (static_cast<uint8_t>(c) >= 0x80)
        return std::nullopt;
      lower += static_cast<char>(asciiLower(static_cast<uint8_t>(c)));
    }
    std::string_view body = lower;
    bool negative = false;
    if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
      negative = body[0] == '-';
      body.remove_prefix(1);
    }
    if (body == "inf" || body == "infinity")
      return negative ? -HUGE_VAL : HUGE_VAL;
    if (body == "nan")
      return std::numeric_limits<double>::quiet_NaN();
    // Digits, one dot, an exponent; underscores only between digits.
    std::string clean;
    bool sawDigit = false;
    for (size_t i = 0; i < body.size(); ++i) {
      char c = body[i];
      if (c == '_') {
        if (i == 0 || i + 1 == body.size() || !isdigit(body[i - 1]) ||
            !isdigit(body[i + 1]))
          return std::nullopt;
        continue;
      }
      if (!(isdigit(c) || c == '.' || c == 'e' || c == '+' || c == '-'))
        return std::nullopt;
      sawDigit |= isdigit(c) != 0;
      clean += c;
    }
    if (!sawDigit)
      return std::nullopt;
    double d = 0;
    auto [ptr, ec] =
        std::from_chars(clean.data(), clean.data() + clean.size(), d);
    if (ptr != clean.data() + clean.size())
      return std::nullopt;
    if (ec == std::errc::result_out_of_range)
      d = std::strtod(clean.c_str(), nullptr);
    else if (ec != std::errc())
      return std::nullopt;
    return negative ? -d : d;
  }

  Value filter(const std::string &name, const Value &input, const Args &args,
               SourcePos pos) {
    Bound p;
    auto noArgs = [&] { return bind(args, {}, name, pos, p); };
    if (name == "tojson")
      return tojson(input, args, pos);
    if (name == "trim") {
      if (!bind(args, {"chars"}, name, pos, p))
        return Value();
      Value s = softStr(input, pos);
      if (failed())
        return Value();
      std::optional<std::string> chars;
      if (p[0] && p[0]->kind != Kind::None)
        if (!(chars = strArg(*p[0], "trim() chars", pos)))
          return Value();
      return Value::fromString(
          pyStrip(s.text, chars ? &*chars : nullptr, true, true), s.markup);
    }
    if (name == "length" || name == "count") {
      if (!noArgs())
        return Value();
      std::optional<int64_t> n = length(input, pos);
      return n ? Value::fromInt(*n) : Value();
    }
    if (name == "string" || name == "safe") {
      if (!noArgs())
        return Value();
      Value s = softStr(input, pos);
      if (name == "safe")
        s.markup = true;
      return s;
    }
    if (name == "upper" || name == "lower" || name == "capitalize" ||
        name == "title") {
      if (!noArgs())
        return Value();
      Value s = softStr(input, pos);
      if (failed())
        return Value();
      CaseMap mode = name == "upper"        ? CaseMap::Upper
                     : name == "lower"      ? CaseMap::Lower
                     : name == "capitalize" ? CaseMap::Capitalize
                                            : CaseMap::JinjaTitle;
      return caseMapped(s, mode, "|" + name, pos, name != "title");
    }
    if (name == "default" || name == "d") {
      if (!bind(args, {"default_value", "boolean"}, name, pos, p))
        return Value();
      bool boolean = p[1] && truthy(*p[1]);
      if (input.isUndefined() || (boolean && !truthy(input)))
        return p[0] ? *p[0] : Value::fromString("");
      return input;
    }
    if (name == "join") {
      if (!bind(args, {"d", "attribute"}, name, pos, p))
        return Value();
      std::optional<ValueList> items = iterate(input, pos);
      if (!items)
        return Value();
      std::string separator;
      if (p[0] && !appendStr(separator, *p[0], pos))
        return Value();
      std::optional<std::string> attribute;
      if (p[1] && p[1]->kind != Kind::None)
        if (!(attribute = toStr(*p[1], pos)))
          return Value();
      std::string out;
      for (size_t i = 0; i < items->size(); ++i) {
        if (i)
          out += separator;
        Value item = attribute ? attributePath((*items)[i], *attribute, pos)
                               : (*items)[i];
        if (failed() || !appendStr(out, item, pos) ||
            !checkSize(out.size(), pos))
          return Value();
      }
      return Value::fromString(std::move(out));
    }
    if (name == "first") {
      if (!noArgs())
        return Value();
      if (input.kind == Kind::Generator) {
        GeneratorState &g = *input.generator;
        if (!g.buffer && !(g.buffer = g.produce(*this)))
          return Value();
        if (g.next < g.buffer->size())
          return (*g.buffer)[g.next++];
        return Value::undefined("No first item, sequence was empty.");
      }
      std::optional<ValueList> items = iterate(input, pos);
      if (!items)
        return Value();
      return items->empty()
                 ? Value::undefined("No first item, sequence was empty.")
                 : items->front();
    }
    if (name == "last") {
      if (!noArgs())
        return Value();
      if (input.kind == Kind::Generator || input.kind == Kind::Loop)
        return fail(pos, std::string("'") + typeName(input) +
                             "' object is not reversible");
      std::optional<ValueList> items = iterate(input, pos);
      if (!items)
        return Value();
      return items->empty()
                 ? Value::undefined("No last item, sequence was empty.")
                 : items->back();
    }
    if (name == "list") {
      if (!noArgs())
        return Value();
      std::optional<ValueList> items = iterate(input, pos);
      return items ? Value::fromList(std::move(*items)) : Value();
    }
    if (name == "items") {
      if (!noArgs())
        return Value();
      if (input.isUndefined())
        return generatorOf({});
      if (input.kind != Kind::Dict)
        return fail(pos, "can only get item pairs from a mapping");
      ValueList out;
      for (const auto &item : input.dict->items)
        out.push_back(
            Value::fromList({item.first, item.second}, ListFlavor::Tuple));
      return generatorOf(std::move(out));
    }
    if (name == "reverse") {
      if (!noArgs())
        return Value();
      if (input.isString()) {
        std::vector<uint32_t> cps = toCodePoints(input.text);
        std::reverse(cps.begin(), cps.end());
        return Value::fromString(
            fromCodePoints(cps.data(), cps.data() + cps.size()));
      }
      bool reversible = input.kind == Kind::List || input.kind == Kind::Dict ||
                        input.isUndefined();
      std::optional<ValueList> items = iterate(input, pos);
      if (!items)
        return Value();
      std::reverse(items->begin(), items->end());
      // reversed() gives an iterator; what it cannot reverse is made a list.
      return reversible ? generatorOf(std::move(*items))
                        : Value::fromList(std::move(*items));
    }
    if (name == "select" || name == "reject")
      return selectOrReject(input, args, name == "select", false, pos);
    if (name == "selectattr" || name == "rejectattr")
      return selectOrReject(input, args, name == "selectattr", true, pos);
    if (name == "map")
      return mapFilter(input, args, pos);
    if (name == "replace") {
      if (!bind(args, {"old", "new", "count"}, name, pos, p))
        return Value();
      if (!p[0] || !p[1])
        return fail(pos, "replace() takes at least 2 arguments");
      std::optional<std::string> s = toStr(input, pos);
      std::optional<std::string> old = s ? toStr(*p[0], pos) : std::nullopt;
      std::optional<std::string> replacement =
          old ? toStr(*p[1], pos) : std::nullopt;
      if (!replacement)
        return Value();
      int64_t count = -1;
      if (p[2] && p[2]->kind != Kind::None) {
        std::optional<int64_t> c = intArg(*p[2], "count", pos);
        if (!c)
          return Value();
        count = *c;
      }
      if (!checkSize(pyReplaceSize(*s, *old, *replacement, count), pos))
        return Value();
      return Value::fromString(pyReplace(*s, *old, *replacement, count));
    }
    if (name == "indent") {
      if (!bind(args, {"width", "first", "blank"}, name, pos, p))
        return Value();
      Value s = softStr(input, pos);
      if (failed())
        return Value();
      std::string indentation = "    ";
      if (p[0]) {
        if (p[0]->isString())
          indentation = p[0]->text;
        else if (p[0]->isIntegral() &&
                 checkSize(std::max<int64_t>(0, p[0]->asInt()), pos))
          indentation = std::string(std::max<int64_t>(0, p[0]->asInt()), ' ');
        else
          return failed() ? Value()
                          : fail(pos, "indent width must be an int or a str");
      }
      bool first = p[1] && truthy(*p[1]);
      bool blank = p[2] && truthy(*p[2]);
      // jinja2 appends a newline so that splitlines keeps a trailing
      // empty line.
      std::vector<std::string> lines = pySplitLines(s.text + "\n", false);
      std::string out;
      for (size_t i = 0; i < lines.size(); ++i) {
        if (i)
          out += '\n';
        if (i && (blank || !lines[i].empty()))
          out += indentation;
        out += lines[i];
        if (!checkSize(out.size(), pos))
          return Value();
      }
      if (first)
        out = indentation + out;
      return Value::fromString(std::move(out), s.markup);
    }
    if (name == "int") {
      if (!bind(args, {"default", "base"}, name, pos, p))
        return Value();
      int64_t base = 10;
      if (p[1]) {
        std::optional<int64_t> b = intArg(*p[1], "base", pos);
        if (!b)
          return Value();
        if (*b != 0 && (*b < 2 || *b > 36))
          return fail(pos, "int() base must be >= 2 and <= 36, or 0");
        base = *b;
      }
      return toInt(input, p[0] ? *p[0] : Value::fromInt(0), base, pos);
    }
    if (name == "float") {
      if (!bind(args, {"default"}, name, pos, p))
        return Value();
      Value fallback = p[0] ? *p[0] : Value::fromFloat(0.0);
      if (input.isNumber())
        return Value::fromFloat(input.asFloat());
      if (!input.isString())
        return fallback;
      for (char c : input.text)
        if (static_cast<uint8_t>(c) >= 0x80)
          return unsupported(pos, "float() of non-ASCII text");
      std::optional<double> d = parsePyFloat(input.text);
      return d ? Value::fromFloat(*d) : fallback;
    }
    if (name == "abs") {
      if (!noArgs())
        return Value();
      if (input.isIntegral()) {
        if (input.asInt() == std::numeric_limits<int64_t>::min())
          return unsupported(pos, "an integer beyond 64 bits");
        return Value::fromInt(std::llabs(input.asInt()));
      }
      if (input.kind == Kind::Float)
        return Value::fromFloat(std::fabs(input.number));
      if (input.isUndefined())
        return undefinedError(pos, input);
      return fail(pos, std::string("bad operand type for abs(): '") +
                           typeName(input) + "'");
    }
    return unsupported(pos, "the filter '" + name + "'");
  }

  //===--------------------------------------------------------------------===//
  // Expressions
  //===--------------------------------------------------------------------===//

  Value lookup(const std::string &name, const ScopePtr &scope) {
    if (const Value *v = scope->find(name))
      return *v;
    if (name == "range" || name == "namespace" || name == "dict" ||
        name == "raise_exception" || name == "strftime_now") {
      Callable c;
      c.kind = Callable::Kind::Global;
      c.name = name;
      return callableValue(std::move(c));
    }
    return Value::undefined("'" + name + "' is undefined");
  }

  std::optional<Args> evalArgs(const Expr &e, size_t first,
                               const ScopePtr &scope) {
    Args args;
    for (size_t i = first; i < e.operands.size(); ++i) {
      args.positional.push_back(eval(*e.operands[i], scope));
      if (failed())
        return std::nullopt;
    }
    for (const Keyword &kw : e.keywords) {
      args.keywords.emplace_back(kw.name, eval(*kw.value, scope));
      if (failed())
        return std::nullopt;
    }
    return args;
  }

  /// A filter node; in a filter block the innermost input is `blockInput`.
  Value evalFilter(const Expr &e, const ScopePtr &scope,
                   const Value *blockInput) {
    Value input;
    if (e.operands[0]) {
      const Expr &in = *e.operands[0];
      input = in.kind == ExprKind::Filter ? evalFilter(in, scope, blockInput)
                                          : eval(in, scope);
    } else if (blockInput) {
      input = *blockInput;
    }
    if (failed())
      return Value();
    std::optional<Args> args = evalArgs(e, 1, scope);
    if (!args)
      return Value();
    return filter(e.name, input, *args, e.pos);
  }

  Value eval(const Expr &e, const ScopePtr &scope) {
    Value v = evalNode(e, scope);
    if (v.depth > kMaxNesting)
      return unsupported(e.pos, "values nested more than " +
                                    std::to_string(kMaxNesting) +
                                    " levels deep");
    return v;
  }

  Value evalNode(const Expr &e, const ScopePtr &scope) {
    if (failed())
      return Value();
    switch (e.kind) {
    case ExprKind::Const:
      return e.constant;
    case ExprKind::Name:
      return lookup(e.name, scope);
    case ExprKind::List:
    case ExprKind::Tuple: {
      ValueList items;
      for (const ExprPtr &item : e.operands) {
        items.push_back(eval(*item, scope));
        if (failed())
          return Value();
      }
      return Value::fromList(std::move(items), e.kind == ExprKind::List
                                                   ? ListFlavor::List
                                                   : ListFlavor::Tuple);
    }
    case ExprKind::Dict: {
      DictData data;
      for (size_t i = 0; i < e.operands.size(); i += 2) {
        Value key = eval(*e.operands[i], scope);
        Value value = eval(*e.operands[i + 1], scope);
        if (failed())
          return Value();
        if ((key.kind == Kind::List && key.flavor != ListFlavor::Tuple) ||
            key.kind == Kind::Dict || key.kind == Kind::Namespace ||
            key.isUndefined())
          return fail(e.operands[i]->pos,
                      std::string("unhashable type: '") + typeName(key) + "'");
        dictSet(data, std::move(key), std::move(value));
      }
      return Value::fromDict(std::move(data));
    }
    case ExprKind::Getattr: {
      Value obj = eval(*e.operands[0], scope);
      return failed() ? Value() : getattr(obj, e.name, e.pos);
    }
    case ExprKind::Getitem: {
      Value obj = eval(*e.operands[0], scope);
      Value key = eval(*e.operands[1], scope);
      return failed() ? Value() : getitem(obj, key, e.pos);
    }
    case ExprKind::Slice: {
      Value obj = eval(*e.operands[0], scope);
      std::optional<Value> bounds[3];
      for (int k = 0; k < 3; ++k)
        if (e.operands[k + 1])
          bounds[k] = eval(*e.operands[k + 1], scope);
      if (failed())
        return Value();
      return slice(obj, bounds[0] ? &*bounds[0] : nullptr,
                   bounds[1] ? &*bounds[1] : nullptr,
                   bounds[2] ? &*bounds[2] : nullptr, e.pos);
    }
    case ExprKind::Call: {
      Value callee = eval(*e.operands[0], scope);
      if (failed())
        return Value();
      std::optional<Args> args = evalArgs(e, 1, scope);
      return args ? call(callee, *args, e.pos) : Value();
    }
    case ExprKind::Filter:
      return evalFilter(e, scope, nullptr);
    case ExprKind::Test: {
      Value v = eval(*e.operands[0], scope);
      if (failed())
        return Value();
      std::optional<Args> args = evalArgs(e, 1, scope);
      if (!args)
        return Value();
      std::optional<bool> r = test(e.name, v, *args, e.pos);
      return r ? Value::fromBool(*r) : Value();
    }
    case ExprKind::Neg:
    case ExprKind::Pos: {
      Value v = eval(*e.operands[0], scope);
      if (failed())
        return Value();
      if (v.isUndefined())
        return undefinedError(e.pos, v);
      bool neg = e.kind == ExprKind::Neg;
      if (v.isIntegral()) {
        if (neg && v.asInt() == std::numeric_limits<int64_t>::min())
          return unsupported(e.pos, "an integer beyond 64 bits");
        return Value::fromInt(neg ? -v.asInt() : v.asInt());
      }
      if (v.kind == Kind::Float)
        return Value::fromFloat(neg ? -v.number : v.number);
      return fail(e.pos, std::string("bad operand type for unary ") +
                             (neg ? "-" : "+") + ": '" + typeName(v) + "'");
    }
    case ExprKind::Not: {
      Value v = eval(*e.operands[0], scope);
      return failed() ? Value() : Value::fromBool(!truthy(v));
    }
    case ExprKind::Binary: {
      Value a = eval(*e.operands[0], scope);
      Value b = eval(*e.operands[1], scope);
      return failed() ? Value() : binary(e.binaryOp, a, b, e.pos);
    }
    case ExprKind::Compare: {
      Value left = eval(*e.operands[0], scope);
      for (size_t i = 0; i < e.compareOps.size(); ++i) {
        Value right = eval(*e.operands[i + 1], scope);
        if (failed())
          return Value();
        std::optional<bool> r = compare(e.compareOps[i], left, right, e.pos);
        if (!r)
          return Value();
        if (!*r)
          return Value::fromBool(false);
        left = std::move(right);
      }
      return Value::fromBool(true);
    }
    case ExprKind::And:
    case ExprKind::Or: {
      // Python's and/or give an operand, not a bool.
      Value a = eval(*e.operands[0], scope);
      if (failed())
        return Value();
      if (truthy(a) == (e.kind == ExprKind::Or))
        return a;
      return eval(*e.operands[1], scope);
    }
    case ExprKind::CondExpr: {
      Value cond = eval(*e.operands[1], scope);
      if (failed())
        return Value();
      if (truthy(cond))
        return eval(*e.operands[0], scope);
      if (e.operands[2])
        return eval(*e.operands[2], scope);
      return Value::undefined("the inline if-expression on " + describe(e.pos) +
                              " evaluated to false and no else section was "
                              "defined.");
    }
    case ExprKind::Concat: {
      std::string out;
      for (const ExprPtr &item : e.operands) {
        Value v = eval(*item, scope);
        if (failed() || !appendStr(out, v, item->pos))
          return Value();
      }
      return Value::fromString(std::move(out));
    }
    }
    return Value();
  }

  //===--------------------------------------------------------------------===//
  // Statements
  //===--------------------------------------------------------------------===//

  enum class Flow : uint8_t { Next, Break, Continue, Stop };

  Flow execBody(const Body &body, const ScopePtr &scope, std::string &out) {
    for (const auto &stmt : body) {
      Flow flow = exec(*stmt, scope, out);
      if (flow != Flow::Next)
        return flow;
    }
    return Flow::Next;
  }

  /// Python's unpacking of `value` into `count` names.
  std::optional<ValueList> unpack(const Value &value, size_t count,
                                  SourcePos pos) {
    std::optional<ValueList> items = iterate(value, pos);
    if (!items)
      return std::nullopt;
    if (items->size() != count) {
      fail(pos, items->size() > count
                    ? "too many values to unpack (expected " +
                          std::to_string(count) + ")"
                    : "not enough values to unpack (expected " +
                          std::to_string(count) + ", got " +
                          std::to_string(items->size()) + ")");
      return std::nullopt;
    }
    return items;
  }

  bool assign(const Target &target, const Value &value, Scope &scope,
              SourcePos pos) {
    if (!target.nsAttribute.empty()) {
      const Value *ns = scope.find(target.names[0]);
      if (!ns || ns->kind != Kind::Namespace) {
        fail(pos, "cannot assign attribute on non-namespace object");
        return false;
      }
      dictSet(*ns->dict, Value::fromString(target.nsAttribute), value);
      return true;
    }
    if (!target.isTuple) {
      scope.set(target.names[0], value);
      return true;
    }
    std::optional<ValueList> items = unpack(value, target.names.size(), pos);
    if (!items)
      return false;
    for (size_t i = 0; i < items->size(); ++i)
      scope.set(target.names[i], (*items)[i]);
    return true;
  }

  /// The body rendered in a scope of its own, for set/filter blocks.
  std::optional<std::string> renderBlock(const Body &body,
                                         const ScopePtr &scope) {
    std::string text;
    if (execBody(body, newScope(scope), text) == Flow::Stop)
      return std::nullopt;
    return text;
  }

  Flow exec(const Stmt &s, const ScopePtr &scope, std::string &out) {
    if (failed())
      return Flow::Stop;
    switch (s.kind) {
    case StmtKind::Text:
      out += s.text;
      return checkSize(out.size(), s.pos) ? Flow::Next : Flow::Stop;
    case StmtKind::Output:
      for (const ExprPtr &e : s.exprs) {
        Value v = eval(*e, scope);
        if (failed() || !appendStr(out, v, e->pos) ||
            !checkSize(out.size(), e->pos))
          return Flow::Stop;
      }
      return Flow::Next;
    case StmtKind::If:
      for (size_t i = 0; i < s.exprs.size(); ++i) {
        Value cond = eval(*s.exprs[i], scope);
        if (failed())
          return Flow::Stop;
        if (truthy(cond))
          return execBody(s.bodies[i], scope, out);
      }
      if (s.bodies.size() > s.exprs.size())
        return execBody(s.bodies.back(), scope, out);
      return Flow::Next;
    case StmtKind::For:
      return execFor(s, scope, out);
    case StmtKind::Set: {
      Value v = eval(*s.exprs[0], scope);
      if (failed() || !assign(s.target, v, *scope, s.pos))
        return Flow::Stop;
      return Flow::Next;
    }
    case StmtKind::SetBlock: {
      std::optional<std::string> text = renderBlock(s.bodies[0], scope);
      if (!text)
        return Flow::Stop;
      Value v = Value::fromString(std::move(*text));
      if (s.exprs[0])
        v = evalFilter(*s.exprs[0], scope, &v);
      if (failed() || !assign(s.target, v, *scope, s.pos))
        return Flow::Stop;
      return Flow::Next;
    }
    case StmtKind::FilterBlock: {
      std::optional<std::string> text = renderBlock(s.bodies[0], scope);
      if (!text)
        return Flow::Stop;
      Value input = Value::fromString(std::move(*text));
      Value v = evalFilter(*s.exprs[0], scope, &input);
      if (failed() || !appendStr(out, v, s.pos))
        return Flow::Stop;
      return Flow::Next;
    }
    case StmtKind::Macro: {
      Callable c;
      c.kind = Callable::Kind::Macro;
      c.name = s.name;
      c.stmt = &s;
      c.closure = scope;
      scope->set(s.name, callableValue(std::move(c)));
      return Flow::Next;
    }
    case StmtKind::CallBlock: {
      const Expr &callExpr = *s.exprs[0];
      Value callee = eval(*callExpr.operands[0], scope);
      if (failed())
        return Flow::Stop;
      std::optional<Args> args = evalArgs(callExpr, 1, scope);
      if (!args)
        return Flow::Stop;
      Callable c;
      c.kind = Callable::Kind::Caller;
      c.name = "caller";
      c.stmt = &s;
      c.closure = scope;
      Value caller = callableValue(std::move(c));
      Value v = call(callee, *args, s.pos, &caller);
      if (failed() || !appendStr(out, v, s.pos))
        return Flow::Stop;
      return Flow::Next;
    }
    case StmtKind::With: {
      auto inner = newScope(scope);
      for (size_t i = 0; i < s.params.size(); ++i) {
        Value v = eval(*s.exprs[i], scope);
        if (failed())
          return Flow::Stop;
        inner->set(s.params[i], std::move(v));
      }
      return execBody(s.bodies[0], inner, out);
    }
    case StmtKind::Scoped:
      return execBody(s.bodies[0], newScope(scope), out);
    case StmtKind::Break:
      return Flow::Break;
    case StmtKind::Continue:
      return Flow::Continue;
    }
    return Flow::Next;
  }

  Flow execFor(const Stmt &s, const ScopePtr &scope, std::string &out) {
    Value iterable = eval(*s.exprs[0], scope);
    if (failed())
      return Flow::Stop;
    std::optional<ValueList> all = iterate(iterable, s.exprs[0]->pos);
    if (!all)
      return Flow::Stop;
    // `for x in y if cond` filters before the loop (loop.length counts
    // what passed).
    auto items = std::make_shared<ValueList>();
    if (const Expr *cond = s.exprs[1].get()) {
      for (const Value &item : *all) {
        if (!step(s.pos))
          return Flow::Stop;
        auto iterScope = newScope(scope);
        if (!assign(s.target, item, *iterScope, s.pos))
          return Flow::Stop;
        Value keep = eval(*cond, iterScope);
        if (failed())
          return Flow::Stop;
        if (truthy(keep))
          items->push_back(item);
      }
    } else {
      *items = std::move(*all);
    }
    auto loop = std::make_shared<LoopState>();
    loop->items = items;
    Value loopValue;
    loopValue.kind = Kind::Loop;
    loopValue.depth = 1 + Value::deepest(*items);
    for (size_t i = 0; i < items->size(); ++i) {
      // Each iteration is a fresh scope: what the body sets is gone in
      // the next iteration, as in jinja2.
      if (!step(s.pos))
        return Flow::Stop;
      auto iterScope = newScope(scope);
      if (!assign(s.target, (*items)[i], *iterScope, s.pos))
        return Flow::Stop;
      auto state = std::make_shared<LoopState>(*loop);
      state->index = i;
      loopValue.loop = state;
      iterScope->set("loop", loopValue);
      Flow flow = execBody(s.bodies[0], iterScope, out);
      if (flow == Flow::Stop)
        return flow;
      if (flow == Flow::Break)
        break;
    }
    if (items->empty())
      return execBody(s.bodies[1], newScope(scope), out);
    return Flow::Next;
  }

private:
  static constexpr uint64_t kMaxSteps = 10'000'000;
  static constexpr size_t kMaxText = size_t(1) << 28;

  std::optional<std::tm> fixedTime;
  std::string error;
  int callDepth = 0;
  uint64_t steps = 0;
  std::vector<ScopePtr> scopes;
  std::vector<std::shared_ptr<DictData>> namespaces;
};

} // namespace

//===----------------------------------------------------------------------===//
// ChatTemplate
//===----------------------------------------------------------------------===//

struct ChatTemplate::Program {
  Body body;
};

ChatTemplate::ChatTemplate(std::shared_ptr<const Program> program)
    : program(std::move(program)) {}
ChatTemplate::ChatTemplate(ChatTemplate &&) noexcept = default;
ChatTemplate::ChatTemplate(const ChatTemplate &) = default;
ChatTemplate &ChatTemplate::operator=(ChatTemplate &&) noexcept = default;
ChatTemplate &ChatTemplate::operator=(const ChatTemplate &) = default;
ChatTemplate::~ChatTemplate() = default;

Result<ChatTemplate> ChatTemplate::parse(std::string_view source) {
  if (!isValidUtf8(source))
    return ErrorMessage{"chat template: the text is not valid UTF-8"};
  Lexer lexer(source);
  std::vector<Token> tokens = lexer.run();
  if (lexer.failed())
    return ErrorMessage{"chat template: " + lexer.errorMessage()};
  Parser parser(std::move(tokens));
  auto program = std::make_shared<Program>();
  program->body = parser.parseTemplate();
  if (parser.failed())
    return ErrorMessage{"chat template: " + parser.errorMessage()};
  return ChatTemplate(std::move(program));
}

void ChatTemplate::setFixedTime(const std::tm &localTime) {
  fixedTime = localTime;
}

namespace {

Result<std::string> renderWith(const ChatTemplate::Program &program,
                               const std::optional<std::tm> &fixedTime,
                               ScopePtr root) {
  Interpreter interpreter(fixedTime);
  Result<std::string> out = interpreter.render(program.body, root);
  if (!out)
    return ErrorMessage{"chat template: " + out.error()};
  return out;
}

} // namespace

Result<std::string> ChatTemplate::render(
    const std::vector<ChatMessage> &messages, bool addGenerationPrompt,
    const std::map<std::string, std::string> &variables) const {
  ValueList list;
  for (const ChatMessage &m : messages) {
    if (!isValidUtf8(m.role) || !isValidUtf8(m.content))
      return ErrorMessage{"chat template: a message is not valid UTF-8"};
    DictData d;
    d.items.emplace_back(Value::fromString("role"), Value::fromString(m.role));
    d.items.emplace_back(Value::fromString("content"),
                         Value::fromString(m.content));
    list.push_back(Value::fromDict(std::move(d)));
  }
  auto root = std::make_shared<Scope>(nullptr);
  for (const auto &[name, value] : variables) {
    if (name == "messages" || name == "add_generation_prompt" ||
        name == "tools" || name == "documents")
      return ErrorMessage{"chat template: the variable '" + name +
                          "' is set by render()"};
    if (!isValidUtf8(value))
      return ErrorMessage{"chat template: the variable '" + name +
                          "' is not valid UTF-8"};
    root->set(name, Value::fromString(value));
  }
  root->set("messages", Value::fromList(std::move(list)));
  root->set("tools", Value::none());
  root->set("documents", Value::none());
  root->set("add_generation_prompt", Value::fromBool(addGenerationPrompt));
  return renderWith(*program, fixedTime, std::move(root));
}

Result<std::string>
ChatTemplate::renderJson(std::string_view contextJson) const {
  if (!isValidUtf8(contextJson))
    return ErrorMessage{"chat template: the context is not valid UTF-8"};
  Result<Value> context = JsonReader(contextJson).read();
  if (!context)
    return ErrorMessage{"chat template context: " + context.error()};
  if (context->kind != Kind::Dict)
    return ErrorMessage{"chat template context: expected a JSON object"};
  auto root = std::make_shared<Scope>(nullptr);
  // transformers always passes these.
  root->set("tools", Value::none());
  root->set("documents", Value::none());
  root->set("add_generation_prompt", Value::fromBool(false));
  for (const auto &[key, value] : context->dict->items)
    root->set(key.text, value);
  return renderWith(*program, fixedTime, std::move(root));
}
