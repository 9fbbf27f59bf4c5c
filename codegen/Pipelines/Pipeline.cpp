//===- Pipeline.cpp - xfc's pass pipeline, onnx -> LLVM dialect -----------===//

#include "codegen/Pipelines/Pipeline.h"
#include "codegen/Passes.h"
#include "passes/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassOptions.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace xf;

std::optional<XfcPhase> xf::parseXfcPhase(StringRef name) {
  return llvm::StringSwitch<std::optional<XfcPhase>>(name)
      .Case("onnx", XfcPhase::ONNX)
      .Case("xf", XfcPhase::XF)
      .Case("linalg", XfcPhase::Linalg)
      .Case("gpu", XfcPhase::GPU)
      .Case("llvm", XfcPhase::LLVM)
      .Default(std::nullopt);
}

StringRef xf::stringifyXfcPhase(XfcPhase phase) {
  switch (phase) {
  case XfcPhase::ONNX: return "onnx";
  case XfcPhase::XF: return "xf";
  case XfcPhase::Linalg: return "linalg";
  case XfcPhase::GPU: return "gpu";
  case XfcPhase::LLVM: return "llvm";
  }
  llvm_unreachable("unknown phase");
}

ArrayRef<StringRef> xf::cudaChips() {
  static const StringRef chips[] = {"sm_90a", "sm_80"};
  return chips;
}

// Found by CMake (codegen/CMakeLists.txt) when xfc was configured.
StringRef xf::cudaLibdevicePath() { return XF_CUDA_LIBDEVICE; }
StringRef xf::cudaToolkitPath() { return XF_CUDA_TOOLKIT; }

bool xf::parseXfcTarget(StringRef spec, XfcPipelineOptions &options,
                        std::string &error) {
  auto [name, chip] = spec.split(':');
  if (name == "cpu" && !spec.contains(':')) {
    options.target = XfcTarget::CPU;
    return true;
  }
  if (name != "cuda") {
    error = ("unknown target '" + spec + "' (cpu, cuda[:sm_80|sm_90a])").str();
    return false;
  }
  if (!spec.contains(':'))
    chip = cudaChips().front();
  if (!llvm::is_contained(cudaChips(), chip)) {
    error = ("unknown CUDA chip '" + chip + "' (sm_80, sm_90a)").str();
    return false;
  }
  options.target = XfcTarget::CUDA;
  options.cudaChip = chip.str();
  return true;
}

FuseONNXToXFPassOptions xf::fusionOptionsWithout(ArrayRef<std::string> noFuse,
                                                 std::string *unknown) {
  FuseONNXToXFPassOptions options;
  for (const std::string &family : noFuse) {
    if (family == "all")
      options.attention = options.norms = options.rope = options.activations =
          options.linear = false;
    else if (family == "attention")
      options.attention = false;
    else if (family == "norms")
      options.norms = false;
    else if (family == "rope")
      options.rope = false;
    else if (family == "activations")
      options.activations = false;
    else if (family == "linear")
      options.linear = false;
    else if (unknown && unknown->empty())
      *unknown = family;
  }
  return options;
}

namespace {

/// Folding and shape inference feed each other (a dimension inferred
/// static lets Gather(Shape(x)) fold, which makes a Reshape's target
/// constant, which makes the next type static): alternate them a few times.
void addShapeSimplification(OpPassManager &pm, int rounds) {
  for (int round = 0; round < rounds; ++round) {
    pm.addPass(createCanonicalizerPass());
    pm.addNestedPass<func::FuncOp>(createONNXInferShapesPass());
  }
}

/// onnx -> xf for a language-model program.
void addModelGraphPasses(OpPassManager &pm, const XfcPipelineOptions &options) {
  // First, on the graph as imported: everything after it sees f32 compute.
  PromoteToF32PassOptions promote;
  promote.weightType = options.weightType;
  pm.addPass(createPromoteToF32Pass(promote));
  // Roles are found on folded, typed IR; the signature is checked by role.
  addShapeSimplification(pm, 1);
  pm.addPass(createIdentifyModelRolesPass());
  pm.addPass(createCheckModelSignaturePass());
  // The program never pads inside a sequence: attention_mask is all ones,
  // and what it fed folds away in the rounds after it.
  pm.addPass(createBindAttentionMaskPass());
  addShapeSimplification(pm, 3);
  // Fusion reads weights as constants, so it runs before they are outlined.
  pm.addPass(createFuseONNXToXFPass(options.fusion));
  InsertKVCachePassOptions kvCache;
  kvCache.blockSize = options.kvBlockSize;
  kvCache.strict = options.strictKVCache;
  pm.addPass(createInsertKVCachePass(kvCache));
  pm.addPass(createSelectLogitsRowsPass());
  if (options.exposeLinearInputGrams)
    pm.addPass(createExposeLinearInputGramsPass());
  // So does quantization, which replaces them with packed ones.
  if (options.quantization)
    pm.addPass(createQuantizeWeightsPass(*options.quantization));
  pm.addPass(createOutlineWeightsPass());
  // After outlining: a layers draft takes the target's weight arguments.
  if (options.speculative) {
    InsertSpeculativeDecodePassOptions speculation;
    speculation.draftLayers = options.draftLayers;
    pm.addPass(createInsertSpeculativeDecodePass(speculation));
  }
}

/// onnx -> xf for any graph: what it folds to, fused.
void addGraphPasses(OpPassManager &pm, const XfcPipelineOptions &options) {
  addShapeSimplification(pm, 2);
  pm.addPass(createFuseONNXToXFPass(options.fusion));
}

/// xf and onnx -> linalg on tensors.
void addLinalgPasses(OpPassManager &pm, const XfcPipelineOptions &options) {
  if (options.modelFunction) {
    PrepareModelFunctionPassOptions prepare;
    prepare.function = options.modelFunctionName;
    pm.addPass(createPrepareModelFunctionPass(prepare));
  }
  // A second round, deliberately: xf-insert-kv-cache and
  // xf-select-logits-rows add shape arithmetic (the views of the query as
  // sequences, the positions' reshapes) that folds and types only now, and
  // the weights are arguments by now, so no weight is folded.
  if (options.languageModel)
    addShapeSimplification(pm, 1);
  pm.addNestedPass<func::FuncOp>(createCheckDimParamsPass());
  // The microkernel is the CPU runtime's; on the GPU xf.qlinear lowers to
  // linalg (dequantize in the product) like any xf op.
  if (options.target == XfcTarget::CPU)
    pm.addPass(createLowerQLinearToMicrokernelsPass());
  pm.addPass(createConvertXFToLinalgPass());
  pm.addNestedPass<func::FuncOp>(createLowerAttentionPass());
  pm.addPass(createConvertONNXToLinalgPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addNestedPass<func::FuncOp>(createFuseElementwisePass());
  pm.addNestedPass<func::FuncOp>(createSimplifyMathPass());
  pm.addNestedPass<func::FuncOp>(createLinalgGeneralizeNamedOpsPass());
  // For the CPU's vectorizer; a GPU thread wants the reduction innermost,
  // so that the parallel loops around it become one kernel.
  if (options.target == XfcTarget::CPU)
    pm.addNestedPass<func::FuncOp>(createContiguousInnerLoopPass());
}

/// Bufferization and deallocation, as both targets do them.
void addBufferizationPasses(OpPassManager &pm) {
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::BufferDeallocationPipelineOptions deallocation;
  bufferization::buildBufferDeallocationPipeline(pm, deallocation);
  pm.addPass(createConvertBufferizationToMemRefPass());
  pm.addNestedPass<func::FuncOp>(createDeallocAfterLastUsePass());
  pm.addPass(createLowerShapeChecksPass());
}

/// linalg -> buffers in device memory, each parallel loop a kernel outlined
/// into a gpu.module; the host code that is left checked (cuda target).
void addGpuPasses(OpPassManager &pm, const XfcPipelineOptions &options) {
  addBufferizationPasses(pm);
  pm.addNestedPass<func::FuncOp>(createForallToParallelLoopPass());
  pm.addNestedPass<func::FuncOp>(createDeviceBuffersPass());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  MapParallelLoopsToGpuPassOptions map;
  map.blockSize = options.cudaBlockSize;
  pm.addNestedPass<func::FuncOp>(createMapParallelLoopsToGpuPass(map));
  pm.addPass(createConvertParallelLoopToGpuPass());
  // Canonicalization only once the kernels are apart: before, it would
  // fold their rebuilt views (xf-map-parallel-loops-to-gpu) back into the
  // dynamic memrefs that bare-pointer arguments cannot carry.
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCheckCudaHostCodePass());
}

/// gpu.module -> NVVM -> PTX (and a cubin, in a fatbin, when ptxas was
/// Math and 16-bit floats on the host, before the LLVM conversion.
void addHostFloatPasses(OpPassManager &pm) {
  // Math on bf16 and f16 in f32 (x86 has no such instructions; LLVM would
  // call compiler-rt, which the program does not link).
  pm.addPass(math::createMathExtendToSupportedTypes());
  // Integer powers have no LLVM intrinsic: math-to-funcs writes a loop.
  pm.addPass(createConvertMathToFuncs());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  // bf16 arithmetic in f32, and bf16 <-> f32 as integer shifts and
  // rounding: without AVX512-BF16, LLVM calls compiler-rt's __truncsfbf2,
  // which the program does not link.
  arith::ArithEmulateUnsupportedFloatsOptions emulate;
  emulate.sourceTypeStrs = {"bf16"};
  pm.addPass(arith::createArithEmulateUnsupportedFloats(emulate));
  arith::ArithExpandOpsPassOptions expand;
  expand.includeBf16 = true;
  pm.addPass(arith::createArithExpandOpsPass(expand));
}

/// found); the host code -> LLVM dialect calling MLIR's mgpu* functions.
void addCudaLLVMPasses(OpPassManager &pm, const XfcPipelineOptions &options) {
  GpuNVVMAttachTargetOptions target;
  target.chip = options.cudaChip;
  if (!cudaLibdevicePath().empty())
    target.linkLibs.push_back(cudaLibdevicePath().str());
  pm.addPass(createGpuNVVMAttachTarget(target));
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  ConvertGpuOpsToNVVMOpsOptions nvvm;
  // Kernel arguments are plain pointers, not memref descriptors.
  nvvm.useBarePtrCallConv = true;
  pm.addNestedPass<gpu::GPUModuleOp>(createConvertGpuOpsToNVVMOps(nvvm));
  // The host: what the CPU path does after its loops, less the kernels.
  addHostFloatPasses(pm);
  GpuToLLVMConversionPassOptions launches;
  launches.kernelBarePtrCallConv = true;
  pm.addPass(createGpuToLLVMConversionPass(launches));
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  GpuModuleToBinaryPassOptions binary;
  binary.toolkitPath = cudaToolkitPath().str();
  // A fatbin holds the cubin and the PTX, which the driver compiles when
  // the GPU is not the chip (PTX alone without ptxas).
  binary.compilationTarget = !options.cudaFormat.empty() ? options.cudaFormat
                             : cudaToolkitPath().empty() ? "isa"
                                                         : "fatbin";
  pm.addPass(createGpuModuleToBinaryPass(binary));
  if (options.modelFunction) {
    AddPackedEntryPointPassOptions entry;
    entry.function = options.modelFunctionName;
    entry.entryPoint = options.entryPoint;
    pm.addPass(createAddPackedEntryPointPass(entry));
  }
}

/// linalg -> buffers, loops and the runtime's kernels -> LLVM dialect.
void addLLVMPasses(OpPassManager &pm, const XfcPipelineOptions &options) {
  addBufferizationPasses(pm);
  pm.addPass(createLowerContractionsToMicrokernelsPass());
  pm.addPass(createOutlineParallelLoopsPass());
  pm.addNestedPass<func::FuncOp>(createForallToParallelLoopPass());

  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  addHostFloatPasses(pm);
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  if (options.modelFunction) {
    AddPackedEntryPointPassOptions entry;
    entry.function = options.modelFunctionName;
    entry.entryPoint = options.entryPoint;
    pm.addPass(createAddPackedEntryPointPass(entry));
  }
}

} // namespace

void xf::buildXfcPipeline(OpPassManager &pm,
                          const XfcPipelineOptions &options) {
  auto runs = [&](XfcPhase phase) {
    return options.from < phase && phase <= options.to;
  };
  if (runs(XfcPhase::XF)) {
    if (options.languageModel)
      addModelGraphPasses(pm, options);
    else
      addGraphPasses(pm, options);
  }
  if (runs(XfcPhase::Linalg))
    addLinalgPasses(pm, options);
  bool cuda = options.target == XfcTarget::CUDA;
  if (cuda && runs(XfcPhase::GPU))
    addGpuPasses(pm, options);
  if (runs(XfcPhase::LLVM)) {
    if (cuda)
      addCudaLLVMPasses(pm, options);
    else
      addLLVMPasses(pm, options);
  }
}

namespace {

/// xfc's options that reach passes, as xf-opt's `xfc-pipeline{...}` takes
/// them (the names are xfc's flags).
struct XfcPipelineCLOptions
    : public PassPipelineOptions<XfcPipelineCLOptions> {
  PassOptions::Option<XfcPhase> compileTo{
      *this, "compile-to", llvm::cl::desc("the last phase"),
      llvm::cl::init(XfcPhase::LLVM),
      llvm::cl::values(clEnumValN(XfcPhase::XF, "xf", "onnx -> xf"),
                       clEnumValN(XfcPhase::Linalg, "linalg", "-> linalg"),
                       clEnumValN(XfcPhase::GPU, "gpu",
                                  "-> kernels outlined (cuda target)"),
                       clEnumValN(XfcPhase::LLVM, "llvm", "-> LLVM"))};
  PassOptions::Option<XfcTarget> target{
      *this, "target", llvm::cl::desc("the code generated"),
      llvm::cl::init(XfcTarget::CPU),
      llvm::cl::values(clEnumValN(XfcTarget::CPU, "cpu", "x86-64"),
                       clEnumValN(XfcTarget::CUDA, "cuda", "NVIDIA GPUs"))};
  PassOptions::Option<std::string> cudaChip{
      *this, "cuda-chip", llvm::cl::desc("the cuda target's chip"),
      llvm::cl::init("sm_90a")};
  PassOptions::Option<int64_t> cudaBlockSize{
      *this, "cuda-block-size",
      llvm::cl::desc("threads per block of the cuda target's kernels"),
      llvm::cl::init(256)};
  PassOptions::Option<std::string> cudaFormat{
      *this, "cuda-format",
      llvm::cl::desc("isa (PTX) or fatbin (cubin + PTX); default: fatbin "
                     "when ptxas was found"),
      llvm::cl::init("")};
  PassOptions::Option<bool> languageModel{
      *this, "language-model",
      llvm::cl::desc("a language-model program (false: any graph)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> modelFunction{
      *this, "model-function",
      llvm::cl::desc("@main -> xf_model with a packed entry point"),
      llvm::cl::init(true)};
  PassOptions::ListOption<std::string> noFuse{
      *this, "no-fuse",
      llvm::cl::desc("fusion families left unfused: attention, norms, rope, "
                     "activations, linear, all")};
  PassOptions::Option<bool> remarks{
      *this, "fusion-remarks",
      llvm::cl::desc("explain what fusion leaves unfused"),
      llvm::cl::init(false)};
  PassOptions::Option<int64_t> kvBlockSize{
      *this, "kv-block-size", llvm::cl::desc("tokens per KV block"),
      llvm::cl::init(16)};
  PassOptions::Option<bool> strictKVCache{
      *this, "strict-kv-cache",
      llvm::cl::desc("fail when the KV cache cannot be paged"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> exposeGrams{
      *this, "expose-linear-input-grams",
      llvm::cl::desc("a calibration program"), llvm::cl::init(false)};
  PassOptions::Option<std::string> weights{
      *this, "weights",
      llvm::cl::desc("linear weights stored as f16, bf16, f32 or as "
                     "exported (empty)"),
      llvm::cl::init("")};
  PassOptions::Option<std::string> quantize{
      *this, "quantize", llvm::cl::desc("none, int8 or int4"),
      llvm::cl::init("none")};
  PassOptions::Option<int64_t> groupSize{
      *this, "group-size", llvm::cl::desc("weights per scale"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> headBits{
      *this, "head-bits", llvm::cl::desc("bits of the LM head"),
      llvm::cl::init(8)};
  PassOptions::Option<std::string> scheme{
      *this, "scheme", llvm::cl::desc("symmetric, asymmetric or auto"),
      llvm::cl::init("auto")};
  PassOptions::ListOption<std::string> keepFp32{
      *this, "keep-fp32", llvm::cl::desc("embeddings, lm_head")};
  PassOptions::ListOption<std::string> int8Weights{
      *this, "int8-weights", llvm::cl::desc("weights kept at 8 bits")};
  PassOptions::Option<std::string> calibration{
      *this, "calibration", llvm::cl::desc("GPTQ statistics file"),
      llvm::cl::init("")};
  PassOptions::Option<bool> speculative{
      *this, "speculative",
      llvm::cl::desc("prepare for speculative decoding (xfc --draft)"),
      llvm::cl::init(false)};
  PassOptions::Option<int64_t> draftLayers{
      *this, "draft-layers",
      llvm::cl::desc("build the layers draft (xfc --draft=self:layers=N)"),
      llvm::cl::init(0)};
};

XfcPipelineOptions fromCL(const XfcPipelineCLOptions &cl) {
  XfcPipelineOptions options;
  options.to = cl.compileTo;
  options.target = cl.target;
  options.cudaChip = cl.cudaChip;
  options.cudaBlockSize = cl.cudaBlockSize;
  options.cudaFormat = cl.cudaFormat;
  options.languageModel = cl.languageModel;
  options.modelFunction = cl.modelFunction;
  options.fusion = fusionOptionsWithout(cl.noFuse);
  options.fusion.remarks = cl.remarks;
  options.kvBlockSize = cl.kvBlockSize;
  options.strictKVCache = cl.strictKVCache;
  options.exposeLinearInputGrams = cl.exposeGrams;
  options.speculative = cl.speculative || cl.draftLayers > 0;
  options.draftLayers = cl.draftLayers;
  options.weightType = cl.weights;
  if (cl.quantize != "none") {
    QuantizeWeightsPassOptions q;
    q.bits = cl.quantize == "int4" ? 4 : 8;
    q.groupSize = cl.groupSize;
    q.headBits = cl.headBits;
    q.scheme = cl.scheme;
    q.keepFp32.assign(cl.keepFp32.begin(), cl.keepFp32.end());
    q.int8Weights.assign(cl.int8Weights.begin(), cl.int8Weights.end());
    q.calibration = cl.calibration;
    options.quantization = q;
  }
  return options;
}

} // namespace

void xf::registerXfcPipelines() {
  PassPipelineRegistration<XfcPipelineCLOptions>(
      "xfc-pipeline",
      "xfc's pipeline, onnx -> LLVM dialect, with xfc's options (what "
      "`xfc --print-pipeline` prints, spelled as one pipeline)",
      [](OpPassManager &pm, const XfcPipelineCLOptions &cl) {
        buildXfcPipeline(pm, fromCL(cl));
      });
  PassPipelineRegistration<>(
      "xf-cpu-pipeline",
      "Lowers any onnx function to the LLVM dialect for the CPU (xfc's "
      "pipeline without the language-model passes and entry point)",
      [](OpPassManager &pm) {
        XfcPipelineOptions options;
        options.languageModel = false;
        options.modelFunction = false;
        buildXfcPipeline(pm, options);
      });
}
