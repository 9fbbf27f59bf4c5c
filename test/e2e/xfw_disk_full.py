#!/usr/bin/env python3
"""A disk that fills while xfc writes leaves nothing half-made (issue 20).

Mounts small tmpfs filesystems (the test runs as root) and compiles the
Llama example into them:
  1. too small for OUT.xfw (fp32, and --quantize=int4, whose scratch file
     then has no room either): xfc exits 1 with a message that names
     OUT.xfw.tmp and says "No space left on device", and the filesystem is
     left empty: no OUT.xfw, OUT.xfw.tmp or OUT, not even the OUT and
     OUT.xfw an earlier compile left there;
  2. room for OUT.xfw but not for the program: exit 1, and again nothing
     stays (OUT.xfw is removed with the program that could not be linked).

Exits 77 (a skip) where it cannot mount, except under CI=true, where that
is a failure.
"""
import argparse
import os
import subprocess
import sys
import tempfile


def sh(*cmd, **kw):
    return subprocess.run(list(cmd), capture_output=True, text=True, **kw)


def cannot_test(why):
    print(f"xfw_disk_full: cannot test: {why}")
    sys.exit(1 if os.environ.get("CI") == "true" else 77)


def compile_into(xfc, model, fs, flags, stale=False):
    out = os.path.join(fs, "model")
    if stale:  # an earlier compile's files
        for path in (out, out + ".xfw"):
            with open(path, "wb") as f:
                f.write(b"old")
    run = sh(xfc, model, "-o", out, *flags)
    left = sorted(os.listdir(fs))
    return run, left, out


def check(name, run, left, expect_in_stderr):
    problems = []
    if run.returncode != 1:
        problems.append(f"exit code {run.returncode}, expected 1")
    for text in expect_in_stderr:
        if text not in run.stderr:
            problems.append(f"stderr does not say {text!r}")
    if left:
        problems.append(f"left behind: {left}")
    if problems:
        print(f"FAIL {name}: " + "; ".join(problems) + "\n--- stderr:\n" + run.stderr)
        return False
    print(f"ok   {name}: {run.stderr.strip().splitlines()[-1]}")
    return True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--xfc", required=True)
    parser.add_argument("--model-script", required=True)
    parser.add_argument("--workdir", required=True)
    args = parser.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    model = os.path.join(args.workdir, "llama.onnx")
    subprocess.run([sys.executable, args.model_script, model], check=True)
    # The sizes a compile writes, from one with room.
    reference = os.path.join(args.workdir, "reference")
    subprocess.run([args.xfc, model, "-o", reference], check=True, capture_output=True)
    xfw_bytes = os.path.getsize(reference + ".xfw")
    program_bytes = os.path.getsize(reference)
    if program_bytes < 2 * 65536:
        cannot_test(f"the program is only {program_bytes} bytes")

    ok = True
    with tempfile.TemporaryDirectory(dir=args.workdir) as fs:
        cases = [
            ("fp32, no room for OUT.xfw", xfw_bytes // 2, [], True),
            ("int4, no room for OUT.xfw", 4096, ["--quantize=int4"], False),
            ("room for OUT.xfw, not for OUT", xfw_bytes + 65536, [], True),
        ]
        for name, size, flags, stale in cases:
            size = (size + 4095) // 4096 * 4096
            mounted = sh("mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", fs)
            if mounted.returncode != 0:
                cannot_test(f"mount -t tmpfs: {mounted.stderr.strip()}")
            try:
                run, left, out = compile_into(args.xfc, model, fs, flags, stale)
                expected = [out + ".xfw.tmp", "No space left on device"]
                if size > xfw_bytes:
                    expected = ["No space left on device"]
                ok &= check(name, run, left, expected)
            finally:
                sh("umount", fs)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
