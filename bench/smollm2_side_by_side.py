#!/usr/bin/env python3
"""SmolLM2-135M side by side: xfc's compiled program, onnxruntime and
llama.cpp (llama-cpp-python; fp32, Q8_0 and Q4_1 GGUFs), in one run, with
the same thread count and the same prompt ids for every engine (a benchmark,
not a test). bench/run.sh is the one command; it installs what is missing
and calls this with the paths filled in.

    python3 bench/smollm2_side_by_side.py --xfc build/bin/xfc \\
        --assets build/smollm2 --work build/bench-smollm2 [--reuse] \\
        [--threads 2] [--repeats 3] [--no-docs]

What is measured, per engine, each in processes of its own:
  - prefill tokens/s at prompt lengths 128 and 512: one forward over the
    prompt from an empty KV cache;
  - decode tokens/s: after a 16-token prompt, 128 greedy steps, each an
    argmax over the last logits and a one-token forward with the KV cache;
  - the peak RSS (ru_maxrss, from wait4) of the process that ran the decode;
  - the files each engine loads.
Every number is the best of --repeats. The prompt ids are those the
program's own `bench` command draws (its fixed-seed LCG), so all engines
see the same ones. The memory read bandwidth (bench/membw.c) is measured
in the same run, and each decode speed is put in proportion to it:
    fraction = weight bytes read per token x decode tokens/s / bandwidth.
Results go to stdout and, unless --no-docs, to docs/benchmarks.md (section
"SmolLM2-135M side by side (issue 4)", replaced on a rerun) and to
docs/img/smollm2-bench.png.
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
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECTION = "## SmolLM2-135M side by side (issue 4)"
DECODE_PROMPT = 16


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
                    {"load_s": load_s})


def llama_worker(args):
    import numpy as np
    import llama_cpp

    t0 = time.perf_counter()
    llm = llama_cpp.Llama(args.model, n_ctx=1024, n_batch=512, n_ubatch=512,
                          n_threads=args.threads, n_threads_batch=args.threads,
                          logits_all=False, verbose=False)
    load_s = time.perf_counter() - t0
    vocab = llm.n_vocab()

    def forward(ids):
        llm.eval(ids)  # one llama_decode per 512 ids; logits of the last only
        ptr = llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1)
        return np.ctypeslib.as_array(ptr, shape=(vocab,))

    return run_task(args, vocab, llm.reset, forward, lambda logits: int(np.argmax(logits)),
                    {"load_s": load_s, "system_info":
                     llama_cpp.llama_print_system_info().decode(errors="replace").strip()})


def run_task(args, vocab, reset, forward, argmax, extra):
    """The same timing loops for both Python engines."""
    result = dict(extra)
    if args.task == "prefill":
        for length in args.lens:
            ids = lcg_ids(length, vocab)
            times = []
            for _ in range(args.repeats):
                reset()
                t0 = time.perf_counter()
                forward(ids)
                times.append(time.perf_counter() - t0)
            result[f"prefill{length}"] = [length / t for t in times]
    else:
        ids = lcg_ids(DECODE_PROMPT, vocab)
        rates, tokens = [], None
        for _ in range(args.repeats):
            reset()
            logits = forward(ids)
            generated = []
            t0 = time.perf_counter()
            for _ in range(args.gen_len):
                tok = argmax(logits)
                generated.append(tok)
                logits = forward([tok])
            rates.append(args.gen_len / (time.perf_counter() - t0))
            tokens = generated
        result["decode"] = rates
        result["tokens"] = tokens
    return result


def worker_main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", choices=["ort", "llama"], required=True)
    parser.add_argument("--task", choices=["prefill", "decode"], required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--lens", type=lambda s: [int(x) for x in s.split(",")], default=[128, 512])
    parser.add_argument("--gen-len", type=int, default=128)
    args = parser.parse_args(argv)
    result = (ort_worker if args.worker == "ort" else llama_worker)(args)
    print("RESULT " + json.dumps(result), flush=True)


# --------------------------------------------------------------------------
# Running a measured process.

def cpu_jiffies():
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    try:
        with open("/proc/stat") as fh:
            fields = [int(x) for x in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields[:8]) - idle, sum(fields[:8])


def busy_fraction(seconds=2.0):
    """How busy the machine's CPUs are, 0..1, over the next `seconds`."""
    a = cpu_jiffies()
    time.sleep(seconds)
    b = cpu_jiffies()
    if not a or not b or b[1] == a[1]:
        return 0.0
    return (b[0] - a[0]) / (b[1] - a[1])


# CPU seconds that other processes used while ours ran, and the CPU seconds
# the machine had in that time (all cores): the contamination of a number.
OTHER_LOAD = {"other_s": 0.0, "available_s": 0.0}
HZ = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def wait_for_idle(limit_s, threshold=0.15):
    """Waits up to limit_s for the CPUs to be (nearly) idle; returns the last
    busy fraction seen."""
    deadline = time.time() + limit_s
    busy = busy_fraction()
    announced = False
    while busy > threshold and time.time() < deadline:
        if not announced:
            print(f"   the machine is {busy * 100:.0f}% busy with other work; waiting up to "
                  f"{limit_s:.0f} s for it to quiet down", flush=True)
            announced = True
        busy = busy_fraction(5.0)
    return busy


def run_measured(cmd, timeout=900, env=None):
    """Runs cmd; returns (returncode, stdout, stderr, wall s, peak RSS bytes)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        j0 = cpu_jiffies()
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
        if j0 and j1:
            ours = usage.ru_utime + usage.ru_stime
            OTHER_LOAD["other_s"] += max(0.0, (j1[0] - j0[0]) / HZ - ours)
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
    last = lines[-1] if lines else ""
    if code < 0 and code != -1:
        last = f"signal {signal.Signals(-code).name}. {last}"
    return (last or f"exit status {code}")[:160]


class EngineError(Exception):
    pass


def python_worker(kind, task, model, args, lens=None):
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", kind, "--task", task,
           "--model", model, "--threads", str(args.threads), "--repeats", str(args.repeats),
           "--gen-len", str(args.gen_len)]
    if lens:
        cmd += ["--lens", ",".join(str(l) for l in lens)]
    code, stdout, stderr, _, rss = run_measured(cmd)
    match = re.search(r"^RESULT (.*)$", stdout, re.M)
    if code != 0 or not match:
        raise EngineError(failure_reason(code, stdout, stderr))
    result = json.loads(match.group(1))
    result["rss"] = rss
    return result


def xfc_bench(program, prompt_len, gen_len, threads):
    code, stdout, stderr, _, rss = run_measured(
        [program, "bench", "--prompt-len", str(prompt_len), "--gen-len", str(gen_len),
         "--threads", str(threads)])
    if code != 0:
        raise EngineError(failure_reason(code, stdout, stderr))
    prefill = re.search(r"prefill: \d+ tokens in ([\d.]+) s, ([\d.]+) tokens/s", stdout)
    decode = re.search(r"decode: \d+ tokens in ([\d.]+) s, ([\d.]+) tokens/s", stdout)
    if not prefill or not decode:
        raise EngineError("unexpected bench output: " + stdout.strip()[:120])
    return float(prefill.group(2)), float(decode.group(2)), float(prefill.group(1)), rss


# --------------------------------------------------------------------------
# Engines. Each returns {"prefill128": [..], "prefill512": [..], "decode": [..],
# "rss": bytes, ...}; a failing measurement is recorded as its reason.

def measure_xfc(program, args):
    res = {}
    for length in (128, 512):
        try:
            res[f"prefill{length}"] = [xfc_bench(program, length, 0, args.threads)[0]
                                       for _ in range(args.repeats)]
        except EngineError as e:
            res[f"prefill{length}"] = f"failed: {e}"
    try:
        runs = [xfc_bench(program, DECODE_PROMPT, args.gen_len, args.threads)
                for _ in range(args.repeats)]
        res["decode"] = [r[1] for r in runs]
        res["rss"] = max(r[3] for r in runs)
    except EngineError as e:
        res["decode"] = f"failed: {e}"
    try:
        # The weights are memory-mapped and first touched by the first
        # forward of each process: a 1-token prefill in a fresh process,
        # against a decode step, shows what that costs.
        res["first_token_s"] = min(xfc_bench(program, 1, 0, args.threads)[2]
                                   for _ in range(args.repeats))
    except EngineError:
        pass
    try:
        ids = lcg_ids(DECODE_PROMPT, 49152)
        code, stdout, stderr, _, _ = run_measured(
            [program, "--tokens", ",".join(map(str, ids)), "--max-tokens", str(args.gen_len),
             "--threads", str(args.threads)])
        if code == 0:
            res["tokens"] = [int(t) for t in stdout.strip().split(",") if t.strip()]
    except Exception:
        pass
    return res


def guarded(args, entry, measure):
    """Waits for the machine to quiet down, measures, and records how much
    CPU time other processes took meanwhile."""
    kept = None
    for attempt in range(1 + args.retries):
        wait_for_idle(args.wait_idle)
        OTHER_LOAD["other_s"] = OTHER_LOAD["available_s"] = 0.0
        result = measure()
        load = (OTHER_LOAD["other_s"] / OTHER_LOAD["available_s"]
                if OTHER_LOAD["available_s"] else 0.0)
        if kept is None or load < kept[1]:
            kept = (result, load)
        if load <= 0.10:
            break
        if attempt < args.retries:
            print(f"   other processes took {load * 100:.0f}% of the CPU meanwhile: "
                  f"measuring {entry['name']} again", flush=True)
    entry["other_load"] = kept[1]
    entry["attempts"] = attempt + 1
    return kept[0]


def measure_python(kind, model, args):
    res = {}
    try:
        res.update(python_worker(kind, "prefill", model, args, lens=[128, 512]))
        res.pop("rss", None)
    except EngineError as e:
        res["prefill128"] = res["prefill512"] = f"failed: {e}"
    try:
        dec = python_worker(kind, "decode", model, args)
        res["decode"], res["rss"], res["tokens"] = dec["decode"], dec["rss"], dec.get("tokens")
        res.setdefault("load_s", dec.get("load_s"))
        if "system_info" in dec:
            res["system_info"] = dec["system_info"]
    except EngineError as e:
        res["decode"] = f"failed: {e}"
    return res


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
    code, stdout, stderr, _, _ = run_measured([exe, "1024", "7"])
    if code != 0:
        raise EngineError(failure_reason(code, stdout, stderr))
    for m in re.finditer(r"threads=(\d+) GB/s=([\d.]+)", stdout):
        bw[int(m.group(1))] = max(bw.get(int(m.group(1)), 0.0), float(m.group(2)))
    load = OTHER_LOAD["other_s"] / OTHER_LOAD["available_s"] if OTHER_LOAD["available_s"] else 0.0
    print(f"   1 thread {bw.get(1)} GB/s, 2 threads {bw.get(2)} GB/s so far (others' CPU "
          f"{load * 100:.0f}%)", flush=True)
    return load


def machine_info():
    info = {}
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for key in ("Model name", "CPU(s)", "Thread(s) per core"):
            m = re.search(rf"^{re.escape(key)}:\s*(.*)$", lscpu, re.M)
            if m:
                info[key] = m.group(1).strip()
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as fh:
            kib = int(re.search(r"MemTotal:\s*(\d+)", fh.read()).group(1))
        info["memory"] = f"{kib / 2**20:.0f} GiB"
    except (OSError, AttributeError):
        pass
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
        except Exception:
            info[name] = "not importable"
    info["python"] = platform.python_version()
    try:
        info["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                        capture_output=True, text=True).stdout.strip()
    except OSError:
        info["commit"] = "?"
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


def compile_xfc(args, program):
    stats_path = program + ".compile.json"
    if args.reuse and os.path.exists(program) and os.path.exists(program + ".xfw"):
        stats = {"reused": True}
        if os.path.exists(stats_path):
            with open(stats_path) as fh:
                stats.update(json.load(fh))
        print(f"== reusing {program} (--reuse)", flush=True)
        return stats
    model = os.path.join(args.assets, "model.onnx")
    cmd = [args.xfc, model, "-o", program]
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
             "how": "/usr/bin/time -v" if parsed else "wait4"}
    with open(stats_path, "w") as fh:
        json.dump(stats, fh)
    return stats


# --------------------------------------------------------------------------
# Reporting.

def best(value):
    return max(value) if isinstance(value, list) and value else None


def fmt_rate(value):
    if isinstance(value, str):
        return value
    if value is None:
        return "n/a"
    b = best(value)
    return f"{b:.0f}" if b >= 100 else f"{b:.1f}"


def spread(value):
    if not isinstance(value, list) or len(value) < 2:
        return ""
    return f"{(max(value) - min(value)) / max(value) * 100:.0f}%"


def mib(n):
    return f"{n / 2**20:.0f} MiB" if n is not None else "n/a"


def make_table(engines, bw2):
    head = ("| engine | weights | files | prefill@128 tok/s | prefill@512 tok/s | "
            "decode tok/s | decode peak RSS | weight bytes/token | x decode / bandwidth | "
            "others' CPU |")
    rows = [head, "|" + "---|" * 10]
    for e in engines:
        r = e["result"]
        dec = best(r.get("decode"))
        frac = (f"{e['bytes_per_token'] * dec / (bw2 * 1e9) * 100:.0f}%"
                if dec and bw2 and e.get("bytes_per_token") else "n/a")
        others = f"{e['other_load'] * 100:.0f}%" if e.get("other_load") is not None else "n/a"
        rows.append(f"| {e['name']} | {e['weights']} | {e['files']} | "
                    f"{fmt_rate(r.get('prefill128'))} | {fmt_rate(r.get('prefill512'))} | "
                    f"{fmt_rate(r.get('decode'))} | "
                    f"{mib(r.get('rss')) if r.get('rss') else 'n/a'} | "
                    f"{mib(e.get('bytes_per_token')) if e.get('bytes_per_token') else 'n/a'} | "
                    f"{frac} | {others} |")
    return "\n".join(rows)


def observations(engines):
    notes = []
    for key, label in (("prefill128", "prefill@128"), ("prefill512", "prefill@512"),
                       ("decode", "decode")):
        ok = [(best(e["result"].get(key)), e["name"]) for e in engines
              if isinstance(e["result"].get(key), list)]
        if not ok:
            continue
        ok.sort(reverse=True)
        xfc = next((v for v, n in ok if n.startswith("xfc")), None)
        ort_ = next((v for v, n in ok if n.startswith("onnxruntime")), None)
        line = f"{label}: fastest {ok[0][1]} ({ok[0][0]:.1f} tok/s)"
        if xfc and ort_:
            line += f"; xfc / onnxruntime = {xfc / ort_:.2f}"
        notes.append(line)
    spreads = []
    for e in engines:
        parts = [f"{k} {spread(e['result'].get(k))}" for k in ("prefill128", "prefill512", "decode")
                 if spread(e["result"].get(k))]
        if parts:
            spreads.append(f"{e['name']}: " + ", ".join(parts))
    if spreads:
        notes.append("spread of the repeats ((max - min) / max): " + "; ".join(spreads))
    ref = next((e["result"].get("tokens") for e in engines if e["name"].startswith("onnxruntime")), None)
    if ref:
        agree = []
        for e in engines:
            toks = e["result"].get("tokens")
            if toks and not e["name"].startswith("onnxruntime"):
                n = 0
                while n < min(len(toks), len(ref)) and toks[n] == ref[n]:
                    n += 1
                agree.append(f"{e['name']} {n}")
        if agree:
            notes.append(f"greedy decode tokens equal to onnxruntime's before the first "
                         f"difference (of {len(ref)}): " + ", ".join(agree))
    return notes


def chart(engines, path, threads):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    keys = [("prefill128", "prefill@128"), ("prefill512", "prefill@512"), ("decode", "decode")]
    names = [e["name"] for e in engines]
    fig, ax = plt.subplots(figsize=(10, 5))
    width = 0.8 / len(keys)
    for k, (key, label) in enumerate(keys):
        xs, ys = [], []
        for i, e in enumerate(engines):
            v = best(e["result"].get(key))
            if v:
                xs.append(i + (k - (len(keys) - 1) / 2) * width)
                ys.append(v)
        bars = ax.bar(xs, ys, width, label=label)
        for bar, y in zip(bars, ys):
            ax.text(bar.get_x() + bar.get_width() / 2, y * 1.05, f"{y:.0f}",
                    ha="center", va="bottom", fontsize=7)
    ax.set_yscale("log")
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, fontsize=8)
    ax.set_ylabel("tokens/s (log scale, higher is better)")
    ax.set_title(f"SmolLM2-135M on {threads} threads: prefill (one forward over 128 / 512 ids) "
                 "and decode (KV cache)", fontsize=10)
    ax.legend()
    ax.grid(axis="y", which="both", alpha=0.3)
    fig.tight_layout()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_docs(path, section, header=SECTION):
    """Replaces the section of docs `path` that starts with `header` (up to
    the next "## "), or appends it."""
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    start = text.find(header + "\n")
    if start >= 0:
        nxt = re.search(r"^## ", text[start + len(header):], re.M)
        end = start + len(header) + nxt.start() if nxt else len(text)
        text = text[:start] + section + ("\n" if nxt else "") + text[end:]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


# --------------------------------------------------------------------------

def main():
    if "--worker" in sys.argv[1:]:
        return worker_main(sys.argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xfc", default=os.path.join(ROOT, "build/bin/xfc"))
    parser.add_argument("--assets", default=os.path.join(ROOT, "build/smollm2"))
    parser.add_argument("--work", default=os.path.join(ROOT, "build/bench-smollm2"),
                        help="where the compiled program and membw go")
    parser.add_argument("--reuse", action="store_true",
                        help="use WORK/smollm2 if it is there instead of compiling")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--gen-len", type=int, default=128)
    parser.add_argument("--engines", default="xfc,ort,f32,q8_0,q4_1",
                        help="comma-separated subset of xfc,ort,f32,q8_0,q4_1")
    parser.add_argument("--wait-idle", type=float, default=180,
                        help="before each engine, wait up to this many seconds for the "
                             "CPUs to be idle (default 180)")
    parser.add_argument("--retries", type=int, default=1,
                        help="measure an engine again (keeping the cleaner run) when other "
                             "processes took over 10%% of the CPU during its runs (default 1)")
    parser.add_argument("--no-docs", action="store_true",
                        help="print only; leave docs/ alone")
    parser.add_argument("--docs", default=os.path.join(ROOT, "docs/benchmarks.md"))
    parser.add_argument("--chart", default=os.path.join(ROOT, "docs/img/smollm2-bench.png"))
    parser.add_argument("--command", default=None, help="the command line to record in the docs")
    args = parser.parse_args()
    wanted = set(args.engines.split(","))
    os.makedirs(args.work, exist_ok=True)
    program = os.path.join(os.path.abspath(args.work), "smollm2")
    onnx_path = os.path.join(args.assets, "model.onnx")
    command = args.command or " ".join(shlex.quote(a) for a in [sys.argv[0]] + sys.argv[1:])

    info = machine_info()
    print("== machine: " + ", ".join(f"{k} {v}" for k, v in info.items()), flush=True)

    print("== memory read bandwidth (bench/membw.c), now and again at the end", flush=True)
    bw, bw_loads, membw_exe = {}, [], None
    try:
        membw_exe, cc_version = build_membw(args.work)
        bw_loads.append(run_membw(membw_exe, args, bw))
    except (EngineError, subprocess.CalledProcessError, OSError) as e:
        cc_version = f"membw failed: {e}"

    engines = []
    compile_stats = None
    onnx_size = os.path.getsize(onnx_path) + os.path.getsize(onnx_path + ".data")
    try:
        onnx_bpt = onnx_bytes_per_token(onnx_path)
    except Exception as e:  # noqa: BLE001 - reported, not fatal
        print(f"   cannot read the ONNX initializers: {e}")
        onnx_bpt = None

    if "xfc" in wanted:
        entry = {"name": "xfc program", "weights": "fp32", "bytes_per_token": onnx_bpt}
        try:
            compile_stats = compile_xfc(args, program)
            sizes = os.path.getsize(program), os.path.getsize(program + ".xfw")
            entry["files"] = f"{mib(sizes[0])} program + {mib(sizes[1])} .xfw"
            print("== xfc program", flush=True)
            entry["result"] = guarded(args, entry, lambda: measure_xfc(program, args))
        except (EngineError, OSError) as e:
            entry["files"] = "n/a"
            entry["result"] = {k: f"failed: {e}" for k in ("prefill128", "prefill512", "decode")}
        engines.append(entry)

    if "ort" in wanted:
        print("== onnxruntime", flush=True)
        engines.append({"name": "onnxruntime", "weights": "fp32", "bytes_per_token": onnx_bpt,
                        "files": f"{mib(onnx_size)} .onnx + .data",
                        "result": None})
        engines[-1]["result"] = guarded(args, engines[-1],
                                        lambda: measure_python("ort", onnx_path, args))

    llama_skip = None
    if wanted & {"f32", "q8_0", "q4_1"}:
        probe = subprocess.run([sys.executable, "-c", "import llama_cpp"],
                               capture_output=True, text=True)
        if probe.returncode != 0:
            lines = probe.stderr.strip().splitlines()
            llama_skip = "llama-cpp-python cannot be imported: " + (lines[-1] if lines else "?")
            print("== skipping llama.cpp: " + llama_skip, flush=True)
    for quant in ("f32", "q8_0", "q4_1"):
        if quant not in wanted or llama_skip:
            continue
        gguf = os.path.join(args.assets, f"smollm2-135m-{quant}.gguf")
        print(f"== llama.cpp {quant}", flush=True)
        entry = {"name": f"llama.cpp {quant.upper()}", "weights": quant.upper()}
        try:
            entry["files"] = f"{mib(os.path.getsize(gguf))} .gguf"
            entry["bytes_per_token"] = gguf_bytes_per_token(gguf)
            entry["weights"] = gguf_weights(gguf)
            entry["result"] = guarded(args, entry, lambda: measure_python("llama", gguf, args))
        except Exception as e:  # noqa: BLE001 - reported in the table
            entry.setdefault("files", "n/a")
            entry["result"] = {k: f"failed: {e}" for k in ("prefill128", "prefill512", "decode")}
        engines.append(entry)

    if membw_exe:
        print("== memory read bandwidth again", flush=True)
        try:
            bw_loads.append(run_membw(membw_exe, args, bw))
        except EngineError as e:
            print(f"   membw failed: {e}")
    bw2 = bw.get(2)

    # ---- report
    table = make_table(engines, bw2)
    notes = observations(engines)
    compile_line = "xfc compile: not run"
    if compile_stats:
        if compile_stats.get("wall_s"):
            compile_line = (f"xfc compile (`build/bin/xfc model.onnx -o smollm2`, "
                            f"{compile_stats.get('how', '')}): {compile_stats['wall_s']:.0f} s wall, "
                            f"peak RSS {mib(compile_stats['rss'])}")
            if compile_stats.get("reused"):
                compile_line += " (from the earlier compile; this run used --reuse)"
            if compile_stats.get("other_load") is not None:
                compile_line += (f"; others' CPU during it "
                                 f"{compile_stats['other_load'] * 100:.0f}%")
        else:
            compile_line = "xfc compile: reused (--reuse), not measured"
    bw_line = (f"Memory read bandwidth (bench/membw.c, 1 GiB of floats summed, best of 7 passes, "
               f"at the start and at the end): {bw.get(1, 'n/a')} GB/s on 1 thread, "
               f"{bw.get(2, 'n/a')} GB/s on 2 threads; others' CPU during those runs "
               + " and ".join(f"{l * 100:.0f}%" for l in bw_loads))
    formula = ("x decode / bandwidth = weight bytes/token x decode tok/s / "
               f"{bw2 if bw2 else 'n/a'} GB/s (2-thread read bandwidth). Weight bytes/token: "
               "fp32, every ONNX initializer but model.embed_tokens.weight (one row of it is "
               "gathered; lm_head.weight, its copy, is read whole); GGUF, every tensor but "
               "token_embd.weight, plus token_embd.weight once as the tied output matrix. "
               "KV-cache reads and activations are left out.")
    first = None
    xfc_entry = next((e for e in engines if e["name"] == "xfc program"), None)
    if xfc_entry and xfc_entry["result"].get("first_token_s") and best(xfc_entry["result"].get("decode")):
        first = (f"xfc's program maps its weights and first touches them in the first forward of "
                 f"each process (each xfc repeat is a fresh process): a 1-token prefill in a fresh "
                 f"process takes {xfc_entry['result']['first_token_s'] * 1e3:.0f} ms against "
                 f"{1e3 / best(xfc_entry['result']['decode']):.0f} ms for a decode step.")
    print()
    print(compile_line)
    print(bw_line)
    print()
    print(table)
    print()
    print(formula)
    for n in notes:
        print("- " + n)
    if first:
        print("- " + first)
    if llama_skip:
        print("- llama.cpp columns skipped: " + llama_skip)

    if args.no_docs:
        return 0
    chart_ok = None
    try:
        chart(engines, args.chart, args.threads)
        chart_ok = os.path.relpath(args.chart, os.path.dirname(args.docs))
        print(f"== wrote {args.chart}")
    except Exception as e:  # noqa: BLE001 - the docs say why
        print(f"== no chart: {e}")
    llama_info = next((e["result"].get("system_info") for e in engines
                       if e["result"].get("system_info")), None)
    cores = info.get("CPU(s)", "?")
    lines = [
        SECTION, "",
        f"Machine: {info.get('os', '')}, {info.get('Model name', '?')}, {cores} cores, "
        f"{info.get('memory', '?')}, Linux {info.get('kernel', '')}; load average at the start "
        f"{info.get('loadavg')}. Run {info.get('date')} at commit {info.get('commit')}. "
        f"Python {info.get('python')}, onnxruntime {info.get('onnxruntime')}, llama-cpp-python "
        f"{info.get('llama-cpp-python')}, numpy {info.get('numpy')}; membw built with {cc_version}.",
        "",
        "```sh",
        command,
        "```",
        "",
        f"SmolLM2-135M-Instruct (30 layers, hidden 576, 9 heads / 3 KV heads, vocab 49152) "
        f"from scripts/make-smollm2.sh. Every engine runs on {args.threads} threads "
        f"(xfc `--threads {args.threads}`; onnxruntime ORT_ENABLE_ALL, intra-op "
        f"{args.threads}, inter-op 1; llama.cpp n_threads = n_threads_batch = {args.threads}, "
        f"n_batch 512, n_ctx 1024), on the same prompt ids (the fixed-seed LCG of the program's "
        f"`bench`). Prefill: one forward over 128 or 512 ids from an empty cache. Decode: "
        f"after a {DECODE_PROMPT}-id prompt, {args.gen_len} greedy steps (argmax, then a "
        f"one-token forward with the KV cache). Best of {args.repeats}, each engine's "
        f"measurements in processes of their own; the peak RSS is that of the decode process "
        f"(for onnxruntime and llama.cpp it includes the Python interpreter; memory-mapped "
        f"weight pages count once touched).",
        "",
        compile_line + ".",
        "",
        bw_line + ".",
        "",
        table,
        "",
        formula,
        "",
    ]
    for n in notes:
        lines.append("- " + n[0].upper() + n[1:] + ".")
    if first:
        lines.append("- " + first)
    if llama_skip:
        lines.append("- llama.cpp columns skipped: " + llama_skip + ".")
    lines += [
        "- Others' CPU: the CPU time other processes on this shared machine took while the "
        "engine's measurements ran, as a share of all the CPU time there was (before each "
        f"engine the script waits up to {args.wait_idle:.0f} s for the machine to be idle, "
        f"and measures an engine again, up to {args.retries} more time(s), when the share "
        "was over 10%, keeping the cleaner run); a figure beside a high share is low.",
        "- Differences in the work done: llama.cpp computes the logits of the last prompt "
        "position only, onnxruntime and xfc those of every position (the lm_head, 49152 x 576, "
        "is about a fifth of the prefill's multiply-adds); llama.cpp keeps its KV cache in f16.",
    ]
    if llama_info:
        lines.append(f"- llama.cpp's build: `{llama_info}`")
    lines.append("")
    if chart_ok:
        lines += [f"![SmolLM2-135M prefill and decode tokens/s per engine]({chart_ok})", ""]
    write_docs(args.docs, "\n".join(lines))
    print(f"== wrote section '{SECTION[3:]}' of {args.docs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
