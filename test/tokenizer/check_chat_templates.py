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
