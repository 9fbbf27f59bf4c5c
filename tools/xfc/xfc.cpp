//===- xfc.cpp - the ahead-of-time compiler -------------------------------===//
//
//   xfc model.onnx -o OUT        writes the program OUT and its weights OUT.xfw
//
// Exit codes: 0 success; 1 the model could not be compiled (a message says
// why; nothing is left half-written); 2 bad command line; 3 --min-quality
// missed (OUT.quality.json says by how much; OUT and OUT.xfw are absent);
// 130 interrupted (the scratch folders of --eval-text and --calibration are
// removed).
//
//===----------------------------------------------------------------------===//

#include "codegen/Pipelines/Pipeline.h"
#include "codegen/Target/LLVMEmission.h"
#include "dialects/InitAllDialects.h"
#include "dialects/ONNX/IR/ONNXOps.h"
#include "dialects/XF/IR/XFOps.h"
#include "importer/ImportDiagnostics.h"
#include "importer/ONNXImporter.h"
#include "passes/Passes.h"
#include "passes/WeightMemory.h"
#include "tools/xfc/Calibration.h"
#include "tools/xfc/QualityReport.h"

#include "importer/TokenizerImport.h"
#include "xf/CommandLine.h"
#include "xf/ModelMetadata.h"
#include "xf/WeightsFile.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Pass/PassInstrumentation.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

#include <chrono>
#include <map>

using namespace mlir;
namespace cl = llvm::cl;

static cl::OptionCategory category("xfc options");
static cl::opt<std::string> modelPath(cl::Positional, cl::desc("<model.onnx>"),
                                      cl::cat(category));
static cl::opt<std::string> outputPath("o", cl::desc("Output program"),
                                       cl::value_desc("OUT"), cl::cat(category));
enum class Emit { MLIR, LLVM, Object, Executable };
static cl::opt<Emit> emit(
    "emit", cl::desc("What to write to OUT (the weights always go to OUT.xfw)"),
    cl::values(clEnumValN(Emit::MLIR, "mlir", "MLIR in the LLVM dialect"),
               clEnumValN(Emit::LLVM, "llvm", "optimized LLVM IR"),
               clEnumValN(Emit::Object, "obj", "an object file"),
               clEnumValN(Emit::Executable, "exe",
                          "a standalone executable (default)")),
    cl::init(Emit::Executable), cl::cat(category));
enum class CompileTo { Program, ONNX, XF, Linalg, GPU, LLVM };
static cl::opt<CompileTo> compileTo(
    "compile-to",
    cl::desc("Stop after a phase of the pipeline and write its IR to OUT "
             "(stdout without -o, or with -o -) instead of a program; no "
             "weights file"),
    cl::values(clEnumValN(CompileTo::ONNX, "onnx", "the imported module"),
               clEnumValN(CompileTo::XF, "xf",
                          "fused into xf ops, KV cache paged, weights "
                          "outlined (as arguments holding their values)"),
               clEnumValN(CompileTo::Linalg, "linalg", "linalg on tensors"),
               clEnumValN(CompileTo::GPU, "gpu",
                          "--target=cuda: buffers in device memory, the "
                          "kernels outlined into a gpu.module"),
               clEnumValN(CompileTo::LLVM, "llvm",
                          "the LLVM dialect (--emit=mlir's IR, with locations)")),
    cl::init(CompileTo::Program), cl::cat(category));
static cl::opt<bool> printPipeline(
    "print-pipeline",
    cl::desc("Print the pass pipeline as a string xf-opt accepts, and exit "
             "(the pipeline the other options make: the one that runs)"),
    cl::cat(category));
static cl::opt<bool> printIRAfterAll("print-ir-after-all",
                                     cl::desc("Print the IR after every pass"),
                                     cl::cat(category));
static cl::opt<std::string> target(
    "target",
    cl::desc("What the program runs on: cpu (default), or cuda[:CHIP] for "
             "NVIDIA GPUs, CHIP sm_90a (default) or sm_80"),
    cl::value_desc("cpu|cuda[:CHIP]"), cl::init("cpu"), cl::cat(category));
static cl::opt<std::string> targetCpu(
    "target-cpu", cl::desc("CPU to generate code for (default: native)"),
    cl::init("native"), cl::cat(category));
enum class Sanitizer { None, Address };
static cl::opt<Sanitizer> sanitize(
    "sanitize",
    cl::desc("Instrument the generated code (the runtime is not): 'address' "
             "links the program with AddressSanitizer, which stops it with a "
             "report at any out-of-bounds access of the model's code"),
    cl::values(clEnumValN(Sanitizer::Address, "address", "AddressSanitizer")),
    cl::init(Sanitizer::None), cl::cat(category));
static cl::opt<int64_t> maxContext(
    "max-context",
    cl::desc("Longest sequence the program accepts (default 2048)"),
    cl::init(2048), cl::cat(category));
static cl::opt<std::string> tokenizerPath(
    "tokenizer",
    cl::desc("Hugging Face tokenizer.json to store in OUT.xfw (default: "
             "tokenizer.json next to the model, if there is one; "
             "tokenizer_config.json next to it supplies the chat template)"),
    cl::value_desc("tokenizer.json"), cl::cat(category));

static cl::opt<int64_t> kvBlockSize(
    "kv-block-size",
    cl::desc("Tokens per block of the paged KV cache (default 16)"),
    cl::init(16), cl::cat(category));
static cl::opt<std::string> kvMemory(
    "kv-memory",
    cl::desc("Default size of the program's paged KV pool, in bytes with an "
             "optional K, M or G suffix (default 512M; the program's "
             "--kv-memory overrides it)"),
    cl::value_desc("BYTES"), cl::cat(category));

static cl::opt<std::string> draft(
    "draft",
    cl::desc("Speculative decoding, on by default in the program: "
             "ngram[:N] (prompt lookup: propose what followed the last "
             "match of the last N tokens, default 3; no model), "
             "self:layers=N (a draft the compiler makes from the model's "
             "first N layers, final norm and head, sharing its weights and "
             "KV cache), self:int8 or self:int4[:group=G][:symmetric] (the "
             "model quantized as its own draft), or DRAFT.onnx (a smaller "
             "model with the same vocabulary); a draft model gets its own "
             "weights in OUT.xfw and its own KV cache. The output is the "
             "same as without it (greedy: token for token); the program's "
             "--no-speculate turns it off"),
    cl::value_desc("ngram[:N]|self:layers=N|self:int8|self:int4|DRAFT.onnx"),
    cl::cat(category));
/// --draft parsed: the n-gram length or the draft's layers.
int64_t draftNgram = 0, draftLayers = 0;
/// A draft model with weights of its own, compiled into the same program:
/// its ONNX, how it is quantized, and its name for the program's reports.
struct DraftModelSpec {
  std::string path;
  std::optional<xf::QuantizeWeightsPassOptions> quantization;
  std::string name;
};
std::optional<DraftModelSpec> draftModel;

static cl::list<std::string> noFuse(
    "no-fuse",
    cl::desc("Leave these onnx -> xf fusion families unfused, for "
             "comparisons: attention, norms, rope, activations, linear, or "
             "all (operators such as GroupQueryAttention or MatMulNBits are "
             "still raised: they have no other lowering)"),
    cl::CommaSeparated, cl::value_desc("family,..."), cl::cat(category));

static cl::opt<std::string> quantize(
    "quantize",
    cl::desc("Quantize the weights of linear layers, the LM head and the "
             "token embedding table (see --keep-fp32): none (default), int8, "
             "int4"),
    cl::init("none"), cl::value_desc("none|int8|int4"), cl::cat(category));
static cl::opt<std::string> weightsAs(
    "weights",
    cl::desc("What OUT.xfw stores the weights of linear layers, the LM head "
             "and the token embedding table as: f16, bf16, f32 (converted "
             "from what the model has, rounding to nearest even), int8 or "
             "int4 (as --quantize). Default: as exported. 16-bit weights are "
             "read by kernels that widen them to f32 in registers; every "
             "model computes in f32"),
    cl::init(""), cl::value_desc("f16|bf16|f32|int8|int4"), cl::cat(category));
static cl::opt<int64_t> quantGroupSize(
    "group-size",
    cl::desc("With --quantize: weights per scale along K (default 128 for "
             "int8, 32 for int4; the last group of a row may be partial)"),
    cl::init(0), cl::cat(category));
static cl::opt<int64_t> quantHeadBits(
    "head-bits",
    cl::desc("With --quantize: bits of the LM head (the linear layer that "
             "makes the logits): 8 or 4 (default 8: with int4, as llama.cpp's "
             "Q4 files keep the output matrix in 8 bits)"),
    cl::init(8), cl::cat(category));
static cl::opt<bool> quantAsymmetric(
    "asymmetric",
    cl::desc("With --quantize: unsigned codes and an f32 zero point per "
             "group, Q4_1's scale and min (the default for int4)"),
    cl::cat(category));
static cl::opt<bool> quantSymmetric(
    "symmetric",
    cl::desc("With --quantize: signed codes, no zero points (the default for "
             "int8)"),
    cl::cat(category));
static cl::list<std::string> keepFp32(
    "keep-fp32",
    cl::desc("With --quantize: leave these f32: embeddings (the token "
             "embedding table), lm_head"),
    cl::CommaSeparated, cl::value_desc("embeddings,lm_head"),
    cl::cat(category));

static cl::opt<std::string> calibration(
    "calibration",
    cl::desc("With --quantize: quantize with GPTQ instead of rounding to "
             "nearest, calibrated on TEXT: xfc first compiles and runs the "
             "fp32 model on it (in a scratch folder next to OUT, removed "
             "afterwards) to measure the inputs of every linear layer"),
    cl::value_desc("TEXT"), cl::cat(category));
// Short chunks: each starts a sequence, and the first tokens of a sequence
// (where attention sinks form) are a small share of a long chunk's rows,
// which GPTQ's mean squared error then all but ignores. On SmolLM2, int4
// symmetric g128 with 4096 calibration tokens: 64 x 64 gave perplexity
// 52.3, 8 x 512 64.6, rounding to nearest 56.2 (docs/benchmarks.md).
static cl::opt<int64_t> calibrationContext(
    "calibration-ctx",
    cl::desc("With --calibration: tokens per chunk, each run from an empty "
             "context (default 64)"),
    cl::init(64), cl::cat(category));
static cl::opt<int64_t> calibrationChunks(
    "calibration-chunks",
    cl::desc("With --calibration: chunks used (default 64; 0: the whole "
             "text)"),
    cl::init(64), cl::cat(category));
static cl::opt<std::string> calibrationStats(
    "calibration-stats",
    cl::desc("With --quantize: GPTQ with the statistics FILE that a program "
             "compiled with --expose-linear-input-grams wrote (`PROGRAM "
             "calibrate`); what --calibration does in one step"),
    cl::value_desc("FILE"), cl::Hidden, cl::cat(category));
static cl::opt<bool> exposeLinearInputGrams(
    "expose-linear-input-grams",
    cl::desc("Compile a calibration program: the Gram matrix of every "
             "linear layer's input becomes an output"),
    cl::Hidden, cl::cat(category));

static cl::opt<std::string> evalText(
    "eval-text",
    cl::desc("With --quantize: also compile the fp32 model (in a scratch "
             "folder next to OUT, removed afterwards), run both programs on "
             "TEXT, write OUT.quality.json and print a summary: perplexity "
             "of each, mean KL(fp32 || quantized) of the next-token "
             "distributions, top-1 agreement, and the quantized layers "
             "ranked by their output error on the calibration text with "
             "--calibration, else by their weight quantization error (a "
             "proxy, named as such in the report)"),
    cl::value_desc("TEXT"), cl::cat(category));
static cl::opt<int64_t> evalContext(
    "eval-ctx", cl::desc("With --eval-text: tokens per chunk (default 512)"),
    cl::init(512), cl::cat(category));
static cl::opt<int64_t> evalChunks(
    "eval-chunks",
    cl::desc("With --eval-text: chunks evaluated (default 8; 0: the whole "
             "text)"),
    cl::init(8), cl::cat(category));
static cl::opt<std::string> minQuality(
    "min-quality",
    cl::desc("With --eval-text: bounds the quantized model must meet, "
             "comma-separated: ppl:P% (perplexity at most P% above fp32's), "
             "kl:K (mean KL divergence from fp32 at most K nats), top1:A "
             "(top-1 agreement with fp32 at least A, as 0.9 or 90%). A "
             "missed bound exits with 3 and writes only OUT.quality.json "
             "(OUT and OUT.xfw are removed), unless --quality-fallback "
             "meets it"),
    cl::value_desc("ppl:P%,kl:K,top1:A"), cl::cat(category));
static cl::opt<bool> qualityFallback(
    "quality-fallback",
    cl::desc("With --min-quality and --quantize=int4: when a bound is "
             "missed, recompile with the int4 layers of largest weight error "
             "kept at int8 (1/8 of them, then 1/4, 1/2, all) and measure "
             "again until the bounds hold"),
    cl::cat(category));
static cl::list<std::string> int8Weights(
    "int8-weights",
    cl::desc("With --quantize: linear layers, by weight (ONNX initializer "
             "name), quantized to 8 bits whatever --quantize says"),
    cl::CommaSeparated, cl::value_desc("weight,..."), cl::cat(category));
static cl::opt<std::string> writeQuantizationErrors(
    "write-quantization-errors",
    cl::desc("Write each quantized layer's weight error as JSON lines (for "
             "--eval-text)"),
    cl::Hidden, cl::cat(category));

namespace {

int usageError(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "xfc") << message << "\n";
  return 2;
}

int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "xfc") << message << "\n";
  return 1;
}

/// Prints a progress line with the time since the start.
class Progress {
public:
  void step(const llvm::Twine &what) {
    double seconds = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - start)
                         .count();
    llvm::errs() << llvm::format("[%d/%d %6.2fs] ", ++current, total, seconds)
                 << what << "\n";
  }
  /// A draft model adds its own steps.
  void addSteps(int steps) { total += steps; }

  /// A line without a step of its own.
  void note(const llvm::Twine &what) { llvm::errs() << "        " << what << "\n"; }

private:
  int current = 0, total = 7;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
};

int64_t kvMemoryBytes = 0;

/// Prints `message` as xfc's error; failure.
LogicalResult error(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "xfc") << message << "\n";
  return failure();
}

std::string describe(Type type) {
  std::string text;
  llvm::raw_string_ostream(text) << type;
  return text;
}

//===----------------------------------------------------------------------===//
// The pipeline
//===----------------------------------------------------------------------===//

/// The last phase the flags ask for.
xf::XfcPhase lastPhase() {
  switch (compileTo) {
  case CompileTo::ONNX: return xf::XfcPhase::ONNX;
  case CompileTo::XF: return xf::XfcPhase::XF;
  case CompileTo::Linalg: return xf::XfcPhase::Linalg;
  case CompileTo::GPU: return xf::XfcPhase::GPU;
  case CompileTo::LLVM:
  case CompileTo::Program: return xf::XfcPhase::LLVM;
  }
  llvm_unreachable("unknown --compile-to");
}

/// What xfc's flags feed into passes: the options of xfc's one pipeline.
xf::XfcPipelineOptions pipelineOptions() {
  xf::XfcPipelineOptions options;
  options.fusion = xf::fusionOptionsWithout(noFuse);
  // Why an attention did not fuse or kept its mask: progress notes.
  options.fusion.remarks = true;
  options.kvBlockSize = kvBlockSize;
  options.exposeLinearInputGrams = exposeLinearInputGrams;
  options.speculative = !draft.empty();
  options.draftLayers = draftLayers;
  if (weightsAs == "f16" || weightsAs == "bf16" || weightsAs == "f32")
    options.weightType = weightsAs;
  if (quantize != "none") {
    xf::QuantizeWeightsPassOptions q;
    q.bits = quantize == "int4" ? 4 : 8;
    q.groupSize = quantGroupSize;
    q.scheme = std::string(quantSymmetric    ? "symmetric"
                           : quantAsymmetric ? "asymmetric"
                                             : "auto");
    q.keepFp32.assign(keepFp32.begin(), keepFp32.end());
    q.headBits = quantHeadBits;
    q.int8Weights.assign(int8Weights.begin(), int8Weights.end());
    q.calibration = calibrationStats;
    options.quantization = q;
  }
  std::string unused;
  // checkOptions() has refused a --target this does not parse.
  (void)xf::parseXfcTarget(target, options, unused);
  // The cuda kernels read f32 weights: a 16-bit export is widened there.
  if (options.target == xf::XfcTarget::CUDA && options.weightType.empty())
    options.weightType = "f32";
  options.to = lastPhase();
  return options;
}

/// "CPU pipeline" or "CUDA pipeline for sm_90a", for messages.
std::string pipelineName() {
  xf::XfcPipelineOptions options = pipelineOptions();
  if (options.target == xf::XfcTarget::CPU)
    return "CPU pipeline";
  return "CUDA pipeline for " + options.cudaChip;
}

/// Turns what the graph passes report into progress lines: what fusion
/// made of the model (and its remarks on what it left), whether the KV
/// cache is paged (and xf-insert-kv-cache's warning if not), GPTQ's start.
class ProgressInstrumentation : public PassInstrumentation {
public:
  ProgressInstrumentation(Progress &progress, MLIRContext *context)
      : progress(progress),
        capture(context, [this](Diagnostic &d) { return collect(d); }) {}

  void runBeforePass(Pass *pass, Operation *) override {
    if (pass->getArgument() == "xf-quantize-weights" &&
        !calibrationStats.empty())
      progress.note("quantizing with GPTQ on " + calibrationStats +
                    " (about a minute per 100M weights on two cores)");
  }

  void runAfterPass(Pass *pass, Operation *op) override {
    if (pass->getArgument() == "xf-fuse-onnx-to-xf")
      noteFusion(op);
    else if (pass->getArgument() == "xf-insert-kv-cache")
      stepKVCache(cast<ModuleOp>(op));
  }

private:
  LogicalResult collect(Diagnostic &diagnostic) {
    if (diagnostic.getSeverity() == DiagnosticSeverity::Remark) {
      remarks.push_back(diagnostic.str());
      return success();
    }
    if (diagnostic.getSeverity() == DiagnosticSeverity::Warning &&
        llvm::StringRef(diagnostic.str()).starts_with(kNotPaged)) {
      llvm::raw_string_ostream os(notPaged);
      for (const Diagnostic &note : diagnostic.getNotes())
        os << "\n  " << note.getLocation() << ": " << note;
      return success();
    }
    return failure(); // to the handler that prints
  }

  /// Attention layers fused, any Softmax left over, and one line per
  /// distinct reason (layers usually share theirs).
  void noteFusion(Operation *module) {
    unsigned attention = 0, softmax = 0;
    module->walk([&](Operation *op) {
      attention += isa<xf::XF::AttentionOp>(op);
      softmax += isa<xf::ONNX::SoftmaxOp>(op);
    });
    std::string line = llvm::formatv("fused {0} attention layer(s)", attention);
    if (softmax)
      line += llvm::formatv("; {0} Softmax left unfused", softmax).str();
    progress.note(line);
    std::map<std::string, unsigned> reasons;
    for (const std::string &remark : remarks)
      reasons[remark]++;
    for (const auto &[reason, count] : reasons)
      progress.note(llvm::formatv("{0} ({1}x)", reason, count).str());
    remarks.clear();
  }

  void stepKVCache(ModuleOp module) {
    auto func = module.lookupSymbol<func::FuncOp>("main");
    if (auto block = func->getAttrOfType<IntegerAttr>("xf.kv_block_size")) {
      progress.step(llvm::formatv("paged KV cache: blocks of {0} tokens",
                                  block.getInt())
                        .str());
      return;
    }
    bool hasAttention = false;
    module.walk([&](xf::XF::AttentionOp) { hasAttention = true; });
    if (!hasAttention) {
      progress.step("no fused attention: the program runs the model without "
                    "the paged KV cache");
      return;
    }
    progress.step("no paged KV cache: the program runs the model as exported");
    llvm::WithColor::warning(llvm::errs(), "xfc")
        << kNotPaged << notPaged << "\n";
  }

  /// xf-insert-kv-cache's warning; test/corpus/check_corpus.py parses it.
  static constexpr llvm::StringLiteral kNotPaged =
      "the KV cache is not paged, because:";
  Progress &progress;
  std::vector<std::string> remarks;
  std::string notPaged;
  ScopedDiagnosticHandler capture;
};

/// Runs the phases of xfc's pipeline after `from` up to `to`, with
/// `options` (default: xfc's flags).
LogicalResult runPipeline(ModuleOp module, xf::XfcPhase from, xf::XfcPhase to,
                          Progress &progress,
                          xf::XfcPipelineOptions options = pipelineOptions()) {
  options.from = from;
  options.to = to;
  PassManager pm(module.getContext());
  // As before the pipeline was one: the IR after the lowering's passes.
  if (printIRAfterAll && from >= xf::XfcPhase::XF) {
    module.getContext()->disableMultithreading();
    pm.enableIRPrinting();
  }
  if (from < xf::XfcPhase::XF)
    pm.addInstrumentation(
        std::make_unique<ProgressInstrumentation>(progress, module.getContext()));
  xf::buildXfcPipeline(pm, options);
  return pm.run(module);
}

/// After GPTQ: on how many layers it won over rounding to nearest.
void noteGPTQ(ModuleOp module, Progress &progress) {
  unsigned gptq = 0, calibrated = 0, quantized = 0;
  int64_t gptqRows = 0, calibratedRows = 0;
  module->walk([&](Operation *op) {
    auto info = op->getAttrOfType<DictionaryAttr>("xf.quantization");
    if (!info)
      return;
    ++quantized;
    calibrated += !!info.get("rel_output_error");
    auto kept = info.getAs<BoolAttr>("gptq");
    gptq += kept && kept.getValue();
    if (auto rows = info.getAs<IntegerAttr>("gptq_rows")) {
      gptqRows += rows.getInt();
      if (kept && kept.getValue())
        if (auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType()))
          calibratedRows += type.getDimSize(type.getRank() - 1);
    }
  });
  std::string note = llvm::formatv("GPTQ on {0} of {1} quantized linear "
                                   "layers",
                                   gptq, quantized);
  if (gptqRows < calibratedRows)
    note += llvm::formatv(" ({0} of their {1} rows; the others had the lower "
                          "output error rounded to nearest)",
                          gptqRows, calibratedRows)
                .str();
  if (calibrated < quantized)
    note += llvm::formatv(" ({0} without calibration inputs)",
                          quantized - calibrated)
                .str();
  progress.note(note);
}

//===----------------------------------------------------------------------===//
// The weights file
//===----------------------------------------------------------------------===//

/// A type's dimensions as the program reads them from xf.input_shapes:
/// "2x?x16", "?" for a dynamic one.
std::optional<xf::DType> weightDType(Type type) {
  if (type.isF32()) return xf::DType::F32;
  if (type.isF16()) return xf::DType::F16;
  if (type.isBF16()) return xf::DType::BF16;
  if (type.isInteger(1) || type.isUnsignedInteger(8)) return xf::DType::U8;
  if (type.isSignlessInteger(8)) return xf::DType::I8;
  if (type.isSignlessInteger(32)) return xf::DType::I32;
  if (type.isSignlessInteger(64)) return xf::DType::I64;
  return std::nullopt;
}

/// The inputs of @main come first; xf-outline-weights appended the weights.
unsigned numModelInputs(func::FuncOp func) {
  unsigned n = 0;
  while (n < func.getNumArguments() &&
         !func.getArgAttr(n, "xf.weight"))
    ++n;
  return n;
}

/// The model's configuration and metadata, as the program reads them, from
/// @main after the graph passes (before the lowering drops its attributes).
void addModelMetadata(xf::WeightsFileWriter &writer, func::FuncOp func,
                      const std::string &part = "") {
  xf::ModelMetadata metadata;
  auto shapeOf = [](Type type) {
    std::vector<int64_t> shape;
    for (int64_t d : cast<RankedTensorType>(type).getShape())
      shape.push_back(ShapedType::isDynamic(d) ? -1 : d);
    return shape;
  };
  for (unsigned i = 0, e = numModelInputs(func); i < e; ++i)
    metadata.inputs.push_back(
        {func.getArgAttrOfType<StringAttr>(i, "onnx.name").str(),
         shapeOf(func.getArgumentTypes()[i])});
  for (unsigned i = 0; i < func.getNumResults(); ++i)
    metadata.outputs.push_back(
        {func.getResultAttrOfType<StringAttr>(i, "onnx.name").str(),
         cast<RankedTensorType>(func.getResultTypes()[i]).getRank()});
  // logits [batch, sequence, vocab] (xf-check-model-signature).
  metadata.vocabSize =
      cast<RankedTensorType>(func.getResultTypes()[0]).getDimSize(2);
  metadata.maxContext = maxContext;
  if (auto window = func->getAttrOfType<IntegerAttr>("xf.kv_window"))
    metadata.kvWindow = window.getInt();
  if (!kvMemory.empty())
    metadata.kvMemoryBytes = kvMemoryBytes;
  if (draftNgram)
    metadata.draftNgram = draftNgram;
  if (draftModel && part.empty())
    metadata.draftModel = draftModel->name;
  if (auto layers = func->getParentOfType<ModuleOp>()->getAttrOfType<IntegerAttr>(
          "xf.draft_layers"))
    metadata.draftLayers = layers.getInt();
  // A calibration program's Gram outputs: the weights each one is for.
  for (unsigned i = 0; i < func.getNumResults(); ++i)
    if (auto weights =
            func.getResultAttrOfType<ArrayAttr>(i, "xf.gram_weights")) {
      llvm::json::Array names;
      for (auto name : weights.getAsValueRange<StringAttr>())
        names.push_back(name.str());
      metadata.gramWeights[metadata.outputs[i].name] =
          llvm::formatv("{0}", llvm::json::Value(std::move(names))).str();
    }
  metadata.write(writer, part);
}

/// The tokenizer: --tokenizer, else tokenizer.json next to the model if
/// there is one xfc can read. `note` says where it came from.
LogicalResult addTokenizer(xf::WeightsFileWriter &writer, std::string &note) {
  std::optional<xf::TokenizerData> tokenizer;
  std::string source = tokenizerPath;
  if (!tokenizerPath.empty()) {
    llvm::SmallString<256> config;
    config = llvm::sys::path::parent_path(tokenizerPath);
    llvm::sys::path::append(config, "tokenizer_config.json");
    std::optional<std::string> configPath;
    if (llvm::sys::fs::exists(config))
      configPath = config.str().str();
    auto imported = xf::importHFTokenizer(tokenizerPath, configPath);
    if (!imported)
      return error(imported.error());
    tokenizer = std::move(*imported);
  } else {
    // A tokenizer found next to the model that xfc cannot read does not
    // block the model: the program then takes and prints token ids. Only
    // an explicit --tokenizer is an error.
    auto imported = xf::importHFTokenizerNextTo(modelPath);
    if (!imported)
      llvm::WithColor::warning(llvm::errs(), "xfc")
          << imported.error()
          << "\n  the program takes and prints token ids (--tokens); pass "
             "--tokenizer FILE to give another tokenizer\n";
    else
      tokenizer = std::move(*imported);
    llvm::SmallString<256> next;
    next = llvm::sys::path::parent_path(modelPath);
    llvm::sys::path::append(next, "tokenizer.json");
    source = next.str().str();
  }
  if (!tokenizer)
    return success();
  note = llvm::formatv(", tokenizer from {0}", source).str();
  if (auto set = writer.setTokenizer(*tokenizer); !set)
    return error(set.error());
  return success();
}

/// Quantized weights: the codes record their scales (and zero points) in
/// the file's tensor table. Codes are i8 (symmetric) or u8 bytes of shape
/// [N, ceil(K * bits / 8)] as the program maps them: int4 keeps
/// xf.qlinear's packing (two codes per byte, low nibble first, rows padded
/// to whole bytes), told by the quantization record's bits = 4.
llvm::DenseMap<unsigned, xf::Quantization> quantizedArguments(func::FuncOp func) {
  llvm::DenseMap<unsigned, xf::Quantization> quantizedArgs;
  auto recordQuantization = [&](auto op, Value weight) {
    auto codes = dyn_cast<BlockArgument>(weight);
    auto scales = dyn_cast<BlockArgument>(op.getScales());
    if (!codes || !scales)
      return;
    auto nameOf = [&](BlockArgument arg) {
      auto name = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                    "xf.weight");
      return name ? name.str() : std::string();
    };
    xf::Quantization q;
    q.bits = static_cast<uint8_t>(op.getBits());
    q.groupSize = static_cast<uint32_t>(op.getGroupSize());
    q.axis = 1;
    q.scaleTensor = nameOf(scales);
    if (auto zeroPoints = dyn_cast_or_null<BlockArgument>(op.getZeroPoints()))
      q.zeroPointTensor = nameOf(zeroPoints);
    quantizedArgs[codes.getArgNumber()] = q;
  };
  func.walk([&](Operation *op) {
    if (auto qlinear = dyn_cast<xf::XF::QLinearOp>(op))
      recordQuantization(qlinear, qlinear.getWeight());
    else if (auto qembedding = dyn_cast<xf::XF::QEmbeddingOp>(op))
      recordQuantization(qembedding, qembedding.getTable());
  });
  return quantizedArgs;
}

/// The weights xf-outline-weights made arguments (`xf.weight`, `xf.value`).
LogicalResult addWeights(xf::WeightsFileWriter &writer, func::FuncOp func,
                         uint64_t &weightBytes, const std::string &prefix = "") {
  llvm::DenseMap<unsigned, xf::Quantization> quantizedArgs =
      quantizedArguments(func);
  for (unsigned i = numModelInputs(func); i < func.getNumArguments(); ++i) {
    auto name = func.getArgAttrOfType<StringAttr>(i, "xf.weight");
    auto value = func.getArgAttrOfType<DenseResourceElementsAttr>(i, "xf.value");
    auto type = cast<RankedTensorType>(value.getType());
    auto dtype = weightDType(type.getElementType());
    if (!dtype)
      return error("weight '" + name.getValue() + "' has element type " +
                   describe(type.getElementType()) +
                   ", which the weights file cannot hold");
    AsmResourceBlob *blob = value.getRawHandle().getBlob();
    if (!blob)
      return error("weight '" + name.getValue() + "' has no data");
    ArrayRef<char> data = blob->getData();
    weightBytes += data.size();
    std::vector<int64_t> shape(type.getShape());
    std::optional<xf::Quantization> quantization;
    if (auto it = quantizedArgs.find(i); it != quantizedArgs.end()) {
      quantization = it->second;
      if (!quantization->zeroPointTensor.empty()) {
        dtype = xf::DType::U8;
        quantization->zeroPointTensor = prefix + quantization->zeroPointTensor;
      }
      quantization->scaleTensor = prefix + quantization->scaleTensor;
    }
    if (auto added = writer.addTensor(prefix + name.str(), *dtype, shape,
                                      data.data(),
                                      data.size(), quantization);
        !added)
      return error(added.error());
  }
  return success();
}

/// Writes OUT.xfw from the IR after the graph passes (and the draft
/// model's, as the file's "draft." part).
LogicalResult writeWeightsFile(ModuleOp module, ModuleOp draft,
                               Progress &progress) {
  auto func = module.lookupSymbol<func::FuncOp>("main");
  xf::WeightsFileWriter writer;
  addModelMetadata(writer, func);
  std::string tokenizerNote;
  uint64_t weightBytes = 0;
  if (failed(addTokenizer(writer, tokenizerNote)) ||
      failed(addWeights(writer, func, weightBytes)))
    return failure();
  if (draft) {
    auto draftFunc = draft.lookupSymbol<func::FuncOp>("main");
    addModelMetadata(writer, draftFunc, "draft.");
    if (failed(addWeights(writer, draftFunc, weightBytes, "draft/")))
      return failure();
  }
  std::string weightsPath = outputPath + ".xfw";
  // Each weight is read once, as it is written: its pages need not stay.
  writer.setWrittenCallback(xf::releaseWeightPages);
  progress.step(llvm::formatv("writing {0} ({1} weights, {2:f1} MiB{3})",
                              weightsPath,
                              func.getNumArguments() - numModelInputs(func),
                              weightBytes / 1048576.0, tokenizerNote)
                    .str());
  if (auto written = writer.write(weightsPath); !written)
    return error(written.error());
  return success();
}

//===----------------------------------------------------------------------===//
// Output
//===----------------------------------------------------------------------===//

/// Writes `bytes` to OUT ('-': stdout), whole or not at all.
LogicalResult writeOutput(llvm::StringRef bytes) {
  std::string message;
  auto out = openOutputFile(outputPath, &message);
  if (!out)
    return error(message);
  out->os() << bytes;
  out->os().flush();
  if (out->os().has_error()) {
    out->os().clear_error();
    return error("cannot write " + outputPath);
  }
  out->keep();
  return success();
}

/// The module as text. A --compile-to phase keeps its locations, so that
/// xf-opt continues from it exactly as xfc would (shape checks name the
/// ONNX nodes they come from).
LogicalResult writeIR(ModuleOp module) {
  std::string text;
  llvm::raw_string_ostream os(text);
  OpPrintingFlags flags;
  if (compileTo != CompileTo::Program)
    flags.enableDebugInfo();
  module->print(os, flags);
  // As xf-opt ends its output (--emit=mlir keeps its old form).
  if (compileTo != CompileTo::Program)
    os << "\n";
  return writeOutput(text);
}

/// Links `objects` into the executable OUT.
LogicalResult linkProgram(llvm::ArrayRef<std::string> objects,
                          const xf::EmissionOptions &emission) {
  std::vector<std::string> paths;
  auto removeAll = [&] {
    for (const std::string &path : paths)
      llvm::sys::fs::remove(path);
  };
  for (const std::string &object : objects) {
    llvm::SmallString<128> objectPath;
    int fd;
    if (auto ec = llvm::sys::fs::createTemporaryFile("xfc-model", "o", fd,
                                                     objectPath)) {
      removeAll();
      return error("cannot create a temporary file: " + ec.message());
    }
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << object;
    paths.push_back(objectPath.str().str());
  }
  // Linked beside the objects, then copied to a temporary name beside OUT
  // and renamed: OUT is complete or absent. lld maps its output, and a store
  // into a mapped file on a full disk is a SIGBUS (a crash with no reason
  // given), where a copy says "No space left on device".
  llvm::SmallString<128> program;
  if (auto ec =
          llvm::sys::fs::createTemporaryFile("xfc-program", "", program)) {
    removeAll();
    return error("cannot create a temporary file: " + ec.message());
  }
  std::string linkError;
  LogicalResult linked =
      xf::linkExecutable(paths, program, linkError, emission);
  paths.push_back(program.str().str());
  if (failed(linked)) {
    removeAll();
    return error(linkError);
  }
  std::string partial = outputPath + ".partial";
  std::error_code ec = llvm::sys::fs::copy_file(program, partial);
  if (!ec)
    ec = llvm::sys::fs::setPermissions(
        partial, llvm::sys::fs::all_read | llvm::sys::fs::all_exe |
                     llvm::sys::fs::owner_write);
  if (!ec)
    ec = llvm::sys::fs::rename(partial, outputPath);
  removeAll();
  if (ec) {
    llvm::sys::fs::remove(partial);
    return error("cannot write " + outputPath + ": " + ec.message());
  }
  return success();
}

/// OUT as --emit asks, from the module in the LLVM dialect (and the draft
/// model's, linked into the same program).
LogicalResult emitProgram(ModuleOp module, ModuleOp draft, Progress &progress) {
  if (emit == Emit::MLIR)
    return writeIR(module);
  progress.step("generating code for " + targetCpu + " (LLVM -O2)");
  xf::EmissionOptions emission;
  emission.addressSanitizer = sanitize == Sanitizer::Address;
  if (emit == Emit::LLVM) {
    auto ir = xf::emitLLVMIR(module, targetCpu, emission);
    return failed(ir) ? failure() : writeOutput(*ir);
  }
  auto object = xf::emitObjectFile(module, targetCpu, emission);
  if (failed(object))
    return failure();
  if (emit == Emit::Object)
    return writeOutput(*object);
  std::vector<std::string> objects = {*object};
  if (draft) {
    progress.step("generating code for the draft model");
    auto draftObject = xf::emitObjectFile(draft, targetCpu, emission);
    if (failed(draftObject))
      return failure();
    objects.push_back(*draftObject);
  }
  progress.step("linking " + outputPath);
  return linkProgram(objects, emission);
}

/// The draft model's pipeline: xfc's, with the draft's quantization, its
/// own function and entry point names, and no draft of its own.
xf::XfcPipelineOptions draftPipelineOptions() {
  xf::XfcPipelineOptions options = pipelineOptions();
  options.quantization = draftModel->quantization;
  options.speculative = true; // checks that it pages: a draft step is one
  options.draftLayers = 0;
  options.modelFunctionName = "xf_draft_model";
  options.entryPoint = "xf_draft_packed_main";
  return options;
}

/// --draft=self:int8|self:int4|DRAFT.onnx: the draft model through the
/// graph phase; refused unless it pages and shares the target's vocabulary.
OwningOpRef<ModuleOp> compileDraftGraph(MLIRContext &context, ModuleOp target,
                                        Progress &progress) {
  progress.step("draft model " + draftModel->name + ": importing " +
                draftModel->path);
  OwningOpRef<ModuleOp> draft =
      xf::importONNXModelFile(draftModel->path, context);
  if (!draft)
    return nullptr;
  if (failed(runPipeline(*draft, xf::XfcPhase::ONNX, xf::XfcPhase::XF,
                         progress, draftPipelineOptions())))
    return nullptr;
  auto vocabOf = [](ModuleOp module) {
    auto func = module.lookupSymbol<func::FuncOp>("main");
    return cast<RankedTensorType>(func.getResultTypes()[0]).getDimSize(2);
  };
  if (vocabOf(*draft) != vocabOf(target)) {
    (void)error("--draft=" + draftModel->path + ": the draft's vocabulary (" +
                std::to_string(vocabOf(*draft)) +
                " tokens) is not the model's (" +
                std::to_string(vocabOf(target)) +
                "); a draft must share the model's tokenizer");
    return nullptr;
  }
  return draft;
}

/// Imports the model and runs the pipeline on it, writing OUT.xfw after
/// the graph phase; writes the IR instead where --compile-to stops.
LogicalResult compile(MLIRContext &context) {
  Progress progress;
  // Quantized weights wait in a scratch file for OUT.xfw, on its disk.
  if (compileTo == CompileTo::Program) {
    llvm::SmallString<256> directory(outputPath);
    llvm::sys::path::remove_filename(directory);
    xf::setScratchDirectory(directory.empty() ? "." : directory.str().str());
  }
  xf::ImportDiagnosticHandler diagnostics(&context, llvm::errs());
  progress.step("importing " + modelPath);
  OwningOpRef<ModuleOp> module = xf::importONNXModelFile(modelPath, context);
  if (!module)
    return failure();
  if (compileTo == CompileTo::ONNX)
    return writeIR(*module);

  progress.step("checking the signature and outlining the weights");
  if (failed(runPipeline(*module, xf::XfcPhase::ONNX, xf::XfcPhase::XF,
                         progress)))
    return failure();
  OwningOpRef<ModuleOp> draft;
  if (draftModel && compileTo == CompileTo::Program) {
    progress.addSteps(4);
    draft = compileDraftGraph(context, *module, progress);
    if (!draft)
      return failure();
  }
  if (!calibrationStats.empty())
    noteGPTQ(*module, progress);
  if (compileTo == CompileTo::XF)
    return writeIR(*module);
  if (compileTo == CompileTo::Program) {
    if (!writeQuantizationErrors.empty())
      if (auto message =
              xf::writeQuantizationErrors(*module, writeQuantizationErrors))
        return error(*message);
    // Before the lowering drops the weights' values from the arguments.
    if (failed(writeWeightsFile(*module, draft ? *draft : ModuleOp(),
                                progress)))
      return failure();
  }

  progress.step("lowering to the LLVM dialect (" + pipelineName() + ")");
  if (failed(runPipeline(*module, xf::XfcPhase::XF, lastPhase(), progress)))
    return error("the " + pipelineName() + " failed on " + modelPath);
  if (compileTo != CompileTo::Program)
    return writeIR(*module);
  if (draft)
    progress.step("lowering the draft model");
  if (draft && failed(runPipeline(*draft, xf::XfcPhase::XF, lastPhase(),
                                  progress, draftPipelineOptions())))
    return error("the CPU pipeline failed on the draft model " +
                 draftModel->path);
  return emitProgram(*module, draft ? *draft : ModuleOp(), progress);
}

//===----------------------------------------------------------------------===//
// The command line
//===----------------------------------------------------------------------===//

/// Checks the flags that need no model; a message for the usage error.
std::optional<std::string> checkOptions() {
  if (compileTo != CompileTo::Program && outputPath.empty())
    outputPath = "-";
  if (modelPath.empty() || outputPath.empty())
    return "usage: xfc MODEL.onnx -o OUT (see --help)";
  if (compileTo != CompileTo::Program && emit.getNumOccurrences())
    return "--compile-to writes IR: no --emit";
  {
    xf::XfcPipelineOptions parsed;
    std::string message;
    if (!xf::parseXfcTarget(target, parsed, message))
      return "--target: " + message;
    if (parsed.target == xf::XfcTarget::CPU && compileTo == CompileTo::GPU)
      return "--compile-to=gpu is a phase of --target=cuda only";
    if (parsed.target == xf::XfcTarget::CUDA) {
      if (xf::cudaLibdevicePath().empty())
        return "--target=cuda: xfc was configured without CUDA's libdevice "
               "(XF_CUDA_ROOT/nvvm/libdevice/libdevice.10.bc), which the "
               "kernels' math links";
      // The host side of a CUDA program (inputs, weights and the KV pool
      // in device memory) is not written yet: no program that would run
      // its kernels on host memory.
      if (compileTo == CompileTo::Program && emit == Emit::Executable)
        return "--target=cuda cannot write a program yet: the CUDA "
               "runtime's model binding (weights and KV pool in device "
               "memory) is missing; use --compile-to=gpu|llvm or "
               "--emit=mlir|llvm|obj";
      if (!draft.empty() || !calibration.empty() || !evalText.empty() ||
          sanitize != Sanitizer::None || exposeLinearInputGrams)
        return "--target=cuda: --draft, --calibration, --eval-text, "
               "--sanitize and --expose-linear-input-grams are CPU only "
               "for now";
      // The cuda kernels are f32 only today: 16-bit exports are widened
      // at compile time there, and quantized or 16-bit storage refused.
      if (quantize != "none" ||
          (!weightsAs.empty() && weightsAs != "f32"))
        return "--target=cuda: --quantize and --weights=f16|bf16|int8|int4 "
               "are CPU only for now (the cuda kernels read f32 weights)";
    }
  }
  if (maxContext <= 0)
    return "--max-context must be positive";
  std::string unknown;
  xf::fusionOptionsWithout(noFuse, &unknown);
  if (!unknown.empty())
    return "--no-fuse: unknown fusion family '" + unknown +
           "' (attention, norms, rope, activations, linear, all)";
  if (quantize != "none" && quantize != "int8" && quantize != "int4")
    return "--quantize: expected none, int8 or int4, not '" + quantize + "'";
  if (!weightsAs.empty()) {
    llvm::StringRef w = weightsAs.getValue();
    if (w != "f16" && w != "bf16" && w != "f32" && w != "int8" && w != "int4")
      return "--weights: expected f16, bf16, f32, int8 or int4, not '" +
             weightsAs + "'";
    bool quantized = w == "int8" || w == "int4";
    if (quantize.getNumOccurrences() &&
        quantize != (quantized ? weightsAs.getValue() : std::string("none")))
      return "--weights=" + weightsAs + " and --quantize=" + quantize +
             " disagree: give one of them";
    if (quantized)
      quantize.setValue(weightsAs.getValue());
  }
  if (quantHeadBits != 8 && quantHeadBits != 4)
    return "--head-bits: expected 8 or 4";
  if (quantGroupSize < 0)
    return "--group-size must be positive";
  if (quantSymmetric && quantAsymmetric)
    return "--symmetric and --asymmetric exclude each other";
  for (const std::string &kept : keepFp32)
    if (kept != "embeddings" && kept != "lm_head")
      return "--keep-fp32: expected embeddings or lm_head, not '" + kept + "'";
  if (kvBlockSize <= 0)
    return "--kv-block-size must be positive";
  if (!draft.empty() && emit != Emit::Executable && compileTo == CompileTo::Program &&
      !llvm::StringRef(draft).starts_with("ngram") &&
      !llvm::StringRef(draft).starts_with("self:layers"))
    return "--draft=" + draft + ": a draft model is linked into the "
                                "program: only --emit=exe";
  if (!draft.empty()) {
    llvm::StringRef spec = draft;
    if (spec == "ngram") {
      draftNgram = 3;
    } else if (spec.consume_front("ngram:")) {
      if (spec.getAsInteger(10, draftNgram) || draftNgram < 1)
        return "--draft=ngram:N: N must be a positive integer, not '" +
               spec.str() + "'";
    } else if (spec.consume_front("self:layers=")) {
      if (spec.getAsInteger(10, draftLayers) || draftLayers < 1)
        return "--draft=self:layers=N: N must be a positive integer, not '" +
               spec.str() + "'";
    } else if (spec.consume_front("self:int8") ||
               spec.consume_front("self:int4")) {
      xf::QuantizeWeightsPassOptions q;
      q.bits = llvm::StringRef(draft).starts_with("self:int4") ? 4 : 8;
      q.scheme = "auto";
      if (!spec.empty() && !spec.consume_front(":"))
        return "--draft=" + draft + ": expected :group=G or :symmetric after "
                                    "self:int4 / self:int8";
      llvm::SmallVector<llvm::StringRef> items;
      if (!spec.empty())
        spec.split(items, ':');
      for (llvm::StringRef item : items) {
        if (item.consume_front("group=")) {
          if (item.getAsInteger(10, q.groupSize) || q.groupSize < 1)
            return "--draft=" + draft + ": group=G takes a positive integer";
        } else if (item == "symmetric") {
          q.scheme = "symmetric";
        } else {
          return "--draft=" + draft + ": expected :group=G or :symmetric "
                                      "after self:int4 / self:int8, not '" +
                 item.str() + "'";
        }
      }
      draftModel = DraftModelSpec{modelPath, q, draft};
    } else if (spec.ends_with(".onnx")) {
      if (!llvm::sys::fs::exists(draft))
        return "--draft=" + draft + ": no such file";
      // As the target: the same --quantize flags.
      draftModel = DraftModelSpec{draft, pipelineOptions().quantization,
                                  llvm::sys::path::filename(draft).str()};
    } else {
      return "--draft: expected ngram[:N], self:layers=N, self:int8, "
             "self:int4 or DRAFT.onnx, not '" +
             draft + "'";
    }
  }
  if (!kvMemory.empty() && !xf::parseBytes(kvMemory.getValue(), kvMemoryBytes))
    return "--kv-memory: expected bytes (e.g. 268435456, 256M, 2G), not '" +
           kvMemory + "'";
  if (!calibration.empty() || !calibrationStats.empty()) {
    if (quantize == "none")
      return "--calibration needs --quantize";
    if (exposeLinearInputGrams)
      return "--expose-linear-input-grams compiles the fp32 calibration "
             "program: no --quantize or --calibration";
    if (calibrationContext < 1 || calibrationChunks < 0)
      return "--calibration-ctx must be positive, --calibration-chunks not "
             "negative";
  }
  return std::nullopt;
}

/// True when the flags ask for a program xfc must run (--emit=exe).
bool emitsProgram() {
  return emit == Emit::Executable && compileTo == CompileTo::Program;
}

/// --calibration: GPTQ's statistics, measured once before any compile that
/// uses them (the quality report's compiles get them as
/// --calibration-stats). 0, or xfc's exit code.
int calibrate(const std::string &xfcPath, std::vector<std::string> &arguments,
              xf::ScratchFolder &scratch) {
  if (calibration.empty() || !calibrationStats.empty())
    return 0;
  if (!emitsProgram())
    return usageError("--calibration runs the fp32 program: --emit=exe "
                      "only (or give --calibration-stats)");
  xf::CalibrationOptions options;
  options.xfcPath = xfcPath;
  options.arguments = arguments;
  options.outputPath = outputPath;
  options.textPath = calibration;
  options.context = calibrationContext;
  options.chunks = calibrationChunks;
  std::string path;
  if (auto message =
          xf::computeCalibrationStatistics(options, scratch, path))
    return fail(*message);
  calibrationStats = path;
  arguments.push_back("--calibration-stats=" + path);
  return 0;
}

/// --eval-text: the quality report, which compiles the programs itself.
int qualityReport(const std::string &xfcPath,
                  const std::vector<std::string> &arguments) {
  if (quantize == "none" || evalText.empty())
    return usageError("--eval-text needs --quantize, and --min-quality "
                      "needs --eval-text");
  if (!emitsProgram())
    return usageError("--eval-text runs the programs: --emit=exe only");
  if (evalContext < 2 || evalChunks < 0)
    return usageError("--eval-ctx must be at least 2, --eval-chunks not "
                      "negative");
  xf::QualityReportOptions report;
  report.xfcPath = xfcPath;
  report.arguments = arguments;
  report.modelPath = modelPath;
  report.outputPath = outputPath;
  report.textPath = evalText;
  report.quantize = quantize;
  report.int8Weights.assign(int8Weights.begin(), int8Weights.end());
  report.context = evalContext;
  report.chunks = evalChunks;
  report.fallback = qualityFallback;
  if (!minQuality.empty()) {
    xf::QualityBounds bounds;
    if (auto message = xf::parseQualityBounds(minQuality, bounds))
      return usageError("--min-quality: " + *message);
    report.bounds = bounds;
  } else if (qualityFallback) {
    return usageError("--quality-fallback needs --min-quality");
  }
  return xf::runQualityReport(report);
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "xfc: compiles an ONNX transformer language model ahead of time\n\n"
      "  xfc model.onnx -o OUT     writes the program OUT and OUT.xfw\n"
      "  ./OUT --tokens 1,2,3 --max-tokens 16\n");

  DialectRegistry registry;
  xf::registerAllDialects(registry);
  registerAllDialects(registry);
  registerAllExtensions(registry);
  // The cuda target's gpu-module-to-binary translates kernels to LLVM IR.
  registerAllGPUToLLVMIRTranslations(registry);
  MLIRContext context(registry);

  if (printPipeline) {
    OpPassManager pm("builtin.module");
    xf::buildXfcPipeline(pm, pipelineOptions());
    pm.printAsTextualPipeline(llvm::outs());
    llvm::outs() << "\n";
    return 0;
  }
  if (auto message = checkOptions())
    return usageError(*message);

  xf::ScratchFolder calibrationScratch;
  std::vector<std::string> arguments(argv + 1, argv + argc);
  std::string xfcPath = llvm::sys::fs::getMainExecutable(
      argv[0], reinterpret_cast<void *>(&usageError));
  if (int code = calibrate(xfcPath, arguments, calibrationScratch))
    return code;
  if (!evalText.empty() || !minQuality.empty())
    return qualityReport(xfcPath, arguments);
  if (succeeded(compile(context)))
    return 0;
  // Nothing half-made stays behind: OUT.xfw without its program is useless,
  // and so is an older OUT without it (and for cuda, whose pipeline refuses
  // what it cannot lower after the weights are written, without its object
  // or IR too).
  if (emitsProgram() ||
      (compileTo == CompileTo::Program &&
       pipelineOptions().target == xf::XfcTarget::CUDA)) {
    llvm::sys::fs::remove(outputPath + ".xfw");
    llvm::sys::fs::remove(outputPath);
  }
  return 1;
}
