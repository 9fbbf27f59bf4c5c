#!/usr/bin/env python3
"""A GGUF copy with every tensor dequantized to F32, or its matrices
requantized to Q8_0 (norms and vectors F32), all metadata kept: the llama.cpp
side of a side-by-side at the precisions xfc compiles (fp32, int8) from the
one quantized file a package ships.

    python3 tools/gguf-to-onnx/gguf_requantize.py SRC.gguf DST.gguf --type f32|q8_0
"""
import argparse
import os
import sys

import numpy as np
import gguf
from gguf import GGMLQuantizationType as QT
from gguf.quants import quantize

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gguf_to_onnx import copy_kv, q8_bytes, tensor_f32  # noqa: E402


def requantize(src, dst, kind):
    reader = gguf.GGUFReader(src)
    arch = reader.fields["general.architecture"].contents()
    writer = gguf.GGUFWriter(dst + ".tmp", arch)
    copy_kv(reader, writer, gguf.LlamaFileType.ALL_F32 if kind == "f32" else gguf.LlamaFileType.MOSTLY_Q8_0)
    to_q8 = {}
    for t in reader.tensors:
        shape = tuple(int(d) for d in reversed(t.shape))
        to_q8[t.name] = kind == "q8_0" and len(shape) == 2 and shape[-1] % 32 == 0
        if to_q8[t.name]:
            qs = q8_bytes(shape)
            writer.add_tensor_info(t.name, qs, np.dtype(np.uint8), int(np.prod(qs)), raw_dtype=QT.Q8_0)
        else:
            writer.add_tensor_info(t.name, shape, np.dtype(np.float32), int(np.prod(shape)) * 4)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for t in reader.tensors:
        a = tensor_f32(t)
        writer.write_tensor_data(quantize(a, QT.Q8_0) if to_q8[t.name] else a)
    writer.close()
    os.replace(dst + ".tmp", dst)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--type", choices=["f32", "q8_0"], required=True)
    args = ap.parse_args()
    requantize(args.src, args.dst, args.type)
    print(f"wrote {args.dst}")


if __name__ == "__main__":
    main()
