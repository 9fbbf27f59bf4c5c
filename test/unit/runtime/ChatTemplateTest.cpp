//===- ChatTemplateTest.cpp - Jinja subset for chat templates -------------===//
//
// The engine's pieces: whitespace control, loops, scoping and namespaces,
// filters, tests, methods, slicing, Python's printing of values, tojson,
// strftime_now, the two render entry points, and errors (with their
// positions) for what is malformed or not supported. Expected texts are
// what jinja2 3.1 renders in transformers' environment. Parity with jinja2
// on real models' templates is test/tokenizer/check_chat_templates.py.
//
//===----------------------------------------------------------------------===//

#include "xf/ChatTemplate.h"

#include "gtest/gtest.h"

using namespace xf;

namespace {

/// Renders `source` with the JSON object `context`; fails the test on an
/// error.
std::string render(const std::string &source,
                   const std::string &context = "{}") {
  Result<ChatTemplate> chat = ChatTemplate::parse(source);
  if (!chat) {
    ADD_FAILURE() << "parse failed: " << chat.error();
    return {};
  }
  std::tm now{};
  now.tm_year = 2025 - 1900;
  now.tm_mon = 2;
  now.tm_mday = 5;
  now.tm_hour = 14;
  now.tm_min = 7;
  now.tm_sec = 9;
  chat->setFixedTime(now);
  Result<std::string> out = chat->renderJson(context);
  if (!out) {
    ADD_FAILURE() << "render failed: " << out.error();
    return {};
  }
  return *out;
}

/// The error of parsing `source`.
std::string parseError(const std::string &source) {
  Result<ChatTemplate> chat = ChatTemplate::parse(source);
  if (chat) {
    ADD_FAILURE() << "parse of " << source << " succeeded";
    return {};
  }
  return chat.error();
}

/// The error of rendering `source` (which must parse).
std::string renderError(const std::string &source,
                        const std::string &context = "{}") {
  Result<ChatTemplate> chat = ChatTemplate::parse(source);
  if (!chat) {
    ADD_FAILURE() << "parse failed: " << chat.error();
    return {};
  }
  Result<std::string> out = chat->renderJson(context);
  if (out) {
    ADD_FAILURE() << "render of " << source << " succeeded: " << *out;
    return {};
  }
  return out.error();
}

const char *kFourTurns =
    R"({"messages": [{"role": "user", "content": "a"},
                     {"role": "assistant", "content": "b"},
                     {"role": "user", "content": "c"},
                     {"role": "assistant", "content": "d"}]})";

TEST(ChatTemplateTest, RendersMessagesWithTheSimpleApi) {
  Result<ChatTemplate> chat = ChatTemplate::parse(
      "{{ bos_token }}{% for m in messages %}<|im_start|>{{ m.role }}\n"
      "{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}"
      "<|im_start|>assistant\n{% endif %}{{ tools is none }}");
  ASSERT_TRUE(chat) << chat.error();
  Result<std::string> out = chat->render(
      {{"system", "Be brief."}, {"user", "Hi"}}, true, {{"bos_token", "<s>"}});
  ASSERT_TRUE(out) << out.error();
  EXPECT_EQ(*out, "<s><|im_start|>system\nBe brief.<|im_end|>\n"
                  "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
                  "True");
  Result<std::string> noPrompt = chat->render({{"user", "Hi"}}, false);
  ASSERT_TRUE(noPrompt) << noPrompt.error();
  EXPECT_EQ(*noPrompt, "<|im_start|>user\nHi<|im_end|>\nTrue");

  // The template is shared by copies.
  ChatTemplate copy = *chat;
  Result<std::string> again = copy.render({{"user", "Hi"}}, false);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *noPrompt);
}

TEST(ChatTemplateTest, RenderRefusesWhatItSetsItself) {
  Result<ChatTemplate> chat = ChatTemplate::parse("{{ messages }}");
  ASSERT_TRUE(chat);
  Result<std::string> out = chat->render({}, false, {{"messages", "x"}});
  ASSERT_FALSE(out);
  EXPECT_NE(out.error().find("'messages' is set by render()"),
            std::string::npos);
  Result<std::string> bad = chat->render({{"user", "\xff"}}, false);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("not valid UTF-8"), std::string::npos);
}

TEST(ChatTemplateTest, TrimsAndStripsBlocksAsJinja) {
  // trim_blocks drops the newline after a block tag, lstrip_blocks the
  // indentation before it; {{ }} tags keep both.
  EXPECT_EQ(render("<ul>\n    {% for x in [1, 2] %}\n    <li>{{ x }}</li>\n"
                   "    {% endfor %}\n</ul>\n"),
            "<ul>\n    <li>1</li>\n    <li>2</li>\n</ul>");
  EXPECT_EQ(render("a\n  {%- if true %} b {% endif -%}\n  c"), "a b c");
  // `+` keeps the indentation; comments are stripped like blocks.
  EXPECT_EQ(render("  {%+ if true %}x{% endif %}\n  {# c #}\ny"), "  xy");
  EXPECT_EQ(render("x {#- c -#}\n y"), "xy");
  EXPECT_EQ(render("{{- ' a ' -}}\n {{ 'b' }} \n"), " a b ");
  // Line breaks are normalized and one trailing newline is dropped.
  EXPECT_EQ(render("a\r\nb\rc\n\n"), "a\nb\nc\n");
  EXPECT_EQ(render("{% raw %}{{ x }}{% endraw %}"), "{{ x }}");
}

TEST(ChatTemplateTest, Loops) {
  EXPECT_EQ(render("{% for x in 'abcd' if x != 'b' %}{{ loop.index }}{{ x }}"
                   "{{ '|' if not loop.last }}{% else %}none{% endfor %}"),
            "1a|2c|3d");
  EXPECT_EQ(render("{% for x in [] %}x{% else %}none{% endfor %}"), "none");
  EXPECT_EQ(render("{% for x in range(6) %}{% if x is odd %}{% continue %}"
                   "{% endif %}{% if x > 3 %}{% break %}{% endif %}{{ x }}"
                   "{% endfor %}"),
            "02");
  EXPECT_EQ(render("{% for x in [1, 2, 3] %}{{ loop.index0 }}"
                   "{{ loop.revindex }}{{ loop.first }}{{ loop.length }}"
                   "{{ loop.previtem }}{{ loop.cycle('a', 'b') }};"
                   "{% endfor %}"),
            "03True3a;12False31b;21False32a;");
  EXPECT_EQ(render("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}",
                   R"({"d": {"x": 1, "y": [2]}})"),
            "x=1;y=[2];");
}

TEST(ChatTemplateTest, ScopesAndNamespaces) {
  // A loop iteration is a scope of its own; `if` is not.
  EXPECT_EQ(render("{% set x = 1 %}{% for i in [1, 2] %}{% set x = x + i %}"
                   "{{ x }}{% endfor %}{{ x }}"),
            "231");
  EXPECT_EQ(render("{% if true %}{% set y = 2 %}{% endif %}{{ y }}"), "2");
  // Qwen3's search for the last user turn.
  EXPECT_EQ(render("{% set ns = namespace(n=0) %}{% for m in messages[::-1] %}"
                   "{% if ns.n == 0 and m.role == 'user' %}"
                   "{% set ns.n = loop.revindex %}{% endif %}{% endfor %}"
                   "{{ ns.n }}",
                   kFourTurns),
            "3");
  EXPECT_EQ(render("{% macro greet(name, punct='!') %}Hi {{ name }}"
                   "{{ punct }}{% endmacro %}{{ greet('A') }} "
                   "{{ greet('B', punct='?') }}"),
            "Hi A! Hi B?");
  EXPECT_EQ(render("{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set s %} x "
                   "{% endset %}[{{ s }}]"),
            "12[ x ]");
}

TEST(ChatTemplateTest, SlicesAndIndexing) {
  EXPECT_EQ(render("{{ 'héllo wörld'[1:4] }}|{{ [1, 2, 3, 4][::-1] }}|"
                   "{{ [1, 2, 3][1:] }}|{{ 'abc'[-1] }}"),
            "éll|[4, 3, 2, 1]|[2, 3]|c");
  // A missing key or index is undefined, which prints nothing.
  EXPECT_EQ(render("[{{ d.x }}{{ d['x'] }}{{ l[5] }}]{{ l[5] is defined }}",
                   R"({"d": {}, "l": [1]})"),
            "[]False");
}

TEST(ChatTemplateTest, PrintsValuesAsPython) {
  EXPECT_EQ(render("{{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 1 / 4 }} "
                   "{{ 0.1 + 0.2 }} {{ 1e16 }} {{ 2 ** 10 }} {{ 'ab' * 2 }}"),
            "3 -4 2 0.25 0.30000000000000004 1e+16 1024 abab");
  EXPECT_EQ(render("{{ [1, 'a', none, true, 1.5] }} {{ {'k': \"it's\"} }} "
                   "{{ (1,) }}"),
            "[1, 'a', None, True, 1.5] {'k': \"it's\"} (1,)");
  EXPECT_EQ(
      render("{{ message.content }}", R"({"message": {"content": null}})"),
      "None");
}

TEST(ChatTemplateTest, Filters) {
  EXPECT_EQ(render("{{ '  x  '|trim }}|{{ 'a-b'|replace('-', '+') }}|"
                   "{{ 'hello world'|title }}|{{ 'ABC'|lower }}|"
                   "{{ x|default('d') }}|{{ '3.7'|int }}|{{ 'x'|float }}|"
                   "{{ [3, 1]|first }}|{{ 'ab'|last }}|"
                   "{{ 'a\\nb'|indent(2, true) }}"),
            "x|a+b|Hello World|abc|d|3|0.0|3|b|  a\n  b");
  EXPECT_EQ(render("{{ messages|selectattr('role', 'equalto', 'user')"
                   "|map(attribute='content')|join(',') }}|"
                   "{{ messages|rejectattr('role', 'eq', 'user')|list"
                   "|length }}",
                   kFourTurns),
            "a,c|2");
  EXPECT_EQ(render("{{ {'b': [1, 2.5, none], 'a': 'é\"\\n'}|tojson }}|"
                   "{{ {'k': [1, {}]}|tojson(indent=2) }}"),
            "{\"b\": [1, 2.5, null], \"a\": \"é\\\"\\n\"}|"
            "{\n  \"k\": [\n    1,\n    {}\n  ]\n}");
}

TEST(ChatTemplateTest, TestsAndMethods) {
  EXPECT_EQ(render("{{ x is defined }} {{ none is none }} {{ 'a' is string }} "
                   "{{ 3 is odd }} {{ {} is mapping }} {{ [1] is sequence }} "
                   "{{ 1.0 is integer }} {{ 2 is divisibleby 2 }} "
                   "{{ 'x' is in 'xy' }}"),
            "False True True True True True False True True");
  EXPECT_EQ(render("{{ '  a b  '.strip() }}|{{ 'a,b'.split(',') }}|"
                   "{{ 'abc'.startswith('a') }}|{{ 'x'.upper() }}|"
                   "{{ d.get('k', 0) }}|{{ d.items()|list }}",
                   R"({"d": {"a": 1}})"),
            "a b|['a', 'b']|True|X|0|[('a', 1)]");
}

TEST(ChatTemplateTest, StrftimeNowUsesTheFixedTime) {
  EXPECT_EQ(render("{{ strftime_now('%d %b %Y') }}"), "05 Mar 2025");
  // Llama 3.2's header.
  EXPECT_EQ(render("{%- if strftime_now is defined %}{%- set date_string = "
                   "strftime_now('%d %b %Y') %}{%- endif %}Today Date: "
                   "{{ date_string }}"),
            "Today Date: 05 Mar 2025");
}

TEST(ChatTemplateTest, RenderJsonTakesAnyVariables) {
  EXPECT_EQ(render("{{ tools[0].function.name }} {{ tools|tojson }} "
                   "{{ add_generation_prompt }} {{ documents }}",
                   R"({"tools": [{"function": {"name": "f", "n": 1.50}}]})"),
            "f [{\"function\": {\"name\": \"f\", \"n\": 1.5}}] False None");
  Result<ChatTemplate> chat = ChatTemplate::parse("x");
  ASSERT_TRUE(chat);
  Result<std::string> bad = chat->renderJson("{\"messages\": [}");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("JSON"), std::string::npos);
  Result<std::string> notObject = chat->renderJson("[]");
  ASSERT_FALSE(notObject);
  EXPECT_NE(notObject.error().find("expected a JSON object"),
            std::string::npos);
}

TEST(ChatTemplateTest, ParseErrorsNamePositionAndConstruct) {
  EXPECT_NE(parseError("{{ x | groupby('a') }}")
                .find("line 1, column 8: the filter 'groupby' is not "
                      "supported"),
            std::string::npos);
  EXPECT_NE(parseError("{{ x | nosuch }}")
                .find("line 1, column 8: no filter named 'nosuch'"),
            std::string::npos);
  EXPECT_NE(parseError("x\n{% include 'y' %}")
                .find("line 2, column 4: the 'include' tag is not supported"),
            std::string::npos);
  EXPECT_NE(parseError("{% for x in y %}")
                .find("unexpected end of template, expected 'endfor', "
                      "'else'"),
            std::string::npos);
  EXPECT_NE(parseError("{% for x in y recursive %}{% endfor %}")
                .find("a recursive loop is not supported"),
            std::string::npos);
  EXPECT_NE(parseError("{{ f(*args) }}")
                .find("an '*' argument is not "
                      "supported"),
            std::string::npos);
  EXPECT_NE(parseError("{% endif %}").find("unknown tag 'endif'"),
            std::string::npos);
  EXPECT_NE(parseError("{% break %}").find("'break' outside of a loop"),
            std::string::npos);
  EXPECT_NE(parseError("  {# open")
                .find("line 1, column 3: missing end of "
                      "comment tag"),
            std::string::npos);
  EXPECT_NE(parseError("{{ (1 }}").find("unexpected '}'"), std::string::npos);
  EXPECT_NE(parseError("\xff").find("not valid UTF-8"), std::string::npos);
}

TEST(ChatTemplateTest, RenderErrors) {
  // Mistral's check of role alternation.
  std::string alternation = renderError(
      "{% for m in messages %}{% if (m.role == 'user') != (loop.index0 % 2 "
      "== 0) %}{{ raise_exception('Conversation roles must alternate "
      "user/assistant/user/assistant/...') }}{% endif %}{% endfor %}",
      R"({"messages": [{"role": "user", "content": "a"},
                       {"role": "user", "content": "b"}]})");
  EXPECT_NE(alternation.find("line 1, column 80: Conversation roles must "
                             "alternate user/assistant/user/assistant/..."),
            std::string::npos)
      << alternation;
  // Anything taken from an undefined value is an error.
  EXPECT_NE(renderError("{{ nothing.attr }}").find("'nothing' is undefined"),
            std::string::npos);
  EXPECT_NE(renderError("{{ d.x.y }}", R"({"d": {}})")
                .find("'dict object' has no attribute 'x'"),
            std::string::npos);
  EXPECT_NE(renderError("{{ 1 + 'a' }}").find("unsupported operand type"),
            std::string::npos);
  EXPECT_NE(renderError("{{ [1].append(2) }}").find("unsafe"),
            std::string::npos);
  EXPECT_NE(renderError("{% set l = [1] %}{% set l.x = 2 %}")
                .find("cannot assign attribute on non-namespace object"),
            std::string::npos);
}

TEST(ChatTemplateTest, RefusesRatherThanRenderingDifferently) {
  // Python maps the case of any script; the engine only ASCII.
  EXPECT_EQ(render("{{ 'abc 日本'|upper }}"), "ABC 日本");
  EXPECT_NE(renderError("{{ 'é'|upper }}")
                .find("non-ASCII cased letters is "
                      "not supported"),
            std::string::npos);
  // A generator prints its address in Python.
  EXPECT_NE(renderError("{{ [1]|select }}").find("printing a generator"),
            std::string::npos);
  EXPECT_NE(renderError("{{ '%s' % 1 }}")
                .find("'%' formatting of a string "
                      "is not supported"),
            std::string::npos);
  EXPECT_NE(renderError("{{ 2 ** 64 }}").find("an integer beyond 64 bits"),
            std::string::npos);
}

} // namespace
