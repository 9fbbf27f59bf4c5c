//===- ChatTemplate.h - Hugging Face chat templates (Jinja) ----*- C++ -*-===//
//
// Renders a model's chat template (tokenizer_config.json's `chat_template`,
// GGUF's `tokenizer.chat_template`) as transformers' apply_chat_template
// does: jinja2's ImmutableSandboxedEnvironment with trim_blocks and
// lstrip_blocks, the loopcontrols extension, transformers' `{% generation %}`
// tag, and its globals raise_exception() and strftime_now() and its tojson
// filter (json.dumps with ensure_ascii=False).
//
//   Result<ChatTemplate> chat = ChatTemplate::parse(templateText);
//   if (!chat) { std::cerr << chat.error() << "\n"; return 1; }
//   Result<std::string> prompt = chat->render(
//       {{"system", "Be brief."}, {"user", "Hi!"}},
//       /*addGenerationPrompt=*/true, {{"bos_token", "<s>"}});
//
// The language is the subset of Jinja that chat templates use (listed in
// ChatTemplate.cpp); a template that needs anything else is refused with an
// error naming the construct and its line and column, never rendered
// differently. Values follow Python's semantics (str() and repr() of lists
// and dicts, float formatting, integer division, `in`, slicing, string
// methods), so the output is byte-identical to jinja2's; the parity test
// test/tokenizer/check_chat_templates.py compares them. A parsed template
// is immutable: render() may run on several threads at once.
//
//===----------------------------------------------------------------------===//

#ifndef XF_RUNTIME_INCLUDE_XF_CHATTEMPLATE_H
#define XF_RUNTIME_INCLUDE_XF_CHATTEMPLATE_H

#include "xf/Result.h"

#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xf {

/// One turn of a conversation with text content.
struct ChatMessage {
  std::string role;
  std::string content;
};

class ChatTemplate {
public:
  /// Parses a template. Errors name line:column and what was expected or
  /// is not supported.
  static Result<ChatTemplate> parse(std::string_view source);

  /// Renders `messages` as transformers does: the template sees `messages`
  /// (a list of {"role", "content"} dicts), `add_generation_prompt`,
  /// `tools` and `documents` (both none), and each of `variables`
  /// (bos_token, eos_token, ...) as a string. A render error, such as the
  /// message of the template's raise_exception(), is returned as the error.
  Result<std::string>
  render(const std::vector<ChatMessage> &messages, bool addGenerationPrompt,
         const std::map<std::string, std::string> &variables = {}) const;

  /// The general form: `contextJson` is a JSON object whose members are the
  /// template's variables, e.g. {"messages": [...], "tools": [...],
  /// "add_generation_prompt": true, "bos_token": "<s>"}. Messages may carry
  /// any JSON (tool_calls, content parts). `tools` and `documents` are none
  /// when absent, as in transformers.
  Result<std::string> renderJson(std::string_view contextJson) const;

  /// Makes strftime_now() format `localTime` instead of the current local
  /// time, so that templates that print today's date (Llama 3.1, 3.2)
  /// render reproducibly. Only the calendar fields need to be set.
  void setFixedTime(const std::tm &localTime);

  ChatTemplate(ChatTemplate &&) noexcept;
  ChatTemplate(const ChatTemplate &);
  ChatTemplate &operator=(ChatTemplate &&) noexcept;
  ChatTemplate &operator=(const ChatTemplate &);
  ~ChatTemplate();

  struct Program;

private:
  explicit ChatTemplate(std::shared_ptr<const Program> program);

  std::shared_ptr<const Program> program;
  std::optional<std::tm> fixedTime;
};

} // namespace xf

#endif // XF_RUNTIME_INCLUDE_XF_CHATTEMPLATE_H
