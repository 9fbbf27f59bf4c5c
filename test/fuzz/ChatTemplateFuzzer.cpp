//===- ChatTemplateFuzzer.cpp - libFuzzer target for chat templates -------===//
//
// Feeds arbitrary bytes to the chat template engine as a template (model
// files carry templates, so they are untrusted input) and renders what
// parses with a conversation that has tools and tool calls. Any crash,
// sanitizer report, leak or timeout is a bug; parse and render errors are
// expected outcomes.
//
//===----------------------------------------------------------------------===//

#include "xf/ChatTemplate.h"

#include <cstddef>
#include <cstdint>

namespace {

constexpr const char *kContext = R"({
  "messages": [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": [{"type": "text", "text": "Hi"}]},
    {"role": "assistant", "content": "<think>x</think>ok", "tool_calls": [
      {"id": "call12345", "type": "function",
       "function": {"name": "f", "arguments": {"a": [1, 2.5, null, true]}}}]},
    {"role": "tool", "tool_call_id": "call12345", "content": "42"},
    {"role": "user", "content": " \u00e9\ud83d\ude00\n"}],
  "tools": [{"type": "function", "function": {"name": "f",
    "description": "d", "parameters": {"type": "object",
    "properties": {"a": {"type": "array"}}, "required": ["a"]}}}],
  "add_generation_prompt": true, "bos_token": "<s>", "eos_token": "</s>"
})";

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  xf::Result<xf::ChatTemplate> chat = xf::ChatTemplate::parse(
      std::string_view(reinterpret_cast<const char *>(data), size));
  if (!chat)
    return 0;
  std::tm now{};
  now.tm_year = 125;
  now.tm_mday = 1;
  chat->setFixedTime(now);
  xf::Result<std::string> text = chat->renderJson(kContext);
  (void)text;
  return 0;
}
