#!/usr/bin/env python3
"""Compile memory and time at scale (issue 20; not a test: it writes GBs).

Writes a synthetic Llama-shaped ONNX model with external data (the graph of
tools/gguf-to-onnx/gguf_to_onnx.py: optimum's Llama with past, weights
named as in Hugging Face), one tensor at a time so that this script stays
small whatever the size, then compiles it with xfc under /usr/bin/time -v
once per mode (default, --quantize=int8, --quantize=int4) and prints each
run's peak RSS and wall time beside the weights' bytes and the largest
tensor (the aim: peak RSS <= 1.5 GB + the largest tensor).

    python3 bench/compile_memory.py 1b [--modes default,int8,int4]
    python3 bench/compile_memory.py --hidden 1024 --layers 4 --inter 4096 \
        --heads 16 --kv-heads 4 --vocab 8192 [--dtype fp16]

The model goes to --dir (default /work/models-synth/NAME, reused when it
exists; --delete removes it afterwards); each run's program and .xfw go to
a scratch folder there and are removed after the run. The weights are one
random block reused (their values do not change the memory or the time of
a compile), which writes GBs in seconds. --alias-layers stores one layer's
weights and points every layer's initializers at them (legal ONNX: the
compiler still sees, quantizes and writes one tensor per layer), for a
disk that cannot hold the whole model: the compile then reads its weights
from the page cache, so its wall time leaves out the disk.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tools", "gguf-to-onnx"))

import gguf_to_onnx  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402

PRESETS = {  # hidden, layers, heads, kv heads, intermediate
    "1b": (2048, 16, 32, 8, 8192),
    "3b": (3072, 28, 24, 8, 8192),
    "8b": (4096, 32, 32, 8, 14336),
}
MODES = {"default": [], "int8": ["--quantize=int8"], "int4": ["--quantize=int4"]}


class Hparams:
    """What gguf_to_onnx.build_graph reads of a GGUF's hyperparameters."""

    def __init__(self, hidden, layers, heads, kv_heads, inter, vocab):
        self.hidden, self.layers, self.heads, self.kv_heads = hidden, layers, heads, kv_heads
        self.inter, self.vocab = inter, vocab
        self.head_dim = hidden // heads
        self.theta, self.eps, self.context = 500000.0, 1e-5, 8192


def weight_shapes(hp):
    """HF name -> shape as the graph reads it (MatMul weights are [in, out])."""
    kv = hp.kv_heads * hp.head_dim
    shapes = {"model.embed_tokens.weight": (hp.vocab, hp.hidden)}
    for i in range(hp.layers):
        p = f"model.layers.{i}"
        shapes.update({
            f"{p}.input_layernorm.weight": (hp.hidden,),
            f"{p}.self_attn.q_proj.weight": (hp.hidden, hp.hidden),
            f"{p}.self_attn.k_proj.weight": (hp.hidden, kv),
            f"{p}.self_attn.v_proj.weight": (hp.hidden, kv),
            f"{p}.self_attn.o_proj.weight": (hp.hidden, hp.hidden),
            f"{p}.post_attention_layernorm.weight": (hp.hidden,),
            f"{p}.mlp.gate_proj.weight": (hp.hidden, hp.inter),
            f"{p}.mlp.up_proj.weight": (hp.hidden, hp.inter),
            f"{p}.mlp.down_proj.weight": (hp.inter, hp.hidden),
        })
    shapes["model.norm.weight"] = (hp.hidden,)
    shapes["lm_head.weight"] = (hp.hidden, hp.vocab)
    return shapes


def write_model(directory, hp, dtype, alias_layers):
    """model.onnx + model.onnx.data in `directory`; fp16 weights are Cast to
    f32 in the graph (the graph computes in f32)."""
    os.makedirs(directory, exist_ok=True)
    np_type = np.float16 if dtype == "fp16" else np.float32
    onnx_type = TensorProto.FLOAT16 if dtype == "fp16" else TensorProto.FLOAT
    rng = np.random.default_rng(0)
    block = (rng.standard_normal(1 << 24, dtype=np.float32) * 0.02).astype(np_type)
    inits, casts, stored_at = [], [], {}
    with open(os.path.join(directory, "model.onnx.data"), "wb") as f:
        for name, shape in weight_shapes(hp).items():
            count = int(np.prod(shape))
            role = re.sub(r"layers\.\d+\.", "layers.N.", name)
            if alias_layers and role in stored_at:
                offset = stored_at[role]
            else:
                f.write(b"\0" * ((-f.tell()) % 64))
                offset = stored_at[role] = f.tell()
                if len(shape) == 1:  # norms: ones, as a trained model's are near
                    np.ones(count, dtype=np_type).tofile(f)
                else:
                    for start in range(0, count, block.size):
                        block[:min(block.size, count - start)].tofile(f)
            stored = name + ".f16" if dtype == "fp16" else name
            t = TensorProto(name=stored, data_type=onnx_type, dims=list(shape),
                            data_location=TensorProto.EXTERNAL)
            for k, v in (("location", "model.onnx.data"), ("offset", str(offset)),
                         ("length", str(count * block.itemsize))):
                e = t.external_data.add()
                e.key, e.value = k, v
            inits.append(t)
            if dtype == "fp16":
                casts.append(helper.make_node("Cast", [stored], [name], name=f"/cast/{name}",
                                              to=TensorProto.FLOAT))
    model = gguf_to_onnx.build_graph(hp, inits)
    if casts:
        nodes = casts + list(model.graph.node)
        del model.graph.node[:]
        model.graph.node.extend(nodes)
    with open(os.path.join(directory, "model.onnx"), "wb") as f:
        f.write(model.SerializeToString())


def run_xfc(xfc, model, out, flags):
    """(peak RSS bytes, wall seconds, CPU seconds, .xfw bytes) of one
    compile. CPU time (user + system) is the steadier figure on a shared
    machine."""
    start = time.monotonic()
    run = subprocess.run(["/usr/bin/time", "-v", xfc, model, "-o", out] + flags,
                         capture_output=True, text=True)
    wall = time.monotonic() - start
    with open(out + ".log", "w") as log:  # xfc's progress lines: where the time went
        log.write(run.stderr)
    if run.returncode != 0:
        sys.stderr.write(run.stderr)
        raise SystemExit(f"compile_memory: xfc {' '.join(flags)} failed ({run.returncode})")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", run.stderr).group(1)) * 1024
    cpu = sum(float(re.search(rf"{kind} time \(seconds\): ([\d.]+)", run.stderr).group(1))
              for kind in ("User", "System"))
    return rss, wall, cpu, os.path.getsize(out + ".xfw")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("preset", nargs="?", choices=sorted(PRESETS))
    for flag in ("hidden", "layers", "heads", "kv-heads", "inter"):
        parser.add_argument("--" + flag, type=int)
    parser.add_argument("--vocab", type=int, default=49152)
    parser.add_argument("--dtype", choices=("fp32", "fp16"), default="fp32")
    parser.add_argument("--modes", default="default,int8,int4")
    parser.add_argument("--dir", help="the model's folder (default /work/models-synth/NAME)")
    parser.add_argument("--xfc", default=os.path.join(HERE, "..", "build", "bin", "xfc"))
    parser.add_argument("--alias-layers", action="store_true",
                        help="store one layer's weights, every layer reads them")
    parser.add_argument("--delete", action="store_true", help="remove the model afterwards")
    args = parser.parse_args()

    sizes = list(PRESETS[args.preset]) if args.preset else [None] * 5
    for i, flag in enumerate(("hidden", "layers", "heads", "kv_heads", "inter")):
        if getattr(args, flag) is not None:
            sizes[i] = getattr(args, flag)
    if None in sizes:
        parser.error("give a preset or all of --hidden --layers --heads --kv-heads --inter")
    hidden, layers, heads, kv_heads, inter = sizes
    hp = Hparams(hidden, layers, heads, kv_heads, inter, args.vocab)
    name = f"llama-h{hidden}-l{layers}-i{inter}-v{args.vocab}-{args.dtype}"
    if args.alias_layers:
        name += "-aliased"
    directory = args.dir or os.path.join("/work/models-synth", name)
    model = os.path.join(directory, "model.onnx")
    if not os.path.exists(model):
        start = time.monotonic()
        write_model(directory, hp, args.dtype, args.alias_layers)
        print(f"wrote {model} in {time.monotonic() - start:.0f} s")

    shapes = weight_shapes(hp)
    itemsize = 2 if args.dtype == "fp16" else 4
    weights = sum(int(np.prod(s)) for s in shapes.values()) * itemsize
    largest = max(int(np.prod(s)) for s in shapes.values()) * itemsize
    aim = 1.5e9 + largest
    print(f"{name}: {sum(int(np.prod(s)) for s in shapes.values()) / 1e9:.2f}B parameters, "
          f"weights {weights / 1e9:.2f} GB, largest tensor {largest / 1e9:.2f} GB, "
          f"aim: peak RSS <= {aim / 1e9:.2f} GB")
    print(f"{'mode':8} {'peak RSS GB':>11} {'x weights':>9} {'wall s':>7} {'CPU s':>7} {'.xfw GB':>8}  aim")
    scratch = os.path.join(directory, "out")
    try:
        for mode in filter(None, args.modes.split(",")):
            os.makedirs(scratch, exist_ok=True)
            rss, wall, cpu, xfw = run_xfc(args.xfc, model, os.path.join(scratch, "model"), MODES[mode])
            print(f"{mode:8} {rss / 1e9:11.2f} {rss / weights:9.2f} {wall:7.1f} {cpu:7.1f} {xfw / 1e9:8.2f}  "
                  f"{'met' if rss <= aim else 'missed'}", flush=True)
            shutil.copy(os.path.join(scratch, "model.log"), os.path.join(directory, f"xfc-{mode}.log"))
            shutil.rmtree(scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if args.delete:
            shutil.rmtree(directory)


if __name__ == "__main__":
    main()
