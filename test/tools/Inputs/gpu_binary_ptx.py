"""Prints the PTX of the gpu.binary ops in MLIR text on stdin.

The cuda target's `gpu.binary` (format isa) holds each kernel module's PTX
as an escaped string attribute (`assembly = "...\\0A..."`). Without
arguments this prints every module's PTX, for FileCheck. With
`--ptxas PTXAS --arch SM` it assembles each module on its own (a PTX file
has one .version) with `PTXAS -v` and prints what ptxas reports, for the
register and spill checks; a failing ptxas fails the script.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile


def modules(text):
    pattern = r'gpu\.binary @(\w+).*?assembly = "((?:[^"\\]|\\.)*)"'
    for match in re.finditer(pattern, text, re.S):
        ptx = re.sub(r'\\(\\|"|[0-9A-Fa-f]{2})',
                     lambda m: m.group(1) if len(m.group(1)) == 1
                     else chr(int(m.group(1), 16)), match.group(2))
        yield match.group(1), ptx


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ptxas")
    parser.add_argument("--arch", default="sm_90a")
    args = parser.parse_args()
    found = list(modules(sys.stdin.read()))
    if not found:
        sys.exit("no gpu.binary with PTX (format isa) on stdin")
    for name, ptx in found:
        if not args.ptxas:
            sys.stdout.write(ptx)
            continue
        with tempfile.TemporaryDirectory() as scratch:
            path = os.path.join(scratch, name + ".ptx")
            with open(path, "w") as f:
                f.write(ptx)
            result = subprocess.run(
                [args.ptxas, "-arch=" + args.arch, "-v", path,
                 "-o", os.path.join(scratch, name + ".cubin")],
                capture_output=True, text=True)
            sys.stdout.write(result.stdout + result.stderr)
            if result.returncode != 0:
                sys.exit("ptxas failed on " + name)


main()
