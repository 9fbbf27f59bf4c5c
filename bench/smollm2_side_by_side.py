#!/usr/bin/env python3
"""SmolLM2-135M side by side on the CPU: xfc's compiled programs (fp32, int8,
int4), onnxruntime (fp32) and llama.cpp (llama-cpp-python; F32, Q8_0 and
Q4_1 GGUFs), in one run, with the same prompt ids for every engine (a
benchmark, not a test). bench/run.sh is the one command; it installs what is
missing and calls this with the paths filled in.

    python3 bench/smollm2_side_by_side.py --xfc build/bin/xfc \\
        --assets build/smollm2 --work build/bench-smollm2 [--reuse] \\
        [--threads 2] [--repeats 3] [--quick] [--no-docs]

What is measured, per engine, each configuration in processes of its own:
  - prefill tokens/s at prompt lengths 128 and 512 (--prefill-lens): one
    forward over the prompt from an empty KV cache;
  - decode tokens/s at context 64 and 1024 (--contexts): after a prompt of
    that many ids, --gen-len greedy steps, each an argmax over the last
    logits and a one-token forward with the KV cache; and the ratio
    decode@1024 / decode@64;
  - all of it on --threads threads (default 2) and on --scaling-threads
    (default 1), for the 1 -> 2 thread scaling;
  - the --threads figures again while a busy loop (another process, pinned
    nowhere) keeps one core loaded ("busy neighbour"), for xfc and
    llama.cpp, as a ratio to the quiet figures;
  - the peak RSS of the process, the files each engine loads, and which
    llama.cpp configuration ran (system info, threads, batch, flash
    attention, buffer types; a fallback configuration when the default one
    fails).
Warm-up: each xfc measurement is a fresh process started with
--verify-weights (it reads every weight through the mapping before the
timed forward, so no figure holds the first touch of the weights), after an
untimed run that brings the file into the page cache; onnxruntime and
llama.cpp load once per configuration, run an untimed forward, then time
every repeat in that process. Every figure is the best of --repeats; the
spread of the repeats is reported. The memory read bandwidth
(bench/membw.c) is measured in the same run, and each decode speed is put in
proportion to it:
    fraction = weight bytes read per token x decode@64 tokens/s / bandwidth.
Results go to stdout and, unless --no-docs, to docs/benchmarks.md (section
"CPU prefill and decode side by side (issue 17)", replaced on a rerun; the
other sections are left alone) and to docs/img/smollm2-issue17.png.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shlex
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

from machine_load import (HZ, cpu_jiffies, int_list,  # noqa: E402
                          memory_total, process_cpu_s, wait_for_idle,
                          write_docs)

ROOT = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(ROOT)
SECTION = "## CPU prefill and decode side by side (issue 17)"
TRIAL_NOTE = ("**Trial run** (--quick and/or a single repeat): it checks that the command "
              "works end to end; its figures are not the issue's measurement.")

# name, label, kind, precision; kind: xfc (quantize value), ort, llama (gguf quant).
ENGINES = [
    ("xfc", "xfc fp32", "xfc", "none"),
    ("xfc-int8", "xfc int8", "xfc", "int8"),
    ("xfc-int4", "xfc int4", "xfc", "int4"),
    ("ort", "onnxruntime fp32", "ort", None),
    ("f32", "llama.cpp F32", "llama", "f32"),
    ("q8_0", "llama.cpp Q8_0", "llama", "q8_0"),
    ("q4_1", "llama.cpp Q4_1", "llama", "q4_1"),
]
# xfc beside llama.cpp at each precision: the aims.
PAIRS = [("xfc", "f32", "fp32 vs F32"), ("xfc-int8", "q8_0", "int8 vs Q8_0"),
         ("xfc-int4", "q4_1", "int4 vs Q4_1")]
AIM_PREFILL, AIM_DECODE, AIM_BW, AIM_LONG = 1.2, 1.1, 0.80, 0.85

# llama.cpp configurations: the library's defaults (extra buffer types, i.e.
# weight repacking, on; flash attention auto), and the fallback with both off.
LLAMA_DEFAULT = {"extra_bufts": True, "flash_attn": "auto"}
LLAMA_FALLBACK = {"extra_bufts": False, "flash_attn": "off"}


# --------------------------------------------------------------------------
# Prompt ids: the LCG of runtime/frontends/Bench.cpp, so the
# program's `bench --prompt-len P` and the other engines see the same ids.

def lcg_ids(count, vocab):
    ids, state = [], 12345
    for _ in range(count):
        state = (state * 6364136223846793005 + 1442695040888963407) & (2**64 - 1)
        ids.append((state >> 33) % vocab)
    return ids


# --------------------------------------------------------------------------
# Workers: each runs in a process of its own and prints one line
# "RESULT <json>" on stdout.

def ort_worker(args):
    import numpy as np
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = args.threads
    opts.inter_op_num_threads = 1
    t0 = time.perf_counter()
    sess = ort.InferenceSession(args.model, opts, providers=["CPUExecutionProvider"])
    load_s = time.perf_counter() - t0
    past_inputs = [i for i in sess.get_inputs() if i.name.startswith("past_key_values.")]
    outputs = [o.name for o in sess.get_outputs()]
    vocab = sess.get_outputs()[0].shape[-1]
    if not isinstance(vocab, int):
        vocab = 49152

    state = {}

    def reset():
        state["past"] = {i.name: np.zeros((1, i.shape[1], 0, i.shape[3]), np.float32)
                         for i in past_inputs}
        state["n"] = 0

    def forward(ids):
        n, n_past = len(ids), state["n"]
        feed = {"input_ids": np.array([ids], np.int64),
                "attention_mask": np.ones((1, n_past + n), np.int64),
                "position_ids": np.arange(n_past, n_past + n, dtype=np.int64)[None],
                **state["past"]}
        out = dict(zip(outputs, sess.run(outputs, feed)))
        state["past"] = {k.replace("present.", "past_key_values."): v
                         for k, v in out.items() if k.startswith("present.")}
        state["n"] += n
        return out["logits"][0, -1]

    return run_task(args, vocab, reset, forward, lambda logits: int(np.argmax(logits)),
                    {"load_s": load_s, "onnxruntime": ort.__version__})


def llama_worker(args):
    import numpy as np
    import llama_cpp
    from llama_cpp import _internals

    fa = {"auto": llama_cpp.LLAMA_FLASH_ATTN_TYPE_AUTO,
          "on": llama_cpp.LLAMA_FLASH_ATTN_TYPE_ENABLED,
          "off": llama_cpp.LLAMA_FLASH_ATTN_TYPE_DISABLED}[args.flash_attn]
    extra = args.extra_bufts == "on"
    if extra and os.environ.get("XF_BENCH_CRASH_LLAMA_DEFAULT"):
        os.abort()  # a test hook: the fallback path, without a llama.cpp that crashes
    # Llama() only sets flash attention on or off and never the extra buffer
    # types; set both on the parameters just before they are used.
    model_init, ctx_init = _internals.LlamaModel.__init__, _internals.LlamaContext.__init__

    def patched_model(self, *a, **kw):
        if hasattr(kw.get("params"), "use_extra_bufts"):
            kw["params"].use_extra_bufts = extra
        model_init(self, *a, **kw)

    def patched_ctx(self, *a, **kw):
        if kw.get("params") is not None:
            kw["params"].flash_attn_type = fa
        ctx_init(self, *a, **kw)

    _internals.LlamaModel.__init__, _internals.LlamaContext.__init__ = patched_model, patched_ctx
    n_ctx = max(1024, max(args.contexts + args.lens) + args.gen_len + 16)
    n_ctx = (n_ctx + 255) // 256 * 256
    t0 = time.perf_counter()
    llm = llama_cpp.Llama(args.model, n_ctx=n_ctx, n_batch=512, n_ubatch=512,
                          n_threads=args.threads, n_threads_batch=args.threads,
                          logits_all=False, verbose=True)
    load_s = time.perf_counter() - t0
    vocab = llm.n_vocab()

    def forward(ids):
        llm.eval(ids)  # one llama_decode per 512 ids; logits of the last only
        ptr = llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1)
        return np.ctypeslib.as_array(ptr, shape=(vocab,))

    config = {"n_threads": args.threads, "n_threads_batch": args.threads, "n_ctx": n_ctx,
              "n_batch": llm.context_params.n_batch, "n_ubatch": llm.context_params.n_ubatch,
              "flash_attn": args.flash_attn, "extra_bufts": args.extra_bufts,
              "type_k": "f16" if llm.context_params.type_k == 1 else str(llm.context_params.type_k),
              "mmap": True}
    return run_task(args, vocab, llm.reset, forward, lambda logits: int(np.argmax(logits)),
                    {"load_s": load_s, "llama_config": config, "system_info":
                     llama_cpp.llama_print_system_info().decode(errors="replace").strip()})


def run_task(args, vocab, reset, forward, argmax, extra):
    """The same timing loops for both Python engines: an untimed warm-up,
    then each repeat times every prefill length and every decode context."""
    result = dict(extra)
    reset()
    logits = forward(lcg_ids(16, vocab))
    for _ in range(4):
        logits = forward([argmax(logits)])
    for length in args.lens:
        result[f"prefill{length}"] = []
    for ctx in args.contexts:
        result[f"decode{ctx}"] = []
    for _ in range(args.repeats):
        for length in args.lens:
            ids = lcg_ids(length, vocab)
            reset()
            t0 = time.perf_counter()
            forward(ids)
            result[f"prefill{length}"].append(length / (time.perf_counter() - t0))
        for ctx in args.contexts:
            reset()
            logits = forward(lcg_ids(ctx, vocab))
            generated = []
            t0 = time.perf_counter()
            for step in range(args.gen_len):
                tok = argmax(logits)
                generated.append(tok)
                logits = forward([tok])
                # An engine that collapses (a busy neighbour) is timed over
                # fewer steps rather than for many minutes.
                if step >= 3 and time.perf_counter() - t0 > args.max_decode_s:
                    result["decode_capped"] = result.get("decode_capped", 0) + 1
                    break
            result[f"decode{ctx}"].append(len(generated) / (time.perf_counter() - t0))
            if len(generated) == args.gen_len:
                result[f"tokens{ctx}"] = generated
    return result


def worker_main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", choices=["ort", "llama"], required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--lens", type=int_list, default=[128, 512])
    parser.add_argument("--contexts", type=int_list, default=[64, 1024])
    parser.add_argument("--gen-len", type=int, default=64)
    parser.add_argument("--flash-attn", choices=["auto", "on", "off"], default="auto")
    parser.add_argument("--extra-bufts", choices=["on", "off"], default="on")
    parser.add_argument("--max-decode-s", type=float, default=30.0)
    args = parser.parse_args(argv)
    result = (ort_worker if args.worker == "ort" else llama_worker)(args)
    print("RESULT " + json.dumps(result), flush=True)


# --------------------------------------------------------------------------
# Running a measured process, and what else the machine did meanwhile.

# CPU seconds that other processes used while ours ran, and the CPU seconds
# the machine had in that time (all cores): the contamination of a number.
# The busy neighbour that the script starts itself is not counted as other.
OTHER_LOAD = {"other_s": 0.0, "available_s": 0.0}
NEIGHBOUR = {"pid": None}


class BusyNeighbour:
    """Another process that keeps one core busy (a Python busy loop, pinned
    nowhere) for the duration of a with-block."""

    def __enter__(self):
        self.proc = subprocess.Popen([sys.executable, "-c", "while True: pass"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        NEIGHBOUR["pid"] = self.proc.pid
        time.sleep(0.5)
        return self

    def __exit__(self, *exc):
        NEIGHBOUR["pid"] = None
        self.proc.kill()
        self.proc.wait()
        return False


def run_measured(cmd, timeout=1800, env=None):
    """Runs cmd; returns (returncode, stdout, stderr, wall s, peak RSS bytes)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        j0 = cpu_jiffies()
        n_pid = NEIGHBOUR["pid"]
        n0 = process_cpu_s(n_pid) if n_pid else 0.0
        self0 = time.process_time()
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=ROOT)
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - t0 > timeout:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                status = -1
                break
            time.sleep(0.02)
        wall = time.perf_counter() - t0
        j1 = cpu_jiffies()
        n1 = process_cpu_s(n_pid) if n_pid else 0.0
        if j0 and j1:
            ours = usage.ru_utime + usage.ru_stime
            # Others: all busy time but the measured process', the busy
            # neighbour's and this driver's own (its polling).
            mine = time.process_time() - self0
            OTHER_LOAD["other_s"] += max(0.0, (j1[0] - j0[0]) / HZ - ours - (n1 - n0) - mine)
            OTHER_LOAD["available_s"] += (j1[1] - j0[1]) / HZ
        proc.returncode = 0  # reaped by wait4; keep Popen from waiting again
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
    if status == -1:
        code = -1
        stderr += f"\n(timed out after {timeout} s)"
    elif os.WIFSIGNALED(status):
        code = -os.WTERMSIG(status)
    else:
        code = os.WEXITSTATUS(status)
    return code, stdout, stderr, wall, usage.ru_maxrss * 1024


def failure_reason(code, stdout, stderr):
    lines = [l.strip() for l in (stderr + "\n" + stdout).splitlines() if l.strip()]
    # llama.cpp's verbose log ends with teardown lines; prefer an error line.
    errors = [l for l in lines if re.search(r"error|failed|abort|assert|Traceback|Exception", l, re.I)
              and not l.startswith("RESULT ")]
    last = errors[-1] if errors else (lines[-1] if lines else "")
    if code < 0 and code != -1:
        try:
            sig = signal.Signals(-code).name
        except ValueError:
            sig = str(-code)
        last = f"signal {sig}" + (f": {last}" if last else "")
    return (last or f"exit status {code}").replace("|", "/")[:160]


class EngineError(Exception):
    pass


def llama_log_summary(stderr):
    """What llama.cpp's verbose log says about the configuration it ran:
    buffer types and sizes, flash attention, KV cache types, repacking."""
    info = {}
    bufs = []
    for m in re.finditer(r"^\S+:\s+(\S+) model buffer size =\s*([\d.]+) MiB", stderr, re.M):
        bufs.append(f"{m.group(1)} {float(m.group(2)):.0f} MiB")
    if bufs:
        info["model buffers"] = ", ".join(dict.fromkeys(bufs))
    m = re.search(r"size =\s*[\d.]+ MiB \(\s*(\d+) cells.*K \((\w+)\).*V \((\w+)\)", stderr)
    if m:
        info["KV cache"] = f"{m.group(1)} cells, K {m.group(2)}, V {m.group(3)}"
    fa = re.findall(r"Flash Attention (enabled|disabled|was .*)", stderr)
    if fa:
        info["flash attention resolved"] = fa[-1].strip()
    m = re.search(r"tensor '([^']+)' \((\w+)\) \(and (\d+) others\) cannot be used with "
                  r"preferred buffer type (\S+), using (\S+) instead", stderr)
    if m:
        info["repacking"] = (f"{m.group(2)} tensor {m.group(1)} and {m.group(3)} others not "
                             f"repacked ({m.group(4)} refused them; {m.group(5)} used)")
    m = re.search(r"load_mode = (\w+)", stderr)
    if m:
        info["load"] = m.group(1)
    return info


def python_worker(kind, model, threads, args, llama_cfg=None):
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", kind,
           "--model", model, "--threads", str(threads), "--repeats", str(args.repeats),
           "--gen-len", str(args.gen_len),
           "--lens", ",".join(map(str, args.prefill_lens)),
           "--contexts", ",".join(map(str, args.contexts)),
           "--max-decode-s", str(args.max_decode_s)]
    if llama_cfg:
        cmd += ["--flash-attn", llama_cfg["flash_attn"],
                "--extra-bufts", "on" if llama_cfg["extra_bufts"] else "off"]
    code, stdout, stderr, _, rss = run_measured(cmd, timeout=args.timeout)
    match = re.search(r"^RESULT (.*)$", stdout, re.M)
    if code != 0 or not match:
        raise EngineError(failure_reason(code, stdout, stderr))
    result = json.loads(match.group(1))
    result["rss"] = rss
    if kind == "llama":
        result["llama_log"] = llama_log_summary(stderr)
    return result


def xfc_bench(program, prompt_len, gen_len, threads, timeout):
    """One `PROGRAM bench` process: (prefill tok/s, decode tok/s, peak RSS)."""
    code, stdout, stderr, _, rss = run_measured(
        [program, "bench", "--prompt-len", str(prompt_len), "--gen-len", str(gen_len),
         "--threads", str(threads), "--no-speculate", "--verify-weights"], timeout=timeout)
    if code != 0:
        raise EngineError(failure_reason(code, stdout, stderr))
    prefill = re.search(r"prefill: \d+ tokens in ([\d.]+) s, ([\d.]+) tokens/s", stdout)
    decode = re.search(r"decode: \d+ tokens in ([\d.]+) s, ([\d.]+) tokens/s", stdout)
    if not prefill or not decode:
        raise EngineError("unexpected bench output: " + stdout.strip()[:120])
    return float(prefill.group(2)), float(decode.group(2)), rss


# --------------------------------------------------------------------------
# Engines. Each measurement returns {"prefill128": [..], "prefill512": [..],
# "decode64": [..], "decode1024": [..], "rss": bytes, ...}; a failing
# measurement is recorded as its reason, a string "failed: ...".

def cell_keys(args):
    return ([f"prefill{l}" for l in args.prefill_lens] +
            [f"decode{c}" for c in args.contexts])


def all_failed(args, reason):
    return {k: f"failed: {reason}" for k in cell_keys(args)}


def measure_xfc(program, threads, args, tokens=False):
    res = {k: [] for k in cell_keys(args)}
    rss = 0
    try:  # untimed: the weights file into the page cache, the binary loaded
        xfc_bench(program, 16, 4, threads, args.timeout)
    except EngineError as e:
        return all_failed(args, e)
    for _ in range(args.repeats):
        for length in args.prefill_lens:
            key = f"prefill{length}"
            if isinstance(res[key], list):
                try:
                    p, _, r = xfc_bench(program, length, 0, threads, args.timeout)
                    res[key].append(p)
                    rss = max(rss, r)
                except EngineError as e:
                    res[key] = f"failed: {e}"
        for ctx in args.contexts:
            key = f"decode{ctx}"
            if isinstance(res[key], list):
                try:
                    _, d, r = xfc_bench(program, ctx, args.gen_len, threads, args.timeout)
                    res[key].append(d)
                    rss = max(rss, r)
                except EngineError as e:
                    res[key] = f"failed: {e}"
    if rss:
        res["rss"] = rss
    if tokens:
        # The greedy tokens after the context-64 prompt, to compare engines.
        ctx = args.contexts[0]
        try:
            code, stdout, stderr, _, _ = run_measured(
                [program, "--tokens", ",".join(map(str, lcg_ids(ctx, 49152))),
                 "--max-tokens", str(args.gen_len), "--threads", str(threads),
                 "--no-speculate"], timeout=args.timeout)
            if code == 0:
                res[f"tokens{ctx}"] = [int(t) for t in stdout.strip().split(",") if t.strip()]
        except Exception:  # noqa: BLE001 - the comparison is a side note
            pass
    return res


def measure_python(kind, model, threads, args, llama_cfg=None):
    try:
        return python_worker(kind, model, threads, args, llama_cfg)
    except EngineError as e:
        return all_failed(args, e)


def result_failed(result, args):
    """The reason when every cell of a measurement failed, else None."""
    cells = [result.get(k) for k in cell_keys(args)]
    if cells and all(isinstance(c, str) for c in cells):
        return cells[0][len("failed: "):] if cells[0].startswith("failed: ") else cells[0]
    return None


def guarded(args, label, measure, busy=False):
    """Waits for the machine to quiet down, measures (with the busy
    neighbour running when `busy`), and records how much CPU time other
    processes took meanwhile; measures again, keeping the cleaner run, when
    that was over 10%. Returns (result, others' share, attempts)."""
    kept = None
    attempt = 0
    for attempt in range(1 + args.retries):
        wait_for_idle(args.wait_idle)
        OTHER_LOAD["other_s"] = OTHER_LOAD["available_s"] = 0.0
        if busy:
            with BusyNeighbour():
                result = measure()
        else:
            result = measure()
        load = (OTHER_LOAD["other_s"] / OTHER_LOAD["available_s"]
                if OTHER_LOAD["available_s"] else 0.0)
        if kept is None or load < kept[1]:
            kept = (result, load)
        if load <= 0.10:
            break
        if attempt < args.retries:
            print(f"   other processes took {load * 100:.0f}% of the CPU meanwhile: "
                  f"measuring {label} again", flush=True)
    return kept[0], kept[1], attempt + 1


# --------------------------------------------------------------------------
# Model facts.

def onnx_bytes_per_token(path):
    """All initializer bytes but the embedding table's (one row is gathered);
    lm_head.weight, a copy of it, is read in full every token."""
    import numpy as np
    import onnx
    from onnx import helper
    model = onnx.load(path, load_external_data=False)
    total = 0
    for t in model.graph.initializer:
        if t.name == "model.embed_tokens.weight":
            continue
        size = int(np.prod(t.dims)) if t.dims else 1
        total += size * np.dtype(helper.tensor_dtype_to_np_dtype(t.data_type)).itemsize
    return total


def xfw_tensors(path):
    """[(name, dtype code, length in bytes, quantization)] from an .xfw
    header (runtime/schema/xfw.fbs: Header.tensors is field 2; Tensor.name 0,
    dtype 1, quantization 3, length 5; Quantization.bits 0, group_size 1,
    zero_point_tensor 4). quantization is None or (bits, group, has zero point)."""
    import flatbuffers
    from flatbuffers.number_types import Uint8Flags, Uint32Flags, Uint64Flags
    from flatbuffers.table import Table
    with open(path, "rb") as fh:
        prefix = fh.read(16)
        buf = bytearray(fh.read(struct.unpack("<I", prefix[12:16])[0]))
    header = Table(buf, flatbuffers.encode.Get(flatbuffers.packer.uoffset, buf, 0))
    out = []
    o = header.Offset(8)
    if not o:
        return out
    vec, n = header.Vector(o), header.VectorLen(o)
    for i in range(n):
        t = Table(buf, header.Indirect(vec + 4 * i))
        name = t.String(t.Offset(4) + t.Pos).decode() if t.Offset(4) else ""
        dtype = t.Get(Uint8Flags, t.Offset(6) + t.Pos) if t.Offset(6) else 0
        length = t.Get(Uint64Flags, t.Offset(14) + t.Pos) if t.Offset(14) else 0
        quant = None
        if t.Offset(10):
            q = Table(buf, t.Indirect(t.Offset(10) + t.Pos))
            bits = q.Get(Uint8Flags, q.Offset(4) + q.Pos) if q.Offset(4) else 0
            group = q.Get(Uint32Flags, q.Offset(6) + q.Pos) if q.Offset(6) else 0
            quant = (bits, group, bool(q.Offset(12)))
        out.append((name, dtype, length, quant))
    return out


def xfw_bytes_per_token(tensors):
    """Every tensor of the .xfw but the token embedding table's (and its
    scales; one row of it is gathered) and a draft's."""
    return sum(length for name, _, length, _ in tensors
               if not name.startswith("model.embed_tokens.weight")
               and not name.startswith("draft/"))


def xfw_weights(tensors, quantize):
    """How the program's weights are stored, from the .xfw's quantization
    records: 'int4 g32 asym (lm_head int8 g128 sym)'."""
    if quantize == "none":
        return "fp32"

    def fmt(q):
        return f"int{q[0]} g{q[1] or 'row'} {'asym' if q[2] else 'sym'}"
    kinds, head = {}, None
    for name, _, length, q in tensors:
        if not q or name.startswith("draft/"):
            continue
        if name.startswith("lm_head"):
            head = q
        else:
            kinds[q] = kinds.get(q, 0) + length
    if not kinds and not head:
        return quantize
    main = max(kinds, key=kinds.get) if kinds else head
    text = fmt(main)
    if head and head != main:
        text += f" (lm_head {fmt(head)})"
    return text


def gguf_bytes_per_token(path):
    """All tensor bytes but token_embd's; when there is no output.weight,
    llama.cpp multiplies by token_embd as the (tied) output matrix, so it
    is counted once, as that."""
    from gguf import GGUFReader
    tensors = {t.name: int(t.n_bytes) for t in GGUFReader(path).tensors}
    total = sum(v for k, v in tensors.items() if k != "token_embd.weight")
    if "output.weight" not in tensors:
        total += tensors.get("token_embd.weight", 0)
    return total


def gguf_weights(path):
    """'Q4_1' or, when the embedding is stored otherwise, 'Q4_1 (token_embd Q8_0)':
    the type that holds most of the bytes of the other matrices."""
    from gguf import GGUFReader
    kinds, embd = {}, None
    for t in GGUFReader(path).tensors:
        name = t.tensor_type.name.replace("F32", "fp32").replace("F16", "fp16")
        if t.name == "token_embd.weight":
            embd = name
        elif len(t.shape) >= 2:
            kinds[name] = kinds.get(name, 0) + int(t.n_bytes)
    main = max(kinds, key=kinds.get) if kinds else "?"
    return main if embd in (None, main) else f"{main} (token_embd {embd})"


def build_membw(work):
    exe = os.path.join(work, "membw")
    cc = shutil.which("cc") or shutil.which("clang") or shutil.which("gcc")
    if not cc:
        raise EngineError("no C compiler")
    subprocess.run([cc, "-O3", "-march=native", "-pthread", "-o", exe,
                    os.path.join(ROOT, "bench", "membw.c")], check=True)
    return exe, subprocess.run([cc, "--version"], capture_output=True,
                               text=True).stdout.splitlines()[0]


def run_membw(exe, args, bw):
    """Runs membw once the machine is idle; keeps the best GB/s per thread
    count in bw; returns the share of CPU other processes took meanwhile."""
    wait_for_idle(args.wait_idle)
    OTHER_LOAD["other_s"] = OTHER_LOAD["available_s"] = 0.0
    code, stdout, stderr, _, _ = run_measured([exe, str(args.membw_mib), "7"])
    if code != 0:
        raise EngineError(failure_reason(code, stdout, stderr))
    for m in re.finditer(r"threads=(\d+) GB/s=([\d.]+)", stdout):
        bw[int(m.group(1))] = max(bw.get(int(m.group(1)), 0.0), float(m.group(2)))
    load = OTHER_LOAD["other_s"] / OTHER_LOAD["available_s"] if OTHER_LOAD["available_s"] else 0.0
    print(f"   1 thread {bw.get(1)} GB/s, 2 threads {bw.get(2)} GB/s so far (others' CPU "
          f"{load * 100:.0f}%)", flush=True)
    return load


def git_commit(path):
    """'abc1234' or 'abc1234 (uncommitted changes)' for the git repository
    holding path, else None."""
    d = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
    try:
        head = subprocess.run(["git", "-C", d, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=30)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", d, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=60).stdout.strip()
        top = subprocess.run(["git", "-C", d, "rev-parse", "--show-toplevel"],
                             capture_output=True, text=True, timeout=30).stdout.strip()
        return f"{head.stdout.strip()}{' (with uncommitted changes)' if dirty else ''} in {top}"
    except (OSError, subprocess.SubprocessError):
        return None


def machine_info(xfc):
    info = {}
    try:
        with open("/proc/cpuinfo") as fh:
            cpuinfo = fh.read()
        m = re.search(r"^model name\s*:\s*(.*)$", cpuinfo, re.M)
        info["Model name"] = m.group(1).strip() if m else "?"
        flags = set()
        m = re.search(r"^flags\s*:\s*(.*)$", cpuinfo, re.M)
        if m:
            flags = set(m.group(1).split())
        info["CPU(s)"] = str(len(re.findall(r"^processor\s*:", cpuinfo, re.M)) or os.cpu_count())
        isa = [f for f in ("avx2", "fma", "f16c", "avx_vnni", "avx512f", "avx512bw",
                           "avx512_vnni", "avx512_bf16", "amx_tile") if f in flags]
        missing = [f for f in ("avx512f", "avx512_vnni", "avx_vnni") if f not in flags]
        info["isa"] = " ".join(isa) + (f" (no {', '.join(missing)})" if missing else "")
    except OSError:
        info["Model name"], info["CPU(s)"], info["isa"] = "?", str(os.cpu_count()), "?"
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        m = re.search(r"^Thread\(s\) per core:\s*(.*)$", lscpu, re.M)
        if m:
            info["Thread(s) per core"] = m.group(1).strip()
    except OSError:
        pass
    memory = memory_total()
    if memory:
        info["memory"] = memory
    info["kernel"] = platform.release()
    try:
        with open("/etc/os-release") as fh:
            m = re.search(r'^PRETTY_NAME="?([^"\n]*)', fh.read(), re.M)
            info["os"] = m.group(1) if m else ""
    except OSError:
        info["os"] = platform.system()
    info["date"] = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    info["loadavg"] = "%.2f %.2f %.2f" % os.getloadavg()
    for mod, name in (("onnxruntime", "onnxruntime"), ("llama_cpp", "llama-cpp-python"),
                      ("numpy", "numpy"), ("matplotlib", "matplotlib")):
        try:
            out = subprocess.run([sys.executable, "-c", f"import {mod}; print({mod}.__version__)"],
                                 capture_output=True, text=True, timeout=60)
            info[name] = out.stdout.strip() or "not importable"
        except Exception:  # noqa: BLE001
            info[name] = "not importable"
    info["python"] = platform.python_version()
    info["commit"] = git_commit(ROOT) or "?"
    xfc_abs = os.path.realpath(xfc)
    info["xfc"] = xfc_abs
    try:
        info["xfc built"] = datetime.datetime.fromtimestamp(
            os.path.getmtime(xfc_abs)).astimezone().strftime("%Y-%m-%d %H:%M %Z")
    except OSError:
        info["xfc built"] = "?"
    info["xfc commit"] = git_commit(xfc_abs) or "?"
    return info


# --------------------------------------------------------------------------
# Compiling.

def parse_time_v(text):
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", text)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    if not wall or not rss:
        return None
    seconds = 0.0
    for part in wall.group(1).split(":"):
        seconds = seconds * 60 + float(part)
    return seconds, int(rss.group(1)) * 1024


def compile_xfc(args, program, quantize):
    stats_path = program + ".compile.json"
    model = os.path.join(args.assets, "model.onnx")
    cmd = [args.xfc, model, "-o", program]
    if quantize != "none":
        cmd.insert(2, f"--quantize={quantize}")
    shown = " ".join(shlex.quote(c) for c in
                     ["xfc", "model.onnx"] + cmd[2:-2] + ["-o", os.path.basename(program)])
    if args.reuse and os.path.exists(program) and os.path.exists(program + ".xfw"):
        stats = {"reused": True, "cmd": shown}
        if os.path.exists(stats_path):
            with open(stats_path) as fh:
                stats.update(json.load(fh))
            stats["reused"] = True
        print(f"== reusing {program} (--reuse)", flush=True)
        try:
            if os.path.getmtime(program) < os.path.getmtime(args.xfc):
                stats["stale"] = True
                print(f"   note: {args.xfc} is newer than {program}; run without --reuse to "
                      f"measure the current compiler", flush=True)
        except OSError:
            pass
        return stats
    print("== " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    time_v = os.access("/usr/bin/time", os.X_OK)
    full = (["/usr/bin/time", "-v"] + cmd) if time_v else cmd
    wait_for_idle(args.wait_idle)
    OTHER_LOAD["other_s"] = OTHER_LOAD["available_s"] = 0.0
    code, stdout, stderr, wall, rss = run_measured(full, timeout=3600)
    other_load = (OTHER_LOAD["other_s"] / OTHER_LOAD["available_s"]
                  if OTHER_LOAD["available_s"] else None)
    if code != 0:
        raise EngineError("xfc failed: " + failure_reason(code, stdout, stderr))
    parsed = parse_time_v(stderr) if time_v else None
    if parsed:
        wall, rss = parsed
    stats = {"wall_s": wall, "rss": rss, "reused": False, "other_load": other_load,
             "how": "/usr/bin/time -v" if parsed else "wait4", "cmd": shown,
             "xfc": os.path.realpath(args.xfc),
             "xfc_built": datetime.datetime.fromtimestamp(os.path.getmtime(args.xfc))
             .astimezone().strftime("%Y-%m-%d %H:%M %Z")}
    with open(stats_path, "w") as fh:
        json.dump(stats, fh)
    return stats


# --------------------------------------------------------------------------
# Reporting.

def best(value):
    return max(value) if isinstance(value, list) and value else None


def fmt_num(b):
    return f"{b:.0f}" if b >= 100 else f"{b:.1f}"


def fmt_rate(value):
    if isinstance(value, str):
        return value
    b = best(value)
    return "n/a" if b is None else fmt_num(b)


def fmt_ratio(a, b):
    return f"{a / b:.2f}" if a and b else "n/a"


def spread(value):
    if not isinstance(value, list) or len(value) < 2:
        return None
    return (max(value) - min(value)) / max(value)


def mib(n):
    return f"{n / 2**20:.0f} MiB" if n is not None else "n/a"


def pct(x):
    return f"{x * 100:.0f}%" if x is not None else "n/a"


def label_of(key):
    m = re.match(r"(prefill|decode)(\d+)", key)
    return f"{m.group(1)}@{m.group(2)}" if m else key


def run_of(entry, run):
    return (entry.get("runs") or {}).get(run) or {}


def others_cell(entry, run):
    r = run_of(entry, run)
    if r.get("other_load") is None:
        return "n/a"
    s = pct(r["other_load"])
    return s + (f" ({r['attempts']} tries)" if r.get("attempts", 1) > 1 else "")


def main_table(engines, args, bw2):
    keys = cell_keys(args)
    lo, hi = f"decode{args.contexts[0]}", f"decode{args.contexts[-1]}"
    head = (["engine", "weights", "files"] + [f"{label_of(k)} tok/s" for k in keys] +
            [f"decode {args.contexts[-1]} / {args.contexts[0]}", "peak RSS (largest process)",
             "weight bytes/token", f"x decode@{args.contexts[0]} / bandwidth", "others' CPU"])
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for e in engines:
        r = run_of(e, "main")
        dec = best(r.get(lo))
        frac = (pct(e["bytes_per_token"] * dec / (bw2 * 1e9))
                if dec and bw2 and e.get("bytes_per_token") else "n/a")
        cells = [e["label"], e["weights"], e["files"]] + [fmt_rate(r.get(k)) for k in keys]
        cells += [fmt_ratio(best(r.get(hi)), best(r.get(lo))),
                  mib(r.get("rss")) if r.get("rss") else "n/a",
                  mib(e.get("bytes_per_token")) if e.get("bytes_per_token") else "n/a",
                  frac, others_cell(e, "main")]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def pair_table(engines, args):
    by = {e["name"]: e for e in engines}
    keys = cell_keys(args)
    head = ["precision", "xfc / llama.cpp"] + [label_of(k) for k in keys]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for x, l, label in PAIRS:
        if x not in by or l not in by:
            continue
        rx, rl = run_of(by[x], "main"), run_of(by[l], "main")
        cells = [label, f"{by[x]['label']} / {by[l]['label']}"]
        for k in keys:
            a, b = best(rx.get(k)), best(rl.get(k))
            aim = AIM_PREFILL if k.startswith("prefill") else AIM_DECODE
            cells.append(f"{a / b:.2f}{'' if a / b >= aim else ' (aim ' + str(aim) + ')'}"
                         if a and b else "n/a")
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows) if len(rows) > 2 else None


def ratio_table(engines, args, run, title, what):
    """Per engine: the `run` figures and their ratio to the main (quiet,
    --threads) ones; `what` names the ratio."""
    keys = cell_keys(args)
    head = (["engine"] + [f"{label_of(k)} tok/s" for k in keys] +
            [f"{what} {label_of(k)}" for k in keys] + ["others' CPU"])
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for e in engines:
        r, m = run_of(e, run), run_of(e, "main")
        if not r:
            continue
        cells = [e["label"]] + [fmt_rate(r.get(k)) for k in keys]
        for k in keys:
            a, b = best(r.get(k)), best(m.get(k))
            cells.append(fmt_ratio(b, a) if run == "scale" else fmt_ratio(a, b))
        cells.append(others_cell(e, run))
        rows.append("| " + " | ".join(cells) + " |")
    return (title, "\n".join(rows)) if len(rows) > 2 else None


def aims(engines, args, bw2):
    """The issue's aims, each as (text, met: True/False/None)."""
    by = {e["name"]: e for e in engines}
    out = []
    lo, hi = f"decode{args.contexts[0]}", f"decode{args.contexts[-1]}"
    for x, l, label in PAIRS:
        if x not in by or l not in by:
            continue
        rx, rl = run_of(by[x], "main"), run_of(by[l], "main")
        for k in cell_keys(args):
            a, b = best(rx.get(k)), best(rl.get(k))
            aim = AIM_PREFILL if k.startswith("prefill") else AIM_DECODE
            out.append((f"{label_of(k)} {label}: xfc / llama.cpp {fmt_ratio(a, b)} "
                        f"(aim >= {aim})", (a / b >= aim) if a and b else None))
    for name in ("xfc", "xfc-int8", "xfc-int4"):
        e = by.get(name)
        if not e:
            continue
        r = run_of(e, "main")
        dec = best(r.get(lo))
        frac = e["bytes_per_token"] * dec / (bw2 * 1e9) if dec and bw2 and e.get(
            "bytes_per_token") else None
        out.append((f"{e['label']} decode@{args.contexts[0]} reads weights at {pct(frac)} of "
                    f"the bandwidth (aim >= {AIM_BW * 100:.0f}%)",
                    frac >= AIM_BW if frac is not None else None))
        a, b = best(r.get(hi)), best(r.get(lo))
        out.append((f"{e['label']} decode@{args.contexts[-1]} / decode@{args.contexts[0]} "
                    f"{fmt_ratio(a, b)} (aim >= {AIM_LONG})",
                    a / b >= AIM_LONG if a and b else None))
    return out


def spreads(engines, args):
    """One line per engine: the largest spread of the repeats over its cells,
    and the main run's per cell."""
    lines = []
    for e in engines:
        main = run_of(e, "main")
        parts = [f"{label_of(k)} {pct(spread(main.get(k)))}" for k in cell_keys(args)
                 if spread(main.get(k)) is not None]
        worst = [spread(run_of(e, run).get(k)) for run in ("main", "scale", "busy")
                 for k in cell_keys(args)]
        worst = [w for w in worst if w is not None]
        if parts:
            lines.append(f"{e['label']}: {', '.join(parts)}"
                         + (f" (largest in any configuration {pct(max(worst))})" if worst else ""))
    return lines


def token_agreement(engines, args):
    ctx = args.contexts[0]
    key = f"tokens{ctx}"
    ref = next((run_of(e, "main").get(key) for e in engines if e["kind"] == "ort"), None)
    if not ref:
        return None
    agree = []
    for e in engines:
        toks = run_of(e, "main").get(key)
        if toks and e["kind"] != "ort":
            n = 0
            while n < min(len(toks), len(ref)) and toks[n] == ref[n]:
                n += 1
            agree.append(f"{e['label']} {n}")
    if not agree:
        return None
    return (f"greedy tokens after the {ctx}-id prompt equal to onnxruntime's before the first "
            f"difference (of {len(ref)}): " + ", ".join(agree))


def capped_note(engines, args):
    runs = {"main": f"{args.threads} threads", "scale": f"{args.scaling_threads} thread(s)",
            "busy": "busy neighbour"}
    parts = []
    for e in engines:
        capped = [runs[r] for r in runs if run_of(e, r).get("decode_capped")]
        if capped:
            parts.append(f"{e['label']} ({', '.join(capped)})")
    if not parts:
        return None
    return (f"decode timed over fewer than {args.gen_len} steps, stopped after "
            f"{args.max_decode_s:.0f} s (--max-decode-s), in: " + "; ".join(parts))


def llama_configs(engines):
    lines = []
    for e in engines:
        if e["kind"] != "llama" or "llama_cfg" not in e:
            continue
        r = run_of(e, "main")
        cfg = r.get("llama_config") or {}
        log = r.get("llama_log") or {}
        which = e["llama_cfg"]
        text = (f"{e['label']}: {'fallback' if which is LLAMA_FALLBACK else 'default'} "
                f"configuration (extra buffer types {'on' if which['extra_bufts'] else 'off'}, "
                f"flash attention {which['flash_attn']}")
        if log.get("flash attention resolved"):
            text += f" -> {log['flash attention resolved']}"
        text += ")"
        if cfg:
            text += (f"; n_threads {cfg.get('n_threads')}, n_threads_batch "
                     f"{cfg.get('n_threads_batch')}, n_ctx {cfg.get('n_ctx')}, n_batch "
                     f"{cfg.get('n_batch')}, n_ubatch {cfg.get('n_ubatch')}")
        for k in ("model buffers", "KV cache", "repacking", "load"):
            if log.get(k):
                text += f"; {k}: {log[k]}"
        if e.get("fallback_reason"):
            text += (f". The default configuration failed ({e['fallback_reason']}), so this "
                     f"ran with extra buffer types and flash attention off")
        lines.append(text)
    return lines


def chart(engines, args, path, info):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    keys = cell_keys(args)
    names = [e["label"].replace("llama.cpp ", "llama.cpp\n").replace("onnxruntime ", "onnxruntime\n")
             .replace("xfc ", "xfc\n") for e in engines]
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(11, 9), gridspec_kw={"height_ratios": [3, 2]})
    width = 0.8 / len(keys)
    for k, key in enumerate(keys):
        xs, ys = [], []
        for i, e in enumerate(engines):
            v = best(run_of(e, "main").get(key))
            if v:
                xs.append(i + (k - (len(keys) - 1) / 2) * width)
                ys.append(v)
        bars = ax.bar(xs, ys, width, label=label_of(key))
        for bar, y in zip(bars, ys):
            ax.text(bar.get_x() + bar.get_width() / 2, y * 1.04, fmt_num(y),
                    ha="center", va="bottom", fontsize=6)
    ax.set_yscale("log")
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, fontsize=8)
    ax.set_ylabel("tokens/s (log scale, higher is better)")
    ax.set_title(f"SmolLM2-135M, {args.threads} threads: prefill (one forward over "
                 f"{'/'.join(map(str, args.prefill_lens))} ids) and decode at context "
                 f"{'/'.join(map(str, args.contexts))}", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(axis="y", which="both", alpha=0.3)

    lo, hi = f"decode{args.contexts[0]}", f"decode{args.contexts[-1]}"
    p = f"prefill{args.prefill_lens[-1]}"
    series = [(f"decode {args.contexts[-1]} / {args.contexts[0]}", "main", hi, "main", lo)]
    if args.scaling_threads:
        series += [(f"{label_of(p)} {args.scaling_threads} -> {args.threads} threads",
                    "main", p, "scale", p),
                   (f"{label_of(lo)} {args.scaling_threads} -> {args.threads} threads",
                    "main", lo, "scale", lo)]
    if not args.no_busy:
        series += [(f"{label_of(p)} busy / quiet", "busy", p, "main", p),
                   (f"{label_of(lo)} busy / quiet", "busy", lo, "main", lo)]
    w2 = 0.8 / len(series)
    for k, (label, ra, ka, rb, kb) in enumerate(series):
        xs, ys = [], []
        for i, e in enumerate(engines):
            a, b = best(run_of(e, ra).get(ka)), best(run_of(e, rb).get(kb))
            if a and b:
                xs.append(i + (k - (len(series) - 1) / 2) * w2)
                ys.append(a / b)
        ax2.bar(xs, ys, w2, label=label)
    ax2.axhline(1.0, color="black", linewidth=0.8)
    ax2.set_xticks(range(len(names)))
    ax2.set_xticklabels(names, fontsize=8)
    ax2.set_ylabel("ratio")
    ax2.set_title("context, thread scaling and a busy neighbour (one core loaded by another "
                  "process)", fontsize=10)
    ax2.legend(fontsize=7, ncol=2)
    ax2.grid(axis="y", alpha=0.3)
    fig.text(0.01, 0.005, f"{info.get('Model name', '?')}, {info.get('CPU(s)')} CPUs; "
             f"{info.get('date')}; commit {str(info.get('commit', '?')).split(' ')[0]}"
             + ("; TRIAL RUN" if args.trial else ""), fontsize=7)
    fig.tight_layout(rect=(0, 0.02, 1, 1))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --------------------------------------------------------------------------

def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0].replace("\n", " "),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Runs every engine in processes of its own: a failing engine or configuration "
               "shows 'failed: reason' in its cells. On a 2-core machine, --quick took 20 "
               "minutes while other work held 50-70% of the CPU; a full run (--repeats 3, "
               "64 decode steps) should take 35 to 50 minutes, plus 5 to 9 minutes to compile "
               "the three programs (--reuse skips that).")
    g = parser.add_argument_group("paths")
    g.add_argument("--xfc", default=os.path.join(ROOT, "build/bin/xfc"),
                   help="the compiler (default: build/bin/xfc of this repository)")
    g.add_argument("--assets", default=os.path.join(ROOT, "build/smollm2"),
                   help="model.onnx and the GGUFs of scripts/make-smollm2.sh "
                        "(default: build/smollm2)")
    g.add_argument("--work", default=os.path.join(ROOT, "build/bench-smollm2"),
                   help="where the compiled programs and membw go (default: build/bench-smollm2)")
    g.add_argument("--reuse", action="store_true",
                   help="use the programs an earlier run compiled into WORK (smollm2, "
                        "smollm2-int8, smollm2-int4) when they are there, instead of compiling")
    g = parser.add_argument_group("what to measure")
    g.add_argument("--engines", default=",".join(e[0] for e in ENGINES),
                   help="comma-separated subset of " + ",".join(e[0] for e in ENGINES) +
                        " (default: all; xfc is the fp32 program)")
    g.add_argument("--threads", type=int, default=2,
                   help="threads of the main figures and the busy-neighbour run (default 2)")
    g.add_argument("--scaling-threads", type=int, default=1,
                   help="the thread count the scaling is measured from, to --threads "
                        "(default 1; 0 skips those runs)")
    g.add_argument("--no-busy", action="store_true",
                   help="skip the busy-neighbour runs (--threads figures with one core loaded "
                        "by another process)")
    g.add_argument("--busy-engines", default="xfc,xfc-int8,xfc-int4,f32,q8_0,q4_1",
                   help="engines measured with the busy neighbour (default: xfc and llama.cpp)")
    g.add_argument("--prefill-lens", type=int_list, default=[128, 512],
                   help="prefill prompt lengths (default 128,512)")
    g.add_argument("--contexts", type=int_list, default=[64, 1024],
                   help="decode contexts: the prompt length before decoding; the ratio is "
                        "last / first (default 64,1024)")
    g.add_argument("--gen-len", type=int, default=64,
                   help="decode steps timed at each context (default 64)")
    g.add_argument("--repeats", type=int, default=None,
                   help="repeats of every measurement; the best is reported, the spread too "
                        "(default 3, 1 with --quick)")
    g.add_argument("--quick", action="store_true",
                   help="a short trial of the whole command: 1 repeat, 16 decode steps, "
                        "onnxruntime on --threads only, no waiting for an idle machine and "
                        "no retries (unless given); docs are labelled as a trial run")
    g.add_argument("--llama-fallback-only", action="store_true",
                   help="run llama.cpp only in its fallback configuration (extra buffer "
                        "types, i.e. weight repacking, and flash attention off)")
    g = parser.add_argument_group("a shared machine")
    g.add_argument("--wait-idle", type=float, default=None,
                   help="before each measurement, wait up to this many seconds for the "
                        "CPUs to be idle (default 180; 5 with --quick)")
    g.add_argument("--retries", type=int, default=None,
                   help="measure a configuration again (keeping the cleaner run) when other "
                        "processes took over 10%% of the CPU during it (default 1; 0 with "
                        "--quick)")
    g.add_argument("--timeout", type=int, default=1800,
                   help="seconds before one measured process is killed (default 1800)")
    g.add_argument("--max-decode-s", type=float, default=30.0,
                   help="onnxruntime and llama.cpp: stop timing one decode measurement after "
                        "this many seconds (at least 4 steps), so an engine that collapses "
                        "under the busy neighbour does not take many minutes; reported "
                        "(default 30)")
    g.add_argument("--membw-mib", type=int, default=1024,
                   help="buffer membw sums, in MiB (default 1024)")
    g = parser.add_argument_group("output")
    g.add_argument("--no-docs", action="store_true", help="print only; leave docs/ alone")
    g.add_argument("--docs", default=os.path.join(ROOT, "docs/benchmarks.md"))
    g.add_argument("--chart", default=os.path.join(ROOT, "docs/img/smollm2-issue17.png"))
    g.add_argument("--json", default=None,
                   help="also write every measurement to this JSON file (default: "
                        "WORK/results.json)")
    g.add_argument("--command", default=None, help="the command line to record in the docs")
    args = parser.parse_args()
    if args.repeats is None:
        args.repeats = 1 if args.quick else 3
    if args.wait_idle is None:
        args.wait_idle = 5 if args.quick else 180
    if args.retries is None:
        args.retries = 0 if args.quick else 1
    if args.quick and "--gen-len" not in " ".join(sys.argv):
        args.gen_len = 16
    args.trial = args.quick or args.repeats < 2
    args.work = os.path.abspath(args.work)
    args.json = args.json or os.path.join(args.work, "results.json")
    return args


def main():
    if "--worker" in sys.argv[1:]:
        return worker_main(sys.argv[1:])
    args = parse_args()
    wanted = [e for e in ENGINES if e[0] in set(args.engines.split(","))]
    busy_wanted = set(args.busy_engines.split(","))
    os.makedirs(args.work, exist_ok=True)
    onnx_path = os.path.join(args.assets, "model.onnx")
    command = args.command or " ".join(shlex.quote(a) for a in [sys.argv[0]] + sys.argv[1:])
    t_start = time.time()

    info = machine_info(args.xfc)
    print("== machine: " + ", ".join(f"{k} {v}" for k, v in info.items()), flush=True)

    print("== memory read bandwidth (bench/membw.c), now and again at the end", flush=True)
    bw, bw_loads, membw_exe = {}, [], None
    try:
        membw_exe, cc_version = build_membw(args.work)
        bw_loads.append(run_membw(membw_exe, args, bw))
    except (EngineError, subprocess.CalledProcessError, OSError) as e:
        cc_version = f"membw failed: {e}"

    try:
        onnx_bpt = onnx_bytes_per_token(onnx_path)
    except Exception as e:  # noqa: BLE001 - reported, not fatal
        print(f"   cannot read the ONNX initializers: {e}")
        onnx_bpt = None

    llama_skip = None
    if any(kind == "llama" for _, _, kind, _ in wanted):
        probe = subprocess.run([sys.executable, "-c", "import llama_cpp"],
                               capture_output=True, text=True)
        if probe.returncode != 0:
            lines = probe.stderr.strip().splitlines()
            llama_skip = "llama-cpp-python cannot be imported: " + (lines[-1] if lines else "?")
            print("== skipping llama.cpp: " + llama_skip, flush=True)

    # ---- set every engine up (compile, files, facts) before measuring
    engines = []
    for name, label, kind, prec in wanted:
        entry = {"name": name, "label": label, "kind": kind, "runs": {}}
        try:
            if kind == "xfc":
                program = os.path.join(args.work, "smollm2" + ("" if prec == "none" else "-" + prec))
                entry["program"] = program
                entry["weights"] = "fp32" if prec == "none" else prec
                entry["compile"] = compile_xfc(args, program, prec)
                sizes = os.path.getsize(program), os.path.getsize(program + ".xfw")
                entry["files"] = f"{mib(sizes[0])} program + {mib(sizes[1])} .xfw"
                try:
                    tensors = xfw_tensors(program + ".xfw")
                    entry["bytes_per_token"] = xfw_bytes_per_token(tensors)
                    entry["weights"] = xfw_weights(tensors, prec)
                except Exception as e:  # noqa: BLE001
                    print(f"   cannot read {program}.xfw's tensor table: {e}")
                    entry["bytes_per_token"] = onnx_bpt if prec == "none" else None
            elif kind == "ort":
                entry["weights"] = "fp32"
                entry["model"] = onnx_path
                entry["files"] = (f"{mib(os.path.getsize(onnx_path) + os.path.getsize(onnx_path + '.data'))}"
                                  " .onnx + .data")
                entry["bytes_per_token"] = onnx_bpt
            else:
                gguf = os.path.join(args.assets, f"smollm2-135m-{prec}.gguf")
                entry["model"] = gguf
                entry["weights"] = prec.upper()
                entry["files"] = f"{mib(os.path.getsize(gguf))} .gguf"
                entry["bytes_per_token"] = gguf_bytes_per_token(gguf)
                entry["weights"] = gguf_weights(gguf)
                entry["llama_cfg"] = LLAMA_FALLBACK if args.llama_fallback_only else LLAMA_DEFAULT
                if llama_skip:
                    raise EngineError(llama_skip)
        except Exception as e:  # noqa: BLE001 - reported in the table
            entry.setdefault("weights", prec or "?")
            entry.setdefault("files", "n/a")
            entry["setup_error"] = str(e)
            print(f"   {label}: {e}", flush=True)
        engines.append(entry)

    # ---- measure: per engine, the main run, the thread scaling, the busy neighbour
    def measurer(entry, threads, tokens=False):
        if entry["kind"] == "xfc":
            return lambda: measure_xfc(entry["program"], threads, args, tokens=tokens)
        if entry["kind"] == "ort":
            return lambda: measure_python("ort", entry["model"], threads, args)
        return lambda: measure_python("llama", entry["model"], threads, args, entry["llama_cfg"])

    def record(entry, run, threads, busy=False):
        what = (f"{entry['label']}, {threads} thread{'s' if threads > 1 else ''}"
                + (", busy neighbour" if busy else ""))
        print(f"== {what}", flush=True)
        t0 = time.time()
        result, load, attempts = guarded(args, what, measurer(entry, threads, run == "main"),
                                         busy=busy)
        failed = result_failed(result, args)
        if (failed and entry["kind"] == "llama" and run == "main"
                and entry["llama_cfg"] is LLAMA_DEFAULT):
            print(f"   llama.cpp failed in its default configuration ({failed}); again with "
                  f"extra buffer types and flash attention off", flush=True)
            entry["fallback_reason"] = failed
            entry["llama_cfg"] = LLAMA_FALLBACK
            result, load, attempts = guarded(args, what, measurer(entry, threads), busy=busy)
        result.update(other_load=load, attempts=attempts, threads=threads, busy=busy,
                      seconds=time.time() - t0)
        entry["runs"][run] = result
        print("   " + ", ".join(f"{label_of(k)} {fmt_rate(result.get(k))}"
                                for k in cell_keys(args))
              + f" (others' CPU {pct(load)}, {time.time() - t0:.0f} s)", flush=True)

    for entry in engines:
        if entry.get("setup_error"):
            entry["runs"]["main"] = all_failed(args, entry["setup_error"])
            continue
        record(entry, "main", args.threads)
        if args.scaling_threads and args.scaling_threads != args.threads and not (
                args.quick and entry["kind"] == "ort"):
            record(entry, "scale", args.scaling_threads)
        if not args.no_busy and entry["name"] in busy_wanted:
            record(entry, "busy", args.threads, busy=True)

    if membw_exe:
        print("== memory read bandwidth again", flush=True)
        try:
            bw_loads.append(run_membw(membw_exe, args, bw))
        except EngineError as e:
            print(f"   membw failed: {e}")
    bw2 = bw.get(2)
    elapsed = time.time() - t_start

    try:
        with open(args.json, "w") as fh:
            json.dump({"info": info, "bandwidth": bw, "args": {k: v for k, v in vars(args).items()},
                       "engines": engines, "elapsed_s": elapsed}, fh, indent=1, default=str)
        print(f"== wrote {args.json}")
    except OSError as e:
        print(f"== cannot write {args.json}: {e}")

    # ---- report
    threads_s = f"{args.threads} thread{'s' if args.threads > 1 else ''}"
    table = main_table(engines, args, bw2)
    pairs = pair_table(engines, args)
    extra_tables = []
    if args.scaling_threads and args.scaling_threads != args.threads:
        t = ratio_table(engines, args, "scale",
                        f"Thread scaling: the same measurements on {args.scaling_threads} "
                        f"thread(s), and {threads_s} / {args.scaling_threads}:",
                        f"{args.threads}/{args.scaling_threads}")
        if t:
            extra_tables.append(t)
    if not args.no_busy:
        t = ratio_table(engines, args, "busy",
                        f"Busy neighbour: the {threads_s} measurements while another process "
                        f"(a Python busy loop, pinned nowhere) keeps one core loaded, and "
                        f"busy / quiet (others' CPU here leaves the neighbour out):",
                        "busy/quiet")
        if t:
            extra_tables.append(t)
    aim_lines = aims(engines, args, bw2)
    compile_lines = []
    for e in engines:
        c = e.get("compile")
        if not c:
            continue
        if c.get("wall_s"):
            line = (f"`{c.get('cmd')}`: {c['wall_s']:.0f} s wall, peak RSS {mib(c['rss'])}"
                    + (" (from an earlier run; this one used --reuse)" if c.get("reused") else "")
                    + (f", others' CPU {pct(c['other_load'])}" if c.get("other_load") is not None
                       else ""))
        else:
            line = f"`{c.get('cmd')}`: reused (--reuse), compile not measured"
        if c.get("xfc_built"):
            line += f", with {c.get('xfc', 'xfc')} built {c['xfc_built']}"
        if c.get("stale"):
            line += (f" (**the program is older than the xfc this run was given, built "
                     f"{info.get('xfc built')}: it does not measure that compiler**)")
        compile_lines.append(line)
    bw_line = (f"Memory read bandwidth (bench/membw.c, {args.membw_mib} MiB of floats summed, best "
               f"of 7 passes, at the start and at the end): {bw.get(1, 'n/a')} GB/s on 1 thread, "
               f"{bw.get(2, 'n/a')} GB/s on 2 threads; others' CPU during those runs "
               + (" and ".join(pct(l) for l in bw_loads) or "n/a"))
    formula = (f"x decode@{args.contexts[0]} / bandwidth = weight bytes/token x decode tok/s / "
               f"{bw2 if bw2 else 'n/a'} GB/s (2-thread read bandwidth). Weight bytes/token: xfc, "
               "every tensor of the .xfw (codes, scales, zero points) but the token embedding "
               "table's (one row of it is gathered); onnxruntime, every ONNX initializer but "
               "model.embed_tokens.weight (lm_head.weight, its copy, is read whole); GGUF, every "
               "tensor but token_embd.weight, plus token_embd.weight once as the tied output "
               "matrix. KV-cache reads and activations are left out.")
    notes = []
    sp = spreads(engines, args)
    if sp:
        notes.append("spread of the repeats ((max - min) / max), main run: " + "; ".join(sp))
    ta = token_agreement(engines, args)
    if ta:
        notes.append(ta)
    cn = capped_note(engines, args)
    if cn:
        notes.append(cn)
    llama_lines = llama_configs(engines)

    print()
    for line in compile_lines:
        print("xfc compile " + line)
    print(bw_line)
    print()
    print(f"{threads_s}, no busy neighbour:")
    print(table)
    if pairs:
        print()
        print(pairs)
    for title, t in extra_tables:
        print()
        print(title)
        print(t)
    print()
    print(formula)
    print()
    print("aims (issue 17):")
    for text, met in aim_lines:
        print(f"  [{'met' if met else 'missed' if met is False else 'n/a'}] {text}")
    for n in notes:
        print("- " + n)
    for line in llama_lines:
        print("- llama.cpp's configuration, " + line)
    if llama_skip:
        print("- llama.cpp columns skipped: " + llama_skip)
    print(f"- the whole run took {elapsed / 60:.1f} min")

    if args.no_docs:
        return 0
    chart_ok = None
    try:
        chart(engines, args, args.chart, info)
        chart_ok = os.path.relpath(args.chart, os.path.dirname(os.path.abspath(args.docs)))
        print(f"== wrote {args.chart}")
    except Exception as e:  # noqa: BLE001 - the docs say why
        print(f"== no chart: {e}")
    llama_info = next((run_of(e, "main").get("system_info") for e in engines
                       if run_of(e, "main").get("system_info")), None)
    tpc = info.get("Thread(s) per core")
    lines = [SECTION, ""]
    if args.trial:
        lines += [TRIAL_NOTE, ""]
    lines += [
        f"Machine: {info.get('Model name', '?')}, {info.get('CPU(s)', '?')} logical CPUs"
        + (f" ({tpc} thread(s) per core)" if tpc else "")
        + f", ISA {info.get('isa')}; {info.get('memory', '?')}, {info.get('os', '')}, Linux "
        f"{info.get('kernel', '')}; load average at the start {info.get('loadavg')}. Run "
        f"{info.get('date')}, bench scripts at commit {info.get('commit')}; xfc "
        f"`{info.get('xfc')}` built {info.get('xfc built')} (its repository at "
        f"{info.get('xfc commit')}). Python {info.get('python')}, onnxruntime "
        f"{info.get('onnxruntime')}, llama-cpp-python {info.get('llama-cpp-python')}, numpy "
        f"{info.get('numpy')}; membw built with {cc_version}. The run took "
        f"{elapsed / 60:.0f} min.",
        "",
        "```sh",
        command,
        "```",
        "",
        f"SmolLM2-135M-Instruct (30 layers, hidden 576, 9 heads / 3 KV heads, vocab 49152) "
        f"from scripts/make-smollm2.sh, on the same prompt ids for every engine (the "
        f"fixed-seed LCG of the program's `bench`). Prefill: one forward over "
        f"{' or '.join(map(str, args.prefill_lens))} ids from an empty cache. Decode@C: after a "
        f"C-id prompt, {args.gen_len} greedy steps (argmax, then a one-token forward with the "
        f"KV cache), C = {' and '.join(map(str, args.contexts))}. xfc: `PROGRAM bench "
        f"--prompt-len P --gen-len G --threads T --no-speculate --verify-weights`, a fresh "
        f"process per figure (--verify-weights reads every weight through the mapping before "
        f"the timed forward, so no figure holds the first touch of the weights), after an "
        f"untimed run; onnxruntime (ORT_ENABLE_ALL, intra-op T, inter-op 1) and llama.cpp "
        f"(n_threads = n_threads_batch = T, n_batch = n_ubatch = 512) load once per "
        f"configuration, run an untimed forward, then time every repeat in that process. "
        f"Best of {args.repeats}. The peak RSS is that of the largest process of the main "
        f"run: for xfc, of its {max(args.prefill_lens + args.contexts)}-token prefill (each "
        f"figure is a process of its own, and --verify-weights touches every weight page); "
        f"for onnxruntime and llama.cpp, of the one process that ran everything, the Python "
        f"interpreter included (memory-mapped weight pages count once touched).",
        "",
    ]
    if compile_lines:
        lines += ["xfc compiles: " + "; ".join(compile_lines) + ".", ""]
    lines += [bw_line + ".", "", f"{threads_s[0].upper() + threads_s[1:]}, no busy neighbour:", "",
              table, "", formula, ""]
    if pairs:
        lines += [f"xfc / llama.cpp at each precision ({threads_s}; the issue's aims: prefill "
                  f">= {AIM_PREFILL}, decode >= {AIM_DECODE}; a cell below its aim names it):",
                  "", pairs, ""]
    for title, t in extra_tables:
        lines += [title, "", t, ""]
    if aim_lines:
        lines += ["Aims of issue 17, this run:", ""]
        lines += [f"- {'met' if met else 'missed' if met is False else 'n/a'}: {text}"
                  for text, met in aim_lines]
        lines.append("")
    for n in notes:
        lines.append("- " + n[0].upper() + n[1:] + ".")
    for line in llama_lines:
        lines.append("- llama.cpp's configuration, " + line + ".")
    if llama_skip:
        lines.append("- llama.cpp columns skipped: " + llama_skip + ".")
    lines += [
        "- Others' CPU: the CPU time other processes on this shared machine took while the "
        "configuration's measurements ran, as a share of all the CPU time there was (before "
        f"each the script waits up to {args.wait_idle:.0f} s for the machine to be idle, and "
        f"measures it again, up to {args.retries} more time(s), when the share was over 10%, "
        "keeping the cleaner run); a figure beside a high share is low. The busy neighbour "
        "is the script's own and is left out of it.",
        "- Differences in the work done: llama.cpp and xfc's `bench` ask for the logits of the "
        "last prompt position only, onnxruntime computes every position's (the lm_head, "
        "49152 x 576, is about a fifth of the prefill's multiply-adds); llama.cpp keeps its "
        "KV cache in f16 (its configuration above), onnxruntime in f32. xfc's weights column is read from the "
        ".xfw's quantization records: gN is N weights per scale along K, sym signed codes, "
        "asym codes with a zero point (Q4_1's scale and min); Q8_0 has a scale per 32 "
        "weights, Q4_1 a scale and min per 32.",
    ]
    if llama_info:
        lines.append(f"- llama.cpp's build: `{llama_info}`")
    lines.append("")
    if chart_ok:
        lines += [f"![SmolLM2-135M prefill and decode tokens/s per engine, thread scaling and "
                  f"busy neighbour]({chart_ok})", ""]
    write_docs(args.docs, "\n".join(lines), SECTION)
    print(f"== wrote section '{SECTION[3:]}' of {args.docs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
