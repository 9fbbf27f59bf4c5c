//===- Passes.td - xfc code generation passes --------------*- tablegen -*-===//

#ifndef XF_CODEGEN_PASSES_TD
#define XF_CODEGEN_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertONNXToLinalgPass : Pass<"xf-convert-onnx-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lowers onnx ops to linalg, tensor, arith and math";
  let description = [{
    Rewrites every onnx op into upstream tensor-level dialects: elementwise
    ops and broadcasting into `linalg.generic`, MatMul/Gemm into
    `linalg.batch_matmul`/`linalg.matmul` (with broadcasting of batch
    dimensions), reductions into `linalg.reduce` or `linalg.generic`, data
    movement into `tensor` ops or `linalg.generic` with index arithmetic, and
    `onnx.Constant` into `arith.constant` (dense resources stay resources).
    Dynamic dimensions are read with `tensor.dim`. Where ONNX broadcasting
    (or another rule between two operands' sizes: MatMul's contraction
    dimension, Concat's other dimensions, Expand's target) meets a dimension
    that is dynamic, the symbolic shape analysis
    (dialects/ONNX/IR/SymbolicShapes.h) decides: a dimension proven equal to
    the size the op needs is used as it is, with no run-time code; any other
    is checked with `xf.check_dim` and, for a broadcast, copied along the
    dimension under an `scf.if` when it is 1 at run time. Unsigned ONNX
    integers become signless integers with unsigned arithmetic where it
    matters (division, comparison, casts).
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::tensor::TensorDialect",
    "::mlir::scf::SCFDialect", "::mlir::func::FuncDialect",
    "::xf::XF::XFDialect"
  ];
}

def LowerShapeChecksPass
    : Pass<"xf-lower-shape-checks", "::mlir::ModuleOp"> {
  let summary = "Turns xf.check_dim into calls of the runtime's xfrt_shape_error";
  let description = [{
    Each `xf.check_dim` becomes a comparison and, under an `scf.if` taken
    only when the sizes break the rule, a call of
    `xfrt_shape_error(message, size, expected, broadcast)`
    (runtime/include/xf/Kernels.h), which prints `error: <message> ...` and
    exits with status 1. The message is a constant string (an
    `llvm.mlir.global`) passed, like the kernels' pointers, as an i64. This
    pass declares the function; it is the only place the compiler does.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::scf::SCFDialect",
    "::mlir::func::FuncDialect", "::mlir::LLVM::LLVMDialect"
  ];
}

def SimplifyMathPass : Pass<"xf-simplify-math", "::mlir::func::FuncOp"> {
  let summary = "Rewrites math ops with constant operands into cheaper ones";
  let description = [{
    Applies upstream's algebraic simplification of `math` ops: `powf` with
    a constant exponent of 2, 3, 0.5, -1, ... becomes multiplications,
    `sqrt` or a division (exporters write RMSNorm's square as `Pow(x, 2)`,
    which would otherwise call `powf` per element). Run it after elementwise
    fusion, which moves splat constants into the bodies of linalg ops.

    With `inline-math` (the default), `math.exp` and `math.erf` on f32
    become upstream's polynomial approximations: inline code that LLVM
    vectorizes, where calls to libm's expf and erff are scalar (and expf
    takes a slow path for every underflow: each masked attention score is
    one). Their error is far below the 1e-4 the end-to-end tests allow
    against onnxruntime, and the ONNX node tests of Exp, Erf, Softmax and
    the GELU models still pass.
  }];
  let options = [
    Option<"inlineMath", "inline-math", "bool", /*default=*/"true",
           "Replace math.exp and math.erf by inline polynomial approximations">,
  ];
  let dependentDialects = ["::mlir::math::MathDialect", "::mlir::arith::ArithDialect", "::mlir::vector::VectorDialect"];
}

def DeallocAfterLastUsePass
    : Pass<"xf-dealloc-after-last-use", "::mlir::func::FuncOp"> {
  let summary = "Moves each buffer's dealloc to right after its last use";
  let description = [{
    Upstream's ownership-based buffer deallocation frees a buffer at the end
    of the block that allocates it. A model's forward is one block, so every
    activation of every layer stayed allocated until the function returned:
    a 1024-token SmolLM2 prefill held 1.2 GB of them at once, and each
    layer wrote into memory no earlier layer had warmed. This pass moves an
    unconditional `memref.dealloc` of a `memref.alloc` of the same block up
    to just after the last op of that block that uses the buffer or any
    value derived from it (views, casts, loop-carried and yielded aliases,
    pointers taken as integers), so the allocator hands the memory to the
    next layer. Conditional deallocs (dynamic ownership) stay where they
    are. Run it after convert-bufferization-to-memref, before anything
    outlines loop bodies or passes buffers through memory.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def ContiguousInnerLoopPass : Pass<"xf-contiguous-inner-loop", "::mlir::func::FuncOp"> {
  let summary = "Moves reductions out of the innermost loop of contractions";
  let description = [{
    A contraction written as loops (m, n, k) reads B[k, n] with a stride of
    a whole row in its innermost loop, and LLVM cannot vectorize that. For a
    `linalg.generic` whose innermost loop is a reduction and whose output's
    last dimension is a parallel loop, this pass interchanges loops so that
    parallel loop is innermost: (m, k, n), where every operand indexed by it
    is read contiguously. Run it on generalized ops before loops are made.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def FuseElementwisePass : Pass<"xf-fuse-elementwise"> {
  let summary = "Fuses elementwise linalg ops, but never into a contraction";
  let description = [{
    Upstream's `linalg-fuse-elementwise-ops` (producer with one use fused
    into its consumer, reshapes propagated by expansion, constants folded),
    except that no producer is fused into a contraction. A contraction that
    keeps its multiply-add body becomes a call of the runtime's matmul kernel
    (`xf-lower-contractions-to-microkernels`), and a producer fused into it
    would be recomputed at every step of the reduction.
  }];
  let dependentDialects = [
    "::mlir::affine::AffineDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def LowerContractionsToMicrokernelsPass
    : Pass<"xf-lower-contractions-to-microkernels", "::mlir::ModuleOp"> {
  let summary = "Replaces f32 matmuls on buffers by calls of the runtime's kernel";
  let description = [{
    Rewrites each f32 contraction on memrefs (`linalg.matmul`,
    `linalg.batch_matmul`, or a `linalg.generic` with a multiply-add body)
    with exactly one m, one n and one k loop and at most two outer loops
    (batch loops, further m loops) into a call of `xfrt_matmul_f32`, the
    runtime's blocked, vectorized (AVX-512 / AVX2+FMA / SSE2, picked at run
    time) and threaded matmul. Every operand is passed as its address and one
    stride per loop, 0 where it does not depend on the loop, so transposed
    and broadcast operands need no copies. The ABI is written down in
    runtime/include/xf/Kernels.h. Contractions of other shapes or element
    types stay linalg ops and become loops.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
    "::mlir::memref::MemRefDialect"
  ];
}

def LowerQLinearToMicrokernelsPass
    : Pass<"xf-lower-qlinear-to-microkernels", "::mlir::ModuleOp"> {
  let summary = "Replaces f32 xf.qlinear by calls of the runtime's quantized matmul";
  let description = [{
    Rewrites each `xf.qlinear` on an f32 input of rank >= 2 with f32 scales
    into a call of `xfrt_qmatmul_f32` (runtime/include/xf/Kernels.h: int8 or
    int4 codes decoded and scaled in vector registers, threaded, one pass
    over the weights per decode step). Runs on tensors, before
    `xf-convert-xf-to-linalg` (which would otherwise give the reference
    decode-in-the-body contraction) and so before bufferization: operands
    become buffers (the input's leading dimensions are M rows) through
    `bufferization.to_buffer read_only` (identity layouts: no copy for
    arguments bufferized with identity layouts and fresh results),
    the result is a zero-filled [..., N] allocation returned through
    `bufferization.to_tensor restrict writable`; a bias
    becomes an `onnx.Add`. Other qlinear ops are left to the reference
    lowering.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
    "::mlir::memref::MemRefDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
    "::xf::ONNX::ONNXDialect"
  ];
}

def LowerAttentionPass : Pass<"xf-lower-attention"> {
  let summary = "Lowers xf.attention and xf.paged_attention to online-softmax (flash) loops";
  let description = [{
    Rewrites each `xf.attention` into an `scf.forall` over (batch,
    query head, query tile) whose body runs an `scf.for` over key/value
    tiles, carrying the running row maximum, the running row sum and the
    unnormalized output tile (online softmax): per step
    `S = scale * Q K^T + mask`, `m' = max(m, rowmax S)`, `P = exp(S - m')`,
    `l' = exp(m - m') l + rowsum P`, `acc' = exp(m - m') acc + P V`; the
    tile's output is `acc / l`. The largest intermediate is one
    [query-tile, kv-tile] block: no [Sq, Skv] score matrix is built. With
    `causal`, the key loop ends at the last key the tile's last query sees
    (tiles above the diagonal are never visited) and only the diagonal tile
    is masked per element. Grouped-query heads read their key/value head
    directly (no repeated K/V). The two contractions per step are plain
    multiply-add `linalg.generic`s, which the CPU pipeline turns into calls
    of the runtime's matmul kernel. f16 and bf16 attention is computed in
    f32 tiles (scores, softmax, sums) and stored back in its own type; f64
    in f64.

    `xf.paged_attention` reads the pools block by block: it reads the block
    id from `block_table[b, n]` (i32 or i64, cast to index) and takes the K
    and V tiles as [tk, D] views of the pools at that block, contiguous along
    head_dim, so nothing is gathered or copied. Query row `i` sits at
    position `context_lens[b] - Sq + i`; with `causal` only keys that cross
    the diagonal (or fall behind a row's window) are masked per element (an
    `scf.if`), so a decode step's blocks take no mask. The query is scaled
    once. Rows at a negative position (left padding) give zero rows, with or
    without `causal`. More than 16 query rows (prefill) get the forall and
    online softmax above, one block per key step, multiplying through plain
    contractions (matmul kernel calls for f32). Up to 16 (decode, a
    speculative verify step; an `scf.if` on Sq when it is dynamic) get flash
    decoding: a forall over (batch, KV head, partition of 256 keys fixed by
    position) computes, for the query rows of all the q heads of the KV group
    (one head per item when that leaves fewer than 8 items), the partition's
    row max m, row sum l and unnormalized P V, and linalg generics after it
    combine the partitions per row (M = max m_s, out = sum_s exp(m_s - M)
    acc_s / sum_s exp(m_s - M) l_s). Its products are loops: Q K^T as dot
    products over head_dim whose adds may be reassociated (LLVM vectorizes
    them), P V as an fma contraction whose innermost loop runs along
    head_dim; a kernel call per 16-key block costs more than its arithmetic
    at decode sizes. Each of those rows gets the bits it gets alone.
  }];
  let options = [
    Option<"queryTile", "query-tile", "int64_t", /*default=*/"64",
           "Queries per tile (rows of the score block)">,
    Option<"kvTile", "kv-tile", "int64_t", /*default=*/"128",
           "Keys per tile (columns of the score block); 64 x 128 f32 scores "
           "plus the K and V tiles of head_dim 64 stay within L2. Paged "
           "attention steps one pool block at a time instead">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def ConvertXFToLinalgPass : Pass<"xf-convert-xf-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lowers xf ops (all but the attention ops) to linalg, tensor, arith, math and scf";
  let description = [{
    Reference lowerings of the `xf` ops that the fusion passes produce, each
    following the semantics and layouts of the op's description. Dynamic
    dimensions are read with `tensor.dim`; statistics, accumulators and
    transcendental functions are computed in at least f32 and cast back
    once.

    - `xf.rms_norm`, `xf.layer_norm`: a `linalg.generic` reducing the last
      dimension (two for layer_norm: mean, then squared deviations), a
      per-row `1 / sqrt(. / D + epsilon)`, and an elementwise normalization.
    - `xf.rope`: one elementwise `linalg.generic` whose body reads the
      partner element and the cos/sin entries with `tensor.extract`; both
      styles, [S, R/2] and [B, S, R/2] tables, elements past `R` copied.
    - `xf.linear`: a contraction `linalg.generic` over (leading dims, n, k)
      that reads the [N, K] weight at [n, k]. For f32 its body is a plain
      multiply-add, so `xf-lower-contractions-to-microkernels` calls the
      runtime's matmul for it (transposed B as strides, no copy); narrower
      floats accumulate in f32. The bias add and any cast back are a
      separate elementwise `linalg.generic` after it.
    - `xf.qlinear`: the same contraction reading the packed int8/int4 codes
      through `(n, k floordiv 2)` for int4, and scales and zero points
      through `(n, k floordiv group_size)`; the body decodes the code
      (nibble chosen by the parity of `k`, signed iff `symmetric`), subtracts
      the zero point and scales it, so no float weight is materialized. A
      reference lowering: correct, not fast.
    - `xf.gelu` (erf and tanh forms), `xf.silu`, `xf.swiglu`: one
      elementwise `linalg.generic` each.
    - `xf.embedding`: a `linalg.generic` over the result that reads the row
      with `tensor.extract`, the id clamped into [0, V).
    - `xf.kv_cache_write`: `scf.for` loops over (batch, token) inserting each
      token's [Hkv, 1, D] slice into its slot with `tensor.insert_slice`;
      slots that are negative or past the pool write nothing. One-shot
      bufferization makes the writes in place when the old pools are dead;
      pools that are function arguments (writable by default) are written
      in the caller's buffers, with no copy, whether or not the function
      returns them.

    `xf.attention` and `xf.paged_attention` are left alone
    (`xf-lower-attention` lowers them). Run this pass before
    elementwise fusion and bufferization.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def OutlineParallelLoopsPass
    : Pass<"xf-outline-parallel-loops", "::mlir::ModuleOp"> {
  let summary = "Runs outermost scf.forall loops on the runtime's thread pool";
  let description = [{
    For each outermost `scf.forall` on buffers (no results, lower bounds 0,
    steps 1) the body is outlined into a private function
    `(context: !llvm.ptr, item: i64)` that loads the values the body
    captures from `context` and recovers the induction variables from the
    linear item number, and the loop becomes a call of the runtime's
    `xfrt_parallel_for(count, body, context)`. Captured memrefs, indices,
    integers and floats travel in their LLVM form (descriptor structs, i64)
    through unrealized casts that the LLVM conversion resolves. Loops with
    other captures, or not normalized, are left alone and run sequentially.
    The flash-attention lowering's (batch, head, query tile) loop is the one
    this exists for.
  }];
  let dependentDialects = [
    "::mlir::LLVM::LLVMDialect", "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect"
  ];
}

def AddPackedEntryPointPass
    : Pass<"xf-add-packed-entry-point", "::mlir::ModuleOp"> {
  let summary = "Adds xf_packed_main(void **args), which calls the model";
  let description = [{
    On a module in the LLVM dialect: adds `void xf_packed_main(void **args)`
    calling `_mlir_ciface_<function>(args[0], ..., args[n-1])`, so that the
    runtime (or xf-run) calls the model without knowing its arity.
    `function` must have been lowered with `llvm.emit_c_interface`
    (`xf-prepare-model-function`). A layers draft's `xf_draft_model`
    (xf-insert-speculative-decode) gets `xf_draft_packed_main` likewise.
    With another `entry-point` (a draft model linked into the program
    beside the model) every other function and global the module defines
    becomes internal, so that the two objects' helpers do not clash.
  }];
  let options = [
    Option<"function", "function", "std::string", /*default=*/"\"xf_model\"",
           "the model function the entry point calls">,
    Option<"entryPoint", "entry-point", "std::string",
           /*default=*/"\"xf_packed_main\"",
           "the entry point's name (xf_draft_packed_main for a draft model "
           "linked into the same program)">,
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

//===----------------------------------------------------------------------===//
// The CUDA target (xfc --target=cuda): the gpu phase
//===----------------------------------------------------------------------===//

def DeviceBuffersPass : Pass<"xf-device-buffers", "::mlir::func::FuncOp"> {
  let summary = "Places a CUDA program's buffers in device or managed memory";
  let description = [{
    Runs on bufferized code whose parallel loops (scf.parallel,
    scf.forall) are about to become kernels. Where each buffer's elements
    are used decides where it lives:

    - a host `memref.alloc` only kernels use (inside a parallel loop, or a
      linalg op with loops) becomes a `gpu.alloc` in device memory (the
      async form, waited for at once: gpu-to-llvm lowers only that one);
      one that host code reads or writes too (a load or store outside
      kernels, a 0-d linalg op, a reshape's shape operand, a call, a
      returned result) becomes a `gpu.alloc host_shared` (managed memory,
      which both sides reach). `memref.dealloc` becomes `gpu.dealloc`.
    - a `memref.get_global` a kernel reads is copied into such a buffer
      (`gpu.memcpy`), freed at the end of its block.
    - a `memref.alloc` inside a kernel of a static size, or of a size with
      a constant upper bound (a last, partial tile), becomes the thread's
      own `memref.alloca` (viewed at its size); others stay, and
      xf-check-cuda-host-code refuses them.
    - `memref.copy` becomes `linalg.copy` (a kernel, later).
    - each argument host code reads gets `xf.host_accessible`: the runtime
      must pass it in managed memory.

    ```mlir
    %b = memref.alloc(%n) : memref<?xf32>
    memref.copy %a, %b : memref<?xf32> to memref<?xf32>
    // becomes
    %t = gpu.wait async
    %b, %t1 = gpu.alloc async [%t] (%n) : memref<?xf32>
    gpu.wait [%t1]
    linalg.copy ins(%a : memref<?xf32>) outs(%b : memref<?xf32>)
    ```
  }];
  let dependentDialects = [
    "::mlir::affine::AffineDialect", "::mlir::gpu::GPUDialect",
    "::mlir::linalg::LinalgDialect"
  ];
}

def MapParallelLoopsToGpuPass
    : Pass<"xf-map-parallel-loops-to-gpu", "::mlir::func::FuncOp"> {
  let summary = "Maps each outermost scf.parallel to a 1-D grid of blocks";
  let description = [{
    Every outermost `scf.parallel` (not inside another one or a
    `gpu.launch`) is collapsed to one dimension, tiled by `block-size`
    (the tile loop's bound is the block size, with the remainder guarded by
    an `scf.if`, so the launch has a constant block), and mapped: tiles to
    `block_x`, the iterations of a tile to `thread_x`. Parallel loops
    nested inside become scf.for loops their thread runs. A buffer the
    loop reads from above with dynamic sizes or a strided layout is passed
    as its base buffer (0-d) and its offset, sizes and strides, and
    rebuilt inside with `memref.reinterpret_cast`: the kernels' bare-pointer
    arguments cannot carry sizes. Then `convert-parallel-loops-to-gpu`
    makes each loop a `gpu.launch` (without canonicalization in between,
    which would fold the rebuilt views away).

    This is the naive first stage of the CUDA target: one thread per
    output element, reductions sequential in the thread, no shared
    memory. It is correct for any parallel loop nest; it is not fast.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "threads per block">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::gpu::GPUDialect",
    "::mlir::scf::SCFDialect"
  ];
}

def CheckCudaHostCodePass
    : Pass<"xf-check-cuda-host-code", "::mlir::ModuleOp"> {
  let summary = "Refuses host code that would touch device memory";
  let description = [{
    After kernel outlining, the host functions of a CUDA program may
    compute sizes and views, manage device memory, launch kernels and call
    the run-time shape check, and read and write only buffers both sides
    reach: managed memory (`gpu.alloc host_shared`), host memory the
    kernels do not get, the arguments marked `xf.host_accessible`. Any
    other host op (a load of a buffer in device memory, a `memref.reshape`
    whose shape operand is one, a call of a CPU kernel, a launch that
    passes host memory to a kernel) and any allocation left in a kernel is
    reported with its location as "--target=cuda cannot yet lower
    'memref.load' on the host: ...", once per kind of op and reason with a
    count of the others. The pass fails if it reports anything: xfc then
    writes no output, rather than a program that would read host memory
    on the device or device memory on the host.
  }];
}

#endif // XF_CODEGEN_PASSES_TD
