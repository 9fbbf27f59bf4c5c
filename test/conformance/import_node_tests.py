#!/usr/bin/env python3
"""Imports every ONNX backend node test that xfc's onnx dialect can express.

Walks onnx/backend/test/data/node of the installed onnx package and selects
each test whose model uses only operators of the default domain that
dialects/ONNX/IR/ONNXOps.td defines (its `def ONNX_...Op : ...<"Name"`
mnemonics), subgraphs included. Each selected model is imported with
`xf-translate --import-onnx`; the importer also checks every graph output
against the type the model declares for it.

Writes a Markdown report (--doc) and prints a summary. Exits 1 if a selected
test fails to import for any reason other than a documented non-goal
(NON_GOALS below, repeated in the report), 2 on bad usage.

  python3 test/conformance/import_node_tests.py \\
      --xf-translate build/bin/xf-translate --doc docs/onnx-node-tests.md
"""
import argparse
import collections
import concurrent.futures
import os
import re
import subprocess
import sys

import onnx

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OPS_TD = os.path.join(REPO_ROOT, "dialects", "ONNX", "IR", "ONNXOps.td")

# What the onnx dialect deliberately does not represent. A selected test that
# fails to import only because it needs one of these is reported, not
# counted as a failure. Keep this list short and justified.
NON_GOALS = {
    "string tensors": (
        "MLIR has no string element type, and xfc's models take token ids: "
        "text is tokenized by the runtime, never inside the graph."
    ),
    "sequence, map and optional values": (
        "Decoder-only transformer exports pass tensors only; the dialect has "
        "no sequence or optional types."
    ),
}


def supported_ops(td_path):
    """The operators of the onnx dialect (ONNXOps.td's mnemonics)."""
    with open(td_path) as f:
        text = f.read()
    return set(re.findall(r'^def\s+ONNX_\w+Op\s*:\s*\w+<"(\w+)"', text, re.M))


def graph_nodes(graph):
    for node in graph.node:
        yield node
        for attr in node.attribute:
            if attr.HasField("g"):
                yield from graph_nodes(attr.g)
            for sub in attr.graphs:
                yield from graph_nodes(sub)


def is_default_domain(domain):
    return domain in ("", "ai.onnx")


def snake_case(op):
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", op).lower()


def tested_operator(name, model, models):
    """The operator a node test is about: its single node, or for a
    function-expanded test the operator of the test it expands."""
    match = re.match(r"(.*)_expanded(_ver\d+)?$", name)
    if match and match.group(1) in models:
        return tested_operator(match.group(1), models[match.group(1)], models)
    nodes = [n for n in model.graph.node if n.op_type != "Constant"] or list(model.graph.node)
    if len(nodes) == 1:
        return nodes[0].op_type
    body = name[len("test_"):]
    candidates = [n.op_type for n in nodes if body.startswith(snake_case(n.op_type))]
    if candidates:
        return max(candidates, key=len)
    return nodes[-1].op_type if nodes else "(empty graph)"


def value_types(model):
    graph = model.graph
    for info in list(graph.input) + list(graph.output) + list(graph.value_info):
        yield info.type
    for node in graph_nodes(graph):
        for attr in node.attribute:
            if attr.HasField("t"):
                yield attr.t.data_type


def non_goal_of(model):
    """The non-goal a model depends on, or None."""
    for t in value_types(model):
        if isinstance(t, int):
            if t == onnx.TensorProto.STRING:
                return "string tensors"
            continue
        kind = t.WhichOneof("value")
        if kind in ("sequence_type", "map_type", "optional_type"):
            return "sequence, map and optional values"
        if kind == "tensor_type" and t.tensor_type.elem_type == onnx.TensorProto.STRING:
            return "string tensors"
    for init in model.graph.initializer:
        if init.data_type == onnx.TensorProto.STRING:
            return "string tensors"
    for node in graph_nodes(model.graph):
        for attr in node.attribute:
            if node.op_type == "Cast" and attr.name == "to" and attr.i == onnx.TensorProto.STRING:
                return "string tensors"
    return None


def select_tests(node_dir, ops, name_filter=""):
    """Every node test's model by name, and the selected ones (only
    operators in `ops`, name matching `name_filter`) mapped to the operator
    each tests."""
    models = {}
    for name in sorted(os.listdir(node_dir)):
        path = os.path.join(node_dir, name, "model.onnx")
        if os.path.isfile(path):
            models[name] = onnx.load(path, load_external_data=False)
    selected = {}
    for name, model in models.items():
        if not re.search(name_filter, name):
            continue
        if all(is_default_domain(n.domain) and n.op_type in ops
               for n in graph_nodes(model.graph)):
            selected[name] = tested_operator(name, model, models)
    return models, selected


def first_error_line(stderr, model_path):
    for line in stderr.splitlines():
        if line.strip():
            return line.replace(model_path, "model.onnx").strip()
    return "(no message)"


def import_model(xf_translate, model_path, timeout):
    try:
        proc = subprocess.run(
            [xf_translate, "--import-onnx", model_path, "-o", os.devnull],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, f"timed out after {timeout} s"
    if proc.returncode == 0:
        return True, None
    if proc.returncode < 0:
        return False, f"crashed (signal {-proc.returncode}): " + first_error_line(proc.stderr, model_path)
    return False, first_error_line(proc.stderr, model_path)


def markdown_escape(text):
    return text.replace("|", "\\|").replace("`", "'")


def write_doc(path, ops, tests, results, outcome):
    total = len(tests)
    selected = sorted(results)
    imported = [t for t in selected if results[t][0]]
    failed = [t for t in selected if outcome[t] == "failed"]
    excused = [t for t in selected if outcome[t] not in ("imported", "failed")]
    by_op = collections.defaultdict(list)
    for t in selected:
        by_op[results[t][2]].append(t)

    out = []
    out.append("# ONNX backend node tests: import")
    out.append("")
    out.append("Generated by `test/conformance/import_node_tests.py` (ctest "
               "`onnx-node-tests-import`) from the node tests of onnx "
               f"{onnx.__version__}; do not edit by hand.")
    out.append("")
    out.append("A test is selected when every node of its model, subgraphs "
               "included, is an operator of the default domain that the onnx "
               f"dialect defines ({len(ops)} operators, from "
               "`dialects/ONNX/IR/ONNXOps.td`). Function-expanded tests "
               "(`*_expanded`) of operators the dialect lacks are selected "
               "when their expansion uses only supported operators; they are "
               "listed under the operator they expand, marked *(expanded)*. "
               "A test passes when `xf-translate --import-onnx` imports it: "
               "every node converts, result types are inferred, and each "
               "graph output's inferred type agrees with the declared one. "
               "Values are not computed here.")
    out.append("")
    out.append("| | tests |")
    out.append("|---|---:|")
    out.append(f"| node tests in onnx {onnx.__version__} | {total} |")
    out.append(f"| not selected: use an operator the dialect lacks | {total - len(selected)} |")
    out.append(f"| selected | {len(selected)} |")
    out.append(f"| imported | {len(imported)} |")
    out.append(f"| not imported: documented non-goal | {len(excused)} |")
    out.append(f"| **failed** | **{len(failed)}** |")
    out.append("")
    out.append("## Non-goals")
    out.append("")
    out.append("Selected tests that fail only because they need one of these "
               "are listed below but not counted as failures.")
    out.append("")
    for goal, why in NON_GOALS.items():
        out.append(f"- **{goal}**: {why}")
    out.append("")
    out.append("## By operator")
    out.append("")
    out.append("| operator | tests | imported | not imported |")
    out.append("|---|---:|---:|---|")
    for op in sorted(by_op, key=str.lower):
        names = by_op[op]
        ok = sum(1 for t in names if results[t][0])
        label = f"`{op}`" if op in ops else f"`{op}` *(expanded)*"
        missing = ", ".join(
            f"`{t}` ({'non-goal' if outcome[t] != 'failed' else 'failure'})"
            for t in names if not results[t][0])
        out.append(f"| {label} | {len(names)} | {ok} | {missing} |")
    out.append("")
    out.append("## Failures")
    out.append("")
    if failed:
        out.append("| test | operator | first line of the error |")
        out.append("|---|---|---|")
        for t in failed:
            out.append(f"| `{t}` | `{results[t][2]}` | {markdown_escape(results[t][1])} |")
    else:
        out.append("None.")
    out.append("")
    out.append("## Not imported: non-goals")
    out.append("")
    if excused:
        out.append("| test | non-goal | first line of the error |")
        out.append("|---|---|---|")
        for t in excused:
            out.append(f"| `{t}` | {outcome[t]} | {markdown_escape(results[t][1])} |")
    else:
        out.append("None.")
    out.append("")
    with open(path, "w") as f:
        f.write("\n".join(out))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--xf-translate", required=True, help="path to xf-translate")
    parser.add_argument("--doc", help="write the Markdown report here")
    parser.add_argument("--node-dir", help="node test folder (default: the installed onnx package's)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--timeout", type=int, default=120, help="seconds per import")
    parser.add_argument("--filter", default="", help="only tests whose name matches this regex")
    args = parser.parse_args()

    node_dir = args.node_dir or os.path.join(
        os.path.dirname(onnx.__file__), "backend", "test", "data", "node")
    if not os.path.isdir(node_dir):
        print(f"error: no node tests at {node_dir}", file=sys.stderr)
        return 2
    if not os.access(args.xf_translate, os.X_OK):
        print(f"error: {args.xf_translate} is not an executable", file=sys.stderr)
        return 2
    ops = supported_ops(OPS_TD)
    if not ops:
        print(f"error: found no ops in {OPS_TD}", file=sys.stderr)
        return 2

    models, selected = select_tests(node_dir, ops, args.filter)

    def run(name):
        path = os.path.join(node_dir, name, "model.onnx")
        ok, error = import_model(args.xf_translate, path, args.timeout)
        return name, ok, error

    results, outcome = {}, {}
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        for name, ok, error in pool.map(run, sorted(selected)):
            results[name] = (ok, error, selected[name])
            if ok:
                outcome[name] = "imported"
            else:
                outcome[name] = non_goal_of(models[name]) or "failed"

    failed = sorted(t for t, o in outcome.items() if o == "failed")
    excused = sorted(t for t, o in outcome.items() if o not in ("imported", "failed"))
    imported = len(results) - len(failed) - len(excused)
    if args.doc:
        write_doc(args.doc, ops, models, results, outcome)
    for name in excused:
        print(f"NON-GOAL {name} ({outcome[name]}): {results[name][1]}")
    for name in failed:
        print(f"FAIL {name}: {results[name][1]}")
    print(f"onnx {onnx.__version__} node tests: {len(models)} in all, "
          f"{len(results)} selected, {imported} imported, "
          f"{len(excused)} not imported (documented non-goals), "
          f"{len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
