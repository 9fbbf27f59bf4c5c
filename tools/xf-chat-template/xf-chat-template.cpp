//===- xf-chat-template.cpp - render a chat template from the command line ===//
//
// Renders a Hugging Face chat template (Jinja) with the runtime's engine,
// xf::ChatTemplate, as a compiled program would: what the parity test
// (test/tokenizer/check_chat_templates.py) compares with jinja2.
//
// Exit codes: 0 rendered; 1 the template could not be parsed or rendered,
// or a file could not be read (a message says why); 2 bad command line.
//
//===----------------------------------------------------------------------===//

#include "xf/ChatTemplate.h"

#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>

using namespace xf;

namespace {

constexpr const char *kUsage =
    R"(usage: xf-chat-template [--now=YYYY-MM-DDTHH:MM:SS] TEMPLATE CONTEXT

Renders the chat template in the file TEMPLATE (Jinja, as in
tokenizer_config.json's "chat_template") and prints the result, exactly,
with no newline added.

CONTEXT is a JSON file with an object whose members are the template's
variables, as transformers' apply_chat_template passes them, e.g.
  {"messages": [{"role": "user", "content": "Hi"}],
   "add_generation_prompt": true, "bos_token": "<s>"}
add_generation_prompt defaults to false, tools and documents to none.

Options:
  --now=YYYY-MM-DDTHH:MM:SS  the time strftime_now() formats (default: the
                             current local time)
  --help                     this text

Exit status: 0 rendered; 1 parse or render error (on stderr); 2 usage.
)";

std::optional<std::string> readFile(const char *path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in),
                     std::istreambuf_iterator<char>());
}

std::optional<std::tm> parseTime(const char *text) {
  std::tm tm{};
  int year, month, day, hour = 0, minute = 0, second = 0;
  int n = std::sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d", &year, &month, &day,
                      &hour, &minute, &second);
  if (n != 3 && n != 6)
    return std::nullopt;
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return tm;
}

} // namespace

int main(int argc, char **argv) {
  std::optional<std::tm> now;
  const char *paths[2] = {nullptr, nullptr};
  int count = 0;
  for (int i = 1; i < argc; ++i) {
    const char *arg = argv[i];
    if (!std::strcmp(arg, "--help") || !std::strcmp(arg, "-h")) {
      std::cout << kUsage;
      return 0;
    }
    if (!std::strncmp(arg, "--now=", 6)) {
      if (!(now = parseTime(arg + 6))) {
        std::cerr << "xf-chat-template: --now wants YYYY-MM-DDTHH:MM:SS\n";
        return 2;
      }
      continue;
    }
    if (arg[0] == '-' && arg[1] != '\0') {
      std::cerr << "xf-chat-template: unknown option " << arg << "\n" << kUsage;
      return 2;
    }
    if (count == 2) {
      std::cerr << "xf-chat-template: too many arguments\n" << kUsage;
      return 2;
    }
    paths[count++] = arg;
  }
  if (count != 2) {
    std::cerr << kUsage;
    return 2;
  }
  std::optional<std::string> source = readFile(paths[0]);
  std::optional<std::string> context = readFile(paths[1]);
  if (!source || !context) {
    std::cerr << "xf-chat-template: cannot read "
              << (source ? paths[1] : paths[0]) << "\n";
    return 1;
  }
  Result<ChatTemplate> chat = ChatTemplate::parse(*source);
  if (!chat) {
    std::cerr << paths[0] << ": " << chat.error() << "\n";
    return 1;
  }
  if (now)
    chat->setFixedTime(*now);
  Result<std::string> text = chat->renderJson(*context);
  if (!text) {
    std::cerr << paths[0] << ": " << text.error() << "\n";
    return 1;
  }
  std::cout << *text;
  std::cout.flush();
  return std::cout ? 0 : 1;
}
