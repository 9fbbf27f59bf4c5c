//===- CommandLine.cpp - parsing shared by the program and xfc ------------===//

#include "xf/CommandLine.h"

#include "xf/Tokenizer.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <sstream>

using namespace xf;

std::vector<std::string> xf::splitList(std::string_view text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream stream{std::string(text)};
  while (std::getline(stream, part, separator))
    parts.push_back(part);
  return parts;
}

bool xf::parseInt(std::string_view text, int64_t &value) {
  std::string copy(text);
  char *end = nullptr;
  errno = 0;
  long long v = std::strtoll(copy.c_str(), &end, 10);
  if (copy.empty() || *end || errno)
    return false;
  value = v;
  return true;
}

bool xf::parseFloat(std::string_view text, float &value) {
  std::string copy(text);
  char *end = nullptr;
  value = std::strtof(copy.c_str(), &end);
  return !copy.empty() && !*end;
}

bool xf::parseBytes(std::string_view text, int64_t &value) {
  if (text.empty())
    return false;
  int64_t scale = 1;
  switch (std::toupper(static_cast<unsigned char>(text.back()))) {
  case 'K': scale = int64_t(1) << 10; break;
  case 'M': scale = int64_t(1) << 20; break;
  case 'G': scale = int64_t(1) << 30; break;
  default: break;
  }
  if (scale != 1)
    text.remove_suffix(1);
  if (!parseInt(text, value) || value <= 0)
    return false;
  value *= scale;
  return true;
}

Result<std::vector<int32_t>>
xf::buildPrompt(const Tokenizer &tokenizer, const std::string &text, bool chat,
                const std::optional<std::string> &system) {
  std::string prompt = text;
  if (chat) {
    auto templated = tokenizer.applyChatTemplate(prompt, system);
    if (!templated)
      return ErrorMessage{templated.error()};
    prompt = std::move(*templated);
  }
  std::vector<int32_t> ids;
  // A chat template writes its own BOS (transformers encodes its text
  // without adding one).
  if (!chat && tokenizer.addBos() && tokenizer.bosId())
    ids.push_back(*tokenizer.bosId());
  for (int32_t id : tokenizer.encode(prompt))
    ids.push_back(id);
  return ids;
}
