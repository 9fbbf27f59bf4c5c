# lit configuration for xfc's FileCheck tests.
import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "xfc"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.xf_obj_root, "test")
config.excludes = ["Inputs", "lit.cfg.py", "unit", "conformance", "fuzz", "CMakeLists.txt"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(("%xf_src_root", config.xf_src_root))
# The C++ compiler, for tests that compile runtime headers.
config.substitutions.append(("%cxx", config.cxx_compiler))
# The runtime's kernels and thread pool, for mlir-runner -shared-libs.
config.substitutions.append(
    ("%xfrt_kernels", os.path.join(config.xf_obj_root, "runtime", "libxfrt_kernels.so")))

# ptxas (found when xfc was configured): the cuda target's PTX is checked
# for spills. CI has the toolkit on every machine, so there it must be found.
if config.cuda_ptxas and not config.cuda_ptxas.endswith("-NOTFOUND"):
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", config.cuda_ptxas))
elif os.environ.get("CI") == "true":
    lit_config.fatal("CI: ptxas was not found (XF_CUDA_ROOT, /usr/local/cuda)")

llvm_config.with_system_environment(["HOME", "TMP", "TEMP", "PYTHONPATH"])
llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

tool_dirs = [config.xf_tools_dir, config.llvm_tools_dir]
tools = ["xf-opt", "xf-translate", "xfc", "xf-run", "mlir-runner"]
llvm_config.add_tool_substitutions(tools, tool_dirs)
