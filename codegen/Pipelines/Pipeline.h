//===- Pipeline.h - xfc's pass pipeline, onnx -> LLVM dialect --*- C++ -*-===//
//
// The one place the compile pipeline is assembled: xfc runs it (and prints
// it with --print-pipeline), xf-run runs its graph form, and xf-opt has it
// as `xfc-pipeline{...}` and `xf-cpu-pipeline`. docs/design.md walks
// through the passes.
//
//===----------------------------------------------------------------------===//

#ifndef XF_CODEGEN_PIPELINES_PIPELINE_H
#define XF_CODEGEN_PIPELINES_PIPELINE_H

#include "passes/Passes.h"

#include "mlir/Pass/PassManager.h"

#include <optional>

namespace xf {

/// The IR after each phase of the pipeline (xfc --compile-to):
/// - ONNX: the imported module, no pass run;
/// - XF: the graph passes done: model roles, fusion into xf ops, the paged
///   KV cache, quantization, weights outlined as arguments of @main (the
///   IR xfc writes the weights file from);
/// - Linalg: linalg on tensors, elementwise ops fused;
/// - GPU (the cuda target only): buffers in device memory, every parallel
///   loop a kernel outlined into a gpu.module, the host code checked;
/// - LLVM: the LLVM dialect, with the program's packed entry point (for
///   cuda, the kernels compiled to PTX or a fatbin in a gpu.binary).
enum class XfcPhase { ONNX, XF, Linalg, GPU, LLVM };

std::optional<XfcPhase> parseXfcPhase(llvm::StringRef name);
llvm::StringRef stringifyXfcPhase(XfcPhase phase);

/// What xfc generates code for (--target).
enum class XfcTarget { CPU, CUDA };

/// The GPU architectures the cuda target accepts; the first is the default.
llvm::ArrayRef<llvm::StringRef> cudaChips();

/// The CUDA toolkit found when xfc was configured: libdevice (linked into
/// the kernels, so math never calls an unresolved __nv_* function) and
/// ptxas (without it the kernels are PTX only, compiled by the driver).
/// Empty when not found.
llvm::StringRef cudaLibdevicePath();
llvm::StringRef cudaToolkitPath();

/// Everything that the command line of xfc (or xf-run) feeds into passes.
struct XfcPipelineOptions {
  /// A language-model program (xfc): the graph's roles and signature are
  /// checked, attention_mask is bound to ones, the KV cache is paged, the
  /// logits rows selected and the weights outlined. False: any onnx graph
  /// as it is given (xf-run, xf-cpu-pipeline).
  bool languageModel = true;
  /// @main becomes the program's `xf_model` with a packed entry point
  /// (xfc, xf-run). Off for xf-cpu-pipeline, whose tests run @main with
  /// mlir-runner.
  bool modelFunction = true;
  /// Its name and its packed entry point's (a draft model compiled into
  /// the same program: xf_draft_model, xf_draft_packed_main).
  std::string modelFunctionName = "xf_model";
  std::string entryPoint = "xf_packed_main";
  /// The fusion families (FuseONNXToXFPassOptions: xfc --no-fuse) and
  /// whether fusion explains what it left unfused (xfc's progress notes).
  FuseONNXToXFPassOptions fusion;
  /// Tokens per block of the paged KV cache (xfc --kv-block-size).
  int64_t kvBlockSize = 16;
  /// xf-insert-kv-cache's `strict`: fail when the cache cannot be paged.
  /// xfc compiles such a model unpaged with a warning instead.
  bool strictKVCache = false;
  /// A calibration program: every linear input's Gram matrix is an output.
  bool exposeLinearInputGrams = false;
  /// Speculative decoding (xfc --draft): xf-insert-speculative-decode runs,
  /// with `draftLayers` > 0 building the layers draft (self:layers=N).
  bool speculative = false;
  int64_t draftLayers = 0;
  /// What linear and lookup weights are stored as before quantization
  /// (xf-promote-to-f32's weight-type, xfc --weights=f16|bf16|f32): empty
  /// keeps the export's precision. Language-model programs compute 16-bit
  /// graphs in f32 either way.
  std::string weightType;
  /// The target (xfc --target=cpu|cuda[:CHIP]) and, for cuda, its chip.
  XfcTarget target = XfcTarget::CPU;
  std::string cudaChip = "sm_90a";
  /// Threads per block of the cuda target's naive kernels.
  int64_t cudaBlockSize = 256;
  /// What gpu.binary holds: "isa" (PTX text) or "fatbin" (cubin and PTX,
  /// needs ptxas); empty: fatbin where ptxas was found, else isa.
  std::string cudaFormat;
  /// xf-quantize-weights' options (xfc --quantize ...); none: f32 weights.
  std::optional<QuantizeWeightsPassOptions> quantization;
  /// The phases added: those after `from`, up to and including `to`. A
  /// tool that works between phases (xfc writes the weights file after XF)
  /// runs the pipeline in two parts: the passes are those of one run.
  XfcPhase from = XfcPhase::ONNX, to = XfcPhase::LLVM;
};

/// Adds the passes of `options.from` < phase <= `options.to` to `pm`
/// (anchored on builtin.module).
void buildXfcPipeline(mlir::OpPassManager &pm,
                      const XfcPipelineOptions &options);

/// Sets `options.target` (and the chip) from "cpu", "cuda" or
/// "cuda:<chip>"; false, with `error` set, for anything else.
bool parseXfcTarget(llvm::StringRef spec, XfcPipelineOptions &options,
                    std::string &error);

/// The fusion options with the families in `noFuse` (attention, norms,
/// rope, activations, linear, all) turned off; the name of an unknown one.
FuseONNXToXFPassOptions
fusionOptionsWithout(llvm::ArrayRef<std::string> noFuse,
                     std::string *unknown = nullptr);

/// Registers, for xf-opt, `xfc-pipeline{...}` (xfc's pipeline with its
/// options) and `xf-cpu-pipeline` (the graph form for any onnx function:
/// no model roles, KV cache or entry point).
void registerXfcPipelines();

} // namespace xf

#endif // XF_CODEGEN_PIPELINES_PIPELINE_H
