#!/usr/bin/env python3
"""Speed at scale (issue 20): xfc's programs beside llama.cpp on the same
synthetic Llama weights (bench/synthetic_llama.py) at 1B and 3B (8B where
the disk and time allow), per weight precision, on the CPU.

    python3 bench/scale_side_by_side.py --sizes 1b,3b [--precisions f16,int8,int4] \\
        --models DIR [--xfc build/bin/xfc] [--work build/bench-scale] \\
        [--repeats 3] [--quick] [--reuse] [--make-models] [--write-docs]

DIR/SIZE holds what `bench/synthetic_llama.py DIR/SIZE --size SIZE` writes
(model.onnx, model-f16.gguf, model-q8_0.gguf, model-q4_1.gguf); --make-models
writes the missing ones (f16 ONNX). For each size and precision:
  - xfc compiles model.onnx (`xfc model.onnx -o OUT --weights=f16|int8|int4`;
    an xfc without --weights compiles int8/int4 with --quantize=int8|int4
    and skips f16, saying so), under /usr/bin/time -v: wall and peak RSS;
  - the program's `OUT bench` (bench/smollm2_side_by_side.py's xfc_bench:
    a fresh process each, --verify-weights, 2 threads) and llama.cpp
    (llama-cpp-python on the matching GGUF: f16 -> F16, int8 -> Q8_0,
    int4 -> Q4_1; smollm2_side_by_side.py's worker, its default
    configuration, or extra buffer types and flash attention off when that
    fails; --llama-configs measures several and keeps the fastest decode)
    measure prefill tokens/s at 128 and 512 ids and decode tokens/s
    (--gen-len greedy steps after a --decode-ctx-id prompt), best of
    --repeats, with the same prompt ids;
  - bandwidth fraction = weight bytes read per decode token (every weight
    but the token embedding table, from the .xfw's / .gguf's tensor table)
    x decode tokens/s / the machine's read bandwidth (bench/membw.c, the
    --threads figure, measured at the start and the end, best kept);
  - time to first token: from starting the process to its first generated
    token (xfc: `OUT --tokens IDS --max-tokens 1`, the first byte on its
    stdout; llama.cpp: a Python process that loads the GGUF, evaluates the
    same ids and prints the argmax; its Python start and `import llama_cpp`
    are in the figure and also reported apart), for a --ttft-prompt-id
    prompt, with a warm page cache (after an untimed run) and a cold one
    (`sync; echo 3 > /proc/sys/vm/drop_caches` before each run, which needs
    root; without it the model's files are evicted with
    posix_fadvise(DONTNEED) and the table says so). How much of the weights
    file was resident at the start (fincore) and how long reading the whole
    file cold takes are reported beside it. Best of --ttft-repeats.
It waits while /tmp/xfc-bench.lock exists (--lock; another benchmark holds
the machine), holds that lock itself while it runs, and before each
measurement waits for the CPUs to be idle (bench/machine_load.py); a
measurement during which other processes took over 10% of the CPU is taken
again (--retries). Results: stdout, --json (default WORK/results.json), and
with --write-docs the section "Speed at scale (issue 20)" of
docs/benchmarks.md (replaced on a rerun, the other sections left alone).
"""
import argparse
import datetime
import json
import os
import re
import select
import shlex
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import smollm2_side_by_side as sbs  # noqa: E402
from machine_load import int_list, wait_for_idle, write_docs  # noqa: E402

HEADER = "## Speed at scale (issue 20)"
# xfc precision -> (llama.cpp GGUF file kind, label)
PRECISIONS = {"f16": ("f16", "F16"), "int8": ("q8_0", "Q8_0"), "int4": ("q4_1", "Q4_1")}
SIZES = ("tiny", "1b", "3b", "8b")
AIM_DECODE, AIM_BW = 1.1, 0.80
LOCK = "/tmp/xfc-bench.lock"


# --------------------------------------------------------------------------
# The shared machine's lock.

def ancestors():
    pids, pid = set(), os.getpid()
    while pid > 1:
        pids.add(pid)
        try:
            with open(f"/proc/{pid}/stat") as fh:
                pid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return pids


def lock_owner(path):
    """The pid written in the lock file, or None (empty, unreadable)."""
    try:
        with open(path) as fh:
            m = re.search(r"\d+", fh.read())
        return int(m.group()) if m else None
    except OSError:
        return None


class MachineLock:
    """Waits while `path` exists and is not this process' (or an ancestor's,
    e.g. the shell that took it before starting this), then holds it (our
    pid in it) until the end of the with-block."""

    def __init__(self, path, wait_s):
        self.path, self.wait_s, self.created = path, wait_s, False

    def __enter__(self):
        if not self.path:
            return self
        deadline, announced = time.time() + self.wait_s, False
        while os.path.exists(self.path):
            owner = lock_owner(self.path)
            if owner in ancestors():
                return self
            if owner is not None and not os.path.exists(f"/proc/{owner}"):
                print(f"== {self.path} names pid {owner}, which is gone: taking it", flush=True)
                break
            if time.time() > deadline:
                print(f"== {self.path} still there after {self.wait_s:.0f} s: going on "
                      f"without it", flush=True)
                return self
            if not announced:
                print(f"== waiting while {self.path} exists (another benchmark)", flush=True)
                announced = True
            time.sleep(10)
        try:
            with open(self.path, "w") as fh:
                fh.write(f"{os.getpid()} bench/scale_side_by_side.py\n")
            self.created = True
        except OSError as e:
            print(f"== cannot write {self.path}: {e}", flush=True)
        return self

    def __exit__(self, *exc):
        if self.created and lock_owner(self.path) == os.getpid():
            os.remove(self.path)
        return False


# --------------------------------------------------------------------------
# Page cache.

def drop_caches(files):
    """Empties the page cache: drop_caches when we may, else evicts `files`
    with posix_fadvise(DONTNEED). Returns how ('drop_caches' or 'fadvise')."""
    os.sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w") as fh:
            fh.write("3\n")
        return "drop_caches"
    except OSError:
        pass
    for path in files:
        try:
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            except OSError:
                pass
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            os.close(fd)
        except OSError:
            pass
    return "fadvise"


def resident_bytes(path):
    """Bytes of `path` in the page cache (util-linux fincore), or None."""
    try:
        out = subprocess.run(["fincore", "--bytes", "--noheadings", "--output", "RES", path],
                             capture_output=True, text=True, timeout=60)
        return int(out.stdout.split()[0]) if out.returncode == 0 and out.stdout.split() else None
    except (OSError, ValueError, subprocess.SubprocessError):
        return None


def cold_read(path, files):
    """Seconds to read `path` start to end (16 MiB reads) from a cold cache."""
    drop_caches(files)
    t0 = time.perf_counter()
    with open(path, "rb", buffering=0) as fh:
        while fh.read(16 << 20):
            pass
    return time.perf_counter() - t0


# --------------------------------------------------------------------------
# Time to first token.

def time_to_output(cmd, marker, timeout):
    """Starts cmd; returns (seconds to the first stdout byte, or to the line
    starting with `marker`; that line; exit code; stderr tail; peak RSS;
    the wall clock time.time() at the start)."""
    with tempfile.TemporaryFile() as err:
        wall0 = time.time()
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, cwd=ROOT)
        first, line, buf = None, "", b""
        fd = proc.stdout.fileno()
        while first is None:
            left = timeout - (time.perf_counter() - t0)
            if left <= 0:
                proc.kill()
                break
            ready, _, _ = select.select([fd], [], [], min(left, 1.0))
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            now = time.perf_counter()
            buf += chunk
            if marker is None:
                first, line = now - t0, buf.decode(errors="replace")
            else:
                for ln in buf.decode(errors="replace").splitlines():
                    if ln.startswith(marker):
                        first, line = now - t0, ln
                        break
        proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = 0
        err.seek(0)
        tail = err.read().decode(errors="replace")[-2000:]
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -os.WTERMSIG(status)
    return first, line, code, tail, usage.ru_maxrss * 1024, wall0


def xfc_ttft_cmd(program, args):
    ids = ",".join(map(str, sbs.lcg_ids(args.ttft_prompt, 49152)))
    return [program, "--tokens", ids, "--max-tokens", "1", "--threads", str(args.threads),
            "--no-speculate"], None


def llama_ttft_cmd(gguf, args):
    return [sys.executable, os.path.abspath(__file__), "--worker", "ttft-llama", "--model", gguf,
            "--prompt-len", str(args.ttft_prompt), "--threads", str(args.threads)], "FIRST "


def ttft_worker(argv):
    """A llama.cpp process for the time to first token: load, evaluate the
    prompt, print 'FIRST {json}' with the argmax, when its imports were done
    (time.time(), for the driver to subtract its start) and how long the
    load and the evaluation took."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker")
    parser.add_argument("--model", required=True)
    parser.add_argument("--prompt-len", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    a = parser.parse_args(argv)
    import numpy as np
    import llama_cpp
    imported_wall = time.time()
    t_import = time.perf_counter()
    llm = llama_cpp.Llama(a.model, n_ctx=max(256, a.prompt_len + 16), n_batch=512, n_ubatch=512,
                          n_threads=a.threads, n_threads_batch=a.threads, logits_all=False,
                          verbose=False)
    t_load = time.perf_counter()
    vocab = llm.n_vocab()
    llm.eval(sbs.lcg_ids(a.prompt_len, vocab))
    logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1), shape=(vocab,))
    tok = int(np.argmax(logits))
    t_first = time.perf_counter()
    print("FIRST " + json.dumps({"token": tok, "imported_wall": imported_wall,
                                 "load_s": t_load - t_import, "eval_s": t_first - t_load}),
          flush=True)


def measure_ttft(kind, path, files, args):
    """{'warm': [s...], 'cold': [s...], 'cold_how', 'resident_before_cold',
    'detail' (llama: import/load/eval seconds of the best warm run), ...}."""
    cmd, marker = (xfc_ttft_cmd if kind == "xfc" else llama_ttft_cmd)(path, args)
    weights = files[-1]
    res = {"warm": [], "cold": [], "prompt": args.ttft_prompt}

    def once(label):
        first, line, code, tail, rss, wall0 = time_to_output(cmd, marker, args.timeout)
        if first is None or code != 0:
            reason = sbs.failure_reason(code, line, tail) if code != 0 else "no output"
            raise sbs.EngineError(f"{label}: {reason}")
        out = {"s": first, "rss": rss}
        if marker:
            try:
                out["detail"] = json.loads(line[len(marker):])
                # Python's start, this script's and llama_cpp's imports.
                out["detail"]["import_s"] = out["detail"]["imported_wall"] - wall0
            except (ValueError, KeyError):
                pass
        return out

    try:
        once("warm-up")
        for _ in range(args.ttft_repeats):
            wait_for_idle(args.wait_idle)
            r = once("warm")
            res["warm"].append(r["s"])
            if r.get("detail") and r["s"] <= min(res["warm"]):
                res["warm_detail"] = r["detail"]
        if not args.no_cold:
            for _ in range(args.ttft_repeats):
                wait_for_idle(args.wait_idle)
                res["cold_how"] = drop_caches(files)
                res["resident_before_cold"] = resident_bytes(weights)
                r = once("cold")
                res["cold"].append(r["s"])
                if r.get("detail") and r["s"] <= min(res["cold"]):
                    res["cold_detail"] = r["detail"]
            res["cold_read_s"] = cold_read(weights, files)
            res["cold_read_bytes"] = os.path.getsize(weights)
    except sbs.EngineError as e:
        res["error"] = str(e)
    return res


# --------------------------------------------------------------------------
# Compiling.

def xfc_has_weights_flag(xfc):
    try:
        out = subprocess.run([xfc, "--help"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return re.search(r"^\s*--weights=", out, re.M) is not None


def compile_flags(prec, has_weights):
    """xfc's flags for a precision, or None (cannot be compiled by this xfc)."""
    if has_weights:
        return [f"--weights={prec}"]
    if prec == "f16":
        return None
    return [f"--quantize={prec}"]


def compile_xfc(args, onnx_path, program, flags):
    stats_path = program + ".compile.json"
    cmd = [args.xfc, onnx_path] + flags + ["-o", program]
    shown = " ".join(["xfc", "model.onnx"] + flags + ["-o", os.path.basename(program)])
    if (args.reuse and os.path.exists(program) and os.path.exists(program + ".xfw")
            and os.path.exists(stats_path)):
        with open(stats_path) as fh:
            stats = json.load(fh)
        stats["reused"] = True
        print(f"== reusing {program} (--reuse)", flush=True)
        if os.path.getmtime(program) < os.path.getmtime(args.xfc):
            stats["stale"] = True
            print(f"   note: {args.xfc} is newer than {program}", flush=True)
        return stats
    print("== " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    time_v = os.access("/usr/bin/time", os.X_OK)
    wait_for_idle(args.wait_idle)
    sbs.OTHER_LOAD["other_s"] = sbs.OTHER_LOAD["available_s"] = 0.0
    code, stdout, stderr, wall, rss = sbs.run_measured(
        (["/usr/bin/time", "-v"] if time_v else []) + cmd, timeout=args.compile_timeout)
    if code != 0:
        raise sbs.EngineError("xfc failed: " + sbs.failure_reason(code, stdout, stderr))
    parsed = sbs.parse_time_v(stderr) if time_v else None
    if parsed:
        wall, rss = parsed
    avail = sbs.OTHER_LOAD["available_s"]
    stats = {"wall_s": wall, "rss": rss, "reused": False, "cmd": shown,
             "other_load": sbs.OTHER_LOAD["other_s"] / avail if avail else None,
             "how": "/usr/bin/time -v" if parsed else "wait4",
             "xfc_built": datetime.datetime.fromtimestamp(os.path.getmtime(args.xfc))
             .astimezone().strftime("%Y-%m-%d %H:%M %Z")}
    with open(stats_path, "w") as fh:
        json.dump(stats, fh)
    return stats


# --------------------------------------------------------------------------
# Measuring.

def xfc_bench(program, prompt_len, gen_len, args):
    """smollm2_side_by_side.xfc_bench under /usr/bin/time -v: (prefill tok/s,
    decode tok/s, peak RSS). The wait4 figure of a process this Python driver
    forks starts at the driver's own RSS (Linux keeps the pre-exec high-water
    mark), ~0.2 GB here, more than a small program's; /usr/bin/time's child
    starts from /usr/bin/time's few MiB."""
    cmd = [program, "bench", "--prompt-len", str(prompt_len), "--gen-len", str(gen_len),
           "--threads", str(args.threads), "--no-speculate", "--verify-weights"]
    time_v = os.access("/usr/bin/time", os.X_OK)
    code, stdout, stderr, _, rss = sbs.run_measured(
        (["/usr/bin/time", "-v"] if time_v else []) + cmd, timeout=args.timeout)
    if code != 0:
        raise sbs.EngineError(sbs.failure_reason(code, stdout, stderr))
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr) if time_v else None
    if m:
        rss = int(m.group(1)) * 1024
    prefill = re.search(r"prefill: \d+ tokens in ([\d.]+) s, ([\d.]+) tokens/s", stdout)
    decode = re.search(r"decode: \d+ tokens in ([\d.]+) s, ([\d.]+) tokens/s", stdout)
    if not prefill or not decode:
        raise sbs.EngineError("unexpected bench output: " + stdout.strip()[:120])
    return float(prefill.group(2)), float(decode.group(2)), rss


def measure_xfc(program, args):
    """smollm2_side_by_side.measure_xfc with the RSS of xfc_bench above: an
    untimed run (the weights into the page cache), then --repeats of each
    prefill length and of the decode, each a fresh process."""
    res = {k: [] for k in sbs.cell_keys(args)}
    rss = 0
    try:
        xfc_bench(program, 16, 4, args)
    except sbs.EngineError as e:
        return sbs.all_failed(args, e)
    runs = [(f"prefill{n}", n, 0) for n in args.prefill_lens]
    runs += [(f"decode{c}", c, args.gen_len) for c in args.contexts]
    for _ in range(args.repeats):
        for key, prompt, gen in runs:
            if not isinstance(res[key], list):
                continue
            try:
                p, d, r = xfc_bench(program, prompt, gen, args)
                res[key].append(d if key.startswith("decode") else p)
                rss = max(rss, r)
            except sbs.EngineError as e:
                res[key] = f"failed: {e}"
    if rss:
        res["rss"] = rss
    return res


# llama.cpp configurations: its defaults (extra buffer types, i.e. weight
# repacking, on; flash attention auto), the same without the extra buffer
# types, and the fallback (both off) that runs when the default fails.
# --llama-configs can measure several and keep the fastest decode. On the
# loaded 2-core machine (others' CPU ~80%) llama.cpp's calls sometimes took
# ~0.5 s each whatever the configuration (tiny model: decode 2 tokens/s
# instead of 50-80; this build uses OpenMP, whose barriers stall when a
# thread is descheduled): the idle waits and the others' CPU column are
# there for that.
LLAMA_CONFIGS = {
    "default": sbs.LLAMA_DEFAULT,
    "no-extra-bufts": {"extra_bufts": False, "flash_attn": "auto"},
    "fallback": sbs.LLAMA_FALLBACK,
}


def cfg_text(cfg):
    return (f"extra buffer types {'on' if cfg['extra_bufts'] else 'off'}, flash attention "
            f"{cfg['flash_attn']}")


def measure_llama(gguf, args, entry):
    """smollm2_side_by_side's llama.cpp worker in each of --llama-configs (the
    fallback, both off, when the default fails); the configuration with the
    fastest decode is the one reported, the others are kept in 'configs'."""
    tried = {}
    for name in args.llama_configs:
        cfg = LLAMA_CONFIGS[name]
        print(f"   llama.cpp configuration {name} ({cfg_text(cfg)})", flush=True)
        result, load, attempts = sbs.guarded(
            args, entry["label"], lambda: sbs.measure_python("llama", gguf, args.threads, args, cfg))
        failed = sbs.result_failed(result, args)
        if failed and name == "default" and "fallback" not in args.llama_configs:
            print(f"   llama.cpp failed in its default configuration ({failed}); again with extra "
                  f"buffer types and flash attention off", flush=True)
            entry["fallback_reason"] = failed
            name, cfg = "fallback", LLAMA_CONFIGS["fallback"]
            result, load, attempts = sbs.guarded(
                args, entry["label"], lambda: sbs.measure_python("llama", gguf, args.threads, args, cfg))
        result.update(other_load=load, attempts=attempts, config=name, config_text=cfg_text(cfg))
        tried[name] = result
        print("   " + ", ".join(f"{sbs.label_of(k)} {sbs.fmt_rate(result.get(k))}"
                                for k in sbs.cell_keys(args)), flush=True)
    key = decode_key(args)
    chosen = max(tried, key=lambda n: sbs.best(tried[n].get(key)) or 0.0)
    entry["configs"] = tried
    entry["llama_cfg"] = chosen
    return tried[chosen]


def xfw_float_weights(tensors):
    """The float type holding most bytes of the .xfw's unquantized matrices
    ('f16', 'bf16', 'fp32'): what --weights=f16 left them in."""
    names = {0: "fp32", 1: "f16", 2: "bf16"}
    kinds = {}
    for name, dtype, length, quant in tensors:
        if quant is None and not name.startswith("draft/") and dtype in names:
            kinds[names[dtype]] = kinds.get(names[dtype], 0) + length
    return max(kinds, key=kinds.get) if kinds else "?"


def onnx_dtype(path):
    import onnx
    from onnx import TensorProto
    model = onnx.load(path, load_external_data=False)
    kinds = {t.data_type for t in model.graph.initializer if len(t.dims) == 2}
    names = {TensorProto.FLOAT: "fp32", TensorProto.FLOAT16: "fp16", TensorProto.BFLOAT16: "bf16"}
    return "/".join(sorted(names.get(k, str(k)) for k in kinds)) or "?"


def make_models(args, size, model_dir):
    cmd = ["nice", "-n", "10", sys.executable, os.path.join(HERE, "synthetic_llama.py"), model_dir,
           "--size", size, "--dtype", args.make_dtype,
           "--gguf", ",".join(PRECISIONS[p][0] for p in args.precisions)]
    print("== " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    subprocess.run(cmd, check=True)


def run_size(args, size, has_weights):
    model_dir = os.path.join(args.models, size)
    onnx_path = os.path.join(model_dir, "model.onnx")
    want = [onnx_path] + [os.path.join(model_dir, f"model-{PRECISIONS[p][0]}.gguf")
                          for p in args.precisions]
    if not all(os.path.exists(p) for p in want) and args.make_models:
        make_models(args, size, model_dir)
    out = {"size": size, "model_dir": model_dir, "precisions": {}}
    try:
        out["onnx_dtype"] = onnx_dtype(onnx_path)
        with open(os.path.join(model_dir, "config.json")) as fh:
            cfg = json.load(fh)
        out["shape"] = (f"hidden {cfg['hidden_size']}, {cfg['num_hidden_layers']} layers, "
                        f"{cfg['num_attention_heads']}/{cfg['num_key_value_heads']} heads, "
                        f"ffn {cfg['intermediate_size']}, vocab {cfg['vocab_size']}")
    except Exception as e:  # noqa: BLE001 - reported
        out["error"] = (f"no model in {model_dir} ({e}); make it with: python3 "
                        f"bench/synthetic_llama.py {model_dir} --size {size}")
        print("   " + out["error"], flush=True)
        return out
    for prec in args.precisions:
        kind, glabel = PRECISIONS[prec]
        row = {"xfc": {"label": f"xfc {prec}", "runs": {}},
               "llama": {"label": f"llama.cpp {glabel}", "runs": {}}}
        out["precisions"][prec] = row
        # ---- xfc
        x = row["xfc"]
        if "xfc" in args.engines:
            flags = compile_flags(prec, has_weights)
            program = os.path.join(args.work, f"{size}-{prec}")
            try:
                if flags is None:
                    raise sbs.EngineError(
                        f"skipped: {args.xfc} has no --weights flag yet (f16 weights); "
                        f"int8/int4 are compiled with --quantize")
                x["compile"] = compile_xfc(args, onnx_path, program, flags)
                x["program"] = program
                sizes = os.path.getsize(program), os.path.getsize(program + ".xfw")
                x["files"] = f"{sbs.mib(sizes[0])} program + {sbs.mib(sizes[1])} .xfw"
                x["file_bytes"] = sizes[1]
                try:
                    tensors = sbs.xfw_tensors(program + ".xfw")
                    x["bytes_per_token"] = sbs.xfw_bytes_per_token(tensors)
                    x["weights"] = (xfw_float_weights(tensors) if prec == "f16"
                                    else sbs.xfw_weights(tensors, prec))
                except Exception as e:  # noqa: BLE001
                    print(f"   cannot read {program}.xfw's tensor table: {e}", flush=True)
                print(f"== {size} {x['label']}", flush=True)
                t0 = time.time()
                result, load, attempts = sbs.guarded(
                    args, x["label"], lambda: measure_xfc(program, args))
                result.update(other_load=load, attempts=attempts, seconds=time.time() - t0)
                x["runs"]["main"] = result
                print("   " + ", ".join(f"{sbs.label_of(k)} {sbs.fmt_rate(result.get(k))}"
                                        for k in sbs.cell_keys(args)), flush=True)
                if not args.no_ttft:
                    x["ttft"] = measure_ttft("xfc", program, [program, program + ".xfw"], args)
                    print("   " + ttft_text(x["ttft"]), flush=True)
            except sbs.EngineError as e:
                x["error"] = str(e)
                print(f"   {x['label']}: {e}", flush=True)
        # ---- llama.cpp
        ll = row["llama"]
        if "llama" in args.engines:
            gguf = os.path.join(model_dir, f"model-{kind}.gguf")
            try:
                if not os.path.exists(gguf):
                    raise sbs.EngineError(f"{gguf} is missing")
                ll["files"] = f"{sbs.mib(os.path.getsize(gguf))} .gguf"
                ll["file_bytes"] = os.path.getsize(gguf)
                ll["bytes_per_token"] = sbs.gguf_bytes_per_token(gguf)
                ll["weights"] = sbs.gguf_weights(gguf)
                print(f"== {size} {ll['label']}", flush=True)
                t0 = time.time()
                result = measure_llama(gguf, args, ll)
                result["seconds"] = time.time() - t0
                ll["runs"]["main"] = result
                if not args.no_ttft and not args.no_llama_ttft:
                    ll["ttft"] = measure_ttft("llama", gguf, [gguf], args)
                    print("   " + ttft_text(ll["ttft"]), flush=True)
            except sbs.EngineError as e:
                ll["error"] = str(e)
                print(f"   {ll['label']}: {e}", flush=True)
    return out


# --------------------------------------------------------------------------
# Reporting.

def secs(v):
    return "n/a" if v is None else (f"{v:.2f} s" if v < 10 else f"{v:.1f} s")


def ttft_text(t):
    if not t:
        return "TTFT n/a"
    if t.get("error") and not t.get("warm"):
        return f"TTFT failed: {t['error']}"
    text = f"TTFT warm {secs(min(t['warm']) if t['warm'] else None)}"
    if t.get("cold"):
        text += f", cold {secs(min(t['cold']))} ({t.get('cold_how')})"
    return text


def cell(entry, key):
    if entry.get("error"):
        return "failed" if not entry["error"].startswith("skipped") else "skipped"
    return sbs.fmt_rate((entry.get("runs", {}).get("main") or {}).get(key))


def decode_key(args):
    return f"decode{args.contexts[0]}"


def fraction(entry, args, bw):
    dec = sbs.best((entry.get("runs", {}).get("main") or {}).get(decode_key(args)))
    if dec and bw and entry.get("bytes_per_token"):
        return entry["bytes_per_token"] * dec / (bw * 1e9)
    return None


def tables(results, args, bw):
    keys = sbs.cell_keys(args)
    head = (["size", "engine", "weights", "files"] + [f"{sbs.label_of(k)} tok/s" for k in keys] +
            ["decode xfc / llama.cpp", "weight bytes/token", "x decode / bandwidth",
             f"TTFT warm ({args.ttft_prompt} ids)", "TTFT cold", "peak RSS", "others' CPU"])
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    aims, notes = [], []
    for size in results:
        if size.get("error"):
            rows.append(f"| {size['size']} | {size['error']} |" + " |" * (len(head) - 2))
            continue
        for prec, row in size["precisions"].items():
            x, ll = row["xfc"], row["llama"]
            dx = sbs.best((x.get("runs", {}).get("main") or {}).get(decode_key(args)))
            dl = sbs.best((ll.get("runs", {}).get("main") or {}).get(decode_key(args)))
            ratio = dx / dl if dx and dl else None
            for e in (x, ll):
                if not e.get("runs") and not e.get("error"):
                    continue
                main = e.get("runs", {}).get("main") or {}
                t = e.get("ttft") or {}
                frac = fraction(e, args, bw)
                cold = "n/a"
                if t.get("cold"):
                    cold = secs(min(t["cold"]))
                    if t.get("cold_detail", {}).get("import_s") is not None:
                        cold += f" (Python + import {t['cold_detail']['import_s']:.2f} s)"
                    if t.get("cold_how") == "fadvise":
                        cold += " (files evicted with fadvise)"
                elif t.get("error"):
                    cold = "failed"
                warm = secs(min(t["warm"])) if t.get("warm") else ("failed" if t.get("error") else "n/a")
                if t.get("warm_detail", {}).get("import_s") is not None:
                    warm += f" (Python + import {t['warm_detail']['import_s']:.2f} s)"
                load = main.get("other_load")
                cells = ([size["size"], e["label"], e.get("weights", "n/a"), e.get("files", "n/a")] +
                         [cell(e, k) for k in keys] +
                         [(f"{ratio:.2f}" if ratio else "n/a") if e is x else "",
                          sbs.mib(e.get("bytes_per_token")) if e.get("bytes_per_token") else "n/a",
                          sbs.pct(frac), warm, cold,
                          sbs.mib(main.get("rss")) if main.get("rss") else "n/a",
                          sbs.pct(load) if load is not None else "n/a"])
                rows.append("| " + " | ".join(cells) + " |")
                if e.get("error"):
                    notes.append(f"{size['size']} {e['label']}: {e['error']}")
                elif sbs.result_failed(main, args):
                    notes.append(f"{size['size']} {e['label']}: {sbs.result_failed(main, args)}")
                if t.get("error"):
                    notes.append(f"{size['size']} {e['label']} time to first token: {t['error']}")
                if len(e.get("configs") or {}) > 1:
                    notes.append(f"{size['size']} {e['label']}: configuration {e['llama_cfg']} "
                                 f"reported (fastest decode); " + "; ".join(
                                     f"{n} ({r.get('config_text')}): " + ", ".join(
                                         f"{sbs.label_of(k)} {sbs.fmt_rate(r.get(k))}" for k in keys)
                                     for n, r in e["configs"].items()))
                if e.get("fallback_reason"):
                    notes.append(f"{size['size']} {e['label']}: the default configuration failed "
                                 f"({e['fallback_reason']}); the fallback (extra buffer types "
                                 f"and flash attention off) ran instead")
            fx = fraction(x, args, bw)
            aims.append((f"{size['size']} {prec}: decode xfc / llama.cpp "
                         f"{f'{ratio:.2f}' if ratio else 'n/a'} (aim >= {AIM_DECODE})",
                         ratio >= AIM_DECODE if ratio else None))
            aims.append((f"{size['size']} {prec}: xfc reads its weights at {sbs.pct(fx)} of the "
                         f"bandwidth while decoding (aim >= {AIM_BW * 100:.0f}%)",
                         fx >= AIM_BW if fx is not None else None))
    return "\n".join(rows), aims, notes


def compile_table(results):
    rows = ["| size | command | wall | peak RSS | others' CPU |", "|---|---|---|---|---|"]
    for size in results:
        for prec, row in (size.get("precisions") or {}).items():
            c = row["xfc"].get("compile")
            if not c:
                continue
            rows.append(f"| {size['size']} | `{c.get('cmd')}` | {secs(c.get('wall_s'))}"
                        f"{' (earlier run, --reuse)' if c.get('reused') else ''} | "
                        f"{sbs.mib(c.get('rss'))} | "
                        f"{sbs.pct(c.get('other_load')) if c.get('other_load') is not None else 'n/a'} |")
    return "\n".join(rows) if len(rows) > 2 else None


def cold_reads(results):
    lines = []
    for size in results:
        for prec, row in (size.get("precisions") or {}).items():
            for e in (row["xfc"], row["llama"]):
                t = e.get("ttft") or {}
                if t.get("cold_read_s"):
                    res = t.get("resident_before_cold")
                    lines.append(
                        f"{size['size']} {e['label']}: reading the whole weights file cold "
                        f"({sbs.mib(t['cold_read_bytes'])}) takes {secs(t['cold_read_s'])} "
                        f"({t['cold_read_bytes'] / t['cold_read_s'] / 1e9:.2f} GB/s); "
                        f"{sbs.mib(res) if res is not None else 'n/a'} of it was in the page "
                        f"cache when the cold run started")
    return lines


def report(results, args, info, bw, bw_loads, has_weights, command, elapsed):
    table, aims, notes = tables(results, args, bw.get(args.threads) or bw.get(2))
    bwt = bw.get(args.threads) or bw.get(2)
    keys = sbs.cell_keys(args)
    out = [HEADER, ""]
    if args.trial:
        out += [sbs.TRIAL_NOTE, ""]
    out += [
        f"xfc's programs beside llama.cpp (llama-cpp-python {info.get('llama-cpp-python')}) on "
        f"the same synthetic Llama weights (bench/synthetic_llama.py: random N(0, 0.02) values, "
        f"Llama-3.2-1B / 3B and Llama-3.1-8B shapes, SmolLM2's 49152-token vocabulary, untied "
        f"LM head), {args.threads} threads, each figure the best of {args.repeats}: prefill "
        f"tokens/s over {' and '.join(map(str, args.prefill_lens))} prompt ids, decode tokens/s "
        f"over {args.gen_len} greedy steps after a {args.contexts[0]}-id prompt. Precisions: "
        f"xfc f16 / int8 / int4 against the F16 / Q8_0 / Q4_1 GGUF. x decode / bandwidth = "
        f"weight bytes read per token x decode tokens/s / {bwt or 'n/a'} GB/s, the "
        f"{args.threads}-thread read bandwidth bench/membw.c measured. Time to first token: "
        f"from starting the process to its first generated token after a {args.ttft_prompt}-id "
        f"prompt, warm (the files in the page cache) and cold (page cache dropped before each "
        f"run), best of {args.ttft_repeats}; llama.cpp's includes starting Python and "
        f"importing llama_cpp (given in brackets). Peak RSS: the largest of the measured "
        f"processes (xfc: /usr/bin/time -v; llama.cpp: its Python worker, whose figure cannot "
        f"be below the driver's ~0.2 GB). Others' CPU: the share of the CPUs other processes "
        f"took during the measurement.", "",
        f"Machine: {info.get('Model name')}, {info.get('CPU(s)')} CPUs, {info.get('isa')}, "
        f"{info.get('memory', '?')}; {info.get('os')}, kernel {info.get('kernel')}. "
        f"Memory read bandwidth (bench/membw.c): "
        + ", ".join(f"{t} thread{'s' if t > 1 else ''} {v} GB/s" for t, v in sorted(bw.items()))
        + f". Commit {info.get('commit')}; xfc {info.get('xfc')} built {info.get('xfc built')}"
        + ("" if has_weights else " (no --weights flag: int8/int4 compiled with --quantize, "
           "f16 skipped)")
        + f". {info.get('date')}; the run took {elapsed / 60:.0f} min.", "",
        "Models: " + "; ".join(
            f"{r['size']} ({r.get('shape', 'n/a')}; ONNX {r.get('onnx_dtype', 'n/a')})"
            for r in results) + ".", "",
        f"Command: `{command}`", "", table, ""]
    if aims:
        out += ["The issue's aims:", ""]
        out += [f"- {'met' if ok else ('not met' if ok is False else 'not measured')}: {text}"
                for text, ok in aims]
        out.append("")
    ct = compile_table(results)
    if ct:
        out += ["Compiling (`/usr/bin/time -v`):", "", ct, ""]
    cr = cold_reads(results)
    if cr:
        out += ["Cold reads, for the cold time to first token:", ""] + [f"- {l}" for l in cr] + [""]
    if notes:
        out += ["Notes:", ""] + [f"- {n}" for n in notes] + [""]
    spread_lines = []
    for size in results:
        for prec, row in (size.get("precisions") or {}).items():
            for e in (row["xfc"], row["llama"]):
                main = e.get("runs", {}).get("main") or {}
                parts = [f"{sbs.label_of(k)} {sbs.pct(sbs.spread(main.get(k)))}" for k in keys
                         if sbs.spread(main.get(k)) is not None]
                if parts:
                    spread_lines.append(f"{size['size']} {e['label']}: {', '.join(parts)}")
    if spread_lines:
        out += ["Spread of the repeats ((max - min) / max): " + "; ".join(spread_lines) + ".", ""]
    if bw_loads and max(bw_loads) > 0.10:
        out += [f"Other processes took up to {sbs.pct(max(bw_loads))} of the CPU while membw ran.", ""]
    return "\n".join(out)


# --------------------------------------------------------------------------

def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "),
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 2)[2])
    g = parser.add_argument_group("what")
    g.add_argument("--sizes", default="1b,3b", help="comma-separated of " + ",".join(SIZES) +
                   " (default 1b,3b)")
    g.add_argument("--precisions", default="f16,int8,int4",
                   help="comma-separated of f16,int8,int4 (default all)")
    g.add_argument("--engines", default="xfc,llama", help="xfc,llama (default both)")
    g.add_argument("--threads", type=int, default=2)
    g.add_argument("--repeats", type=int, default=None, help="default 3 (1 with --quick)")
    g.add_argument("--prefill-lens", type=int_list, default=[128, 512])
    g.add_argument("--decode-ctx", type=int, default=64,
                   help="prompt ids before the timed decode steps (default 64)")
    g.add_argument("--gen-len", type=int, default=None,
                   help="decode steps timed (default 64; 16 with --quick)")
    g.add_argument("--ttft-prompt", type=int, default=16,
                   help="prompt ids for the time to first token (default 16)")
    g.add_argument("--ttft-repeats", type=int, default=None, help="default 3 (1 with --quick)")
    g.add_argument("--no-ttft", action="store_true", help="skip the time to first token")
    g.add_argument("--no-cold", action="store_true", help="time to first token warm only")
    g.add_argument("--no-llama-ttft", action="store_true",
                   help="time to first token for xfc only")
    g.add_argument("--llama-configs", default="default",
                   help="llama.cpp configurations measured, the fastest decode reported: "
                        "default (extra buffer types on, flash attention auto), no-extra-bufts "
                        "(extra buffer types off, flash attention auto), fallback (both off) "
                        "(default: default, and fallback when it fails)")
    g.add_argument("--quick", action="store_true",
                   help="a trial of the whole command: 1 repeat, 16 decode steps, no idle waits "
                        "or retries (unless given); the docs say it is a trial")
    g = parser.add_argument_group("paths")
    g.add_argument("--models", default="/work/models-synth",
                   help="DIR/SIZE/model.onnx and model-{f16,q8_0,q4_1}.gguf (default "
                        "/work/models-synth)")
    g.add_argument("--make-models", action="store_true",
                   help="write missing models with bench/synthetic_llama.py (--make-dtype)")
    g.add_argument("--make-dtype", default="f16", choices=["f16", "bf16", "f32"])
    g.add_argument("--xfc", default=os.path.join(ROOT, "build/bin/xfc"))
    g.add_argument("--work", default=os.path.join(ROOT, "build/bench-scale"),
                   help="compiled programs and membw (default build/bench-scale)")
    g.add_argument("--reuse", action="store_true",
                   help="use programs an earlier run compiled into WORK")
    g = parser.add_argument_group("a shared machine")
    g.add_argument("--lock", default=LOCK,
                   help=f"wait while this file exists, hold it while running ('' for neither; "
                        f"default {LOCK})")
    g.add_argument("--lock-wait", type=float, default=7200.0)
    g.add_argument("--wait-idle", type=float, default=None,
                   help="seconds to wait for idle CPUs before each measurement (default 180; "
                        "5 with --quick)")
    g.add_argument("--retries", type=int, default=None,
                   help="measure again when others took over 10%% of the CPU (default 1; 0 "
                        "with --quick)")
    g.add_argument("--timeout", type=int, default=3600,
                   help="seconds before one measured process is killed (default 3600)")
    g.add_argument("--compile-timeout", type=int, default=7200)
    g.add_argument("--max-decode-s", type=float, default=300.0,
                   help="llama.cpp: stop timing one decode measurement after this many seconds "
                        "(default 300)")
    g.add_argument("--membw-mib", type=int, default=1024)
    g = parser.add_argument_group("output")
    g.add_argument("--json", default=None, help="default WORK/results.json")
    g.add_argument("--write-docs", action="store_true",
                   help="replace the section 'Speed at scale (issue 20)' of --docs")
    g.add_argument("--docs", default=os.path.join(ROOT, "docs/benchmarks.md"))
    g.add_argument("--command", default=None, help="the command line to record")
    g.add_argument("--report-only", metavar="JSON", default=None,
                   help="measure nothing: print (and with --write-docs, write) the report of "
                        "an earlier run's results JSON")
    args = parser.parse_args()
    args.sizes = [s for s in args.sizes.split(",") if s]
    args.precisions = [p for p in args.precisions.split(",") if p]
    args.engines = set(e for e in args.engines.split(",") if e)
    args.llama_configs = [c for c in args.llama_configs.split(",") if c]
    for c in args.llama_configs:
        if c not in LLAMA_CONFIGS:
            parser.error(f"--llama-configs: unknown configuration {c!r}")
    for s in args.sizes:
        if s not in SIZES:
            parser.error(f"--sizes: unknown size {s!r}")
    for p in args.precisions:
        if p not in PRECISIONS:
            parser.error(f"--precisions: unknown precision {p!r}")
    if args.repeats is None:
        args.repeats = 1 if args.quick else 3
    if args.ttft_repeats is None:
        args.ttft_repeats = 1 if args.quick else 3
    if args.gen_len is None:
        args.gen_len = 16 if args.quick else 64
    if args.wait_idle is None:
        args.wait_idle = 5 if args.quick else 180
    if args.retries is None:
        args.retries = 0 if args.quick else 1
    args.contexts = [args.decode_ctx]  # the names smollm2_side_by_side's helpers use
    args.trial = args.quick or args.repeats < 2
    args.work = os.path.abspath(args.work)
    args.models = os.path.abspath(args.models)
    args.json = args.json or os.path.join(args.work, "results.json")
    return args


def main():
    if sys.argv[1:3] == ["--worker", "ttft-llama"]:
        return ttft_worker(sys.argv[1:])
    args = parse_args()
    if args.report_only:
        with open(args.report_only) as fh:
            saved = json.load(fh)
        run_args = argparse.Namespace(**saved["args"])
        text = report(saved["results"], run_args, saved["info"],
                      {int(k): v for k, v in saved["bandwidth"].items()}, saved.get("bw_loads", []),
                      saved["xfc_has_weights_flag"], saved["command"], saved["elapsed_s"])
        print(text)
        if args.write_docs:
            write_docs(args.docs, text, HEADER)
            print(f"== wrote the section '{HEADER[3:]}' of {args.docs}")
        return 0
    command = args.command or " ".join(shlex.quote(a) for a in ["bench/scale_side_by_side.py"]
                                       + sys.argv[1:])
    os.makedirs(args.work, exist_ok=True)
    if not os.path.exists(args.xfc) and "xfc" in args.engines:
        for _ in range(10):
            print(f"== {args.xfc} is missing (being rebuilt?): waiting", flush=True)
            time.sleep(30)
            if os.path.exists(args.xfc):
                break
    # SIGTERM ends the run through SystemExit, so the lock is given back.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with MachineLock(args.lock, args.lock_wait):
        t_start = time.time()
        info = sbs.machine_info(args.xfc)
        print("== machine: " + ", ".join(f"{k} {v}" for k, v in info.items()), flush=True)
        has_weights = xfc_has_weights_flag(args.xfc)
        if not has_weights:
            print(f"== {args.xfc} has no --weights flag: int8/int4 compile with --quantize, f16 "
                  f"is skipped", flush=True)
        bw, bw_loads, membw = {}, [], None
        try:
            membw, _ = sbs.build_membw(args.work)
            bw_loads.append(sbs.run_membw(membw, args, bw))
        except (sbs.EngineError, subprocess.CalledProcessError, OSError) as e:
            print(f"== membw failed: {e}", flush=True)
        results = []
        for size in args.sizes:
            print(f"==== {size}", flush=True)
            results.append(run_size(args, size, has_weights))
        if membw:
            try:
                bw_loads.append(sbs.run_membw(membw, args, bw))
            except sbs.EngineError as e:
                print(f"== membw failed: {e}", flush=True)
        elapsed = time.time() - t_start
    with open(args.json, "w") as fh:
        json.dump({"info": info, "bandwidth": bw, "bw_loads": bw_loads, "command": command,
                   "args": {k: (sorted(v) if isinstance(v, set) else v) for k, v in vars(args).items()},
                   "results": results, "xfc_has_weights_flag": has_weights, "elapsed_s": elapsed},
                  fh, indent=1, default=str)
    print(f"== wrote {args.json}", flush=True)
    text = report(results, args, info, bw, bw_loads, has_weights, command, elapsed)
    print("\n" + text)
    if args.write_docs:
        write_docs(args.docs, text, HEADER)
        print(f"== wrote the section '{HEADER[3:]}' of {args.docs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
