#!/usr/bin/env python3
"""Parity of the runtime's chat template engine (through xf-chat-template)
with transformers' apply_chat_template, i.e. jinja2.

  python3 test/tokenizer/check_chat_templates.py \\
      --xf-chat-template build/bin/xf-chat-template --workdir /tmp/chat

Every template in test/tokenizer/chat_templates/*.jinja (real models'
templates, see the README there) is rendered for a set of conversations
(and for the contexts in NAME.contexts.json, when there is one),
each with and without add_generation_prompt: one user turn, system + user,
multi-turn, ending with the assistant, contents with surrounding
whitespace, newlines, quotes, backslashes and non-ASCII text, empty
contents and conversations, wrong role alternation, a system message alone,
reasoning in <think> tags, tools with tool calls (arguments as a dict and
as a string) and tool results, content given as a list of parts. jinja2
renders each as transformers does (the environment below copies
transformers/utils/chat_template_utils.py: ImmutableSandboxedEnvironment
with trim_blocks, lstrip_blocks, loopcontrols and the generation tag;
raise_exception, strftime_now and json.dumps-based tojson; messages, tools,
documents, add_generation_prompt and the special tokens as variables) and
xf-chat-template renders the same JSON context. The outputs must be
byte-identical, or both must fail (and a raise_exception() message must
appear in xf-chat-template's error). The date strftime_now() gives is fixed
on both sides.

--extra FILE.json adds templates ({"name": "template text", ...}, or
{"name": {"chat_template": "...", "data": {context}}} to render one more
context of the template's own) and reports, without failing on them, how
many render identically, how many the engine refuses (an error naming the
unsupported construct) and which differ: a way to survey template
collections.

Exit status: 0 all equal; 1 a difference; 77 (skip) when jinja2 is missing,
except under CI=true, where that is a failure.
"""

import argparse
import datetime
import glob
import json
import os
import subprocess
import sys

# What strftime_now() formats on both sides.
FIXED_NOW = datetime.datetime(2025, 3, 5, 14, 7, 9)

# The special tokens transformers passes with each template (its
# tokenizer's special_tokens_map), by fixture name.
SPECIAL_TOKENS = {
    "chatml": {"eos_token": "<|im_end|>"},
    "command-r": {"bos_token": "<BOS_TOKEN>",
                  "eos_token": "<|END_OF_TURN_TOKEN|>"},
    "firefunction-v2": {"bos_token": "<|begin_of_text|>",
                        "eos_token": "<|eot_id|>"},
    "granite3.3": {"bos_token": "<|end_of_text|>",
                   "eos_token": "<|end_of_text|>"},
    "hermes2-pro": {"bos_token": "<|begin_of_text|>",
                    "eos_token": "<|im_end|>"},
    "minicpm3": {"bos_token": "<s>", "eos_token": "<|im_end|>"},
    "mistral-nemo": {"bos_token": "<s>", "eos_token": "</s>"},
    "phi4": {"bos_token": "<|endoftext|>", "eos_token": "<|im_end|>"},
    "qwen3-coder": {"eos_token": "<|im_end|>"},
    "smollm3": {"bos_token": "<|im_start|>", "eos_token": "<|im_end|>"},
    "deepseek-r1": {"bos_token": "<｜begin▁of▁sentence｜>",
                    "eos_token": "<｜end▁of▁sentence｜>"},
    "gemma2": {"bos_token": "<bos>", "eos_token": "<eos>"},
    "gemma3": {"bos_token": "<bos>", "eos_token": "<eos>"},
    "llama3": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
    "llama3.1": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
    "llama3.2": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
    "mistral-v0.1": {"bos_token": "<s>", "eos_token": "</s>"},
    "mistral-v0.3": {"bos_token": "<s>", "eos_token": "</s>"},
    "phi3": {"bos_token": "<s>", "eos_token": "<|endoftext|>"},
    "qwen2.5": {"eos_token": "<|im_end|>"},
    "qwen3": {"eos_token": "<|im_end|>"},
    "smollm2": {"bos_token": "<|im_start|>", "eos_token": "<|im_end|>"},
    "tinyllama": {"bos_token": "<s>", "eos_token": "</s>"},
    "zephyr": {"bos_token": "<s>", "eos_token": "</s>"},
}
DEFAULT_TOKENS = {"bos_token": "<s>", "eos_token": "</s>"}

TOOLS = [
    {"type": "function", "function": {
        "name": "get_current_weather",
        "description": "Get the current weather in a given location",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string", "description":
                             "The city and country, e.g. Paris, France"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"],
                         "description": "The unit of temperature"}},
            "required": ["location"]}}},
    {"type": "function", "function": {
        "name": "add",
        "description": "Adds two numbers: \"a\" + 'b' (<exact>)",
        "parameters": {
            "type": "object",
            "properties": {"a": {"type": "number"},
                           "b": {"type": "integer", "default": 1}},
            "required": ["a"]},
        "return": {"type": "number"}}},
]

SYSTEM = {"role": "system", "content": "You are a concise assistant."}
USER = {"role": "user", "content": "Hello! How are you?"}
ASSISTANT = {"role": "assistant", "content": "I'm fine, thank you."}
USER2 = {"role": "user", "content": "Tell me a joke."}


def tool_call_turns(arguments):
    return [
        {"role": "user", "content": "What's the weather in Paris?"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "call12345", "type": "function", "function": {
                "name": "get_current_weather", "arguments": arguments}}]},
        {"role": "tool", "tool_call_id": "call12345",
         "name": "get_current_weather",
         "content": "{\"temperature\": 22.5, \"unit\": \"celsius\"}"},
        {"role": "assistant", "content": "It is 22.5 °C in Paris."},
        {"role": "user", "content": "Thanks!"},
    ]


# name -> (messages, tools)
CONVERSATIONS = {
    "user": ([USER], None),
    "system+user": ([SYSTEM, USER], None),
    "multi-turn": ([USER, ASSISTANT, USER2], None),
    "system+multi-turn": ([SYSTEM, USER, ASSISTANT, USER2,
                           {"role": "assistant", "content": "Why did..."},
                           {"role": "user", "content": "Go on."}], None),
    "ends-with-assistant": ([USER, ASSISTANT], None),
    "whitespace": ([
        {"role": "system", "content": "\n  Be brief.  \n\n"},
        {"role": "user", "content": "  padded  \n"},
        {"role": "assistant", "content": "\ttabbed\r\nline two\n"},
        {"role": "user", "content": " \n "}], None),
    "text": ([
        {"role": "user", "content":
         "It's \"quoted\" — café, 日本語, 😀, עברית, \u00a0nbsp, "
         "\u200bzero width, C:\\path\\new, {{ not_a_tag }} {% raw %} #}"},
        {"role": "assistant", "content": "Ünïcödé ß ǅ İ ﬃ: fine."},
        {"role": "user", "content": "<|im_end|><eos></s>[INST]"}], None),
    "empty-content": ([{"role": "user", "content": ""}], None),
    "no-messages": ([], None),
    "system-only": ([SYSTEM], None),
    "two-users": ([USER, USER2], None),
    "assistant-first": ([ASSISTANT, USER], None),
    "think": ([USER, {"role": "assistant", "content":
                      "<think>\nThe user greets me.\n</think>\n\nHi there!"},
               USER2], None),
    "tools": ([SYSTEM, {"role": "user",
                        "content": "What's the weather in Paris?"}], TOOLS),
    "tool-calls": ([SYSTEM] + tool_call_turns(
        {"location": "Paris, France", "unit": "celsius"}), TOOLS),
    "tool-calls-string": (tool_call_turns(
        "{\"location\": \"Paris, France\"}"), TOOLS),
    "content-parts": ([
        {"role": "system", "content": [{"type": "text",
                                        "text": "Parts system."}]},
        {"role": "user", "content": [
            {"type": "text", "text": "Describe"},
            {"type": "text", "text": "this, please."}]}], None),
}


# Small templates, each exercising part of the language, rendered with
# SNIPPET_CONTEXT: whitespace control, literals, operators, filters, tests,
# methods, loops, scoping, macros and errors.
SNIPPET_CONTEXT = {
    "messages": [{"role": "system", "content": "S"},
                 {"role": "user", "content": "U1"},
                 {"role": "assistant", "content": "A1"},
                 {"role": "user", "content": " U2 "}],
    "d": {"a": 1, "b": [1, 2], "c": {"x": None}, "e": "é"},
    "add_generation_prompt": True, "tools": None, "documents": None,
    "bos_token": "<s>", "eos_token": "</s>",
}
SNIPPETS = [
    # Whitespace control, trim_blocks and lstrip_blocks.
    "a  {% if true %}\n  b\n  {% endif %}\nc",
    "  {%- if true -%}  x  {%- endif -%}  ",
    "{% for i in [1, 2] %}\n  {{ i }}\n{% endfor %}\n",
    "x\n    {# comment #}\ny\n  {#- c -#}  z",
    "x {#+ c +#}\n y",
    "{{- ' a ' -}}\n {{ 'b' }} \n{{ 'c' -}}  \n  d",
    "a\n  {%+ if true %}b{% endif %}",
    "a\n  {% if true +%}\nb\n{% endif +%}\nc",
    "{% raw %}{{ x }}{% endraw %}|  {% raw -%}  {% if %}  {%- endraw %}  |",
    "  {%- raw %} a {% endraw -%}  \n b",
    "line1\r\nline2\rline3\r\n{{ 'x' }}\r\n",
    "two trailing\n\n",
    "\t {% if true %}tab{% endif %}\n\t{{ 'v' }}",
    "x\n\u00a0{% if true %}nbsp{% endif %}\n\u3000 {%- if true %}ideographic{% endif %}",
    "{% set x = 1 %}\n{{ x }}\n{%- set y = 2 -%}\n\n{{ y }}",
    "{% if true %}\n{% if true %}\n  nested\n{% endif %}\n{% endif %}\nend",
    "{%- for m in messages %}\n    {{- m.role }}\n{%- endfor %}",
    "a{#- comment -#}b{#\nmulti\nline\n#}\nc",
    # Literals and operators.
    "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} "
    "{{ -7 % 3 }} {{ 7.5 // 2 }} {{ -7.5 % 2 }} {{ 2 ** 10 }} {{ 2 ** -1 }} "
    "{{ 10 / 4 }} {{ 1 / 3 }} {{ 2 ** 3 ** 2 }} {{ -2 ** 2 }} {{ 5 - -2 }}",
    "{{ 0.1 + 0.2 }} {{ 1e100 }} {{ 1.5e-7 }} {{ 100.0 }} {{ 1e16 }} "
    "{{ 1e15 }} {{ 123456789.123 }} {{ -0.0 }} {{ 0.0001 }} {{ 0.00001 }} "
    "{{ 1_000 + 0x10 + 0o7 + 0b1 }} {{ 1.5e3 }} {{ 2.5 * 4 }} {{ 1 + 1.0 }}",
    "{{ 'ab' * 3 }} {{ 3 * 'x' }} {{ 'a' ~ 1 ~ none ~ true ~ 1.0 ~ [1] }} "
    "{{ [1] * 2 }} {{ 'a' * 0 }} {{ [1, 2] + [3] }} {{ (1,) + (2,) }} "
    "{{ 'a' 'b' \"c\" }} {{ true + true }} {{ +true }} {{ -false }}",
    "{{ 1 < 2 < 3 }} {{ 1 < 3 < 2 }} {{ 'a' < 'b' }} {{ 'B' < 'a' }} "
    "{{ [1, 2] < [1, 3] }} {{ 1 == 1.0 }} {{ true == 1 }} {{ (1, 2) == [1, 2] }} "
    "{{ none == none }} {{ 2 >= 2.0 }} {{ 'é' > 'z' }} {{ {'a': 1} == {'a': 1.0} }}",
    "{{ 'a' in 'cat' }} {{ 1 in [1, 2] }} {{ 'k' in {'k': 1} }} "
    "{{ 3 not in [1, 2] }} {{ 'x' in nothing }} {{ '' in 'abc' }} "
    "{{ 1.0 in [1] }} {{ [1] in [[1]] }} {{ 'a' in d }}",
    "{{ 1 and 2 }} {{ 0 or 'x' }} {{ none or [] }} {{ not none }} "
    "{{ '' and 1 }} {{ not 'a' == 'b' }} {{ not 1 in [1] }}",
    "{{ 'yes' if 1 else 'no' }} {{ 'y' if 0 }}| {{ 'a' if false else 'b' if "
    "true else 'c' }}",
    "{{ [1, 'two', 3.0, none, true, [4], {'five': 5}] }} {{ (1,) }} {{ () }} "
    "{{ {} }} {{ {'a': 'it\\'s'} }} {{ (1, 'x') }} {{ [] }}",
    "{{ 'a\\nb\\tc\\\\d\\x41\\u00e9\\U0001F600\\101\\q' }} {{ \"'\" }} "
    "{{ 'é\\é' }}",
    "{{ [\"it's\", 'say \"hi\"', 'both \\' \"', '\\n\\t\\\\\\r', "
    "'\\x00\\x7f\\x85', '\\u00a0\\u200b\\u2028\\ufeff', 'é😀漢字'] }}",
    "{{ messages }}",
    "{{ d }} {{ d.c }} {{ d['b'] }} {{ d.b.1 }} {{ d.e }}",
    # Subscripts, slices and attribute fallbacks.
    "{{ messages[0].role }} {{ messages[-1]['content'] }} "
    "{{ messages[9] is defined }} {{ 'hello'[1:3] }} {{ 'hello'[::-1] }} "
    "{{ [1, 2, 3, 4][1:] }} {{ [1, 2, 3, 4][::2] }} {{ [1, 2, 3][-2:] }} "
    "{{ 'héllo'[1] }} {{ [1, 2, 3][:-1] }} {{ [1, 2, 3][5:] }} "
    "{{ [1, 2, 3][::-2] }} {{ 'abc'[-5:2] }} {{ (1, 2, 3)[1:] }}",
    "{{ d.zz }}|{{ d['zz'] }}|{{ none.x }}|{{ 'abc'.zz }}|{{ d.zz is defined }}"
    "|{{ messages.0.role }}|{{ [1][true] }}|{{ [1]['x'] is defined }}",
    # Methods.
    "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %} "
    "{{ d.keys()|list }} {{ d.get('a') }} {{ d.get('zz') }} "
    "{{ d.get('zz', 5) }} {{ d|length }} {{ d.values()|list }} {{ d.copy() }}",
    "{{ d.keys() }} {{ d.values() }} {{ d.items() }} {{ d.items()|length }}",
    "{{ '  x  '.strip() }}|{{ 'xxaxx'.strip('x') }}|{{ '  x'.lstrip() }}|"
    "{{ 'x  '.rstrip() }}|{{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}|"
    "{{ 'a b c'.split(' ', 1) }}|{{ 'a b c'.rsplit(' ', 1) }}|"
    "{{ ' a b c '.rsplit(none, 1) }}|{{ 'abc'.startswith('ab') }}|"
    "{{ 'abc'.endswith(('x', 'c')) }}|{{ 'Hello World'.upper() }}|"
    "{{ 'Hello'.lower() }}|{{ \"they're bill's 1st\".title() }}|"
    "{{ 'hELLO'.capitalize() }}|{{ 'aaa'.replace('a', 'b', 2) }}|"
    "{{ 'abc'.replace('', '-') }}|{{ 'abcabc'.find('c') }}|"
    "{{ 'abcabc'.rfind('c') }}|{{ 'abcabc'.count('bc') }}|"
    "{{ '-'.join(['x', 'y']) }}|{{ 'l1\\nl2\\r\\nl3\\x0bl4'.splitlines() }}|"
    "{{ 'pre-x'.removeprefix('pre-') }}|{{ ' \\t'.isspace() }}|"
    "{{ '12'.isdigit() }}|{{ 'ab1'.isalnum() }}|{{ 'Ab'.islower() }}",
    "{{ '<think>a</think>b'.split('</think>')[-1].lstrip('\\n') }}|"
    "{{ 'x'.split('x') }}|{{ ''.split() }}|{{ 'a\\u3000b'.split() }}",
    # Filters.
    "{{ '  t  '|trim }}|{{ 'xtx'|trim('x') }}|{{ [1, 2]|length }}|"
    "{{ 'héllo'|length }}|{{ 'abc'|upper }}|{{ 'ABC'|lower }}|"
    "{{ 'hello world'|capitalize }}|{{ 'hello-world foo(bar) x_y'|title }}|"
    "{{ 'aXa'|replace('a', 'b') }}|{{ [1, 2, 3]|join('-') }}|"
    "{{ messages|join(', ', attribute='role') }}|{{ [1, 2]|first }}|"
    "{{ [1, 2]|last }}|{{ 'abc'|first }}|{{ []|first is defined }}|"
    "{{ 12|string ~ 'x' }}|{{ [1, 'a']|string }}|{{ 'abc'|list }}|"
    "{{ d|list }}|{{ (1, 2)|list }}|{{ 5|abs }}|{{ -2.5|abs }}",
    "{{ '42'|int }} {{ '42.7'|int }} {{ 'x'|int }} {{ 'x'|int(7) }} "
    "{{ '0x1A'|int(0, 16) }} {{ '1_000'|int }} {{ 3.9|int }} {{ '3.5'|float }} "
    "{{ 'abc'|float }} {{ true|int }} {{ ' -12 '|int }} {{ '1e3'|int }} "
    "{{ none|int }} {{ '0b101'|int(0, 0) }} {{ 'inf'|float }} {{ '1_0.5'|float }}",
    "{{ messages|selectattr('role', 'equalto', 'user')|list|length }} "
    "{{ messages|map(attribute='role')|join(',') }} "
    "{{ messages|rejectattr('role', 'eq', 'user')|map(attribute='content')|list }} "
    "{{ [1, 2, 3, 4]|select('odd')|list }} {{ [1, 2, 3, 4]|reject('even')|list }} "
    "{{ ['a', 'B']|map('upper')|list }} {{ [0, 1, '', 'x']|select|list }} "
    "{{ messages|selectattr('nothing')|list }} "
    "{{ messages|map(attribute='name', default='?')|list }} "
    "{{ [[1, 2], [3]]|map('length')|list }} {{ ['a', 'b']|reject('in', ['a'])|list }}",
    "{{ [3, 1, 2]|reverse|list }} {{ 'abc'|reverse }} {{ d|items|list }} "
    "{{ nothing|items|list }} {{ messages|selectattr('role', '==', 'user')|first }} "
    "{{ (messages|selectattr('role', 'eq', 'system')|list|last).content }}",
    "{{ x|default('dflt') }} {{ ''|default('e', true) }} {{ none|d('n') }} "
    "{{ none|default('n') }} {{ x|default }}| {{ 0|d(5, boolean=true) }}",
    "{{ {'b': 1, 'a': [1, 2.5, 'x\"y\\\\', none, true]}|tojson }} "
    "{{ {'b': 1, 'a': {}}|tojson(indent=2) }} {{ [1, [2, []]]|tojson(indent=1) }} "
    "{{ 'é😀\\u2028\\x1f\\x7f'|tojson }} {{ {'z': 1, 'a': 2}|tojson(sort_keys=true) }} "
    "{{ 'é😀'|tojson(ensure_ascii=true) }} {{ [1, 2]|tojson(separators=(',', ':')) }} "
    "{{ 1.0|tojson }} {{ 1e20|tojson }} {{ {1: 'a', none: 2, 1.5: 3}|tojson }} "
    "{{ (1, 2)|tojson }} {{ messages[0]|tojson(indent='\\t') }} {{ d|tojson }}",
    "{{ 'a\\nb\\n\\nc'|indent }}|{{ 'a\\nb'|indent(2, true) }}|"
    "{{ 'a\\n\\nb'|indent(2, blank=true) }}|{{ 'x'|indent('--', first=true) }}|"
    "{{ 'a\\r\\nb\\n'|indent(1) }}",
    "{{ ('<a>'|safe) + '<b>&\"\\'' }}|{{ '<b>' + ('<a>'|safe) }}|"
    "{{ ('<a>'|safe) ~ '<b>' }}|{{ ('x'|safe) is escaped }}|"
    "{{ 'x' is escaped }}|{{ ('<a>'|safe + '<b>'|safe) }}|{{ ('<a> '|safe)|trim + '<' }}",
    # Tests.
    "{{ 1 is odd }} {{ 2 is even }} {{ 9 is divisibleby 3 }} {{ x is defined }} "
    "{{ x is undefined }} {{ none is none }} {{ 'a' is string }} "
    "{{ 1 is number }} {{ 1.5 is float }} {{ 1 is integer }} "
    "{{ true is boolean }} {{ true is true }} {{ false is false }} "
    "{{ d is mapping }} {{ [1] is sequence }} {{ 'a' is iterable }} "
    "{{ 1 is iterable }} {{ 'ab' is lower }} {{ 'AB' is upper }} "
    "{{ 2 is equalto 2 }} {{ 1 is in [1] }} {{ 3 is gt 2 }} "
    "{{ 'length' is filter }} {{ 'odd' is test }} {{ none is sameas none }} "
    "{{ 1 is not odd }} {{ x is sequence }} {{ x is iterable }} {{ d is sequence }} "
    "{{ true is number }} {{ true is integer }} {{ 1.0 is odd }} {{ d.c.x is none }} "
    "{{ messages is iterable }} {{ (messages|select) is iterable }} "
    "{{ (messages|select) is sequence }} {{ 'x' is mapping }} {{ x is callable }} "
    "{{ namespace is callable }} {{ 3 is ge 3 }} {{ 3 is lessthan 4 }} {{ 3 is ne 3 }}",
    # Loops.
    "{% for x in [1, 2, 3] %}{{ loop.index }}{{ loop.index0 }}"
    "{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}"
    "{{ loop.length }}{{ loop.previtem }}{{ loop.nextitem }}"
    "{{ loop.cycle('a', 'b') }}{{ loop.depth }};{% endfor %}",
    "{% for x in [1, 2, 3, 4] if x is even %}{{ loop.index }}:{{ x }}/{{ loop.length }} "
    "{% else %}none{% endfor %}|{% for x in [] %}x{% else %}empty{% endfor %}|"
    "{% for x in [1] if false %}x{% else %}filtered{% endfor %}",
    "{% for x in range(10) %}{% if x == 5 %}{% break %}{% endif %}"
    "{% if x is odd %}{% continue %}{% endif %}{{ x }}{% endfor %}|"
    "{% for a in [1, 2] %}{% for b in 'xy' %}{{ a }}{{ b }}{{ loop.index }}"
    "{% endfor %}{{ loop.index }}{% endfor %}",
    "{% for a, b in [[1, 2], (3, 4), 'xy'] %}{{ a }}{{ b }};{% endfor %}"
    "{% for k in d %}{{ k }}{% endfor %}{% for c in 'hé' %}[{{ c }}]{% endfor %}"
    "{% for m in messages[::-1] %}{{ m.role[0] }}{% endfor %}"
    "{% for i in range(3, 0, -1) %}{{ i }}{% endfor %}{{ range(3) }}"
    "{{ range(1, 10, 3) }}{{ range(4)|list }}",
    "{% set outer = 'o' %}{% for x in [1] %}{% set loop_outer = loop %}"
    "{% for y in [1, 2] %}{{ loop_outer.index }}{{ loop.index }}{{ outer }}"
    "{% endfor %}{% endfor %}{{ loop is defined }}{{ x is defined }}",
    # Scoping, namespaces, assignments.
    "{% set x = 1 %}{% for i in [1, 2] %}{{ x }}{% set x = x + 1 %}{{ x }}"
    "{% endfor %}{{ x }}|{% for i in [1, 2] %}{% if i == 1 %}{% set y = 5 %}"
    "{% endif %}{{ y }}{% endfor %}[{{ y }}]",
    "{% set ns = namespace(c=0, found=false) %}{% for i in range(3) %}"
    "{% set ns.c = ns.c + i %}{% if i == 1 %}{% set ns.found = true %}{% endif %}"
    "{% endfor %}{{ ns.c }}{{ ns.found }}{{ ns.zz }}{{ ns }}"
    "{% set ns2 = namespace(d) %}{{ ns2.a }}{{ ns['c'] }}",
    "{% if true %}{% set y = 2 %}{% endif %}{{ y }}|{% set a, b = 1, 2 %}"
    "{{ a }}{{ b }}{% set c, e = 'xy' %}{{ c }}{{ e }}{% set t = 1, 2 %}{{ t }}",
    "{% set s %}  hi {{ 1 }}  {% endset %}[{{ s }}]{% set t | trim | upper %}"
    "  yo  {% endset %}[{{ t }}]{% set u %}{% set inner = 1 %}{% endset %}"
    "{{ inner is defined }}",
    "{% set messages = messages[1:] %}{{ messages|length }}"
    "{% set add_generation_prompt = false %}{{ add_generation_prompt }}",
    # Macros, call and filter blocks, with, print, generation.
    "{% macro m(a, b='B', c=none) %}[{{ a }}{{ b }}{{ c }}]{% endmacro %}"
    "{{ m(1) }}{{ m(1, 2) }}{{ m(1, c=3) }}{{ m() }}{{ m(b=1) }}",
    "{% set g = 'G' %}{% macro m() %}{{ g }}{{ h }}{% set g = 'local' %}{{ g }}"
    "{% endmacro %}{{ m() }}{% set h = 'H' %}{{ m() }}{{ g }}",
    "{% macro r(n) %}{% if n > 0 %}{{ n }}{{ r(n - 1) }}{% endif %}{% endmacro %}"
    "{{ r(3) }}|{% macro d2(x, y=x * 2) %}{{ y }}{% endmacro %}{{ d2(4) }}",
    "{% macro w(x) %}<{{ caller() }}{{ x }}>{% endmacro %}"
    "{% call w('!') %}inner {{ 1 + 1 }}{% endcall %}",
    "{% filter upper %}hello {{ 'x' }}{% endfilter %}"
    "{% filter trim|replace('a', 'b') %}  aaa  {% endfilter %}",
    "{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}{{ a }}|{% print 'p', 1 %}",
    "{% generation %}gen {{ 1 }}{% set z = 1 %}{% endgeneration %}{{ z }}",
    "{{ strftime_now('%Y-%m-%d %H:%M:%S %a %A %b %B %j %p %y %e %%|%f|%z|%Z') }}",
    "{{ 1e22 }} {{ 5e-324 }} {{ 1.7976931348623157e308 }} {{ 0.5 }} {{ 1 / 7 }} "
    "{{ 3 * 1.1 }} {{ 2 ** 62 }} {{ 10 % 3.5 }} {{ -10 // 3.0 }} {{ 7 // -2 }} "
    "{{ 7 % -2 }} {{ 2 ** 0.5 }} {{ 4 ** 0.5 }} {{ 1e308 * 10 }} {{ -1e308 * 10 }}",
    "{% if [] %}a{% elif {} %}b{% elif 0.0 %}c{% elif ' ' %}d{% endif %}"
    "{% if not '' and not none and nothing is not defined %}e{% endif %}",
    "{{ '}}' }}{{ '{%' }}{% set x = '%}' %}{{ x }}{# {{ not a tag }} %} #}"
    "{\"json\": {\"a\": 1}} { {{ '{' }} }",
    "{%- if true %}\u2003\n{%- endif %}x{{ 'y' -}}\u2003\u2028z",
    "{% if\r\ntrue\r\n%}crlf inside{% endif %}",
    "{{ 'abc' ~ d }}{{ d.b|join(d.e) }}{{ [none, true]|join }}{{ messages[0] ~ '' }}",
    "{% macro m(x) %}{{ x }}{% endmacro %}{% macro n(y) %}{{ m(x=y ~ '!') }}"
    "{% endmacro %}{{ n('hi') }}{{ m }}",
    "{% set g = [1, 2, 3]|select %}{{ g|first }}{{ g|list }}{{ g|list }}"
    "{% set h = d|items %}{% for k, v in h %}{{ k }}{% endfor %}"
    "{% for k, v in h %}again{% endfor %}{{ [1, 2]|reverse|first }}"
    "{{ d|reverse|list }}{{ (messages|map(attribute='role'))|join('+') }}",
    "{{ range(3) is sequence }}{{ range(3)[1] }}{{ range(3)|length }}"
    "{{ range(3) == range(3) }}{{ range(0, 3) == [0, 1, 2] }}{{ range(3)|list }}"
    "{% for x in [1, 2] %}{{ loop }}{% endfor %}{{ [] is sequence }}",
    "{{ [('a', 1)]|map('first')|list }} {{ ['x', 'y']|map('replace', 'x', 'z')|list }} "
    "{{ [1, 2]|map('string')|join }} {{ messages|selectattr('content', 'string')|list|length }} "
    "{{ messages|map(attribute='content')|map('trim')|list }}",
    "{{ none|string }}|{{ nothing|string }}|{{ nothing|list }}|{{ nothing|length }}|"
    "{{ nothing|trim }}|{{ 1 if nothing is defined and nothing.x else 2 }}|"
    "{{ nothing|first }}|{{ nothing|last }}|{{ nothing|join(',') }}|"
    "{{ nothing|default(none) }}|{{ nothing is sequence }}",
    "{{ {'a': 1.0, 2: [none]} }} {{ -0 }} {{ (1, 2) < (1, 3) }} {{ 3 // 0.5 }} "
    "{{ true // 1 }} {{ ''.join(['a', 'b']) }} {{ [1, 2, 1]|count }} {{ 'x'|title }} "
    "{{ 'ab cd'|capitalize }} {{ messages[0].content.upper() }} {{ 'x' * -1 }}|",
    "{% set x %}{% for i in [1, 2] %}{{ i }}{% endfor %}{% endset %}{{ x|length }} "
    "{{ d.b|tojson }} {{ d|tojson(indent=0) }} {{ d|tojson(indent=-1) }} "
    "{{ [1, 2]|tojson(indent=true) }} {{ {'a': 1}|tojson(separators=[',', ':']) }}",
    "{% macro outer() %}[{{ caller() }}]{% endmacro %}{% for i in [1, 2] %}"
    "{% call outer() %}{{ i }}{{ loop.index }}{% endcall %}{% endfor %}"
    "{% set x = namespace() %}{% set x.y = 1 %}{{ x.y }}",
    # Errors: both must fail.
    "{{ raise_exception('boom: ' ~ messages[0].role) }}",
    "{{ nothing.attr }}", "{{ nothing['x'] }}", "{{ d.zz.y }}",
    "{{ 1 + 'a' }}", "{{ [1, 2][0:1:0] }}", "{{ nothing + 1 }}",
    "{{ 'a' < 1 }}", "{{ nothing < 1 }}", "{% for a, b in [1] %}{% endfor %}",
    "{% for a, b in [[1, 2, 3]] %}{% endfor %}",
    "{{ range(200000)|length }}", "{{ 1 / 0 }}", "{{ 1 // 0 }}", "{{ 1.0 % 0 }}",
    "{% set l = [1] %}{% set l.x = 2 %}", "{{ [1].append(2) }}",
    "{{ d.update({}) }}", "{% if %}{% endif %}", "{{ ", "{% endif %}",
    "{% for %}", "{{ x|nosuchfilter }}", "{{ x is nosuchtest }}",
    "{% unknown %}", "{% if true %}", "{{ 'a' 'b }}", "{{ (1 }}",
    "{{ [1, 2}} }}", "{% macro m(a=1, b) %}{% endmacro %}",
    "{% macro m(x) %}{% endmacro %}{{ m(1, 2) }}",
    "{% macro m(x) %}{% endmacro %}{{ m(y=1) }}", "{{ 1 is odd is even }}",
    "{{ 'x' in 1 }}", "{{ [] in {} }}", "{{ messages|length(1) }}",
    "{{ -'a' }}", "{{ 'a'|tojson(indent=[]) }}", "{{ nothing|tojson }}",
    "{{ nothing() }}", "{{ 'a'() }}", "{% break %}", "{{ [1]|last(2) }}",
    "{{ (messages|select)|last }}", "{{ (messages|select)|length }}",
    "{{ d.items()[0] }}", "{{ 1 + none }}", "{{ 'abc'.split('') }}",
    "{{ {[1]: 2} }}", "{% set x = 1 %}{{ x.y.z }}", "{{ 'a' * 'b' }}",
    "{{ namespace(1) }}", "{{ loop.index }}",
    "{{ messages|map('nosuch')|list }}", "{{ messages|selectattr('role', 'nosuch')|list }}",
]

def make_environment():
    """transformers' chat template environment (chat_template_utils.py,
    _compile_jinja_template), with its generation tag's tracking off and
    strftime_now at FIXED_NOW."""
    import jinja2
    from jinja2 import nodes
    from jinja2.ext import Extension, loopcontrols
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class AssistantTracker(Extension):
        tags = {"generation"}

        def parse(self, parser):
            lineno = next(parser.stream).lineno
            body = parser.parse_statements(["name:endgeneration"],
                                           drop_needle=True)
            return nodes.CallBlock(self.call_method("_generation_support"),
                                   [], [], body).set_lineno(lineno)

        @jinja2.pass_eval_context
        def _generation_support(self, context, caller):
            return caller()

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None,
               sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent,
                          separators=separators, sort_keys=sort_keys)

    def strftime_now(format):
        return FIXED_NOW.strftime(format)

    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True,
        extensions=[AssistantTracker, loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def compile_jinja(env, source):
    """(template, None) or (None, error as render_jinja gives it)."""
    try:
        return env.from_string(source), None
    except Exception as e:  # noqa: BLE001 - any failure counts as an error
        return None, (type(e).__name__, str(e), False)


def render_jinja(template, context):
    """(text, None) or (None, (error class name, message, raised by the
    template's raise_exception))."""
    import jinja2
    try:
        return template.render(**context), None
    except jinja2.exceptions.TemplateError as e:
        own = type(e) is jinja2.exceptions.TemplateError
        return None, (type(e).__name__, str(e), own)
    except Exception as e:  # noqa: BLE001
        return None, (type(e).__name__, str(e), False)


def render_xf(tool, template_path, context, workdir):
    context_path = os.path.join(workdir, "context.json")
    with open(context_path, "w", encoding="utf-8") as f:
        json.dump(context, f, ensure_ascii=False)
    proc = subprocess.run(
        [tool, "--now=" + FIXED_NOW.strftime("%Y-%m-%dT%H:%M:%S"),
         template_path, context_path], capture_output=True, timeout=60)
    if proc.returncode == 0:
        return proc.stdout.decode("utf-8"), None
    if proc.returncode == 2:
        raise RuntimeError("xf-chat-template usage error: " +
                           proc.stderr.decode("utf-8", "replace"))
    return None, proc.stderr.decode("utf-8", "replace").strip()


def first_difference(a, b):
    n = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]),
             min(len(a), len(b)))
    return "at char %d:\n      xf:     %r\n      jinja2: %r" % (
        n, a[max(0, n - 40):n + 40], b[max(0, n - 40):n + 40])


def check_template(name, source, tool, workdir, env, tokens, verbose,
                   own_contexts=()):
    """Renders every conversation both ways. Returns (cases, failures,
    errors, refused): errors counts the cases where both fail, refused is
    the engine's error if it refused a construct of the template."""
    path = os.path.join(workdir, "template.jinja")
    with open(path, "w", encoding="utf-8") as f:
        f.write(source)
    cases = failures = errors = 0
    refused = None
    contexts = []
    for conv_name, (messages, tools) in CONVERSATIONS.items():
        for agp in (False, True):
            context = dict(tokens)
            context.update(messages=messages, tools=tools, documents=None,
                           add_generation_prompt=agp)
            contexts.append((conv_name, agp, context))
    for i, own in enumerate(own_contexts):
        context = dict(tokens)
        context.update(tools=None, documents=None, add_generation_prompt=False)
        context.update(own)
        contexts.append(("context %d of its own" % (i + 1),
                         context["add_generation_prompt"], context))
    template, compile_error = compile_jinja(env, source)
    for conv_name, agp, context in contexts:
        expected, expected_error = (
            (None, compile_error) if compile_error else
            render_jinja(template, context))
        got, got_error = render_xf(tool, path, context, workdir)
        cases += 1
        label = "%s: %s, add_generation_prompt=%s" % (name, conv_name,
                                                      agp)
        ok = True
        if expected_error and got_error is None:
            ok = False
            print("  DIFF %s: jinja2 fails (%s: %s), xf renders %r" % (
                label, expected_error[0], expected_error[1][:200],
                got[:200]))
        elif got_error and expected_error is None:
            ok = False
            if "is not supported" in got_error and refused is None:
                refused = got_error
            print("  DIFF %s: xf fails (%s), jinja2 renders %r" % (
                label, got_error[:300], expected[:200]))
        elif expected_error and got_error:
            errors += 1
            if expected_error[2] and expected_error[1] not in got_error:
                ok = False
                print("  DIFF %s: raise_exception(%r) but xf says %r" % (
                    label, expected_error[1], got_error))
            elif verbose:
                print("  both fail %s: %s | %s" % (
                    label, expected_error[1][:100], got_error[:100]))
        elif got != expected:
            ok = False
            print("  DIFF %s %s" % (label, first_difference(got,
                                                            expected)))
        failures += not ok
    return cases, failures, errors, refused


def check_snippets(tool, workdir, env):
    path = os.path.join(workdir, "snippet.jinja")
    failures = errors = 0
    for i, source in enumerate(SNIPPETS):
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(source)
        template, compile_error = compile_jinja(env, source)
        expected, expected_error = (
            (None, compile_error) if compile_error else
            render_jinja(template, SNIPPET_CONTEXT))
        got, got_error = render_xf(tool, path, SNIPPET_CONTEXT, workdir)
        label = "snippet %d %r" % (i, source[:60])
        if expected_error and got_error:
            errors += 1
            if expected_error[2] and expected_error[1] not in got_error:
                failures += 1
                print("  DIFF %s: raise_exception(%r) but xf says %r" % (
                    label, expected_error[1], got_error))
        elif expected_error:
            failures += 1
            print("  DIFF %s: jinja2 fails (%s: %s), xf renders %r" % (
                label, expected_error[0], expected_error[1], got))
        elif got_error:
            failures += 1
            print("  DIFF %s: xf fails (%s), jinja2 renders %r" % (
                label, got_error, expected))
        elif got != expected:
            failures += 1
            print("  DIFF %s %s" % (label, first_difference(got, expected)))
    print("snippets: %d/%d identical (%d of them errors on both sides)" % (
        len(SNIPPETS) - failures, len(SNIPPETS), errors))
    return failures == 0


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--xf-chat-template", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--templates", default=os.path.join(
        here, "chat_templates"), help="directory of *.jinja fixtures")
    parser.add_argument("--extra", action="append", default=[],
                        help="JSON file {name: template} to survey")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    try:
        import jinja2  # noqa: F401
    except ImportError:
        print("SKIP: jinja2 is not installed (pip install -r "
              "requirements.txt)")
        return 1 if os.environ.get("CI") == "true" else 77
    os.makedirs(args.workdir, exist_ok=True)
    env = make_environment()

    ok = True
    total = 0
    fixtures = sorted(glob.glob(os.path.join(args.templates, "*.jinja")))
    if not fixtures:
        print("no templates in %s" % args.templates)
        return 1
    for path in fixtures:
        name = os.path.basename(path)[:-len(".jinja")]
        with open(path, encoding="utf-8") as f:
            source = f.read()
        tokens = SPECIAL_TOKENS.get(name, DEFAULT_TOKENS)
        own_contexts = []
        if os.path.exists(path[:-len(".jinja")] + ".contexts.json"):
            with open(path[:-len(".jinja")] + ".contexts.json",
                      encoding="utf-8") as f:
                own_contexts = json.load(f)
        cases, failures, errors, _ = check_template(
            name, source, args.xf_chat_template, args.workdir, env, tokens,
            args.verbose, own_contexts)
        total += cases
        print("%s: %d/%d conversations identical (%d of them errors on both "
              "sides)" % (name, cases - failures, cases, errors))
        ok &= failures == 0

    ok &= check_snippets(args.xf_chat_template, args.workdir, env)

    for extra in args.extra:
        with open(extra, encoding="utf-8") as f:
            templates = json.load(f)
        same = refused = differ = 0
        for name, entry in sorted(templates.items()):
            own_contexts = []
            if isinstance(entry, dict):
                source, own_contexts = entry["chat_template"], [entry["data"]]
            else:
                source = entry
            cases, failures, errors, refusal = check_template(
                name, source, args.xf_chat_template, args.workdir, env,
                DEFAULT_TOKENS, args.verbose, own_contexts)
            if failures == 0:
                same += 1
                if args.verbose:
                    print("%s: %d identical, %d of them errors" % (
                        name, cases, errors))
            elif refusal:
                refused += 1
                print("%s: refused: %s" % (name, refusal))
            else:
                differ += 1
                print("%s: %d/%d differ" % (name, failures, cases))
        print("%s: %d templates identical, %d refused, %d differ" % (
            extra, same, refused, differ))

    print("%d renderings compared: %s" % (total, "PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
