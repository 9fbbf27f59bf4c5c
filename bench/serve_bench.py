#!/usr/bin/env python3
"""`OUT serve` against llama.cpp's OpenAI server (llama-cpp-python[server]) on
SmolLM2-135M-Instruct, under the same load (issue 19; a benchmark, not a test).

    source scripts/venv.sh
    python3 bench/serve_bench.py [--precisions int8[,fp32,int4]] \\
        [--clients 1,8,32] [--duration 60] [--max-tokens 128] [--write-docs]

Pairs, by precision: xfc int8 (`xfc model.onnx --quantize=int8`) against the
Q8_0 GGUF (default), xfc fp32 against F32, xfc int4 against Q4_1. The
programs are those of bench/run.sh (build/bench-smollm2/smollm2{,-int8,-int4}),
reused when they are newer than the compiler, else compiled; the assets come
from scripts/make-smollm2.sh.

Both servers run on the same machine, on --threads threads (default 2):
`PROGRAM serve --port 0 --threads 2 --max-batch M`, and `python -m
llama_cpp.server --model X.gguf --n_threads 2 --n_threads_batch 2 --n_ctx C
--interrupt_requests False --logits_all False`. C is xfc's context per
sequence (from its banner), so both take the same prompts and answers.
llama-cpp-python's server has no parallel sequences: one llama_context
behind a lock serves one request at a time, the others wait (its default
--interrupt_requests True would end a streaming answer as soon as another
request waits, so it is turned off; --logits_all False keeps it from
computing the LM head for every prompt token, which nothing here reads).

Load, per server and number of clients N (--clients): N concurrent clients
(asyncio, raw HTTP/1.1, one connection per request, in this process) each
send streaming /v1/chat/completions requests back to back for --duration
seconds: a shared system prompt and one of 48 user questions (client i
starts at question i and takes the next one each time), temperature 0,
max_tokens --max-tokens, stream_options.include_usage. After the duration
no request is started; those in flight finish (up to --request-timeout).
Per request: TTFT (request sent -> first chunk with content), the gaps
between content chunks (inter-token latency), output tokens (usage when
the server sends it, xfc does; else the number of content chunks, which is
what llama-cpp-python's server streams: one per token, checked against its
non-streaming usage during the warm-up). Overall: requests/s (requests that
ended inside the window) and output tokens/s (tokens whose chunk arrived
inside the window), where the window is [--ramp, --duration] (the first
seconds, while the queues fill, are left out); TTFT and ITL p50/p99 over the
requests that started inside the window. Warm-up: each server answers a few
prompts (streaming and not) before it is measured.

Every server is stopped at the end, whatever happens (SIGTERM, then SIGKILL
after a timeout); every wait has a timeout. Output: a markdown table on
stdout, every figure in --json (default build/bench-smollm2/serve_bench.json)
and, with --write-docs, the section "`OUT serve` against llama.cpp's server
(issue 19)" of docs/benchmarks.md (replaced on a rerun).
"""
import argparse
import asyncio
import atexit
import datetime
import json
import os
import platform
import re
import shlex
import signal
import socket
import subprocess
import sys
import time

from machine_load import (HZ, cpu_jiffies, int_list,  # noqa: E402
                          memory_total, process_cpu_s, wait_for_idle,
                          write_docs)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECTION = "## `OUT serve` against llama.cpp's server (issue 19)"
HOST = "127.0.0.1"
AIM_TOKENS = 2.0  # xfc output tokens/s >= 2x llama.cpp's at the most clients

# precision -> (xfc --quantize value, program suffix, GGUF file, GGUF label)
PRECISIONS = {
    "int8": ("int8", "-int8", "smollm2-135m-q8_0.gguf", "Q8_0"),
    "fp32": ("none", "", "smollm2-135m-f32.gguf", "F32"),
    "int4": ("int4", "-int4", "smollm2-135m-q4_1.gguf", "Q4_1"),
}
LLAMA_VERSION = "0.3.36"
SERVER_MODULES = ["uvicorn", "fastapi", "sse_starlette", "starlette_context",
                  "pydantic_settings"]

SYSTEM_PROMPT = ("You are a helpful assistant. Answer the user's question clearly "
                 "and accurately in a short paragraph.")
QUESTIONS = [
    "What is the capital of France?",
    "Why is the sky blue?",
    "How do plants make their food?",
    "What causes the seasons on Earth?",
    "Explain what a black hole is.",
    "How does a refrigerator keep food cold?",
    "What is the difference between weather and climate?",
    "Why do we have leap years?",
    "How do vaccines work?",
    "What is photosynthesis?",
    "Give me three tips for learning a new language.",
    "What is the water cycle?",
    "How does the internet work, in simple terms?",
    "What are the benefits of regular exercise?",
    "Why do cats purr?",
    "What is the tallest mountain in the world?",
    "How do airplanes stay in the air?",
    "What is a healthy breakfast?",
    "Explain gravity to a ten-year-old.",
    "What is the largest ocean on Earth?",
    "How do bees make honey?",
    "Why is recycling important?",
    "What is the speed of light?",
    "How does a rainbow form?",
    "What is machine learning?",
    "Why do leaves change color in autumn?",
    "How can I improve my sleep?",
    "What is the function of the heart?",
    "Write a short poem about the sea.",
    "What are the primary colors?",
    "How do earthquakes happen?",
    "What is the difference between a virus and a bacterium?",
    "Why is the ocean salty?",
    "How does a compass work?",
    "What is democracy?",
    "Suggest a name for a small bakery.",
    "How do you make a cup of tea?",
    "What is the moon made of?",
    "Why do we dream?",
    "What is renewable energy?",
    "How many continents are there, and what are they?",
    "What does a computer's CPU do?",
    "How do fish breathe underwater?",
    "What is the Pythagorean theorem?",
    "Describe a typical day of a farmer.",
    "Why is it important to drink water?",
    "What is an atom?",
    "How do I start a vegetable garden?",
]


# --------------------------------------------------------------------------
# Small helpers.

def log(msg):
    print(msg, flush=True)


def percentile(values, q):
    """Linear-interpolated percentile (numpy's default), None when empty."""
    if not values:
        return None
    v = sorted(values)
    pos = (len(v) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)




def peak_rss(pid):
    try:
        with open(f"/proc/{pid}/status") as fh:
            m = re.search(r"VmHWM:\s*(\d+) kB", fh.read())
        return int(m.group(1)) * 1024 if m else None
    except OSError:
        return None


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def git_commit():
    try:
        head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=30).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain",
                                "--untracked-files=no"],
                               capture_output=True, text=True, timeout=60).stdout.strip()
        return head + (" (with uncommitted changes)" if dirty else "") if head else "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


def machine_info():
    info = {}
    try:
        with open("/proc/cpuinfo") as fh:
            cpuinfo = fh.read()
        m = re.search(r"^model name\s*:\s*(.*)$", cpuinfo, re.M)
        info["cpu"] = m.group(1).strip() if m else "?"
        info["cores"] = len(re.findall(r"^processor\s*:", cpuinfo, re.M)) or os.cpu_count()
        m = re.search(r"^flags\s*:\s*(.*)$", cpuinfo, re.M)
        flags = set(m.group(1).split()) if m else set()
        info["isa"] = " ".join(f for f in ("avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni")
                               if f in flags)
    except OSError:
        info["cpu"], info["cores"], info["isa"] = "?", os.cpu_count(), "?"
    memory = memory_total()
    if memory:
        info["memory"] = memory
    info["kernel"] = platform.release()
    info["python"] = platform.python_version()
    info["date"] = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    info["loadavg"] = "%.2f %.2f %.2f" % os.getloadavg()
    info["commit"] = git_commit()
    return info


# --------------------------------------------------------------------------
# Dependencies, assets, programs.

def ensure_llama_server():
    """llama-cpp-python must be there (bench/run.sh builds it, this script
    never does); its [server] extras are installed when missing, from the
    pins of bench/requirements.txt."""
    probe = subprocess.run([sys.executable, "-c", "import llama_cpp; print(llama_cpp.__version__)"],
                           capture_output=True, text=True, timeout=120)
    if probe.returncode != 0:
        raise SystemExit("serve_bench: llama-cpp-python is not installed; bench/run.sh installs "
                         f"llama-cpp-python=={LLAMA_VERSION} (a source build of several minutes)")
    version = probe.stdout.strip()
    if version != LLAMA_VERSION:
        log(f"   note: llama-cpp-python {version} is installed, not {LLAMA_VERSION}")
    check = "import " + ", ".join(SERVER_MODULES)
    if subprocess.run([sys.executable, "-c", check], capture_output=True,
                      timeout=120).returncode != 0:
        req = os.path.join(ROOT, "bench", "requirements.txt")
        log(f"== installing llama-cpp-python's server extras (pinned in {os.path.relpath(req, ROOT)})")
        # The extras only: with llama-cpp-python already at LLAMA_VERSION pip
        # considers it satisfied and does not rebuild it.
        subprocess.run([sys.executable, "-m", "pip", "install", "-r", req,
                        f"llama-cpp-python[server]=={version}"], check=True, timeout=900)
    return version


def ensure_assets(assets, needed):
    missing = [f for f in needed if not os.path.exists(os.path.join(assets, f))]
    if missing:
        log(f"== scripts/make-smollm2.sh {assets} (missing: {', '.join(missing)})")
        subprocess.run([os.path.join(ROOT, "scripts", "make-smollm2.sh"), assets],
                       check=True, timeout=3600, cwd=ROOT)


def ensure_program(args, precision):
    quantize, suffix, _, _ = PRECISIONS[precision]
    program = os.path.join(args.work, "smollm2" + suffix)
    fresh = (os.path.exists(program) and os.path.exists(program + ".xfw")
             and os.path.getmtime(program) >= os.path.getmtime(args.xfc))
    cmd = [args.xfc, os.path.join(args.assets, "model.onnx"), "-o", program]
    if quantize != "none":
        cmd.insert(2, f"--quantize={quantize}")
    if fresh:
        log(f"== reusing {os.path.relpath(program, ROOT)} (newer than {args.xfc})")
        return program, {"reused": True, "cmd": " ".join(cmd)}
    os.makedirs(args.work, exist_ok=True)
    wait_for_idle(args.wait_idle)
    log("== " + " ".join(shlex.quote(c) for c in cmd))
    t0 = time.time()
    subprocess.run(cmd, check=True, timeout=3600)
    return program, {"reused": False, "cmd": " ".join(cmd), "compile_s": time.time() - t0}


# --------------------------------------------------------------------------
# Servers.

LIVE = {}  # pid -> Popen, stopped at exit whatever happens


def stop_server(proc, grace_s=40):
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=30)
    LIVE.pop(proc.pid, None)


@atexit.register
def _stop_all():
    for proc in list(LIVE.values()):
        try:
            stop_server(proc, grace_s=10)
        except Exception:  # noqa: BLE001 - last resort at exit
            pass


def _on_signal(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def start_process(cmd, log_path):
    fh = open(log_path, "w")
    proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True, cwd=ROOT)
    fh.close()
    LIVE[proc.pid] = proc
    return proc


def read_log(path, limit=200_000):
    try:
        with open(path, errors="replace") as fh:
            return fh.read(limit)
    except OSError:
        return ""


def http_get(port, path, timeout=5.0):
    """(status, body) of a GET, or (None, error)."""
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\r\n"
                      .encode())
            data = b""
            while True:
                piece = s.recv(65536)
                if not piece:
                    break
                data += piece
        head, _, body = data.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        if b"transfer-encoding: chunked" in head.lower():
            body = dechunk(body)
        return status, body.decode(errors="replace")
    except (OSError, ValueError, IndexError) as e:
        return None, str(e)


def dechunk(body):
    out, rest = b"", body
    while rest:
        line, _, rest = rest.partition(b"\r\n")
        size = int(line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            break
        out, rest = out + rest[:size], rest[size + 2:]
    return out


def wait_ready(proc, port, log_path, timeout_s, what):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited ({proc.returncode}) before it was ready:\n"
                               + read_log(log_path)[-3000:])
        status, body = http_get(port, "/v1/models", timeout=2)
        if status == 200:
            return json.loads(body)["data"][0]["id"]
        time.sleep(0.5)
    raise RuntimeError(f"{what} was not ready after {timeout_s} s:\n" + read_log(log_path)[-3000:])


def start_xfc(args, program, log_path):
    cmd = [program, "serve", "--host", HOST, "--port", "0", "--threads", str(args.threads),
           "--max-batch", str(args.xfc_max_batch)] + shlex.split(args.xfc_extra)
    log("== " + " ".join(shlex.quote(c) for c in cmd))
    proc = start_process(cmd, log_path)
    deadline = time.time() + args.start_timeout
    banner = None
    while time.time() < deadline and banner is None:
        if proc.poll() is not None:
            raise RuntimeError(f"xfc serve exited ({proc.returncode}):\n" + read_log(log_path)[-3000:])
        banner = re.search(r"\[serve: model (\S+) on http://[^:]+:(\d+) \(context (\d+), batch (\d+), "
                           r"queue (\d+), (\d+) KV blocks of (\d+) tokens\)", read_log(log_path))
        if banner is None:
            time.sleep(0.2)
    if banner is None:
        raise RuntimeError("xfc serve printed no banner:\n" + read_log(log_path)[-3000:])
    port = int(banner.group(2))
    model_id = wait_ready(proc, port, log_path, args.start_timeout, "xfc serve")
    config = {"command": " ".join(shlex.quote(c) for c in cmd), "threads": args.threads,
              "context": int(banner.group(3)), "max_batch": int(banner.group(4)),
              "max_queue": int(banner.group(5)), "kv_blocks": int(banner.group(6)),
              "kv_block_tokens": int(banner.group(7)),
              "banner": banner.group(0) + "]"}
    return proc, port, model_id, config


def start_llama(args, gguf, n_ctx, log_path):
    port = free_port()
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", gguf, "--host", HOST,
           "--port", str(port), "--n_threads", str(args.threads),
           "--n_threads_batch", str(args.threads), "--n_ctx", str(n_ctx),
           "--interrupt_requests", "False", "--logits_all", "False"] + shlex.split(args.llama_extra)
    log("== " + " ".join(shlex.quote(c) for c in cmd))
    proc = start_process(cmd, log_path)
    model_id = wait_ready(proc, port, log_path, args.start_timeout, "llama_cpp.server")
    text = read_log(log_path)
    config = {"command": " ".join(shlex.quote(c) for c in cmd), "threads": args.threads,
              "context": n_ctx, "parallel_sequences": 1,
              "note": ("llama-cpp-python's server: one Llama (one llama_context, one sequence) "
                       "behind an asyncio lock; requests are served one at a time, in order")}
    settings = llama_settings(cmd[3:])
    if settings:
        config["settings"] = settings
    m = re.search(r"^system_info: (.*)$", text, re.M) or re.search(r"System Info: (.*)$", text, re.M)
    if m:
        config["system_info"] = m.group(1).strip()
    m = re.search(r"flash_attn\s*=\s*(\S+)", text)
    if m:
        config["flash_attn_log"] = m.group(1)
    m = re.search(r"^(Using (gguf|fallback) chat (template|format).*)$", text, re.M)
    if m:
        config["chat_template"] = m.group(1)[:120]
    return proc, port, model_id, config


def llama_settings(argv):
    """The server's settings as it parses them from argv (its own defaults
    for everything not given), so the record says what ran."""
    code = ("import json, sys\n"
            "from llama_cpp.server.settings import ModelSettings, ServerSettings, Settings\n"
            "from llama_cpp.server.cli import parse_model_from_args, add_args_from_model\n"
            "import argparse\n"
            "p = argparse.ArgumentParser(); add_args_from_model(p, Settings)\n"
            "a = p.parse_args(sys.argv[1:])\n"
            "m = parse_model_from_args(ModelSettings, a); s = parse_model_from_args(ServerSettings, a)\n"
            "keep = ['n_ctx','n_batch','n_ubatch','n_threads','n_threads_batch','flash_attn',"
            "'logits_all','use_mmap','use_mlock','type_k','type_v','chat_format','cache',"
            "'offload_kqv','seed']\n"
            "d = {k: getattr(m, k) for k in keep if hasattr(m, k)}\n"
            "d.update({k: getattr(s, k) for k in ['interrupt_requests','disable_ping_events']})\n"
            "print(json.dumps(d, default=str))\n")
    try:
        out = subprocess.run([sys.executable, "-c", code] + argv, capture_output=True,
                             text=True, timeout=60)
        return json.loads(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


# --------------------------------------------------------------------------
# The client: raw HTTP/1.1 on asyncio streams.

def messages_for(idx):
    return [{"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": QUESTIONS[idx % len(QUESTIONS)]}]


async def _read_head(reader):
    status_line = await reader.readline()
    parts = status_line.split(b" ", 2)
    if len(parts) < 2:
        raise ConnectionError(f"bad status line {status_line[:80]!r}")
    status = int(parts[1])
    headers = {}
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        k, _, v = line.decode("latin-1").partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers


async def _body_pieces(reader, headers):
    if "chunked" in headers.get("transfer-encoding", "").lower():
        while True:
            line = await reader.readline()
            if not line:
                return
            size = int(line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                return
            data = await reader.readexactly(size)
            await reader.readexactly(2)
            yield data
    elif "content-length" in headers:
        yield await reader.readexactly(int(headers["content-length"]))
    else:
        while True:
            data = await reader.read(65536)
            if not data:
                return
            yield data


async def post(port, path, payload, rec, on_piece):
    """POSTs payload; on_piece(bytes, t) for each piece of a 200 body."""
    body = json.dumps(payload).encode()
    head = (f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/json\r\n"
            f"Accept: text/event-stream\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        writer.write(head.encode() + body)
        await writer.drain()
        status, headers = await _read_head(reader)
        rec["status"] = status
        if status != 200:
            data = b""
            async for piece in _body_pieces(reader, headers):
                data += piece
                if len(data) > 4096:
                    break
            rec["error"] = f"HTTP {status}: {data[:300].decode(errors='replace')}"
            return
        async for piece in _body_pieces(reader, headers):
            if on_piece(piece, time.perf_counter()):
                return
    finally:
        writer.close()
        try:
            await asyncio.wait_for(writer.wait_closed(), 5)
        except (OSError, asyncio.TimeoutError):
            pass


async def stream_request(port, model_id, prompt_idx, max_tokens, timeout_s):
    """One streaming chat completion; returns its record."""
    payload = {"model": model_id, "messages": messages_for(prompt_idx), "max_tokens": max_tokens,
               "temperature": 0, "stream": True, "stream_options": {"include_usage": True}}
    rec = {"prompt": prompt_idx, "start": time.perf_counter(), "chunks": [], "usage": None,
           "status": None, "error": None, "done": False, "finish": None}
    text, buf = [], [b""]

    def on_piece(piece, t):
        buf[0] += piece
        while True:
            i = buf[0].find(b"\n")
            if i < 0:
                return False
            line, buf[0] = buf[0][:i].rstrip(b"\r"), buf[0][i + 1:]
            if not line.startswith(b"data:"):
                continue  # blank separators, ": ping" comments, event names
            data = line[5:].strip()
            if data == b"[DONE]":
                rec["done"] = True
                return True
            obj = json.loads(data)
            if "error" in obj:
                rec["error"] = "stream error: " + json.dumps(obj["error"])[:300]
                continue
            if obj.get("usage"):
                rec["usage"] = obj["usage"]
            for choice in obj.get("choices") or []:
                content = (choice.get("delta") or {}).get("content")
                if content:
                    rec["chunks"].append(t)
                    text.append(content)
                if choice.get("finish_reason"):
                    rec["finish"] = choice["finish_reason"]

    try:
        await asyncio.wait_for(post(port, "/v1/chat/completions", payload, rec, on_piece),
                               timeout_s)
        if not rec["done"] and not rec["error"]:
            rec["error"] = "the stream ended without [DONE]"
    except asyncio.TimeoutError:
        rec["error"] = f"timed out after {timeout_s} s"
    except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError) as e:
        rec["error"] = f"{type(e).__name__}: {e}"
    rec["end"] = time.perf_counter()
    rec["text"] = "".join(text)
    return rec


async def plain_request(port, model_id, prompt_idx, max_tokens, timeout_s):
    """One non-streaming chat completion: (text, usage) or raises."""
    payload = {"model": model_id, "messages": messages_for(prompt_idx), "max_tokens": max_tokens,
               "temperature": 0}
    rec = {"status": None, "error": None}
    data = []

    def on_piece(piece, _t):
        data.append(piece)
        return False

    await asyncio.wait_for(post(port, "/v1/chat/completions", payload, rec, on_piece), timeout_s)
    if rec["error"]:
        raise RuntimeError(rec["error"])
    obj = json.loads(b"".join(data))
    return obj["choices"][0]["message"]["content"], obj.get("usage") or {}


def tokens_of(rec):
    """Output tokens of a request: usage when the server sent it, else the
    number of content chunks."""
    if rec["usage"] and rec["usage"].get("completion_tokens") is not None:
        return rec["usage"]["completion_tokens"], "usage"
    return len(rec["chunks"]), "chunks"


async def warm_up(port, model_id, args):
    """A few prompts streamed and not streamed (sequentially): warms the
    server, and checks the streamed tokens against the non-streaming usage
    (prompt and completion tokens)."""
    checks = []
    for idx in range(args.warmup_prompts):
        text, usage = await plain_request(port, model_id, idx, args.max_tokens,
                                          args.request_timeout)
        rec = await stream_request(port, model_id, idx, args.max_tokens, args.request_timeout)
        if rec["error"]:
            raise RuntimeError(f"warm-up request failed: {rec['error']}")
        if not rec["chunks"]:
            raise RuntimeError("warm-up: the streamed answer had no content")
        checks.append({"prompt": idx, "prompt_tokens": usage.get("prompt_tokens"),
                       "completion_tokens": usage.get("completion_tokens"),
                       "stream_chunks": len(rec["chunks"]),
                       "stream_usage": (rec["usage"] or {}).get("completion_tokens"),
                       "same_text": text == rec["text"], "text": text[:200]})
    tokens = sum(c["completion_tokens"] or 0 for c in checks)
    chunks = sum(c["stream_chunks"] for c in checks if c["same_text"])
    tokens_same = sum(c["completion_tokens"] or 0 for c in checks if c["same_text"])
    return {"requests": checks,
            "prompt_tokens": [c["prompt_tokens"] for c in checks],
            "mean_completion_tokens": tokens / len(checks) if checks else None,
            "tokens_per_chunk": tokens_same / chunks if chunks else None}


async def run_point(port, model_id, clients, args):
    """N clients, back to back, for args.duration s; returns the records and
    the times (perf_counter) of the start and of the end of the load."""
    t0 = time.perf_counter()
    t_end = t0 + args.duration
    records = []

    async def client(ci):
        k = ci
        while time.perf_counter() < t_end:
            rec = await stream_request(port, model_id, k, args.max_tokens, args.request_timeout)
            rec["client"] = ci
            records.append(rec)
            k += 1
            if rec["error"]:
                await asyncio.sleep(0.2)  # no hot loop against a failing server

    tasks = [asyncio.create_task(client(ci)) for ci in range(clients)]
    try:
        # Every request has its own timeout; this one is a last resort.
        await asyncio.wait_for(asyncio.gather(*tasks),
                               args.duration + args.request_timeout + 60)
    except asyncio.TimeoutError:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return records, t0, time.perf_counter()


def summarize(records, t0, t_drained, args):
    ramp = min(args.ramp, args.duration / 4)
    w0, w1 = t0 + ramp, t0 + args.duration
    window = w1 - w0
    ok = [r for r in records if not r["error"]]
    errors = {}
    for r in records:
        if r["error"]:
            key = r["error"][:80]
            errors[key] = errors.get(key, 0) + 1
    tokens_window, methods, all_tokens, all_chunks = 0.0, {}, 0, 0
    for r in ok:
        n, how = tokens_of(r)
        methods[how] = methods.get(how, 0) + 1
        all_tokens += n
        all_chunks += len(r["chunks"])
        if r["chunks"]:
            inside = sum(1 for t in r["chunks"] if w0 <= t < w1)
            tokens_window += n * inside / len(r["chunks"])
    ended = [r for r in ok if w0 <= r["end"] < w1]
    started = [r for r in ok if w0 <= r["start"] < w1 and r["chunks"]]
    scope = "started in the window"
    if not started:
        started = [r for r in ok if r["chunks"]]
        scope = "all requests (none started in the window)"
    ttft = [r["chunks"][0] - r["start"] for r in started]
    itl = [b - a for r in started for a, b in zip(r["chunks"], r["chunks"][1:])]
    per_req_tokens = [tokens_of(r)[0] for r in started]
    return {
        "requests": len(records), "ok": len(ok), "errors": errors,
        "window_s": window, "ramp_s": ramp, "drain_s": t_drained - w1,
        "requests_per_s": len(ended) / window,
        "output_tokens_per_s": tokens_window / window,
        "ttft_p50": percentile(ttft, 50), "ttft_p99": percentile(ttft, 99),
        "itl_p50": percentile(itl, 50), "itl_p99": percentile(itl, 99),
        "latency_requests": len(started), "latency_scope": scope, "itl_gaps": len(itl),
        "mean_output_tokens": (sum(per_req_tokens) / len(per_req_tokens)) if per_req_tokens else None,
        "finish_length": sum(1 for r in started if r["finish"] == "length"),
        "token_count_from": methods,
        "tokens_per_chunk": (all_tokens / all_chunks) if all_chunks else None,
    }


def measure_server(kind, proc, port, model_id, args, label):
    """Warm-up, then every number of clients; the server's CPU time and the
    machine's other load for each."""
    result = {"model_id": model_id, "points": {}}
    log(f"   warm-up ({args.warmup_prompts} prompts, streamed and not)")
    result["warmup"] = asyncio.run(asyncio.wait_for(warm_up(port, model_id, args),
                                                    args.request_timeout * 2 * args.warmup_prompts))
    for clients in args.clients:
        busy = wait_for_idle(args.wait_idle)
        log(f"   {label}: {clients} client(s), {args.duration:.0f} s"
            + (f" (machine {busy * 100:.0f}% busy before)" if busy is not None else ""))
        j0, s0, c0 = cpu_jiffies(), process_cpu_s(proc.pid), time.process_time()
        w0 = time.perf_counter()
        records, t0, t1 = asyncio.run(run_point(port, model_id, clients, args))
        wall = time.perf_counter() - w0
        j1, s1, c1 = cpu_jiffies(), process_cpu_s(proc.pid), time.process_time()
        point = summarize(records, t0, t1, args)
        point["server_cpu_s"] = s1 - s0
        point["client_cpu_s"] = c1 - c0
        if j0 and j1 and j1[1] > j0[1]:
            machine_busy_s = (j1[0] - j0[0]) / HZ
            available_s = (j1[1] - j0[1]) / HZ
            point["other_load"] = max(0.0, machine_busy_s - (s1 - s0) - (c1 - c0)) / available_s
        point["wall_s"] = wall
        point["server_cores_used"] = (s1 - s0) / wall if wall else None
        result["points"][str(clients)] = point
        log("      " + row_text(point))
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited ({proc.returncode}) during the load")
    result["peak_rss"] = peak_rss(proc.pid)
    if kind == "xfc":
        status, body = http_get(port, "/metrics")
        if status == 200:
            result["metrics"] = {line.split(" ")[0]: line.split(" ")[-1] for line in body.splitlines()
                                 if line and not line.startswith("#") and "_bucket" not in line}
    return result


# --------------------------------------------------------------------------
# Reporting.

def fmt(x, digits=1):
    return "n/a" if x is None else f"{x:.{digits}f}"


def ms(x):
    if x is None:
        return "n/a"
    return f"{x * 1000:.0f} ms" if x < 1 else f"{x:.2f} s"


def row_text(p):
    errs = sum(p["errors"].values())
    return (f"{fmt(p['requests_per_s'], 2)} req/s, {fmt(p['output_tokens_per_s'])} tok/s, "
            f"TTFT p50 {ms(p['ttft_p50'])} p99 {ms(p['ttft_p99'])}, "
            f"ITL p50 {ms(p['itl_p50'])} p99 {ms(p['itl_p99'])}, "
            f"{p['ok']} ok" + (f", {errs} failed" if errs else ""))


def results_table(results):
    lines = ["| pair | server | clients | requests/s | output tokens/s | TTFT p50 | TTFT p99 "
             "| ITL p50 | ITL p99 | requests (failed) | server CPU | other load |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for pair in results["pairs"]:
        for kind in ("xfc", "llama"):
            srv = pair.get(kind)
            if not srv:
                continue
            if srv.get("failed"):
                lines.append(f"| {pair['label']} | {srv['label']} | | failed: "
                             f"{srv['failed'][:120]} | | | | | | | | |")
                continue
            for clients, p in srv["points"].items():
                errs = sum(p["errors"].values())
                lines.append(
                    f"| {pair['label']} | {srv['label']} | {clients} | {fmt(p['requests_per_s'], 2)} "
                    f"| {fmt(p['output_tokens_per_s'])} | {ms(p['ttft_p50'])} | {ms(p['ttft_p99'])} "
                    f"| {ms(p['itl_p50'])} | {ms(p['itl_p99'])} | {p['ok']} ({errs}) "
                    f"| {fmt(p.get('server_cores_used'), 2)} cores "
                    f"| {fmt(100 * p['other_load'] if p.get('other_load') is not None else None, 0)}% |")
    return "\n".join(lines)


def aims(results, clients_max):
    """Per pair, at the most clients: tokens/s ratio and p99 TTFT."""
    out = []
    for pair in results["pairs"]:
        x, l = pair.get("xfc") or {}, pair.get("llama") or {}
        px = (x.get("points") or {}).get(str(clients_max))
        pl = (l.get("points") or {}).get(str(clients_max))
        if not px or not pl:
            out.append({"pair": pair["label"], "measured": False})
            continue
        ratio = (px["output_tokens_per_s"] / pl["output_tokens_per_s"]
                 if pl["output_tokens_per_s"] else None)
        ttft_ok = (px["ttft_p99"] is not None and pl["ttft_p99"] is not None
                   and px["ttft_p99"] <= pl["ttft_p99"])
        out.append({"pair": pair["label"], "measured": True, "clients": clients_max,
                    "tokens_ratio": ratio, "tokens_met": ratio is not None and ratio >= AIM_TOKENS,
                    "ttft_p99_xfc": px["ttft_p99"], "ttft_p99_llama": pl["ttft_p99"],
                    "ttft_met": ttft_ok})
    return out


def aims_text(aim_list, clients_max):
    lines = []
    for a in aim_list:
        if not a["measured"]:
            lines.append(f"- {a['pair']}: not measured at {clients_max} clients.")
            continue
        met = a["tokens_met"] and a["ttft_met"]
        lines.append(
            f"- {a['pair']} at {a['clients']} clients: output tokens/s xfc / llama.cpp = "
            f"{fmt(a['tokens_ratio'], 2)}x (aim >= {AIM_TOKENS:.0f}x: "
            f"{'met' if a['tokens_met'] else 'not met'}); p99 TTFT {ms(a['ttft_p99_xfc'])} "
            f"against {ms(a['ttft_p99_llama'])} (aim no worse: "
            f"{'met' if a['ttft_met'] else 'not met'}). Aim {'met' if met else 'not met'}.")
    return "\n".join(lines)


def config_text(results):
    lines = []
    for pair in results["pairs"]:
        for kind in ("xfc", "llama"):
            srv = pair.get(kind) or {}
            cfg = srv.get("config")
            if not cfg:
                continue
            cmd = re.sub(r"\S*/(smollm2[\w.-]*)", r"\1", cfg["command"])
            cmd = cmd.replace(sys.executable, "python3")
            cmd = re.sub(r"--port \d+", "--port P", cmd)
            lines.append(f"- {srv['label']}: `{cmd}`")
            if kind == "xfc":
                lines.append(f"  (context {cfg['context']} tokens per sequence, batch "
                             f"{cfg['max_batch']}, queue {cfg['max_queue']}, {cfg['kv_blocks']} "
                             f"KV blocks of {cfg['kv_block_tokens']} tokens)")
            else:
                s = cfg.get("settings") or {}
                shown = ", ".join(f"{k} {v}" for k, v in s.items())
                lines.append(f"  ({cfg['note']}; settings: {shown})")
            w = srv.get("warmup") or {}
            if w.get("prompt_tokens"):
                same = sum(1 for r in w.get("requests", []) if r.get("same_text"))
                lines.append(f"  warm-up: prompt tokens {w['prompt_tokens']}, tokens per "
                             f"streamed content chunk {fmt(w.get('tokens_per_chunk'), 3)}, "
                             f"same answer streamed and not (temperature 0) for {same} of "
                             f"{len(w.get('requests', []))} prompts")
    return "\n".join(lines)


def docs_section(results, command):
    info = results["machine"]
    trial = results["trial"]
    clients_max = max(results["args"]["clients"])
    text = [SECTION, ""]
    if trial:
        text += ["**Trial run** (shorter than 60 s per point, or without 32 clients): it "
                 "checks that the command works; its figures are not the issue's measurement.", ""]
    text += [
        f"Machine: {info['cpu']}, {info['cores']} cores ({info.get('isa', '')}), "
        f"{info.get('memory', '?')}, {info['date']}, commit {info['commit']}. Both servers "
        f"on {results['args']['threads']} threads, one after the other, with the load "
        f"generator (Python asyncio, one process) on the same machine. Command:",
        "",
        "```sh",
        command,
        "```",
        "",
        f"Load: N clients each send streaming `/v1/chat/completions` requests back to back "
        f"for {results['args']['duration']:.0f} s (a shared system prompt, one of "
        f"{len(QUESTIONS)} questions, temperature 0, max_tokens "
        f"{results['args']['max_tokens']}); requests/s and output tokens/s over the window "
        f"after the first {results['window_ramp_s']:.0f} s; TTFT (request sent to the first "
        f"content chunk) and inter-token latency (gaps between content chunks) over the "
        f"requests started in that window, each followed to its end. Output tokens: xfc's usage "
        f"(stream_options.include_usage); llama-cpp-python's server sends no usage when "
        f"streaming, so its content chunks (one per token; the warm-up's tokens per chunk "
        f"below compares them to its non-streaming usage). Server CPU is the server "
        f"process's CPU time over the point's wall time; other load is the CPU that neither "
        f"the server nor the load generator took, as a share of the machine.",
        "",
        "Servers:",
        "",
        config_text(results),
        "",
        "llama-cpp-python 0.3.36's server has no parallel sequences (llama.cpp's C++ "
        "`llama-server`, with `--parallel` and continuous batching, is not part of the Python "
        "package): concurrent requests wait for one another, so its TTFT grows with the "
        "number of clients while xfc batches them. `--interrupt_requests False` is needed for "
        "a fair measurement: its default ends a streaming answer after the next token "
        "whenever another request is waiting.",
        "",
        results_table(results),
        "",
        f"Aims (issue 19, at 32 clients: output tokens/s >= {AIM_TOKENS:.0f}x llama.cpp's "
        f"server, p99 TTFT no worse)"
        + (":" if clients_max == 32 else f"; this run's most clients were {clients_max}:"),
        "",
        aims_text(results["aims"], clients_max),
        "",
    ]
    return "\n".join(text)


# --------------------------------------------------------------------------

def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--precisions", default="int8",
                   help="comma-separated pairs among int8 (vs Q8_0), fp32 (vs F32), int4 "
                        "(vs Q4_1) (default int8)")
    p.add_argument("--servers", default="xfc,llama", help="which servers (default xfc,llama)")
    p.add_argument("--clients", type=int_list, default=[1, 8, 32],
                   help="concurrent clients, comma-separated (default 1,8,32)")
    p.add_argument("--duration", type=float, default=60.0,
                   help="seconds of load per point (default 60)")
    p.add_argument("--ramp", type=float, default=10.0,
                   help="seconds at the start of each point left out of the figures "
                        "(default 10, at most a quarter of --duration)")
    p.add_argument("--max-tokens", type=int, default=128, help="max_tokens (default 128)")
    p.add_argument("--threads", type=int, default=2, help="threads of each server (default 2)")
    p.add_argument("--n-ctx", type=int, default=0,
                   help="context per sequence for llama.cpp's server (default: xfc's, from "
                        "its banner; 2048 when xfc does not run)")
    p.add_argument("--xfc-max-batch", type=int, default=0,
                   help="xfc serve --max-batch (default: the most clients, so that every "
                        "client's request runs at once)")
    p.add_argument("--xfc-extra", default="", help="more arguments for `PROGRAM serve`")
    p.add_argument("--llama-extra", default="",
                   help="more arguments for `python -m llama_cpp.server` (e.g. "
                        "'--flash_attn True')")
    p.add_argument("--warmup-prompts", type=int, default=4,
                   help="prompts each server answers (streamed and not) before it is "
                        "measured (default 4)")
    p.add_argument("--request-timeout", type=float, default=600.0,
                   help="seconds one request may take, queueing included (default 600)")
    p.add_argument("--start-timeout", type=float, default=180.0,
                   help="seconds a server may take to start (default 180)")
    p.add_argument("--wait-idle", type=float, default=120.0,
                   help="before each point, wait up to this many seconds for the machine "
                        "to be idle (default 120; 0: do not wait)")
    p.add_argument("--xfc", default=os.path.join(ROOT, "build", "bin", "xfc"))
    p.add_argument("--assets", default=os.path.join(ROOT, "build", "smollm2"))
    p.add_argument("--work", default=os.path.join(ROOT, "build", "bench-smollm2"))
    p.add_argument("--json", default=None,
                   help="where every figure goes (default WORK/serve_bench.json)")
    p.add_argument("--write-docs", action="store_true",
                   help="write the section of docs/benchmarks.md")
    args = p.parse_args()
    args.precisions = [x.strip() for x in args.precisions.split(",") if x.strip()]
    for x in args.precisions:
        if x not in PRECISIONS:
            p.error(f"unknown precision {x!r} (int8, fp32, int4)")
    args.servers = set(x.strip() for x in args.servers.split(",") if x.strip())
    if not args.servers or args.servers - {"xfc", "llama"}:
        p.error("--servers takes xfc and/or llama")
    if not args.clients or min(args.clients) < 1:
        p.error("--clients needs positive numbers")
    if args.xfc_max_batch <= 0:
        args.xfc_max_batch = max(args.clients)
    args.json = args.json or os.path.join(args.work, "serve_bench.json")
    return args


def main():
    args = parse_args()
    signal.signal(signal.SIGTERM, _on_signal)
    command = "python3 bench/serve_bench.py" + "".join(" " + shlex.quote(a) for a in sys.argv[1:])
    os.makedirs(args.work, exist_ok=True)
    logs = os.path.join(args.work, "serve-logs")
    os.makedirs(logs, exist_ok=True)

    llama_version = ensure_llama_server() if "llama" in args.servers else None
    needed = ["model.onnx", "model.onnx.data", "tokenizer.json"] + \
        [PRECISIONS[p][2] for p in args.precisions]
    ensure_assets(args.assets, needed)
    info = machine_info()
    info["llama-cpp-python"] = llama_version
    log("== machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    results = {"machine": info, "command": command,
               "args": {k: (sorted(v) if isinstance(v, set) else v) for k, v in vars(args).items()},
               "window_ramp_s": min(args.ramp, args.duration / 4),
               "trial": args.duration < 60 or 32 not in args.clients,
               "prompts": {"system": SYSTEM_PROMPT, "questions": QUESTIONS}, "pairs": []}
    try:
        for precision in args.precisions:
            _, _, gguf_name, gguf_label = PRECISIONS[precision]
            label = f"{precision} vs {gguf_label}"
            pair = {"precision": precision, "label": label}
            results["pairs"].append(pair)
            n_ctx = args.n_ctx or 2048
            if "xfc" in args.servers:
                srv = {"label": f"xfc {precision}"}
                pair["xfc"] = srv
                proc = None
                try:
                    program, srv["compile"] = ensure_program(args, precision)
                    wait_for_idle(args.wait_idle)
                    proc, port, model_id, srv["config"] = start_xfc(
                        args, program, os.path.join(logs, f"xfc-{precision}.log"))
                    if not args.n_ctx:
                        n_ctx = srv["config"]["context"]
                    srv.update(measure_server("xfc", proc, port, model_id, args, srv["label"]))
                except Exception as e:  # noqa: BLE001 - reported in the table
                    srv["failed"] = f"{type(e).__name__}: {e}"
                    log(f"   xfc {precision} failed: {srv['failed'][:2000]}")
                finally:
                    if proc is not None:
                        stop_server(proc)
                        srv["exit_code"] = proc.returncode
            if "llama" in args.servers:
                srv = {"label": f"llama.cpp {gguf_label}"}
                pair["llama"] = srv
                proc = None
                try:
                    wait_for_idle(args.wait_idle)
                    proc, port, model_id, srv["config"] = start_llama(
                        args, os.path.join(args.assets, gguf_name), n_ctx,
                        os.path.join(logs, f"llama-{gguf_label}.log"))
                    srv.update(measure_server("llama", proc, port, model_id, args, srv["label"]))
                except Exception as e:  # noqa: BLE001 - reported in the table
                    srv["failed"] = f"{type(e).__name__}: {e}"
                    log(f"   llama.cpp {gguf_label} failed: {srv['failed'][:2000]}")
                finally:
                    if proc is not None:
                        stop_server(proc)
                        srv["exit_code"] = proc.returncode
    finally:
        _stop_all()
        results["aims"] = aims(results, max(args.clients))
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1, default=str)

    log("")
    log(results_table(results))
    log("")
    log(aims_text(results["aims"], max(args.clients)))
    log(f"\nevery figure: {args.json}; server logs: {logs}")
    if args.write_docs:
        path = os.path.join(ROOT, "docs", "benchmarks.md")
        write_docs(path, docs_section(results, command), SECTION)
        log(f"wrote the section {SECTION!r} of {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
