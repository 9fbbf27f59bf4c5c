#!/usr/bin/env python3
"""Writes the tokenizer.json and tokenizer_config.json that Hugging Face
transformers writes for a GGUF file, without torch:

  python3 test/tokenizer/gguf_to_hf_tokenizer.py MODEL.gguf OUT_DIR

This is transformers' own path, AutoTokenizer.from_pretrained(folder,
gguf_file=name) then save_pretrained(OUT_DIR), as test/corpus/make_corpus.py
runs it with torch installed. Two places in transformers (5.23) ask for
torch although the tokenizer never uses it: the GGUF reader module imports
torch at the top (for its tensor types), and load_gguf_checkpoint, which
AutoTokenizer calls for the model config only (return_tensors=False),
refuses to start without it. The first gets a placeholder module while it
is imported (removed right after), the second is told torch is there; no
torch code runs. transformers must be installed (requirements.txt pins it;
`pip install transformers` brings no torch).

Exit status: 0 written; 1 an error (message on stderr).
"""

import os
import sys
import types


def convert(gguf_path, out_dir):
    import transformers
    from transformers.utils import is_torch_available
    if is_torch_available():
        import_gates = False  # torch is installed: nothing to work around
    else:
        import_gates = True

        class _Placeholder:
            def __init__(self, *args, **kwargs):
                pass

        stub = types.ModuleType("torch")
        stub.__getattr__ = lambda name: _Placeholder
        sys.modules["torch"] = stub
        try:
            import transformers.integrations.gguf.reader  # noqa: F401
        finally:
            del sys.modules["torch"]
        import transformers.modeling_gguf_pytorch_utils as gguf_utils
        gguf_utils.is_torch_available = lambda: True
    from transformers import AutoTokenizer
    folder, name = os.path.split(os.path.abspath(gguf_path))
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    os.makedirs(out_dir, exist_ok=True)
    tokenizer.save_pretrained(out_dir)
    return "%s (transformers %s%s)" % (type(tokenizer).__name__,
                                       transformers.__version__,
                                       ", without torch" if import_gates
                                       else "")


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    try:
        what = convert(sys.argv[1], sys.argv[2])
    except Exception as e:  # noqa: BLE001 - reported, not hidden
        print("%s: %s: %s" % (sys.argv[1], type(e).__name__, e),
              file=sys.stderr)
        return 1
    print("%s -> %s: %s" % (sys.argv[1], sys.argv[2], what))
    return 0


if __name__ == "__main__":
    sys.exit(main())
